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
