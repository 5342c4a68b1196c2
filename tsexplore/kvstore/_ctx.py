"""Access to ``tsexplore.context`` for kvstore drivers.

Drivers only need :func:`default_context`, :func:`resolve` (``Context.resource(kind, spec)``) and
:func:`child` (a spec's nested ``context`` member on top of the caller's context).
"""

from __future__ import annotations

from typing import Any

from .. import status

__all__ = ["check_context", "child", "default_context", "register_resource", "resolve"]


def _module() -> Any:
    from .. import context

    return context


def default_context() -> Any:
    return _module().Context()


def check_context(ctx: Any) -> Any:
    """``context=`` must be a ``ts.Context`` (tensorstore: ``TypeError: Invalid context``)."""
    if ctx is None:
        return default_context()
    if not isinstance(ctx, _module().Context):
        raise TypeError("Invalid context")
    return ctx


def child(parent: Any, spec_json: dict[str, Any] | None) -> Any:
    """A context built from a spec's ``context`` member, falling back to ``parent``."""
    if not spec_json:
        return parent
    ctx_cls = _module().Context
    return ctx_cls(spec_json, parent)


def resolve(ctx: Any, kind: str, spec: Any) -> Any:
    """The shared resource object of ``kind`` for a driver member value (``None`` = default)."""
    try:
        return ctx.resource(kind, spec)
    except status.StatusError:
        raise
    except KeyError as e:  # pragma: no cover - depends on the context module's registry
        raise status.invalid_argument(f"Invalid context resource identifier: {kind!r}") from e


def register_resource(kind: str, default_spec: dict[str, Any], create: Any) -> None:
    _module().register_resource(kind, default_spec, create)


def normalize_resource(kind: str, value: Any) -> Any:
    """Validate a driver's resource member (inline spec or reference) and return its full JSON.

    tensorstore's texts: ``Expected non-null value, but received: null``, ``Invalid spec or
    reference to "kind" resource: ...`` and the kind's own member errors.
    """
    ctx = _module()
    if value is None:
        raise status.invalid_argument("Expected non-null value, but received: null")
    res_kind = ctx._check_identifier(kind)
    entry = ctx._parse_entry(kind, res_kind, value)
    return ctx._entry_json(res_kind, entry, True)


def resource_json(kind: str, value: Any, include_defaults: bool) -> Any:
    """The JSON tensorstore prints for a normalized resource member value."""
    if isinstance(value, str):
        return value
    ctx = _module()
    res_kind = ctx._check_identifier(kind)
    return ctx._entry_json(res_kind, res_kind.parse(value), include_defaults)


def normalize_context(value: Any) -> dict[str, Any]:
    """Validate a spec's ``context`` member (as ``Context.Spec``) and return its full JSON."""
    result: dict[str, Any] = _module().Context.Spec(value).to_json(include_defaults=True)
    return result


def context_json(value: dict[str, Any], include_defaults: bool) -> dict[str, Any]:
    result: dict[str, Any] = _module().Context.Spec(value).to_json(include_defaults=include_defaults)
    return result
