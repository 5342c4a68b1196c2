"""``ts.KvStore.Spec``: a parsed kvstore JSON spec (driver members + ``path`` + ``context``)."""

from __future__ import annotations

import json
from typing import Any

from .. import jsonb, status
from ..context import pretty_json_repr
from . import _ctx
from .driver import DriverSpec, driver_spec_class
from .types import as_key
from .url import parse_url, quote

__all__ = ["Spec", "join_path", "parse_spec", "required_string"]


def join_path(path: str, component: str) -> str:
    """tensorstore's ``AppendPathComponent``: add a ``/`` only when neither side has one."""
    if path and not path.endswith("/") and component and not component.startswith("/"):
        return f"{path}/{component}"
    return path + component


def _as_path(value: Any) -> str:
    if isinstance(value, str):
        return value
    return as_key(value, "path").decode("utf-8", "surrogateescape")


def required_string(reader: jsonb.ObjectReader, name: str) -> str:
    if not reader.has(name):
        raise status.invalid_argument(
            f"Error parsing object member {json.dumps(name)}: Expected string, but member is missing"
        )
    return reader.get(name, jsonb.expect_string)


def parse_spec(value: Any) -> tuple[DriverSpec, str, dict[str, Any] | None]:
    """Parse a JSON spec or URL into ``(driver spec, path, context member)``."""
    if isinstance(value, str):
        from_url = parse_url(value)
        try:
            return _parse_json(from_url)
        except status.StatusError as e:  # NormalizeSpec failed (e.g. an invalid file path)
            raise status.StatusError(e.code, f"Parsing spec from url: {quote(value)}: {e.message}") from None
    return _parse_json(value)


def _parse_json(value: Any) -> tuple[DriverSpec, str, dict[str, Any] | None]:
    reader = jsonb.ObjectReader(value)
    name = required_string(reader, "driver")
    try:
        cls = driver_spec_class(name)
    except status.StatusError as e:
        raise jsonb.member_error("driver", e) from None
    context = reader.get("context", _ctx.normalize_context, None)
    path = reader.get("path", jsonb.expect_string, "")
    driver = cls.from_json(reader)
    reader.finish()
    path = driver.normalize_path(path)
    return driver, path, context


class Spec:
    """A kvstore spec, like ``tensorstore.KvStore.Spec``: JSON or URL in, JSON or URL out."""

    __slots__ = ("_bound", "_context", "_driver", "_path")
    _driver: DriverSpec
    _path: str
    _context: dict[str, Any] | None
    _bound: Any

    def __init__(self, json: Any) -> None:
        if isinstance(json, Spec):
            self._driver = json._driver.copy()
            self._path = json._path
            self._context = json._context
            self._bound = json._bound
            return
        self._driver, self._path, self._context = parse_spec(json)
        self._bound = None

    @classmethod
    def _make(cls, driver: DriverSpec, path: str, context: dict[str, Any] | None = None, bound: Any = None) -> Spec:
        self = cls.__new__(cls)
        self._driver, self._path, self._context, self._bound = driver, path, context, bound
        return self

    # -- accessors ---------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """Path prefix within the driver; keys are appended to it without a separator."""
        return self._path

    @path.setter
    def path(self, value: str | bytes) -> None:
        self._path = _as_path(value)

    @property
    def url(self) -> str:
        """The URL form (``memory://``, ``file:///...``, ``s3://bucket/...``)."""
        return self._driver.url(self._path)

    @property
    def base(self) -> Spec | None:
        """Underlying kvstore spec of an adapter (``zip``); ``None`` for non-adapter drivers."""
        base = getattr(self._driver, "base", None)
        return None if base is None else Spec(base)

    def to_json(self, include_defaults: bool = False) -> Any:
        out: dict[str, Any] = {"driver": self._driver.driver}
        if self._path or include_defaults:
            out["path"] = self._path
        context = _ctx.context_json(self._context or {}, include_defaults)
        if context or include_defaults:
            out["context"] = context
        out.update(self._driver.members_json(include_defaults))
        for res in self._driver.resources:
            value = self._driver.resource_values.get(res.member)
            if value is not None:
                out[res.member] = _ctx.resource_json(res.kind, value, include_defaults)
            elif include_defaults:
                out[res.member] = res.kind
        if self._bound is not None:
            return unbound_json(self._driver, self._path, self._bound, self._context)
        return jsonb.sorted_json(out)

    # -- mutators ------------------------------------------------------------------------------------
    def update(
        self,
        *,
        unbind_context: bool | None = None,
        strip_context: bool | None = None,
        context: Any = None,
    ) -> None:
        """Bind a context (``context=``), or drop context resources (``strip_context=True``)."""
        if context is not None:
            from ._ctx import check_context

            ctx = check_context(context)
            if self._bound is None:
                from ._ctx import child

                self._bound = child(ctx, self._context)
        if strip_context:
            self._bound = None
            self._context = None
            self._driver = self._driver.copy()
            self._driver.resource_values.clear()
        elif unbind_context and self._bound is not None:
            full = unbound_json(self._driver, self._path, self._bound, self._context)
            self._driver, self._path, self._context = parse_spec(full)
            self._bound = None

    def copy(self) -> Spec:
        return Spec(self)

    __copy__ = copy

    def __deepcopy__(self, memo: Any) -> Spec:
        return Spec(self)

    def __truediv__(self, component: str | bytes) -> Spec:
        return Spec._make(self._driver.copy(), join_path(self._path, _as_path(component)), self._context, self._bound)

    def __add__(self, suffix: str | bytes) -> Spec:
        return Spec._make(self._driver.copy(), self._path + _as_path(suffix), self._context, self._bound)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spec):
            return NotImplemented
        return bool(self.to_json(include_defaults=True) == other.to_json(include_defaults=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return pretty_json_repr("KvStore.Spec(", self.to_json())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Spec, (self.to_json(),))


def unbound_json(driver: DriverSpec, path: str, ctx: Any, context_member: dict[str, Any] | None) -> Any:
    """The spec with every context resource written out, as tensorstore's ``unbind_context`` does."""
    out: dict[str, Any] = {"driver": driver.driver}
    if path:
        out["path"] = path
    out.update(driver.members_json(False))
    context: dict[str, Any] = dict(context_member or {})
    for res in driver.resources:
        value = driver.resource_values.get(res.member)
        handle = ctx.resource_handle(res.kind, value)
        if isinstance(value, str):
            out[res.member] = value
            context.setdefault(value, handle.to_json())
        elif value is not None or res.inline_default is not None:
            out[res.member] = handle.to_json()
        else:
            context.setdefault(res.kind, handle.to_json())
    if context:
        out["context"] = context
    return jsonb.sorted_json(out)
