"""``ts.OpenMode``: the open/create/delete_existing/assume_metadata/assume_cached_metadata flags."""

from __future__ import annotations

from typing import Any

__all__ = ["OpenMode"]

_FLAGS = ("open", "create", "delete_existing", "assume_metadata", "assume_cached_metadata")
_HELP = (
    "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
    "    1. tensorstore.OpenMode(*, open: bool = False, create: bool = False, delete_existing: bool = False, "
    "assume_metadata: bool = False, assume_cached_metadata: bool = False)\n"
)


class OpenMode:
    """How ``ts.open`` treats existing and missing arrays, like ``tensorstore.OpenMode``."""

    __slots__ = _FLAGS
    open: bool
    create: bool
    delete_existing: bool
    assume_metadata: bool
    assume_cached_metadata: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or any(k not in _FLAGS for k in kwargs):
            invoked = ", ".join([repr(a) for a in args] + (
                ["kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items())] if kwargs else []))
            raise TypeError(_HELP + "\nInvoked with: " + invoked)
        for f in _FLAGS:
            object.__setattr__(self, f, bool(kwargs.get(f, False)))

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, bool(value))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpenMode):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FLAGS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "OpenMode(" + ", ".join(f"{f}=True" for f in _FLAGS if getattr(self, f)) + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (tuple(getattr(self, f) for f in _FLAGS),))


def _restore(flags: tuple[bool, ...]) -> OpenMode:
    return OpenMode(**dict(zip(_FLAGS, flags)))


OpenMode.__name__ = "tensorstore.OpenMode"
