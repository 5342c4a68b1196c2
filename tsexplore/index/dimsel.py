"""Resolving dimension selections (indices, labels, ranges) against a domain's labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import status
from .dim import quote

__all__ = [
    "DimSpec",
    "RangeSpec",
    "get_dimensions",
    "get_new_dimensions",
    "normalize_index",
    "normalize_label",
]


class RangeSpec:
    """A ``start:stop:step`` range of dimension indices (DimRangeSpec)."""

    __slots__ = ("start", "step", "stop")

    def __init__(self, start: int | None, stop: int | None, step: int) -> None:
        self.start, self.stop, self.step = start, stop, step

    def __repr__(self) -> str:
        s = ("" if self.start is None else str(self.start)) + ":" + ("" if self.stop is None else str(self.stop))
        if self.step != 1:
            s += f":{self.step}"
        return s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RangeSpec) and (self.start, self.stop, self.step) == (
            other.start,
            other.stop,
            other.step,
        )

    __hash__ = None  # type: ignore[assignment]


DimSpec = int | str | RangeSpec


def normalize_index(i: int, rank: int) -> int:
    if i < -rank or i >= rank:
        raise status.invalid_argument(f"Dimension index {i} is outside valid range [-{rank}, {rank})")
    return i + rank if i < 0 else i


def _normalize_stop(i: int, rank: int) -> int:
    if i < -rank - 1 or i > rank:
        raise status.invalid_argument(
            f"Dimension exclusive stop index {i} is outside valid range [-{rank + 1}, {rank}]"
        )
    return i + rank if i < 0 else i


def normalize_label(label: str, labels: Sequence[str]) -> int:
    if not label:
        raise status.invalid_argument("Dimension cannot be specified by empty label")
    try:
        return list(labels).index(label)
    except ValueError:
        raise status.invalid_argument(
            f"Label {quote(label)} does not match one of {{{', '.join(quote(x) for x in labels)}}}"
        ) from None


def normalize_range(r: RangeSpec, rank: int) -> list[int]:
    step = r.step
    if step == 0:
        raise status.invalid_argument("step must not be 0")
    start = normalize_index(r.start, rank) if r.start is not None else (0 if step > 0 else rank - 1)
    if r.stop is not None:
        stop = _normalize_stop(r.stop, rank)
        if (step > 0 and stop < start) or (step < 0 and stop > start):
            raise status.invalid_argument(f"{r!r} is not a valid range")
    else:
        stop = rank if step > 0 else -1
    n = max(0, -((start - stop) // step))
    return [start + step * i for i in range(n)]


def check_unique(rank: int, dims: list[int]) -> list[int]:
    if len(dims) > rank:
        raise status.invalid_argument(f"Number of dimensions ({len(dims)}) exceeds input rank ({rank}).")
    out = [normalize_index(d, rank) for d in dims]
    dup = []
    for i, d in enumerate(out):
        for j in range(i):
            if out[j] == d:
                dup.append(d)
    if dup:
        raise status.invalid_argument(f"Input dimensions {{{', '.join(str(x) for x in dup)}}} specified more than once")
    return out


def get_dimensions(labels: Sequence[str], specs: Sequence[DimSpec]) -> list[int]:
    out: list[int] = []
    rank = len(labels)
    for s in specs:
        if isinstance(s, str):
            out.append(normalize_label(s, labels))
        elif isinstance(s, RangeSpec):
            out.extend(normalize_range(s, rank))
        else:
            out.append(normalize_index(s, rank))
    return check_unique(rank, out)


def _cdiv(a: int, b: int) -> int:
    return -((-a) // b)


def _num_new(r: RangeSpec) -> int:
    step = r.step
    if step == 0:
        raise status.invalid_argument("step must not be 0")
    if r.start is not None:
        if r.stop is not None:
            if (r.stop < 0) == (r.start < 0) and ((step > 0 and r.stop >= r.start) or (step < 0 and r.stop <= r.start)):
                return int(_cdiv(r.stop - r.start, step))
        elif step > 0:
            if r.start < 0:
                return int(_cdiv(-r.start, step))
        elif r.start >= 0:
            return int(_cdiv(r.start + 1, -step))
    elif r.stop is not None:
        if step > 0:
            if r.stop >= 0:
                return int(_cdiv(r.stop, step))
        elif r.stop < 0:
            return int(_cdiv(-(r.stop + 1), -step))
    raise status.invalid_argument(f"`{r!r}` is not a valid specification for new dimensions")


def get_new_dimensions(rank: int, specs: Sequence[DimSpec]) -> list[int]:
    new_rank = rank
    for s in specs:
        new_rank += _num_new(s) if isinstance(s, RangeSpec) else 1
    out: list[int] = []
    for s in specs:
        if isinstance(s, str):
            raise status.invalid_argument("New dimensions cannot be specified by label")
        if isinstance(s, RangeSpec):
            out.extend(normalize_range(s, new_rank))
        else:
            out.append(normalize_index(s, new_rank))
    return check_unique(new_rank, out)


def parse_dim_specs(key: Any) -> list[DimSpec]:
    """Python ``ts.d[...]`` arguments to a list of dimension specs."""
    items = key if isinstance(key, (tuple, list)) else (key,)
    out: list[DimSpec] = []
    for k in items:
        if isinstance(k, str):
            out.append(k)
        elif isinstance(k, slice):
            if k.step is not None and int(k.step) == 0:
                raise ValueError("slice step cannot be zero")
            out.append(
                RangeSpec(
                    None if k.start is None else int(k.start.__index__()),
                    None if k.stop is None else int(k.stop.__index__()),
                    1 if k.step is None else int(k.step.__index__()),
                )
            )
        elif hasattr(k, "__index__") and not isinstance(k, bool):
            out.append(int(k.__index__()))
        elif isinstance(k, (tuple, list)):
            out.extend(parse_dim_specs(k))
        else:
            raise TypeError(f"__getitem__(): incompatible function arguments. Invoked with: {k!r}")
    return out
