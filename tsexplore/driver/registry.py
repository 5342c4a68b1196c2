"""Driver registry: JSON driver name -> :class:`DriverSpec` class, and TensorStore URL schemes.

Drivers register on import (``@register_driver``); :mod:`tsexplore.driver` imports the built-in
ones.  A TensorStore URL is a kvstore URL followed by driver components, e.g. ``'memory://|zarr3:'``
or ``'file:///x|zarr2:'``; the kvstore part is parsed by :mod:`tsexplore.kvstore.url`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from .. import status
from .base import DriverSpec

__all__ = [
    "get_driver",
    "parse_tensorstore_url",
    "register_driver",
    "register_url_scheme",
    "registered_drivers",
]

_DRIVERS: dict[str, type[DriverSpec]] = {}
# scheme -> (is kvstore-based, parser(json_so_far, component_rest) -> json)
_SCHEMES: dict[str, tuple[bool, Callable[[dict[str, Any] | None, str], dict[str, Any]]]] = {}

S = TypeVar("S", bound=type[DriverSpec])


def register_driver(spec_cls: S) -> S:
    """Class decorator: make ``spec_cls.driver_name`` a valid ``"driver"`` member.

    A kvstore-based driver with a ``url_scheme`` also gets the URL component ``'<scheme>:<path>'``.
    """
    _DRIVERS[spec_cls.driver_name] = spec_cls
    scheme = spec_cls.url_scheme
    if scheme is not None and scheme not in _SCHEMES and spec_cls.uses_kvstore:
        name = spec_cls.driver_name

        def parse(kv: dict[str, Any] | None, rest: str) -> dict[str, Any]:
            assert kv is not None
            kv = dict(kv)
            if rest:
                from ..kvstore.spec import join_path
                from ..kvstore.url import decode_path

                path = kv.get("path", "")
                path = path if not path or path.endswith("/") else path + "/"
                sub = decode_path(rest)
                kv["path"] = join_path(path, sub if sub.endswith("/") else sub + "/")
            return {"driver": name, "kvstore": kv}

        register_url_scheme(scheme, parse, kvstore_based=True)
    return spec_cls


def register_url_scheme(
    scheme: str,
    parse: Callable[[dict[str, Any] | None, str], dict[str, Any]],
    *,
    kvstore_based: bool,
) -> None:
    """Register a TensorStore URL component ``scheme:rest``.

    ``parse(previous, rest)`` gets the kvstore spec JSON (kvstore-based schemes) or the previous
    TensorStore spec JSON (adapters), and returns the new TensorStore spec JSON.
    """
    _SCHEMES[scheme] = (kvstore_based, parse)


def _ensure_builtin() -> None:
    from . import load_builtin_drivers

    load_builtin_drivers()


def registered_drivers() -> list[str]:
    _ensure_builtin()
    return sorted(_DRIVERS)


def get_driver(name: str) -> type[DriverSpec]:
    """The spec class for ``name``; INVALID_ARGUMENT ``"x" is not a registered TensorStore driver``."""
    _ensure_builtin()
    cls = _DRIVERS.get(name)
    if cls is None:
        raise status.invalid_argument(f"{json.dumps(name)} is not a registered TensorStore driver")
    return cls


def parse_tensorstore_url(url: str) -> dict[str, Any]:
    """The JSON spec of a TensorStore URL such as ``'memory://|zarr3:'``."""
    _ensure_builtin()
    try:
        return _parse(url)
    except status.StatusError as e:
        if e.message.startswith("Parsing spec from url"):
            raise
        raise status.StatusError(e.code, f"Parsing spec from url: {json.dumps(url)}: {e.message}") from None


def _scheme_of(component: str) -> str:
    colon = component.find(":")
    return component[:colon] if colon > 0 else ""


def _parse(url: str) -> dict[str, Any]:
    components = url.split("|")
    first_ts = next((i for i, c in enumerate(components) if _scheme_of(c) in _SCHEMES), None)
    if first_ts is None:
        for c in components:
            scheme = _scheme_of(c)
            if not scheme or "://" not in c:
                raise status.invalid_argument(f"unsupported URL scheme: {json.dumps(scheme or c)}")
        from ..kvstore.url import parse_url

        return {"driver": "auto", "kvstore": parse_url(url)}
    for c in components[first_ts:]:
        scheme = _scheme_of(c)
        if scheme not in _SCHEMES:
            raise status.invalid_argument(f"unsupported URL scheme: {json.dumps(scheme or c)}")
    spec: dict[str, Any] | None = None
    if first_ts > 0:
        from ..kvstore.url import parse_url

        kv: dict[str, Any] | None = parse_url("|".join(components[:first_ts]))
    else:
        kv = None
    for i, c in enumerate(components[first_ts:]):
        scheme = _scheme_of(c)
        kvstore_based, parse = _SCHEMES[scheme]
        rest = c[len(scheme) + 1 :]
        if kvstore_based:
            if i == 0 and kv is None:
                raise status.invalid_argument(
                    f"kvstore-based TensorStore URL scheme in {json.dumps(c)} is not valid as the first "
                    "URL pipeline component"
                )
            if i > 0:
                raise status.invalid_argument(
                    f"kvstore-based TensorStore URL scheme in {json.dumps(c)} is not valid following a "
                    "TensorStore URL pipeline component"
                )
            spec = parse(kv, rest)
        else:
            # an adapter straight after the kvstore wraps tensorstore's format-detecting "auto" driver
            first = {"driver": "auto", "kvstore": kv} if kv is not None else None
            spec = parse(spec if i > 0 else first, rest)
    assert spec is not None
    return spec
