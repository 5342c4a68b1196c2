"""JSON member parsers with the exact error texts tensorstore's codec binders print."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .. import status
from ..jsonb import dump_compact

__all__ = ["bounded_int", "codec_error", "one_of", "one_of_unquoted", "required_string"]


def required_string(obj: dict[str, Any], name: str) -> str:
    """A string member that must be present (``id`` of a v2 compressor, ``name`` of a v3 codec)."""
    if name not in obj:
        raise status.invalid_argument(
            f"Error parsing object member {json.dumps(name)}: Expected string, but member is missing"
        )
    return name


def bounded_int(lo: int, hi: int) -> Callable[[Any], int]:
    """Parser for an integer in ``[lo, hi]``; any other value gets tensorstore's range message."""

    def parse(value: Any) -> int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok and isinstance(value, float) and value.is_integer():
            value, ok = int(value), True
        if not ok or not lo <= value <= hi:
            raise status.invalid_argument(
                f"Expected integer in the range [{lo}, {hi}], but received: {dump_compact(value)}"
            )
        return int(value)

    return parse


def one_of(choices: Sequence[Any]) -> Callable[[Any], Any]:
    """Enumerated JSON value, message ``Expected one of "a", "b", but received: x``."""

    def parse(value: Any) -> Any:
        for c in choices:
            if type(value) is type(c) and value == c:
                return value
        names = ", ".join(json.dumps(c) for c in choices)
        raise status.invalid_argument(f"Expected one of {names}, but received: {dump_compact(value)}")

    return parse


def one_of_unquoted(choices: Sequence[str], *, comma: bool) -> Callable[[Any], str]:
    """Enumerated string with the unquoted list tensorstore uses for blosc ``cname``."""

    def parse(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        sep = ", " if comma else " "
        raise status.invalid_argument(f"Expected one of {','.join(choices)}{sep}but received: {dump_compact(value)}")

    return parse


def codec_error(codec: str, key: str | None, detail: str, *, code: str = "FAILED_PRECONDITION") -> status.StatusError:
    """A decode failure naming the codec and the chunk key (see :class:`ChunkDecodeError`)."""
    return ChunkDecodeError(code, detail, codec=codec, key=key)


class ChunkDecodeError(status.StatusError):
    """Corrupt or truncated chunk data.

    ``str()`` names the codec and key; ``detail`` is the bare text tensorstore prints after
    ``Error reading local file "...": `` so a driver can compose tensorstore's exact message.
    """

    def __init__(
        self, code: str, message: str, *, codec: str = "", key: str | None = None, detail: str | None = None
    ) -> None:
        self.codec = codec
        self.key = key
        self.detail = message if detail is None else detail
        full = message
        if codec or key is not None:
            where = f" (codec {json.dumps(codec)}" + (f", key {json.dumps(key)})" if key is not None else ")")
            full = f"{message}{where}" if detail is None else message
        super().__init__(code, full)
