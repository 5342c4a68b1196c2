"""The ``downsample`` driver: a read-only view that reduces blocks of a base array (``ts.downsample``).

JSON: ``{'driver': 'downsample', 'base': {...}, 'downsample_factors': [...], 'downsample_method': 'mean'}``.
Output index ``i`` of a dimension with factor ``f`` covers base positions ``[i*f, (i+1)*f)``, so the
domain is ``[floor(lo/f), ceil(hi/f))`` (``stride``: the multiples of ``f`` only).  The base is a
*view*: downsampling a sliced or strided store downsamples that view's domain.

Reads are streamed: the requested output box is split into groups of output rows along the first
dimension, each group reads only its base region (``f0`` base rows per output row), is reduced with
the NumPy kernels of :mod:`.downsample_kernels` in the CPU pool, and is dropped; the next group's
read is already running meanwhile.  So a preview of a huge array at a large factor never holds more
than about two groups of full-resolution data.

tsexplore extension (E2): method ``'sum'`` (alias ``'add'``), the block sum in the *base* dtype, so
integer sums wrap around on overflow (``uint8`` blocks summing past 255 wrap): cast the base to a
wider type first (``ts.downsample(store.astype('uint32'), ...)``) when that matters.  Specs using it
cannot be opened by real tensorstore.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from .. import jsonb, status
from ..future import cpu_pool, run_blocking
from ..index import IndexDomain, IndexTransform, OutputIndexMap, read_array
from ..index.interval import INF
from ..index.output_box import output_bounding_box
from ..schema import ChunkLayout, Schema
from .base import Driver, DriverSpec, OpenRequest, SpecOptions
from .downsample_kernels import (
    check_method_supports,
    downsample_array,
    downsampled_bounds,
    parse_method,
    reduce_blocks,
)
from .registry import register_driver

__all__ = ["DownsampleDriver", "DownsampleMethod", "DownsampleSpec", "downsample"]

Array = np.ndarray[Any, Any]

#: ``ts.DownsampleMethod``: the method names tensorstore accepts (tsexplore also takes ``'sum'``/``'add'``).
DownsampleMethod = Literal["stride", "median", "mode", "mean", "min", "max"]

#: Budget of full-resolution bytes read per streamed group of output rows.
GROUP_BYTES = 8 << 20
#: Pool threads reducing chunks as they are read.  One: a chunk's reduction is a string of small
#: NumPy calls, and two threads doing that convoy on the GIL (measured: 2 threads ~1.5x slower).
CHUNKWISE_WORKERS = 1


def _check_factors(factors: Sequence[int], rank: int) -> list[int]:
    out = [int(f) for f in factors]
    if len(out) != rank:
        raise status.invalid_argument(
            f"Number of downsample factors ({len(out)}) does not match TensorStore rank ({rank})"
        )
    if any(f <= 0 for f in out):
        raise status.invalid_argument("Downsample factors {" + ", ".join(map(str, out)) + "} are not all positive")
    return out


def downsampled_domain(base: IndexDomain, factors: Sequence[int], method: str) -> IndexDomain:
    """The domain of the downsampled view of ``base`` (labels and implicit flags kept)."""
    lo, hi, il, iu, labels = base._f
    new_lo: list[int] = []
    new_hi: list[int] = []
    for a, b, f in zip(lo, hi, factors, strict=True):
        x, y = downsampled_bounds(a, b, f, method)
        new_lo.append(x)
        new_hi.append(y)
    return IndexDomain._make((tuple(new_lo), tuple(new_hi), il, iu, labels))


def _parse_factors(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)):
        raise status.invalid_argument(f"Expected array, but received: {jsonb.dump_compact(value)}")
    out: list[int] = []
    for i, v in enumerate(value):
        try:
            out.append(jsonb.expect_int(v, minimum=1, maximum=2**63 - 1))
        except status.StatusError as e:
            raise status.invalid_argument(f"Error parsing value at position {i}: {e.message}") from None
    return out


@register_driver
class DownsampleSpec(DriverSpec):
    """Parsed ``downsample`` driver JSON."""

    driver_name = "downsample"

    base_spec: Any
    factors: list[int]
    method: str

    def __init__(self, schema: Schema, base_spec: Any, factors: list[int], method: str) -> None:
        super().__init__(schema)
        self.base_spec = base_spec
        self.factors = factors
        self.method = method

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Schema) -> DownsampleSpec:
        from ..spec import Spec

        if not reader.has("base"):
            raise status.invalid_argument('Error parsing object member "base": Expected object, but member is missing')

        def parse_base(value: Any) -> Spec:
            if isinstance(value, dict) and "dtype" not in value and schema.dtype is not None:
                value = {**value, "dtype": schema.dtype.name}  # the adapter's dtype constrains its base
            return Spec(value)

        base = reader.get("base", parse_base)
        if not reader.has("downsample_factors"):
            raise status.invalid_argument(
                'Error parsing object member "downsample_factors": Expected array, but member is missing'
            )
        factors = reader.get("downsample_factors", _parse_factors)
        rank = base.rank if base.rank is not None else schema.rank
        if rank is not None and rank != len(factors):
            raise status.invalid_argument(
                f'Error parsing object member "downsample_factors": Rank specified by rank ({len(factors)}) does '
                f"not match existing rank specified by schema ({rank})"
            )
        if not reader.has("downsample_method"):
            try:
                parse_method(None, missing=True)
            except status.StatusError as e:
                raise jsonb.member_error("downsample_method", e) from None
        method = reader.get("downsample_method", parse_method)
        return make_spec(base, factors, method, schema)

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        bj = self.base_spec.to_json(include_defaults=include_defaults)
        bj.pop("dtype", None)
        out = {"base": bj, "downsample_factors": list(self.factors), "downsample_method": self.method}
        if self.base_spec.transform is None:  # tensorstore then states the rank as a top-level member
            out["rank"] = len(self.factors)
        return out

    def default_transform(self) -> IndexTransform | None:
        t = self.base_spec.transform
        return None if t is None else IndexTransform(downsampled_domain(t.domain, self.factors, self.method))

    def effective_schema(self) -> Schema:
        if self.schema.rank is not None:
            return self.schema
        out = self.schema.copy()
        out.update(rank=len(self.factors))
        return out

    def base(self) -> Any:
        return self.base_spec

    def nested_specs(self) -> list[Any]:
        return [self.base_spec]

    def strip_for_minimal(self) -> DriverSpec:
        return self

    async def open(self, request: OpenRequest) -> Driver:
        from ..open import open as ts_open

        base = self.base_spec.copy()
        if self.schema.dtype is not None and base.dtype is None:
            base.update(dtype=self.schema.dtype)
        store = await ts_open(base, read=True, context=request.context, transaction=request.transaction)
        _check_factors(self.factors, store.rank)
        dt = store.dtype
        check_method_supports(self.method, dt.name, dt.numpy_dtype)
        return DownsampleDriver(store, self.factors, self.method)


def make_spec(base: Any, factors: list[int], method: str, schema: Schema | None = None) -> DownsampleSpec:
    schema = Schema() if schema is None else schema
    if schema.dtype is None and base.dtype is not None:
        schema.update(dtype=base.dtype)
    schema._rank = None  # implied by the factors; printed by to_json as tensorstore does
    return DownsampleSpec(schema, base, factors, method)


class DownsampleDriver(Driver):
    """Answers reads of the downsampled view by reducing base regions block by block."""

    writable = False

    def __init__(self, base: Any, factors: Sequence[int], method: str) -> None:
        self.base_store = base
        self.factors = list(factors)
        self.method = method
        self.dtype = base.dtype
        self._domain = downsampled_domain(base.domain, self.factors, method)

    def domain(self) -> IndexDomain:
        return self._domain

    # -- reading -------------------------------------------------------------------------------------------
    def _stride_transform(self) -> IndexTransform:
        """Downsampled space -> base space for ``stride``: ``j -> j * f``."""
        d = self._domain
        maps = [OutputIndexMap._single(i, 0, f) for i, f in enumerate(self.factors)]
        return IndexTransform._make(d._f, tuple(maps))

    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        if self.method == "stride":
            view = self.base_store[self._stride_transform()][transform]
            return await view.read()  # type: ignore[no-any-return]
        shape = transform.domain.shape
        if 0 in shape:
            return np.empty(shape, dtype=self.dtype.numpy_dtype)
        lo, hi = output_bounding_box(transform)
        data = await self._downsample_box(lo, hi)
        return read_array(transform, data, lo)

    async def _downsample_box(self, lo: Sequence[int], hi: Sequence[int]) -> Array:
        """The downsampled values of the output box ``[lo, hi)``, streamed in groups of rows."""
        rank = len(lo)
        out = np.empty([b - a for a, b in zip(lo, hi, strict=True)], dtype=self.dtype.numpy_dtype)
        if rank == 0:
            base = await self.base_store.read()
            out[()] = base
            return out
        b_lo, b_hi = self.base_store.domain.inclusive_min, self.base_store.domain.exclusive_max
        f = self.factors

        def base_range(d: int, a: int, b: int) -> tuple[int, int]:
            return max(a * f[d], b_lo[d]), min(b * f[d], b_hi[d])

        region = [base_range(d, lo[d], hi[d]) for d in range(rank)]
        if await self._reduce_chunkwise(out, lo, region):
            return out
        groups = self._row_groups(lo[0], hi[0], region)
        pending: tuple[int, int, Any, list[int]] | None = None
        for g_lo, g_hi in groups:
            ranges = [base_range(0, g_lo, g_hi)] + [base_range(d, lo[d], hi[d]) for d in range(1, rank)]
            box = IndexTransform(input_inclusive_min=[r[0] for r in ranges], input_exclusive_max=[r[1] for r in ranges])
            fut = self.base_store[box].read()
            if pending is not None:
                await self._reduce_into(out, lo, pending)
            pending = (g_lo, g_hi, fut, [r[0] for r in ranges])
        if pending is not None:
            await self._reduce_into(out, lo, pending)
        return out

    async def _reduce_chunkwise(self, out: Array, lo: Sequence[int], region: list[tuple[int, int]]) -> bool:
        """Reduce the base region chunk by chunk as each is read (chunked bases whose chunks hold whole blocks).

        Each chunk's piece is reduced in the pool thread that decoded it and written to its own
        output blocks, so reading and reducing overlap on every core and no full-resolution group is
        assembled.  ``False`` when the base is not a chunked array or a block would span two chunks.
        """
        from ..tensorstore import check_bounds

        box = IndexTransform(input_inclusive_min=[r[0] for r in region], input_exclusive_max=[r[1] for r in region])
        view = self.base_store[box]
        chunkwise = getattr(view._driver, "read_chunkwise", None)
        if chunkwise is None or view._transaction is not None or not view.readable:
            return False
        f = self.factors
        origin = [r[0] for r in region]
        ends = [r[1] for r in region]

        def aligned(slots: list[tuple[slice, ...]]) -> bool:
            for slot in slots:
                for d, s in enumerate(slot):
                    a, b = origin[d] + s.start, origin[d] + s.stop
                    if (a % f[d] and a != origin[d]) or (b % f[d] and b != ends[d]):
                        return False
            return True

        method = self.method

        def consume(slot: tuple[slice, ...], values: Array) -> None:
            at = [origin[d] + s.start for d, s in enumerate(slot)]
            if all(a % fd == 0 and n % fd == 0 for a, fd, n in zip(at, f, values.shape)) and values.size:
                part = reduce_blocks(values, f, method)  # whole blocks only: no edge segments
            else:
                part = downsample_array(values, at, f, method)
            dst = tuple(slice(a // fd - o, a // fd - o + n) for a, fd, o, n in zip(at, f, lo, part.shape))
            out[dst] = part

        check_bounds(view._driver, view._transform)
        return bool(await chunkwise(view._transform, consume, aligned, CHUNKWISE_WORKERS))

    async def _reduce_into(self, out: Array, lo: Sequence[int], pending: tuple[int, int, Any, list[int]]) -> None:
        g_lo, g_hi, fut, origin = pending
        data = await fut
        part = await run_blocking(downsample_array, data, origin, self.factors, self.method, pool=cpu_pool())
        out[g_lo - lo[0] : g_hi - lo[0]] = part

    def _row_groups(self, lo0: int, hi0: int, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Split output rows ``[lo0, hi0)`` so each group reads about :data:`GROUP_BYTES` of base data."""
        row_bytes = self.factors[0] * self.dtype.numpy_dtype.itemsize
        for a, b in ranges[1:]:
            row_bytes *= max(b - a, 1)
        rows = max(1, GROUP_BYTES // max(row_bytes, 1))
        chunk = self._base_chunk0()
        if chunk:  # whole base chunks per group where possible: no chunk is read twice
            unit = math.lcm(chunk, self.factors[0]) // self.factors[0]
            rows = max(unit, rows // unit * unit)
        return [(a, min(a + rows, hi0)) for a in range(lo0, hi0, rows)]

    def _base_chunk0(self) -> int | None:
        try:
            shape = self.base_store.chunk_layout.read_chunk.shape
        except (AttributeError, ValueError):
            return None
        if not shape or shape[0] in (None, 0):
            return None
        return int(shape[0])

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        raise status.invalid_argument("Destination does not support writing.")

    # -- spec and schema -----------------------------------------------------------------------------------------
    def spec(self, options: SpecOptions) -> DriverSpec:
        base = self.base_store.spec(minimal_spec=options.minimal_spec)
        return make_spec(base, self.factors, self.method, Schema(dtype=self.dtype))

    @property
    def chunk_layout(self) -> ChunkLayout:
        base = self.base_store.chunk_layout
        kw: dict[str, Any] = {}
        if base.grid_origin is not None:
            kw["grid_origin"] = [0] * len(self.factors)
        if base.inner_order is not None:
            kw["inner_order"] = list(base.inner_order)
        for g in ("write_chunk", "read_chunk"):
            shape = getattr(base, g).shape
            if shape is not None:
                kw[f"{g}_shape"] = [
                    None if s is None or s == 0 else s // math.gcd(s, f)
                    for s, f in zip(shape, self.factors, strict=True)
                ]
        return ChunkLayout(**kw)

    @property
    def codec(self) -> Any:
        return self.base_store.codec

    @property
    def fill_value(self) -> Any:
        return self.base_store.fill_value

    @property
    def dimension_units(self) -> Any:
        units = self.base_store.dimension_units
        if units is None:
            return None
        return tuple(None if u is None else u * f for u, f in zip(units, self.factors, strict=True))

    def base(self) -> Any:
        return _BaseOfView(self)


class _BaseOfView:
    """``view.base`` of a downsample view: the base restricted to the blocks under the view."""

    def __init__(self, driver: DownsampleDriver) -> None:
        self.driver = driver

    def base_for_view(self, transform: IndexTransform) -> Any:
        d = self.driver
        lo, hi = transform.domain.inclusive_min, transform.domain.exclusive_max
        b = d.base_store.domain
        ranges = [
            (max(a * f, blo), min(z * f, bhi))
            for a, z, f, blo, bhi in zip(lo, hi, d.factors, b.inclusive_min, b.exclusive_max, strict=True)
        ]
        box = IndexTransform(
            input_inclusive_min=[r[0] for r in ranges],
            input_exclusive_max=[r[1] for r in ranges],
            input_labels=list(b.labels),
        )
        return d.base_store[box]



def downsample(base: Any, downsample_factors: Any, method: Any) -> Any:
    """A downsampled view of a TensorStore (or a downsample ``Spec`` of a Spec), like ``ts.downsample``."""
    from ..spec import Spec
    from ..tensorstore import TensorStore

    if not isinstance(base, (TensorStore, Spec)):
        raise TypeError(
            "downsample(): incompatible function arguments. The following argument types are supported:\n"
            "    1. (base: tensorstore.TensorStore, downsample_factors: collections.abc.Iterable[typing.SupportsInt"
            " | typing.SupportsIndex], method: tensorstore.DownsampleMethod) -> tensorstore.TensorStore\n"
            "    2. (base: tensorstore.Spec, downsample_factors: collections.abc.Iterable[typing.SupportsInt | "
            "typing.SupportsIndex], method: tensorstore.DownsampleMethod) -> tensorstore.Spec\n\n"
            f"Invoked with: {base!r}, {downsample_factors!r}, {method!r}"
        )
    m = parse_method(method)
    factors = [int(f) for f in downsample_factors]
    if isinstance(base, Spec):
        if base.rank is not None:
            _check_factors(factors, base.rank)
        else:
            _check_factors(factors, len(factors))
        if base.dtype is not None:
            check_method_supports(m, base.dtype.name, base.dtype.numpy_dtype)
        spec = make_spec(base.copy(), factors, m)
        return Spec._make(spec, spec.default_transform())
    _check_factors(factors, base.rank)
    check_method_supports(m, base.dtype.name, base.dtype.numpy_dtype)
    view = base[IndexTransform(base.domain)]
    driver = DownsampleDriver(view, factors, m)
    return TensorStore._make(
        driver, IndexTransform(driver.domain()), base.transaction, base.readable, False, base._context
    )


_ = INF
