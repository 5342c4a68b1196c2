"""The ``array`` driver: an in-memory NumPy array (``ts.array`` references the caller's array).

JSON: ``{'driver': 'array', 'array': [...], 'dtype': 'int32'}`` (``dtype`` required).  Reads and
writes go through :func:`tsexplore.index.read_array` / :func:`~tsexplore.index.write_array`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import jsonb, status
from ..dtype import as_dtype, dtype, dtype_from_numpy
from ..index import IndexDomain, IndexTransform, OutputIndexMap, read_array, write_array
from ..schema import ChunkLayout, Schema
from .base import Driver, DriverSpec, OpenRequest, SpecOptions
from .registry import register_driver

__all__ = ["ArrayDriver", "ArraySpec", "array"]

Array = np.ndarray[Any, Any]


def _layout(rank: int) -> ChunkLayout:
    return ChunkLayout(grid_origin=[0] * rank, inner_order=list(range(rank)))


def _box_text(shape: tuple[int, ...]) -> str:
    return "{origin={" + ", ".join("0" for _ in shape) + "}, shape={" + ", ".join(map(str, shape)) + "}}"


@register_driver
class ArraySpec(DriverSpec):
    """Parsed ``array`` driver JSON."""

    driver_name = "array"
    context_resources = ("data_copy_concurrency",)

    array: Array

    def __init__(self, schema: Schema, array: Array) -> None:
        super().__init__(schema)
        self.array = array

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Schema) -> ArraySpec:
        if schema.dtype is None:
            reader.ignore("array")
            raise status.invalid_argument("dtype must be specified")
        dt = schema.dtype

        def parse(value: Any) -> Array:
            try:
                return np.array(value, dtype=dt.numpy_dtype)
            except (TypeError, ValueError, OverflowError):
                raise status.invalid_argument(
                    f"Error parsing array element: expected {dt.name}, but received: {jsonb.dump_compact(value)}"
                ) from None

        arr = reader.get("array", parse)
        if schema.rank is not None and schema.rank != arr.ndim:
            raise status.invalid_argument(
                f"Rank specified by array ({arr.ndim}) does not match existing rank specified by schema "
                f"({schema.rank})"
            )
        return cls(schema, arr)

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        return {"array": _json_array(self.array)}

    def default_transform(self) -> IndexTransform:
        return IndexTransform(input_shape=list(self.array.shape))

    def effective_schema(self) -> Schema:
        s = self.schema.copy()
        s.update(rank=self.array.ndim, domain=IndexDomain(shape=list(self.array.shape)))
        s.update(chunk_layout=_layout(self.array.ndim))
        return s

    async def open(self, request: OpenRequest) -> Driver:
        dom = request.schema.domain
        shape = tuple(self.array.shape)
        if dom is not None and (dom.rank != len(shape) or dom.origin != (0,) * len(shape) or dom.shape != shape):
            raise status.invalid_argument(
                f"Mismatch between domain in schema {{ {dom} }} and array {{ {_box_text(shape)} }}"
            )
        dt = self.schema.dtype
        assert dt is not None
        request.resource(self, "data_copy_concurrency")
        return ArrayDriver(self.array.copy(), dt, writable=request.write)


def _json_array(a: Array) -> Any:
    if a.dtype.kind == "O":
        return [_json_array(x) for x in a] if a.ndim else _json_value(a[()])
    return a.tolist()


def _json_value(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return v


class ArrayDriver(Driver):
    """An open in-memory array (origin 0)."""

    def __init__(self, array: Array, dt: dtype, *, writable: bool = True) -> None:
        self.array = array
        self.dtype = dt
        self.writable = writable

    def domain(self) -> IndexDomain:
        return IndexDomain(shape=list(self.array.shape))

    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        return read_array(transform, self.array)

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        if transform.input_rank == 0:
            # write_array's basic path yields a NumPy scalar for an all-constant rank-0 view.
            self.array[tuple(transform([]))] = np.asarray(source)[()]
            return
        write_array(transform, self.array, None, source)

    @property
    def chunk_layout(self) -> ChunkLayout:
        return _layout(self.array.ndim)

    async def storage_statistics(
        self, transform: IndexTransform, *, query_not_stored: bool, query_fully_stored: bool
    ) -> tuple[bool | None, bool | None]:
        return (False if query_not_stored else None), (True if query_fully_stored else None)

    def spec(self, options: SpecOptions) -> DriverSpec:
        return ArraySpec(Schema(dtype=self.dtype), self.array.copy())

    def bound_spec(self, transform: IndexTransform, options: SpecOptions) -> tuple[DriverSpec, IndexTransform]:
        """tensorstore's form: the array restricted to the view, size-1 dimensions dropped."""
        values = read_array(transform, self.array)
        shape = values.shape
        kept = [i for i, s in enumerate(shape) if s != 1]
        sub = values.reshape([shape[i] for i in kept])
        origin = transform.domain.origin
        maps = [OutputIndexMap(input_dimension=i, offset=-origin[i]) for i in kept]
        t = IndexTransform(transform.domain, output=maps)
        return ArraySpec(Schema(dtype=self.dtype), sub), t


def array(
    array: Any, dtype: Any = None, *, context: Any = None, copy: bool | None = None, write: bool | None = None
) -> Any:
    """A TensorStore over an in-memory array; references a NumPy array unless a copy is needed."""
    from ..context import Context
    from ..tensorstore import TensorStore

    if context is not None and not isinstance(context, Context):
        raise TypeError("Invalid context")
    ctx = context if context is not None else Context()
    dt = None if dtype is None else as_dtype(dtype)
    if isinstance(array, np.ndarray) and (dt is None or dt.numpy_dtype == array.dtype) and not copy:
        arr = array
        if dt is None:
            dt = dtype_from_numpy(arr.dtype)
    else:
        arr = np.array(array, dtype=None if dt is None else dt.numpy_dtype, copy=True)
        if dt is None:
            dt = dtype_from_numpy(arr.dtype)
    if write is None:
        write = bool(arr.flags.writeable)
    elif write and not arr.flags.writeable:
        raise status.invalid_argument("Cannot write to read-only array")
    driver = ArrayDriver(arr, dt, writable=write)
    ctx.resource("data_copy_concurrency")
    return TensorStore._make(driver, IndexTransform(input_shape=list(arr.shape)), None, True, write, ctx)
