"""Small value types of the KvStore API: key ranges, storage generations and read results.

They mirror ``tensorstore.KvStore.KeyRange``, ``.TimestampedStorageGeneration`` and ``.ReadResult``
(mutable attributes, the same reprs, pickling) and double as the driver interface's vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "NO_VALUE",
    "KeyRange",
    "ReadOptions",
    "ReadResult",
    "TimestampedStorageGeneration",
    "as_key",
    "as_value",
    "common_prefix",
]

#: Generation of a key that does not exist (tensorstore's ``StorageGeneration::NoValue()``).
NO_VALUE = b"\x02"
#: Generation meaning "unknown": as ``if_equal`` it makes a write unconditional; as a write result
#: it means the condition failed.
UNKNOWN = b""

State = Literal["unspecified", "missing", "value"]
_STATES = ("unspecified", "missing", "value")


def as_key(value: Any, what: str = "key") -> bytes:
    """Keys and generations are accepted as ``str`` (UTF-8) or ``bytes``, as tensorstore does."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def as_value(value: Any) -> bytes | None:
    if value is None:
        return None
    return as_key(value, "value")


def _bytes_repr(b: bytes) -> str:
    return repr(bytes(b))


class KeyRange:
    """Half-open key range ``[inclusive_min, exclusive_max)``; an empty ``exclusive_max`` is unbounded."""

    __slots__ = ("_max", "_min")

    def __init__(self, inclusive_min: str | bytes = "", exclusive_max: str | bytes = "") -> None:
        self._min = as_key(inclusive_min, "inclusive_min")
        self._max = as_key(exclusive_max, "exclusive_max")

    @property
    def inclusive_min(self) -> bytes:
        return self._min

    @inclusive_min.setter
    def inclusive_min(self, value: str | bytes) -> None:
        self._min = as_key(value, "inclusive_min")

    @property
    def exclusive_max(self) -> bytes:
        return self._max

    @exclusive_max.setter
    def exclusive_max(self, value: str | bytes) -> None:
        self._max = as_key(value, "exclusive_max")

    @property
    def empty(self) -> bool:
        return self._max != b"" and self._min >= self._max

    def contains(self, key: bytes) -> bool:
        return key >= self._min and (self._max == b"" or key < self._max)

    def copy(self) -> KeyRange:
        return KeyRange(self._min, self._max)

    @staticmethod
    def prefix(prefix: bytes) -> KeyRange:
        """All keys starting with ``prefix`` (the successor of the prefix is the bound)."""
        return KeyRange(prefix, prefix_successor(prefix))

    def with_prefix(self, prefix: bytes) -> KeyRange:
        """This range, relative to ``prefix``, as an absolute range (clipped to the prefix)."""
        lo = prefix + self._min
        hi = prefix + self._max if self._max else prefix_successor(prefix)
        return KeyRange(lo, hi)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyRange):
            return NotImplemented
        return self._min == other._min and self._max == other._max

    __hash__ = None  # type: ignore[assignment]  # mutable, like tensorstore's (unhashable)

    def __repr__(self) -> str:
        return f"KvStore.KeyRange({_bytes_repr(self._min)}, {_bytes_repr(self._max)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (KeyRange, (self._min, self._max))


def prefix_successor(prefix: bytes) -> bytes:
    """The smallest key greater than every key with ``prefix`` (``b''`` = unbounded)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return b""
    return stripped[:-1] + bytes([stripped[-1] + 1])


def common_prefix(a: bytes, b: bytes) -> bytes:
    """The longest prefix two keys share (byte by byte; listings start from it)."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


class TimestampedStorageGeneration:
    """A storage generation (opaque bytes) and the time it was known to be current."""

    __slots__ = ("_generation", "_time")

    def __init__(self, generation: str | bytes = "", time: float = -math.inf) -> None:
        self._generation = as_key(generation, "generation")
        self._time = float(time)

    @classmethod
    def _make(cls, generation: bytes, time: float) -> TimestampedStorageGeneration:
        """Engine constructor for already-validated ``bytes`` and ``float`` (skips conversion)."""
        self = object.__new__(cls)
        self._generation, self._time = generation, time
        return self

    @property
    def generation(self) -> bytes:
        return self._generation

    @generation.setter
    def generation(self, value: str | bytes) -> None:
        self._generation = as_key(value, "generation")

    @property
    def time(self) -> float:
        return self._time

    @time.setter
    def time(self, value: float) -> None:
        self._time = float(value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimestampedStorageGeneration):
            return NotImplemented
        return self._generation == other._generation and self._time == other._time

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"KvStore.TimestampedStorageGeneration({_bytes_repr(self._generation)}, {self._time:f})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TimestampedStorageGeneration, (self._generation, self._time))


class ReadResult:
    """Outcome of a read: ``state`` ('value', 'missing' or 'unspecified'), ``value`` and ``stamp``."""

    __slots__ = ("_stamp", "_state", "_value")

    def __init__(
        self,
        state: State = "unspecified",
        value: str | bytes = "",
        stamp: TimestampedStorageGeneration | None = None,
    ) -> None:
        self.state = state
        self._value = as_key(value, "value")
        self._stamp = stamp if stamp is not None else TimestampedStorageGeneration()

    @classmethod
    def _make(cls, state: State, value: bytes, stamp: TimestampedStorageGeneration) -> ReadResult:
        """Engine constructor for already-validated fields (one read result per key read)."""
        self = object.__new__(cls)
        self._state, self._value, self._stamp = state, value, stamp
        return self

    @property
    def state(self) -> State:
        return self._state

    @state.setter
    def state(self, value: State) -> None:
        if value not in _STATES:
            raise TypeError(f"state must be one of 'unspecified', 'missing', 'value', not {value!r}")
        self._state = value

    @property
    def value(self) -> bytes:
        return self._value

    @value.setter
    def value(self, value: str | bytes) -> None:
        self._value = as_key(value, "value")

    @property
    def stamp(self) -> TimestampedStorageGeneration:
        return self._stamp

    @stamp.setter
    def stamp(self, value: TimestampedStorageGeneration) -> None:
        if not isinstance(value, TimestampedStorageGeneration):
            raise TypeError("stamp must be a KvStore.TimestampedStorageGeneration")
        self._stamp = value

    def __repr__(self) -> str:
        return f"KvStore.ReadResult(state={self._state!r}, value={_bytes_repr(self._value)}, stamp={self._stamp!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadResult, (self._state, self._value, self._stamp))


@dataclass(frozen=True)
class ReadOptions:
    """What a driver read is asked for.

    ``byte_range`` is ``(start, stop)`` already validated by the front end: ``start >= 0`` and
    ``stop`` is ``None`` (to the end) or ``>= start``; or ``start < 0`` with ``stop`` None for a suffix.
    ``if_not_equal`` (``b''`` = no condition): when the current generation equals it, the driver
    returns ``state='unspecified'`` without the value.
    """

    byte_range: tuple[int, int | None] | None = None
    if_not_equal: bytes = b""
    staleness_bound: float | None = None
