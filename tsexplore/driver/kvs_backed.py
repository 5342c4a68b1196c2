"""Shared base of the kvstore-backed chunked drivers (zarr, zarr3, later n5).

A format supplies a :class:`MetadataFormat` (metadata key, parse, print, create from schema
constraints, validate against a spec's ``metadata`` member and schema, the chunk format).  This
module does everything else once: the open modes (``open``/``create``/``delete_existing``/
``assume_metadata``), the chunk engine with its cache and pool, ``spec()``, ``resize`` and
``resolve``.
"""

from __future__ import annotations

import abc
import copy as _copy
import json
import math
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .. import jsonb, status
from ..chunk.cache import MetadataCache, MetadataEntry, cache_for, metadata_cache_for, staleness_bound
from ..chunk.engine import ChunkEngine
from ..chunk.format import ChunkFormat
from ..chunk.kvio import KvAccess
from ..index.interval import INF, fmt_interval
from ..index.output_map import OutputIndexMap
from ..index.transform import IndexDomain, IndexTransform
from ..kvstore.types import NO_VALUE
from ..schema import merge_domains
from .base import Driver, DriverSpec, OpenRequest, SpecOptions

__all__ = [
    "ChunkedDriver", "ChunkedDriverSpec", "MetadataFormat", "check_resize", "default_chunk_shape",
    "resolve_transform", "schema_attr",
]

Array = np.ndarray[Any, Any]


def schema_attr(schema: Any, name: str) -> Any:
    """A schema constraint or ``None`` (tolerates schema objects that lack the attribute)."""
    try:
        return getattr(schema, name, None)
    except Exception:
        return None


def default_chunk_shape(shape: tuple[int, ...], target: int = 1 << 20) -> tuple[int, ...]:
    """tensorstore's default chunk: the largest cube side ``x`` with ``prod(min(dim, x)) <= target`` elements."""
    dims = [max(1, int(s)) for s in shape]
    lo, hi = 1, max(dims, default=1)
    while lo < hi:  # binary search on the cube side
        mid = (lo + hi + 1) // 2
        if math.prod(min(d, mid) for d in dims) <= target:
            lo = mid
        else:
            hi = mid - 1
    return tuple(min(d, lo) for d in dims)


class MetadataFormat(abc.ABC):
    """The format-specific metadata hooks of a chunked driver."""

    driver_name: ClassVar[str]
    metadata_key: ClassVar[str]
    #: how a spec's schema domain meets the domain its ``metadata`` implies: zarr3 merges the schema's
    #: first and reports any conflict as a metadata/schema mismatch (FAILED_PRECONDITION)
    schema_domain_first: ClassVar[bool] = False
    #: the status code of stored metadata that is not JSON (tensorstore: DATA_LOSS for zarr3 only)
    invalid_json_code: ClassVar[str] = "FAILED_PRECONDITION"

    @abc.abstractmethod
    def parse(self, value: Any) -> Any:
        """Validated metadata from stored JSON (errors name the member)."""

    @abc.abstractmethod
    def to_json(self, meta: Any, include_defaults: bool = False) -> dict[str, Any]:
        """Stored JSON of ``meta``."""

    @abc.abstractmethod
    def create(self, constraints: dict[str, Any], schema: Any) -> Any:
        """New metadata from a spec's ``metadata`` member and schema constraints."""

    @abc.abstractmethod
    def validate(self, meta: Any, constraints: dict[str, Any], schema: Any, options: dict[str, Any]) -> None:
        """Check stored metadata against the spec (FAILED_PRECONDITION naming the field)."""

    @abc.abstractmethod
    def chunk_format(self, meta: Any, options: dict[str, Any]) -> ChunkFormat:
        """The chunk hooks (``options``: driver members such as ``field``)."""

    @abc.abstractmethod
    def shape(self, meta: Any) -> tuple[int, ...]: ...

    @abc.abstractmethod
    def with_shape(self, meta: Any, shape: tuple[int, ...]) -> Any: ...

    def spec_metadata(self, meta: Any) -> dict[str, Any]:
        """``metadata`` as ``spec().to_json()`` shows it."""
        return self.to_json(meta)

    def labels(self, meta: Any) -> tuple[str, ...]:
        return ("",) * len(self.shape(meta))

    def extra_dims(self, meta: Any, options: dict[str, Any]) -> tuple[int, ...]:
        """Trailing dimensions beyond the metadata shape (zarr v2 field/array dtypes)."""
        return ()

    def dimension_units(self, meta: Any) -> tuple[Any, ...] | None:
        return None

    def codec_json(self, meta: Any) -> dict[str, Any] | None:
        return None

    def fill_value(self, meta: Any, fmt: ChunkFormat) -> Array | None:
        return fmt.fill_value

    def implied_domain(self, constraints: dict[str, Any], options: dict[str, Any]) -> IndexDomain | None:
        """The domain a spec's ``metadata`` member implies (``None`` when it does not say)."""
        return None

    def implied_dtype(self, constraints: dict[str, Any], options: dict[str, Any]) -> Any:
        """The numpy dtype a spec's ``metadata`` member implies (``None`` when it does not say)."""
        return None

    def check_constraints(self, value: Any) -> dict[str, Any]:
        """Parse a spec's ``metadata`` member (only the members given)."""
        return jsonb.expect_object(value)


class ChunkedDriverSpec(DriverSpec):
    """Driver spec of a kvstore-backed chunked format."""

    uses_kvstore: ClassVar[bool] = True
    context_resources: ClassVar[tuple[str, ...]] = ("cache_pool", "data_copy_concurrency")
    format: ClassVar[MetadataFormat]
    #: the class of the open driver (a subclass when a format changes e.g. the chunk layout)
    driver_cls: ClassVar[type[ChunkedDriver]]
    kvstore_is_directory: ClassVar[bool] = True
    extra_members: ClassVar[tuple[str, ...]] = ()

    metadata: dict[str, Any]
    store_data_equal_to_fill_value: bool
    fill_missing_data_reads: bool
    options: dict[str, Any]

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Any) -> ChunkedDriverSpec:
        self = cls(schema)
        self.metadata = reader.get("metadata", cls.format.check_constraints, {})
        self.store_data_equal_to_fill_value = reader.get("store_data_equal_to_fill_value", jsonb.expect_bool, False)
        self.fill_missing_data_reads = reader.get("fill_missing_data_reads", jsonb.expect_bool, True)
        self.options = {}
        for name in cls.extra_members:
            if reader.has(name):
                self.options[name] = reader.get(name, lambda v: v)
        self.spec_domain()  # a conflict between metadata and schema is a parse error, as in tensorstore
        return self

    def spec_domain(self) -> IndexDomain | None:
        """The effective domain: metadata shape merged with the schema domain, upper bounds implicit.

        Stored arrays are resizable, so as in tensorstore every metadata dimension's upper bound is
        implicit (``[0, 4*)``) and lower bounds are fixed at 0.
        """
        fmt = self.format
        implied = fmt.implied_domain(self.metadata, self.options)
        sdom = schema_attr(self.schema, "domain")
        if implied is None and sdom is None:
            return None
        n_extra = 0 if implied is None else implied.rank - len(self.metadata.get("shape", ()))
        if implied is None:
            assert sdom is not None
            n = sdom.rank
            implied = IndexDomain._make(((0,) * n, (INF + 1,) * n, (False,) * n, (True,) * n, ("",) * n))
            pair = (sdom, implied) if fmt.schema_domain_first else (implied, sdom)
        else:
            pair = (sdom, implied) if sdom is not None else (implied, implied)
        try:
            merged = merge_domains(*pair)
        except status.StatusError as e:
            if fmt.schema_domain_first or pair[0] is sdom:
                raise status.failed_precondition(f"Mismatch between metadata and schema: {e.message}") from None
            raise
        lo, hi, _, _, labels = merged._f
        n = len(lo)
        upper = (True,) * (n - n_extra) + (False,) * n_extra
        return IndexDomain._make((lo, hi, (False,) * n, upper, labels))

    def effective_schema(self) -> Any:
        from ..dtype import dtype as ts_dtype

        dom = self.spec_domain()
        dt = None if self.schema.dtype is not None else self.format.implied_dtype(self.metadata, self.options)
        if dom is None and dt is None:
            return self.schema
        out = self.schema.copy()
        if dt is not None:
            out._dtype = ts_dtype(dt)
        if dom is not None:
            out._domain = dom
            if out._rank is None:
                out._rank = dom.rank
        return out

    def implied_transform(self) -> IndexTransform | None:
        """An identity transform over the domain the spec implies (tensorstore writes it as ``transform``)."""
        dom = self.spec_domain()
        return None if dom is None else IndexTransform(dom)

    @classmethod
    def make(cls, schema: Any, metadata: dict[str, Any], kvstore: Any, **options: Any) -> ChunkedDriverSpec:
        self = cls(schema)
        self.metadata = metadata
        self.store_data_equal_to_fill_value = False
        self.fill_missing_data_reads = True
        self.options = dict(options)
        self.kvstore = kvstore
        return self

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.metadata:
            out["metadata"] = jsonb.sorted_json(self.metadata)
        if include_defaults or self.store_data_equal_to_fill_value:
            out["store_data_equal_to_fill_value"] = self.store_data_equal_to_fill_value
        if include_defaults or not self.fill_missing_data_reads:
            out["fill_missing_data_reads"] = self.fill_missing_data_reads
        out.update(self.options)
        return out

    def url(self) -> str:
        scheme = self.url_scheme or self.driver_name
        return f"{scheme}:"

    def strip_for_minimal(self) -> DriverSpec:
        clone = _copy.copy(self)
        clone.metadata = {}
        return clone

    async def open(self, request: OpenRequest) -> Driver:
        fmt = self.format
        if self.kvstore is None:
            raise status.invalid_argument('"kvstore" must be specified')
        kv = await _open_kvstore(self.kvstore, request.context)
        access = KvAccess(kv.driver, kv.path)
        key = fmt.metadata_key
        schema = request.schema
        txn = request.transaction
        if txn is not None:
            txn.check_open()
        if request.delete_existing:
            from ..kvstore.types import KeyRange
            from ..transaction import kv_delete_range

            if txn is None:
                await kv.driver.delete_range(KeyRange.prefix(access.prefix))
            else:
                await kv_delete_range(txn, kv.driver, KeyRange.prefix(access.prefix))
        meta: Any = None
        started = time.time()
        mcache = metadata_cache_for(request.resource(self, "cache_pool"))
        mkey = (kv.driver.identity, access.full_key(key))
        cached = mcache.get(mkey) if txn is None and not request.delete_existing else None
        policy = "open" if request.recheck_cached_metadata is None else request.recheck_cached_metadata
        if request.assume_metadata or request.assume_cached_metadata:
            # tensorstore 0.1.86 builds the metadata from the spec in both modes (no cache lookup)
            try:
                meta = fmt.create(self.metadata, schema)
            except status.StatusError as e:
                raise e.prefixed('Cannot create using specified "metadata" and schema') from None
        elif request.open or not request.create:
            if cached is not None and cached.time >= staleness_bound(policy, started):
                meta = cached.meta
                fmt.validate(meta, self.metadata, schema, self.options)
            else:
                value = await _read_metadata(access, key, txn)
                if value is not None:
                    meta = _parse_stored(fmt, value, access.describe(key))
                    fmt.validate(meta, self.metadata, schema, self.options)
                    if txn is None:
                        cached = mcache.put(mkey, MetadataEntry(meta, time.time()))
                elif not request.create:
                    raise status.not_found(f"Metadata at {access.describe(key)} does not exist")
        if meta is None:
            try:
                meta = fmt.create(self.metadata, schema)
            except status.StatusError as e:
                raise status.StatusError(
                    e.code,
                    f"Error writing {json.dumps(key) if not kv.path else access.describe(key)}: "
                    f'Cannot create using specified "metadata" and schema: {e.message}',
                ) from None
            data = jsonb.dump_compact(fmt.to_json(meta)).encode()
            if txn is not None:
                created = await _create_in_transaction(txn, access, key, data)
            else:
                created = (await access.write(key, data, NO_VALUE)).generation != b""
            if not created:
                if request.open:  # created concurrently: open what is there
                    value = await _read_metadata(access, key, txn)
                    meta = _parse_stored(fmt, value or b"", access.describe(key))
                    fmt.validate(meta, self.metadata, schema, self.options)
                else:
                    raise status.already_exists(f"Error writing {access.describe(key)}")
            if txn is None and not (request.assume_metadata or request.assume_cached_metadata):
                cached = mcache.put(mkey, MetadataEntry(meta, time.time()))
        driver = self.driver_cls(type(self), fmt, meta, kv, access, request, self)
        driver.meta_entry = cached if cached is not None and cached.meta is meta else None
        driver.metadata_cache = mcache
        driver.open_time = started
        if driver.meta_entry is not None:
            driver.meta_time = driver.meta_entry.time
        return driver


async def _read_metadata(access: KvAccess, key: str, txn: Any) -> bytes | None:
    """The stored metadata, or as ``txn`` sees it (the metadata key then takes part in ``txn``)."""
    if txn is None:
        res = await access.read(key)
        return res.value if res.state == "value" else None
    got = await txn.read(access.driver, access.full_key(key))
    return got.value  # type: ignore[no-any-return]


async def _create_in_transaction(txn: Any, access: KvAccess, key: str, data: bytes) -> bool:
    """Stage the metadata of a new array; ``False`` if the transaction already sees one."""
    from ..transaction import Mutation

    full = access.full_key(key)
    if (await txn.read(access.driver, full)).value is not None:
        return False
    where = access.describe(key)

    def create(old: bytes | None) -> bytes | None:
        if old is not None:
            raise status.already_exists(f"Error writing {where}")
        return data

    txn.stage(access.driver, full, Mutation(create, len(data)))
    return True


def _parse_stored(fmt: MetadataFormat, data: bytes, where: str) -> Any:
    try:
        value = json.loads(data)
    except ValueError:
        raise status.StatusError(fmt.invalid_json_code, f"Error reading {where}: Invalid JSON") from None
    try:
        return fmt.parse(value)
    except status.StatusError as e:
        raise status.StatusError("FAILED_PRECONDITION", f"Error reading {where}: {e.message}") from None


async def _open_kvstore(spec: Any, context: Any) -> Any:
    from ..kvstore import KvStore
    from ..kvstore import _ctx as kctx

    bound = spec._bound if spec._bound is not None else kctx.child(context, spec._context)
    spec._driver.check_path(spec._path)
    driver = await spec._driver.open(bound)
    return KvStore._make(driver, spec._path, bound)


class ChunkedDriver(Driver):
    """An open chunked array: metadata + chunk engine over a kvstore.

    The chunk engine works in coordinates relative to :attr:`origin` (0 unless a format places
    its grid elsewhere, such as precomputed's ``voxel_offset``); requests are shifted here.
    """

    #: whether the upper bounds are resizable (implicit); precomputed volumes have fixed bounds
    resizable: ClassVar[bool] = True

    def __init__(  # noqa: PLR0917
        self,
        spec_cls: type[ChunkedDriverSpec],
        fmt: MetadataFormat,
        meta: Any,
        kv: Any,
        access: KvAccess,
        request: OpenRequest,
        spec: ChunkedDriverSpec,
    ) -> None:
        from ..dtype import dtype as ts_dtype

        self.spec_cls = spec_cls
        self.format = fmt
        self.meta = meta
        self._kv = kv
        self.access = access
        self.request = request
        self.open_spec = spec
        self.chunk_fmt = fmt.chunk_format(meta, spec.options)
        self.chunk_fmt.store_fill_chunks = spec.store_data_equal_to_fill_value or self.chunk_fmt.store_fill_chunks
        self.dtype = ts_dtype(self.chunk_fmt.dtype)
        #: the metadata cache entry this array holds (keeps it alive in a 0-byte cache pool)
        self.meta_entry: MetadataEntry | None = None
        self.metadata_cache: MetadataCache | None = None
        self.open_time = self.meta_time = time.time()
        pool = request.resource(spec, "cache_pool")
        copy = request.resource(spec, "data_copy_concurrency")
        recheck = request.recheck_cached_data
        self.engine = ChunkEngine(
            access,
            self.chunk_fmt,
            executor=copy.executor(),
            cache=cache_for(pool),
            recheck_cached_data=True if recheck is None else recheck,
        )

    # -- shape -------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.format.shape(self.meta) + self.format.extra_dims(self.meta, self.open_spec.options)

    @property
    def origin(self) -> tuple[int, ...]:
        """Array coordinates of the chunk grid's origin (the engine's coordinate 0)."""
        return (0,) * len(self.shape)

    def _to_grid(self, transform: IndexTransform) -> IndexTransform:
        """``transform`` with its outputs moved by ``-origin`` (into the engine's coordinates)."""
        origin = self.origin
        if not any(origin):
            return transform
        maps = tuple(
            OutputIndexMap._make(m._method, m._offset - o, m._stride, m._input_dimension, m._array, m._range)
            for m, o in zip(transform._maps, origin)
        )
        return IndexTransform._make(transform._f, maps)

    def domain(self) -> IndexDomain:
        shape = self.shape
        n = len(shape)
        extra = len(shape) - len(self.format.shape(self.meta))
        labels = self.format.labels(self.meta) + ("",) * extra
        implicit_hi = (self.resizable,) * (n - extra) + (False,) * extra
        lo = self.origin
        hi = tuple(a + s for a, s in zip(lo, shape))
        return IndexDomain._make((lo, hi, (False,) * n, implicit_hi, labels))

    # -- I/O --------------------------------------------------------------------------------------
    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        transform = self._to_grid(transform)
        if transaction is None:
            return await self.engine.read(transform, self.shape)
        await self._join(transaction)
        return await self.engine.txn.read(transform, self.shape, transaction)

    async def read_chunkwise(
        self,
        transform: IndexTransform,
        consume: Callable[[tuple[slice, ...], Array], None],
        accept: Callable[[list[tuple[slice, ...]]], bool] | None = None,
        workers: int | None = None,
    ) -> bool:
        """Stream the chunks of a (non-transactional) read to ``consume`` (see ``ChunkEngine.read_chunkwise``)."""
        return await self.engine.read_chunkwise(self._to_grid(transform), self.shape, consume, accept, workers)

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        transform = self._to_grid(transform)
        if transaction is None:
            await self.engine.write(transform, source, self.shape)
            return
        await self._join(transaction)
        await self.engine.txn.write(transform, source, self.shape, transaction)

    async def _join(self, txn: Any) -> None:
        """The metadata key takes part in every transaction that uses the array (as in tensorstore)."""
        full = self.access.full_key(self.format.metadata_key)
        if txn.repeatable_read:
            await txn.read(self.access.driver, full)
        else:
            txn.node(self.access.driver, full)

    # -- spec and schema ---------------------------------------------------------------------------------
    def spec(self, options: SpecOptions) -> DriverSpec:
        from ..schema import Schema

        metadata = {} if options.minimal_spec else self.format.spec_metadata(self.meta)
        spec = self.spec_cls.make(Schema(dtype=self.dtype), metadata, self._kv.spec(), **self.open_spec.options)
        spec.resource_values = dict(self.open_spec.resource_values)
        spec.store_data_equal_to_fill_value = self.open_spec.store_data_equal_to_fill_value
        spec.fill_missing_data_reads = self.open_spec.fill_missing_data_reads
        return spec

    @property
    def kvstore(self) -> Any:
        return self._kv

    @property
    def chunk_layout(self) -> Any:
        from ..chunk_layout import ChunkLayout

        n = len(self.shape)
        extra = self.format.extra_dims(self.meta, self.open_spec.options)
        write = tuple(self.chunk_fmt.chunk_shape)[: n - len(extra)] + extra
        read = tuple(self.chunk_fmt.read_chunk_shape)[: n - len(extra)] + extra
        return ChunkLayout(
            grid_origin=[0] * n, inner_order=list(range(n)), write_chunk_shape=list(write), read_chunk_shape=list(read)
        )

    @property
    def codec(self) -> Any:
        from ..codec_spec import CodecSpec

        js = self.format.codec_json(self.meta)
        return None if js is None else CodecSpec(js)

    @property
    def fill_value(self) -> Array | None:
        return self.format.fill_value(self.meta, self.chunk_fmt)

    @property
    def dimension_units(self) -> Any:
        return self.format.dimension_units(self.meta)

    # -- resize / resolve ----------------------------------------------------------------------------------
    def _adopt(self, meta: Any, when: float) -> None:
        """Take the shape of newer metadata (a resize seen here or through the shared metadata cache)."""
        self.meta = self.format.with_shape(self.meta, self.format.shape(meta))
        self.meta_time = when

    def _cache_key(self) -> tuple[Any, bytes]:
        return (self._kv.driver.identity, self.access.full_key(self.format.metadata_key))

    async def _read_stored(self, transaction: Any) -> tuple[Any, Any]:
        """``(metadata, stamp)`` as stored (or as ``transaction`` sees it)."""
        key = self.format.metadata_key
        if transaction is not None:
            value = await _read_metadata(self.access, key, transaction)
            stamp = None
        else:
            res = await self.access.read(key)
            value, stamp = (res.value if res.state == "value" else None), res.stamp
        if value is None:
            raise status.not_found(f"Metadata at {self.access.describe(key)} does not exist")
        return _parse_stored(self.format, value, self.access.describe(key)), stamp

    async def refresh(self, transaction: Any = None) -> None:
        """Bring the metadata up to the open's ``recheck_cached_metadata`` bound (tensorstore's ResolveMetadata)."""
        policy = self.request.recheck_cached_metadata
        bound = staleness_bound("open" if policy is None else policy, self.open_time)
        cache = self.metadata_cache
        if cache is not None and transaction is None:
            entry = cache.get(self._cache_key())
            if entry is not None and entry.time > self.meta_time and entry.time >= bound:
                self._adopt(entry.meta, entry.time)
                self.meta_entry = entry
        if self.meta_time >= bound and transaction is None:
            return
        meta, _ = await self._read_stored(transaction)
        now = time.time()
        if transaction is None:
            self._store(meta, now)
        else:
            self.meta = self.format.with_shape(self.meta, self.format.shape(meta))

    def _store(self, meta: Any, when: float) -> None:
        self._adopt(meta, when)
        if self.metadata_cache is not None:
            self.meta_entry = self.metadata_cache.put(self._cache_key(), MetadataEntry(self.meta, when))

    async def resolve_bounds(
        self, transform: IndexTransform, *, fix_resizable_bounds: bool = False, transaction: Any = None
    ) -> IndexTransform:
        await self.refresh(transaction)
        return resolve_transform(self.domain(), transform, fix_resizable_bounds)

    async def storage_statistics(
        self, transform: IndexTransform, *, query_not_stored: bool, query_fully_stored: bool
    ) -> tuple[bool | None, bool | None]:
        if not (query_not_stored or query_fully_stored):
            return None, None
        t = await self.resolve_bounds(transform)
        box = output_box(self._to_grid(t), self.shape)
        if box is None:
            stored: list[bool] = []
        else:
            n = len(self.format.shape(self.meta))
            stored = await self.engine.stored_cells(box[0][:n], box[1][:n])
        return (not any(stored) if query_not_stored else None, all(stored) if query_fully_stored else None)

    async def resize(
        self,
        inclusive_min: tuple[int | None, ...],
        exclusive_max: tuple[int | None, ...],
        *,
        resize_metadata_only: bool = False,
        resize_tied_bounds: bool = False,
        expand_only: bool = False,
        shrink_only: bool = False,
        transaction: Any = None,
        constraints: tuple[tuple[int | None, int | None] | None, ...] = (),
    ) -> Driver:
        key = self.format.metadata_key
        n = len(self.format.shape(self.meta))
        for i, lo in enumerate(inclusive_min[:n]):
            if lo is not None and lo != 0:
                raise status.failed_precondition(
                    f"Cannot change inclusive lower bound of dimension {i}, which is fixed at 0, to {lo}"
                )

        def new_shape(old: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(
                old[i] if i >= len(exclusive_max) or exclusive_max[i] is None else max(0, int(exclusive_max[i] or 0))
                for i in range(len(old))
            )

        tied = () if resize_tied_bounds else constraints
        if not expand_only and not resize_metadata_only:  # tensorstore checks these before touching anything
            old = self.format.shape(self.meta)
            check_resize(old, new_shape(old), tied, expand_only=False, shrink_only=shrink_only)
        meta, stamp = await self._read_stored(None)
        old = self.format.shape(meta)
        new = new_shape(old)
        try:
            check_resize(old, new, tied, expand_only=expand_only, shrink_only=shrink_only)
        except status.StatusError as e:
            raise e.prefixed(f"Error writing {self.access.describe(key)}") from None
        new_meta = self.format.with_shape(meta, new)
        if not resize_metadata_only:
            await self.engine.delete_outside(old, new)
        data = jsonb.dump_compact(self.format.to_json(new_meta)).encode()
        written = await self.access.write(key, data, stamp.generation)
        if written.generation == b"":
            raise status.aborted(f"Error writing {self.access.describe(key)}: Generation mismatch")
        self._store(new_meta, time.time())
        return self


ChunkedDriverSpec.driver_cls = ChunkedDriver


def check_resize(
    old: tuple[int, ...],
    new: tuple[int, ...],
    tied: tuple[tuple[int | None, int | None] | None, ...],
    *,
    expand_only: bool,
    shrink_only: bool,
) -> None:
    """tensorstore's resize constraints: untouched dimensions must lie in the view, expand/shrink only."""
    for d, c in enumerate(tied[: len(old)]):
        if c is None:
            continue
        lo, hi = c
        bad = None
        if lo is not None and lo > 0:
            bad = (0, min(lo, old[d]))
        elif hi is not None and hi < old[d]:
            bad = (max(hi, 0), old[d])
        if bad is not None and bad[0] < bad[1]:
            raise status.failed_precondition(
                f"Resize operation would also affect output dimension {d} over the interval "
                f"{fmt_interval(*bad)} but `resize_tied_bounds` was not specified"
            )
    for d, (o, n) in enumerate(zip(old, new)):
        if expand_only and n < o:
            raise status.failed_precondition(
                f"Resize operation would shrink output dimension {d} from {fmt_interval(0, o)} to "
                f"{fmt_interval(0, n)} but `expand_only` was specified"
            )
        if shrink_only and n > o:
            raise status.failed_precondition(
                f"Resize operation would expand output dimension {d} from {fmt_interval(0, o)} to "
                f"{fmt_interval(0, n)} but `shrink_only` was specified"
            )


def resolve_transform(domain: IndexDomain, transform: IndexTransform, fix_resizable_bounds: bool) -> IndexTransform:
    """``transform`` with its implicit bounds replaced by those ``domain`` implies (PropagateBoundsToTransform)."""
    from ..index.compose import propagate_bounds

    f = domain._f
    if fix_resizable_bounds:
        n = len(f[0])
        f = (f[0], f[1], (False,) * n, (False,) * n, f[4])
    return IndexTransform._make(propagate_bounds(f, transform), transform._maps)


def output_box(transform: IndexTransform, shape: tuple[int, ...]) -> tuple[list[int], list[int]] | None:
    """The hull of the positions ``transform`` reaches, clipped to ``shape`` (``None`` if empty)."""
    from ..index.output_map import OutputIndexMethod

    lo, hi = transform._f[0], transform._f[1]
    if any(b <= a for a, b in zip(lo, hi)):
        return None
    out_lo: list[int] = []
    out_hi: list[int] = []
    for d, m in enumerate(transform.output):
        if m.method == OutputIndexMethod.constant:
            a = b = m.offset
        elif m.method == OutputIndexMethod.array:
            vals = m.offset + m.stride * np.asarray(m.index_array)
            a, b = int(vals.min()), int(vals.max())
        else:
            i = m.input_dimension
            x, y = m.offset + m.stride * lo[i], m.offset + m.stride * (hi[i] - 1)
            a, b = min(x, y), max(x, y)
        a, b = max(a, 0), min(b, shape[d] - 1)
        if b < a:
            return None
        out_lo.append(a)
        out_hi.append(b + 1)
    return out_lo, out_hi
