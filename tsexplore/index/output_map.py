"""Output index maps: how one output coordinate is computed from the input coordinates."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import numpy as np

from .dim import Dim
from .interval import INF, fmt_interval
from .signatures import constructor_overloads

__all__ = ["OutputIndexMap", "OutputIndexMaps", "OutputIndexMethod", "dependence", "fmt_array"]


class OutputIndexMethod(enum.IntEnum):
    constant = 0
    single_input_dimension = 1
    array = 2


def fmt_array(a: np.ndarray[Any, Any]) -> str:
    """tensorstore's array text: ``{{1, 2}, {3, 4}}``."""
    if a.ndim == 0:
        return str(int(a))
    if a.ndim == 1:
        return "{" + ", ".join(str(int(x)) for x in a) + "}"
    return "{" + ", ".join(fmt_array(x) for x in a) + "}"


_FULL = (-INF, INF + 1)
_CONSTANT = OutputIndexMethod.constant
_SINGLE = OutputIndexMethod.single_input_dimension


class OutputIndexMap:
    """One output index map; immutable.

    ``index_array`` follows tensorstore's byte-stride model: it depends on input dimension ``d``
    iff ``strides[d] != 0``.  Inside a transform, non-dependent dimensions have extent 1 and stride 0,
    while a dependent dimension keeps a non-zero stride even when a slice shrinks it to one element.
    """

    __slots__ = ("_array", "_input_dimension", "_method", "_offset", "_range", "_stride")

    _method: OutputIndexMethod
    _offset: int
    _stride: int
    _input_dimension: int
    _array: np.ndarray[Any, np.dtype[np.int64]] | None
    _range: tuple[int, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with constructor_overloads("OutputIndexMap", args, kwargs):
            self._init(*args, **kwargs)

    def _init(self, *args: Any, **kwargs: Any) -> None:
        names: tuple[str, ...] = ("offset",)
        if "input_dimension" in kwargs or ("index_array" not in kwargs and len(args) >= 2):
            names = ("input_dimension", "offset", "stride")
        elif "index_array" in kwargs or (args and not _is_int(args[0])):
            names = ("index_array", "offset", "stride", "index_range")
        if len(args) > len(names):
            raise TypeError("__init__(): incompatible function arguments")
        params: dict[str, Any] = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in params:
                raise TypeError("__init__(): incompatible function arguments")
            params[k] = v
        offset = int(params.get("offset", 0).__index__())
        if names[0] == "offset":
            self._set(OutputIndexMethod.constant, offset, 0, -1, None, _FULL)
        elif names[0] == "input_dimension":
            self._set(
                OutputIndexMethod.single_input_dimension,
                offset,
                int(params.get("stride", 1).__index__()),
                int(params["input_dimension"].__index__()),
                None,
                _FULL,
            )
        else:
            arr = np.asarray(params["index_array"])
            if arr.dtype.kind not in "iub":
                arr = np.asarray(arr, dtype=np.int64) if arr.size == 0 else arr
                if arr.dtype.kind not in "iu":
                    raise TypeError("Unable to convert index_array to an integer array")
            rng = params.get("index_range", Dim())
            self._set(
                OutputIndexMethod.array,
                offset,
                int(params.get("stride", 1).__index__()),
                -1,
                _freeze(arr),
                (rng.inclusive_min, rng.exclusive_max),
            )

    def _set(  # noqa: PLR0917
        self,
        method: OutputIndexMethod,
        offset: int,
        stride: int,
        input_dimension: int,
        array: np.ndarray[Any, np.dtype[np.int64]] | None,
        rng: tuple[int, int],
    ) -> None:
        self._method, self._offset, self._stride = method, offset, stride
        self._input_dimension, self._array, self._range = input_dimension, array, rng

    @classmethod
    def _make(  # noqa: PLR0917
        cls,
        method: OutputIndexMethod,
        offset: int,
        stride: int = 0,
        input_dimension: int = -1,
        array: np.ndarray[Any, np.dtype[np.int64]] | None = None,
        rng: tuple[int, int] = _FULL,
    ) -> OutputIndexMap:
        m = cls.__new__(cls)
        m._method, m._offset, m._stride = method, offset, stride
        m._input_dimension, m._array, m._range = input_dimension, array, rng
        return m

    # _constant/_single set the slots directly: they run several times per indexing operation.
    @classmethod
    def _constant(cls, offset: int) -> OutputIndexMap:
        m = cls.__new__(cls)
        m._method, m._offset, m._stride = _CONSTANT, offset, 0
        m._input_dimension, m._array, m._range = -1, None, _FULL
        return m

    @classmethod
    def _single(cls, input_dimension: int, offset: int = 0, stride: int = 1) -> OutputIndexMap:
        m = cls.__new__(cls)
        if stride == 0:
            m._method, m._offset, m._stride = _CONSTANT, offset, 0
            m._input_dimension, m._array, m._range = -1, None, _FULL
            return m
        m._method, m._offset, m._stride = _SINGLE, offset, stride
        m._input_dimension, m._array, m._range = input_dimension, None, _FULL
        return m

    @classmethod
    def _indexed(
        cls,
        array: np.ndarray[Any, Any],
        offset: int,
        stride: int,
        rng: tuple[int, int],
        depends: list[bool] | None = None,
    ) -> OutputIndexMap:
        """``depends``: per-dimension dependence to keep (a view, as tensorstore's in-place operations
        do); None for a freshly allocated array, which depends only on its dimensions of extent > 1."""
        return cls._make(OutputIndexMethod.array, offset, stride, -1, _freeze(array, depends), rng)

    @property
    def method(self) -> OutputIndexMethod:
        return self._method

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def stride(self) -> int | None:
        return None if self._method == OutputIndexMethod.constant else self._stride

    @property
    def input_dimension(self) -> int | None:
        return self._input_dimension if self._method == OutputIndexMethod.single_input_dimension else None

    @property
    def index_array(self) -> np.ndarray[Any, np.dtype[np.int64]] | None:
        a = self._array
        if a is None or a.size == 0 or all(s == 0 or n != 1 for s, n in zip(a.strides, a.shape)):
            return a
        # Like tensorstore's view: a dimension of extent 1 shows stride 0 whatever the dependence.
        strides = tuple(0 if n == 1 else s for s, n in zip(a.strides, a.shape))
        return np.lib.stride_tricks.as_strided(a, strides=strides, writeable=False)

    @property
    def index_range(self) -> Dim | None:
        if self._method != OutputIndexMethod.array:
            return None
        return Dim._make(self._range[0], self._range[1], False, False, "")

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            raise AttributeError(f"'tensorstore.OutputIndexMap' object has no attribute '{name}'")

    def __repr__(self) -> str:
        if self._method == OutputIndexMethod.constant:
            return f"OutputIndexMap(offset={self._offset})"
        if self._method == OutputIndexMethod.single_input_dimension:
            return (
                f"OutputIndexMap(offset={self._offset}, stride={self._stride}, input_dimension={self._input_dimension})"
            )
        assert self._array is not None
        return (
            f"OutputIndexMap(offset={self._offset}, stride={self._stride}, "
            f"index_array={fmt_array(self._array)}, index_range={fmt_interval(*self._range)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OutputIndexMap):
            return NotImplemented
        if self._method != other._method or self._offset != other._offset:
            return False
        if self._method == OutputIndexMethod.constant:
            return True
        if self._method == OutputIndexMethod.single_input_dimension:
            return self._stride == other._stride and self._input_dimension == other._input_dimension
        assert self._array is not None and other._array is not None
        return (
            self._stride == other._stride
            and self._range == other._range
            and self._array.shape == other._array.shape
            and bool(np.array_equal(self._array, other._array))
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        if self._array is None:
            return (OutputIndexMap._make, (self._method, self._offset, self._stride, self._input_dimension, None))
        arr = self._array
        return (
            OutputIndexMap._indexed,
            (np.array(arr), self._offset, self._stride, self._range, dependence(arr)),
        )


def _is_int(x: Any) -> bool:
    return hasattr(x, "__index__") and not isinstance(x, np.ndarray)


def dependence(a: np.ndarray[Any, Any]) -> list[bool]:
    """Which dimensions an index array depends on (tensorstore: ``byte_strides[d] != 0``)."""
    return [s != 0 for s in a.strides]


def _freeze(a: np.ndarray[Any, Any], depends: list[bool] | None = None) -> np.ndarray[Any, np.dtype[np.int64]]:
    """A read-only int64 copy whose strides say what it depends on.

    Zero strides of the caller's array (broadcast dimensions) stay zero; other dimensions of extent 1
    get stride 0 unless ``depends`` keeps them.  An empty array keeps the caller's strides.
    """
    if a.size == 0:
        out = np.asarray(a, dtype=np.int64).view()
        out.flags.writeable = False
        return out
    src = np.asarray(a)
    bcast = [s == 0 and n != 1 for s, n in zip(src.strides, src.shape)]
    compact = np.array(src[tuple(slice(0, 1) if b else slice(None) for b in bcast)], dtype=np.int64)
    strides = tuple(
        0
        if bcast[d] or (n == 1 and not (depends is not None and depends[d]))
        else (compact.strides[d] or compact.itemsize)
        for d, n in enumerate(src.shape)
    )
    out = np.lib.stride_tricks.as_strided(compact, shape=src.shape, strides=strides, writeable=False)
    return out


class OutputIndexMaps:
    """The sequence of output index maps of a transform (``transform.output``)."""

    __slots__ = ("_maps",)

    def __init__(self, maps: tuple[OutputIndexMap, ...]) -> None:
        self._maps = maps

    @property
    def rank(self) -> int:
        return len(self._maps)

    def __len__(self) -> int:
        return len(self._maps)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return list(self._maps[i])
        n = len(self._maps)
        k = int(i.__index__())
        if k < -n or k >= n:
            raise IndexError(f"Index {k} is outside valid range [{-n}, {n})")
        return self._maps[k]

    def __iter__(self) -> Any:
        return iter(self._maps)

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(m) for m in self._maps) + "]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OutputIndexMaps):
            return self._maps == other._maps
        if isinstance(other, (list, tuple)):
            return list(self._maps) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
