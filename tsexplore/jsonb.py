"""Small JSON binding helpers that produce tensorstore's error texts.

Every JSON-facing type (Context, KvStore specs, Spec, Schema, codecs, metadata) parses through
these, so that an error always names the member path at fault, e.g.
``Error parsing object member "driver": "lazy" is not a registered TensorStore driver``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from . import status

__all__ = [
    "ObjectReader",
    "dump_compact",
    "expect_array",
    "expect_bool",
    "expect_int",
    "expect_int_list",
    "expect_number",
    "expect_object",
    "expect_string",
    "member_error",
    "parse_elements",
]

T = TypeVar("T")
_MISSING: Any = object()


def dump_compact(value: Any) -> str:
    """JSON text as tensorstore prints it inside messages: compact, keys in the given order."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True, default=str)


def member_error(name: str, err: status.StatusError) -> status.StatusError:
    return status.StatusError(err.code, f"Error parsing object member {json.dumps(name)}: {err.message}")


def expect_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise status.invalid_argument(f"Expected object, but received: {dump_compact(value)}")
    return dict(value)


def expect_string(value: Any) -> str:
    if not isinstance(value, str):
        raise status.invalid_argument(f"Expected string, but received: {dump_compact(value)}")
    return value


def expect_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise status.invalid_argument(f"Expected boolean, but received: {dump_compact(value)}")
    return value


def expect_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value, ok = int(value), True
    if not ok:
        raise status.invalid_argument(f"Expected integer, but received: {dump_compact(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lo = "-inf" if minimum is None else str(minimum)
        hi = "+inf" if maximum is None else str(maximum)
        raise status.invalid_argument(f"Expected integer in the range [{lo}, {hi}], but received: {value}")
    return int(value)


def expect_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise status.invalid_argument(f"Expected 64-bit floating-point number, but received: {dump_compact(value)}")
    return float(value)


def parse_elements(values: Iterable[Any], parse: Callable[[Any], T]) -> list[T]:
    """``parse`` each element; an element's error is prefixed with its position, as tensorstore does."""
    out = []
    for i, v in enumerate(values):
        try:
            out.append(parse(v))
        except status.StatusError as e:
            raise status.StatusError(e.code, f"Error parsing value at position {i}: {e.message}") from None
    return out


def expect_array(value: Any, parse: Callable[[Any], T]) -> list[T]:
    """A JSON array, each element read by ``parse``."""
    if not isinstance(value, list):
        raise status.invalid_argument(f"Expected array, but received: {dump_compact(value)}")
    return parse_elements(value, parse)


def expect_int_list(value: Any, *, minimum: int | None = None) -> list[int]:
    if not isinstance(value, (list, tuple)):
        raise status.invalid_argument(f"Expected array, but received: {dump_compact(value)}")
    return parse_elements(value, lambda v: expect_int(v, minimum=minimum))


class ObjectReader:
    """Reads members of one JSON object; :meth:`finish` rejects members nobody asked for."""

    def __init__(self, obj: Any) -> None:
        self.obj = expect_object(obj)
        self._seen: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.obj

    def get(self, name: str, parse: Callable[[Any], T], default: Any = _MISSING) -> T:
        """Parse member ``name`` with ``parse``; missing gives ``default`` (or an error if none)."""
        self._seen.add(name)
        if name not in self.obj:
            if default is _MISSING:
                raise status.invalid_argument(f"{json.dumps(name)} must be specified")
            return default  # type: ignore[no-any-return]
        try:
            return parse(self.obj[name])
        except status.StatusError as e:
            raise member_error(name, e) from None

    def ignore(self, *names: str) -> None:
        self._seen.update(names)

    def rest(self) -> dict[str, Any]:
        return {k: v for k, v in self.obj.items() if k not in self._seen}

    def finish(self) -> None:
        extra = [k for k in self.obj if k not in self._seen]
        if extra:
            names = ",".join(json.dumps(k) for k in sorted(extra))
            raise status.invalid_argument(f"Object includes extra members: {names}")


def sorted_json(value: Any) -> Any:
    """Recursively sort object keys (tensorstore's ``to_json()`` emits sorted keys)."""
    if isinstance(value, Mapping):
        return {k: sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(v) for v in value]
    return value
