"""pybind11 overload lists of the index-space constructors, for tensorstore's exact TypeError text."""

# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..status import invoked_with

__all__ = ["constructor_overloads", "incompatible_constructor"]

_OVERLOADS = {
    "IndexDomain": (
        "    1. tensorstore.IndexDomain(rank: typing.SupportsInt | typing.SupportsIndex | None = None, *, inclusive_min: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, implicit_lower_bounds: collections.abc.Iterable[bool] | None = None, exclusive_max: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, inclusive_max: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, shape: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, implicit_upper_bounds: collections.abc.Iterable[bool] | None = None, labels: collections.abc.Iterable[str | None] | None = None)\n"
        "    2. tensorstore.IndexDomain(dimensions: collections.abc.Iterable[tensorstore.Dim])\n"
        "    3. tensorstore.IndexDomain(*, json: Any)\n"
    ),
    "IndexTransform": (
        "    1. tensorstore.IndexTransform(input_rank: typing.SupportsInt | typing.SupportsIndex | None = None, *, input_inclusive_min: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, implicit_lower_bounds: collections.abc.Iterable[bool] | None = None, input_exclusive_max: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, input_inclusive_max: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, input_shape: collections.abc.Iterable[typing.SupportsInt | typing.SupportsIndex] | None = None, implicit_upper_bounds: collections.abc.Iterable[bool] | None = None, input_labels: collections.abc.Iterable[str | None] | None = None, output: collections.abc.Iterable[tensorstore.OutputIndexMap] | None = None)\n"
        "    2. tensorstore.IndexTransform(domain: IndexDomain | collections.abc.Sequence[Dim], output: collections.abc.Iterable[tensorstore.OutputIndexMap] | None = None)\n"
        "    3. tensorstore.IndexTransform(*, json: Any)\n"
    ),
    "Dim": (
        "    1. tensorstore.Dim(label: str | None = None, *, implicit_lower: bool = True, implicit_upper: bool = True)\n"
        "    2. tensorstore.Dim(size: Optional[int], label: str | None = None, *, inclusive_min: Optional[int] = None, implicit_lower: bool = False, implicit_upper: bool | None = None)\n"
        "    3. tensorstore.Dim(inclusive_min: Optional[int] = -inf, exclusive_max: Optional[int] = +inf, *, label: str | None = None, implicit_lower: bool | None = None, implicit_upper: bool | None = None)\n"
        "    4. tensorstore.Dim(*, inclusive_min: Optional[int] = -inf, inclusive_max: Optional[int] = +inf, label: str | None = None, implicit_lower: bool | None = None, implicit_upper: bool | None = None)\n"
    ),
    "OutputIndexMap": (
        "    1. tensorstore.OutputIndexMap(offset: typing.SupportsInt | typing.SupportsIndex = 0)\n"
        "    2. tensorstore.OutputIndexMap(input_dimension: typing.SupportsInt | typing.SupportsIndex, offset: typing.SupportsInt | typing.SupportsIndex = 0, stride: typing.SupportsInt | typing.SupportsIndex = 1)\n"
        "    3. tensorstore.OutputIndexMap(index_array: numpy.typing.ArrayLike, offset: typing.SupportsInt | typing.SupportsIndex = 0, stride: typing.SupportsInt | typing.SupportsIndex = 1, index_range: tensorstore.Dim = Dim())\n"
    ),
}


def incompatible_constructor(cls: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TypeError:
    return TypeError(
        "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
        + _OVERLOADS[cls]
        + invoked_with(args, kwargs)
    )


@contextmanager
def constructor_overloads(cls: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[None]:
    """Turn a failed overload match (``__init__(): incompatible ...``) into pybind11's full TypeError."""
    try:
        yield
    except TypeError as e:
        if not str(e).startswith("__init__(): incompatible"):
            raise
        raise incompatible_constructor(cls, args, kwargs) from None
