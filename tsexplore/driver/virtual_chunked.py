"""``ts.virtual_chunked``: a TensorStore whose chunks are computed/stored by Python callbacks.

``read_function(domain, array, params)`` fills ``array`` (C order, the chunk's shape, clipped to
the domain) for one read chunk; ``write_function(domain, array, params)`` stores one write chunk
(``array`` is read-only).  Either may return ``None``, a future, or a coroutine (run on ``loop``:
the one given, else the loop running when ``virtual_chunked`` was called).  Plain callbacks run in
the I/O thread pool, so the chunks of one request are computed concurrently; an exception raised
by a callback reaches the caller unchanged (same type).

Partial-chunk writes read the chunk first (read-modify-write); a write-only view requires
chunk-aligned writes, as in tensorstore.  Nothing is cached: every read calls ``read_function``
(tensorstore's default ``cache_pool`` holds nothing either).  There is no JSON form.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import status
from ..future import Future, io_pool, run_blocking
from ..index import IndexDomain, IndexTransform, read_array, write_array
from ..index.interval import INF
from ..index.output_box import output_bounding_box, output_coordinates
from ..index.output_map import OutputIndexMethod
from ..schema import ChunkLayout, Schema
from .base import Driver, DriverSpec, OpenRequest, SpecOptions

__all__ = [
    "VirtualChunkedDriver",
    "VirtualChunkedReadParameters",
    "VirtualChunkedWriteParameters",
    "virtual_chunked",
]

Array = np.ndarray[Any, Any]
Callback = Callable[..., Any]


class VirtualChunkedReadParameters:
    """Options of one chunk read (``if_not_equal``, ``staleness_bound``, ``batch``)."""

    __slots__ = ("batch", "if_not_equal", "staleness_bound")

    def __init__(self) -> None:
        self.if_not_equal: Any = None
        self.staleness_bound = float("inf")
        self.batch: Any = None


class VirtualChunkedWriteParameters:
    """Options of one chunk write (``if_equal``)."""

    __slots__ = ("if_equal",)

    def __init__(self) -> None:
        self.if_equal: Any = None


class VirtualChunkedSpec(DriverSpec):
    """The spec of a virtual_chunked view: schema only; it has no JSON form and cannot be reopened."""

    driver_name = "virtual_chunked"

    @classmethod
    def from_json(cls, reader: Any, schema: Schema) -> VirtualChunkedSpec:
        raise status.invalid_argument('"virtual_chunked" is not a registered TensorStore driver')

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        raise NotImplementedError('Error converting object member "driver": JSON representation not supported')

    async def open(self, request: OpenRequest) -> Driver:
        raise status.invalid_argument("virtual_chunked specs cannot be reopened")


class VirtualChunkedDriver(Driver):
    """Splits requests on the chunk grid and calls the user's functions once per chunk."""

    def __init__(  # noqa: PLR0917
        self, read_function: Callback | None, write_function: Callback | None, dtype: Any, domain: IndexDomain,
        read_chunk: Sequence[int], write_chunk: Sequence[int], units: Any, loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self.read_function = read_function
        self.write_function = write_function
        self.dtype = dtype
        self._domain = domain
        self.read_chunk = tuple(read_chunk)
        self.write_chunk = tuple(write_chunk)
        self._units = units
        self.loop = loop
        # chunks are aligned to the domain's origin (reported modulo the read chunk shape)
        self._origin = tuple(
            x % c if x > -INF else 0 for x, c in zip(domain.inclusive_min, self.read_chunk, strict=True)
        )
        self.readable = read_function is not None
        self.writable = write_function is not None

    def domain(self) -> IndexDomain:
        return self._domain

    # -- calling back --------------------------------------------------------------------------------------
    async def _call(self, fn: Callback, lo: Sequence[int], hi: Sequence[int], array: Array, params: Any) -> None:
        dom = IndexDomain(inclusive_min=list(lo), exclusive_max=list(hi), labels=list(self._domain.labels))
        result = await run_blocking(fn, dom, array, params, pool=io_pool())
        await self._settle(result)

    async def _settle(self, result: Any) -> None:
        if result is None:
            return
        if inspect.iscoroutine(result):
            if self.loop is None:
                result.close()
                raise ValueError("no event loop specified and thread does not have a default event loop")
            cf = asyncio.run_coroutine_threadsafe(result, self.loop)
            await asyncio.wrap_future(cf)
            return
        if isinstance(result, concurrent.futures.Future):
            await asyncio.wrap_future(result)
        elif isinstance(result, (Future, asyncio.Future)) or inspect.isawaitable(result):
            await result
        elif type(result).__name__ != "TimestampedStorageGeneration":
            raise RuntimeError(
                f"Unable to cast Python instance of type {type(result)} to C++ type '?' (#define "
                "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)"
            )

    # -- chunk grid ------------------------------------------------------------------------------------------
    def _chunks(self, lo: Sequence[int], hi: Sequence[int], shape: Sequence[int]) -> list[tuple[list[int], list[int]]]:
        """Grid cells (origin 0, clipped to the domain) meeting the box ``[lo, hi)``."""
        dlo, dhi = self._domain.inclusive_min, self._domain.exclusive_max
        per_dim = []
        for a, b, c, x, y, g in zip(lo, hi, shape, dlo, dhi, self._origin, strict=True):
            first = g + ((a - g) // c) * c
            per_dim.append([(max(s, x), min(s + c, y)) for s in range(first, b, c)])
        return [([c[0] for c in combo], [c[1] for c in combo]) for combo in itertools.product(*per_dim)]

    def _strided_chunks(self, transform: IndexTransform, shape: Sequence[int]) -> list[tuple[list[int], list[int]]]:
        """The grid cells holding the points of a strided ``transform`` (each dimension on its own)."""
        dom = transform.domain
        dlo, dhi = self._domain.inclusive_min, self._domain.exclusive_max
        per_dim = []
        for m, c, g, x, y in zip(transform.output, shape, self._origin, dlo, dhi, strict=True):
            ks = np.unique((output_coordinates(dom, m).reshape(-1) - g) // c).tolist()
            per_dim.append([(max(g + k * c, x), min(g + (k + 1) * c, y)) for k in ks])
        return [([c[0] for c in combo], [c[1] for c in combo]) for combo in itertools.product(*per_dim)]

    def _touched_chunks(self, transform: IndexTransform, shape: Sequence[int]) -> list[tuple[list[int], list[int]]]:
        """The grid cells holding the points of an index-array ``transform`` (only those)."""
        dom = transform.domain
        coords = [np.broadcast_to(output_coordinates(dom, m), dom.shape).reshape(-1) for m in transform.output]
        g = self._origin
        cells = np.unique(
            np.stack([(c - o) // s for c, s, o in zip(coords, shape, g, strict=True)], axis=1), axis=0
        )
        dlo, dhi = self._domain.inclusive_min, self._domain.exclusive_max
        out = []
        for row in cells.tolist():
            clo = [max(o + k * s, x) for k, s, x, o in zip(row, shape, dlo, g, strict=True)]
            chi = [min(o + (k + 1) * s, y) for k, s, y, o in zip(row, shape, dhi, g, strict=True)]
            out.append((clo, chi))
        return out

    async def _read_box(
        self, lo: Sequence[int], hi: Sequence[int], chunks: list[tuple[list[int], list[int]]] | None = None
    ) -> Array:
        fn = self.read_function
        assert fn is not None
        out = np.empty([b - a for a, b in zip(lo, hi, strict=True)], dtype=self.dtype.numpy_dtype)

        async def one(clo: list[int], chi: list[int]) -> None:
            chunk = np.zeros([b - a for a, b in zip(clo, chi, strict=True)], dtype=self.dtype.numpy_dtype)
            await self._call(fn, clo, chi, chunk, VirtualChunkedReadParameters())
            a_lo = [max(x, y) for x, y in zip(clo, lo, strict=True)]
            a_hi = [min(x, y) for x, y in zip(chi, hi, strict=True)]
            out[tuple(slice(a - o, b - o) for a, b, o in zip(a_lo, a_hi, lo, strict=True))] = chunk[
                tuple(slice(a - o, b - o) for a, b, o in zip(a_lo, a_hi, clo, strict=True))
            ]

        if chunks is None:
            chunks = self._chunks(lo, hi, self.read_chunk)
        await asyncio.gather(*(one(a, b) for a, b in chunks))
        return out

    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        shape = transform.domain.shape
        if 0 in shape:
            return np.empty(shape, dtype=self.dtype.numpy_dtype)
        lo, hi = output_bounding_box(transform)
        if any(m.method == OutputIndexMethod.array for m in transform.output):
            chunks = self._touched_chunks(transform, self.read_chunk)
        else:
            chunks = self._strided_chunks(transform, self.read_chunk)
        data = await self._read_box(lo, hi, chunks)
        return read_array(transform, data, lo)

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        fn = self.write_function
        assert fn is not None
        if 0 in transform.domain.shape:
            return
        lo, hi = output_bounding_box(transform)
        box_shape = [b - a for a, b in zip(lo, hi, strict=True)]
        data = np.zeros(box_shape, dtype=self.dtype.numpy_dtype)
        mask = np.zeros(box_shape, dtype=bool)
        write_array(transform, data, lo, source)
        write_array(transform, mask, lo, True)

        async def one(clo: list[int], chi: list[int]) -> None:
            a_lo = [max(x, y) for x, y in zip(clo, lo, strict=True)]
            a_hi = [min(x, y) for x, y in zip(chi, hi, strict=True)]
            in_box = tuple(slice(a - o, b - o) for a, b, o in zip(a_lo, a_hi, lo, strict=True))
            m = mask[in_box]
            if not m.any():
                return
            full = a_lo == clo and a_hi == chi and bool(m.all())
            if full:
                chunk = np.array(data[in_box])
            else:
                if self.read_function is None:
                    raise status.invalid_argument("Write-only virtual chunked view requires chunk-aligned writes")
                chunk = await self._read_box(clo, chi)
                in_chunk = tuple(slice(a - o, b - o) for a, b, o in zip(a_lo, a_hi, clo, strict=True))
                np.copyto(chunk[in_chunk], data[in_box], where=m)
            chunk.flags.writeable = False
            await self._call(fn, clo, chi, chunk, VirtualChunkedWriteParameters())

        chunks = self._chunks(lo, hi, self.write_chunk)
        if self.read_function is None:  # check alignment of every chunk before writing any
            for clo, chi in chunks:
                a_lo = [max(x, y) for x, y in zip(clo, lo, strict=True)]
                a_hi = [min(x, y) for x, y in zip(chi, hi, strict=True)]
                in_box = tuple(slice(a - o, b - o) for a, b, o in zip(a_lo, a_hi, lo, strict=True))
                m = mask[in_box]
                if m.any() and not (a_lo == clo and a_hi == chi and m.all()):
                    raise status.invalid_argument("Write-only virtual chunked view requires chunk-aligned writes")
        await asyncio.gather(*(one(a, b) for a, b in chunks))

    # -- spec and schema ---------------------------------------------------------------------------------------
    def spec(self, options: SpecOptions) -> DriverSpec:
        schema = Schema(dtype=self.dtype, domain=self._domain, chunk_layout=self.chunk_layout)
        if self._units is not None and any(u is not None for u in self._units):
            schema.update(dimension_units=self._units)
        return VirtualChunkedSpec(schema)

    @property
    def chunk_layout(self) -> ChunkLayout:
        rank = self._domain.rank
        return ChunkLayout(
            grid_origin=list(self._origin), inner_order=list(range(rank)),
            read_chunk_shape=list(self.read_chunk), write_chunk_shape=list(self.write_chunk),
        )

    @property
    def dimension_units(self) -> Any:
        return self._units




_SIG = (
    "virtual_chunked(): incompatible function arguments. The following argument types are supported:\n"
    "    1. (read_function: Callable[[tensorstore.IndexDomain, numpy.ndarray, "
    "tensorstore.VirtualChunkedReadParameters], tensorstore.FutureLike[tensorstore.KvStore."
    "TimestampedStorageGeneration | None]] | None = None, write_function: Callable[[tensorstore.IndexDomain, "
    "numpy.ndarray, tensorstore.VirtualChunkedWriteParameters], tensorstore.FutureLike[tensorstore.KvStore."
    "TimestampedStorageGeneration | None]] | None = None, *, loop: asyncio.AbstractEventLoop | None = None, rank: "
    "Optional[typing.SupportsInt | typing.SupportsIndex] = None, dtype: Optional[tensorstore.DTypeLike] = None, "
    "domain: Optional[tensorstore.IndexDomain] = None, shape: Optional[collections.abc.Iterable[typing.SupportsInt "
    "| typing.SupportsIndex]] = None, chunk_layout: Optional[tensorstore.ChunkLayout] = None, dimension_units: "
    "Optional[collections.abc.Iterable[Union[tensorstore.Unit, str, numbers.Real, tuple[numbers.Real, str]] | "
    "None]] = None, schema: Optional[tensorstore.Schema] = None, context: Optional[tensorstore.Context] = None, "
    "transaction: Optional[tensorstore.Transaction] = None) -> tensorstore.TensorStore\n\nInvoked with: "
)
_KEYS = frozenset(("loop", "rank", "dtype", "domain", "shape", "chunk_layout", "dimension_units", "schema",
                   "context", "transaction"))


def virtual_chunked(read_function: Any = None, write_function: Any = None, *args: Any, **kwargs: Any) -> Any:
    """A TensorStore computed chunk by chunk by ``read_function`` (and stored by ``write_function``)."""
    from ..context import Context
    from ..tensorstore import TensorStore

    bad = [k for k in kwargs if k not in _KEYS]
    if args or bad or (read_function is not None and not callable(read_function)) or (
        write_function is not None and not callable(write_function)
    ):
        given = [repr(x) for x in (read_function, write_function, *args)]
        if kwargs:
            given.append("kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()))
        raise TypeError(_SIG + ", ".join(given))
    if read_function is None and write_function is None:
        raise status.invalid_argument("Must specify `read_function`, `write_function`, or both")
    loop = kwargs.get("loop")
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
    constraints = {k: kwargs[k] for k in ("rank", "dtype", "domain", "shape", "chunk_layout", "dimension_units")
                   if kwargs.get(k) is not None}
    schema = Schema(**constraints)
    if kwargs.get("schema") is not None:
        schema = schema.merged(kwargs["schema"])
    if schema.dtype is None:
        raise status.invalid_argument("dtype must be specified")
    domain = schema.domain
    if domain is None:
        if schema.rank is None:
            raise status.invalid_argument("rank must be specified")
        r = schema.rank
        domain = IndexDomain._make(((-INF,) * r, (INF + 1,) * r, (False,) * r, (False,) * r, ("",) * r))
    layout = schema.chunk_layout
    read_chunk = _chunk_shape(layout.read_chunk.shape, layout.write_chunk.shape, domain)
    write_chunk = _chunk_shape(layout.write_chunk.shape, layout.read_chunk.shape, domain)
    units = schema.dimension_units
    driver = VirtualChunkedDriver(read_function, write_function, schema.dtype, domain, read_chunk, write_chunk,
                                  units, loop)
    ctx = kwargs.get("context") or Context()
    return TensorStore._make(driver, IndexTransform(domain), kwargs.get("transaction"), driver.readable,
                             driver.writable, ctx)


def _chunk_shape(own: Any, other: Any, domain: IndexDomain) -> list[int]:
    """The chunk shape per dimension: given, else the other grid's, else the whole (finite) dimension."""
    out = []
    for d in range(domain.rank):
        for shape in (own, other):
            if shape is not None and shape[d]:
                out.append(int(shape[d]))
                break
        else:
            n = domain.shape[d]
            out.append(n if 0 < n < 2**62 else 2**62)
    return out
