"""Reading and writing a chunked array: concurrent chunk I/O, decode, copy, read-modify-write.

One :class:`ChunkEngine` serves one open array (kvstore + :class:`ChunkFormat`).  A request is
planned once (:mod:`.plan`), then each touched chunk is one task in the ``data_copy_concurrency``
pool that reads, decodes and copies it (straight into the output when its slot is the chunk).
Writes rewrite whole chunks: partially covered chunks are read first, chunks that end up equal to
the fill value are deleted rather than stored, and each chunk is written conditionally on the
generation it was read at (retried on conflict), so concurrent writers to one chunk do not lose
updates and a failing write leaves every other chunk intact.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import itertools
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from .. import status
from ..codec import ChunkDecodeError
from ..index.transform import IndexTransform
from ..kvstore.types import NO_VALUE, KeyRange, ReadOptions, ReadResult
from .cache import CacheEntry, ChunkCache, staleness_bound
from .format import ChunkFormat
from .kvio import KvAccess
from .plan import ChunkCopy, GeneralPlan, StridedPlan, make_plan
from .txn import TxnChunkIO

__all__ = ["ChunkEngine"]

Array = np.ndarray[Any, Any]
Plan = StridedPlan | GeneralPlan
_MAX_GAP = 1 << 16  # merge sub-chunk byte ranges separated by at most this many bytes
_MAX_STORES = 64  # encoded chunks waiting for (or in) their store, at most (tensorstore's file_io_concurrency)
_STORE_BYTES = 64 << 20  # ... and at most about this many decoded bytes of them


class ChunkEngine:
    """Chunk I/O of one array.  Thread-safe; ``read``/``write`` run on the I/O loop."""

    def __init__(
        self,
        kv: KvAccess,
        fmt: ChunkFormat,
        *,
        executor: concurrent.futures.Executor,
        cache: ChunkCache | None = None,
        recheck_cached_data: Any = True,
        io_executor: concurrent.futures.Executor | None = None,
    ) -> None:
        self.kv = kv
        self.fmt = fmt
        self.executor = executor
        self.cache = cache
        self.recheck_cached_data = recheck_cached_data
        self.open_time = time.time()
        self.io_executor = io_executor if io_executor is not None else getattr(kv.driver, "pool", None)
        #: reads and staged writes through a transaction
        self.txn = TxnChunkIO(self)

    # ------------------------------------------------------------------------------------ helpers
    def cache_key(self, key: str) -> tuple[Hashable, bytes]:
        """Cache key of chunk ``key``: the kvstore, the format's decoded form (a field), the full key."""
        return ((self.kv.identity, self.fmt.cache_tag), self.kv.full_key(key))

    def inner_cache_key(self, key: str, inner: tuple[int, ...]) -> tuple[Hashable, bytes]:
        """Cache key of one sub-chunk (grid cell ``inner`` within the shard) of shard ``key``."""
        return ((self.kv.identity, self.fmt.cache_tag, inner), self.kv.full_key(key))

    def _discard_inner(self, key: str) -> None:
        """Forget the cached sub-chunks of shard ``key`` (it was rewritten or deleted here)."""
        shard = self.fmt.shard
        if self.cache is None or shard is None:
            return
        ratio = [c // r for c, r in zip(self.fmt.chunk_shape, shard.inner_shape)]
        for inner in itertools.product(*(range(n) for n in ratio)):
            self.cache.discard(self.inner_cache_key(key, inner))

    def _decode_error(self, key: str, e: status.StatusError) -> status.StatusError:
        """tensorstore's text (which names the key), then the codec that failed as a ``[codec='...']`` payload."""
        detail = getattr(e, "detail", e.message)
        codec = getattr(e, "codec", "")
        msg = f"Error reading {self.kv.describe(key)}: {detail}"
        full = f"{msg} [codec='{codec}']" if codec else msg
        return ChunkDecodeError(e.code, full, codec=codec, key=key, detail=msg)

    def _decode(self, data: bytes, cell: tuple[int, ...], key: str, out: Array | None) -> Array:
        """Decode the chunk of grid cell ``cell`` (stored at ``key``); errors name the key."""
        try:
            arr = self.fmt.decode(data, cell, key, out)
        except status.StatusError as e:
            raise self._decode_error(key, e) from None
        except Exception as e:  # a codec library error: still name the key
            raise status.StatusError("FAILED_PRECONDITION", f"Error reading {self.kv.describe(key)}: {e}") from None
        if arr.shape != self.fmt.chunk_shape:
            raise status.StatusError(
                "FAILED_PRECONDITION",
                f"Error reading {self.kv.describe(key)}: decoded chunk has shape {arr.shape}, "
                f"expected {self.fmt.chunk_shape}",
            )
        return arr

    def _load(self, cell: tuple[int, ...], out: Array | None) -> Array | None:
        """The decoded chunk of grid cell ``cell`` (``None`` when missing); from the cache when fresh enough."""
        key = self.fmt.key(cell)
        cache = self.cache
        if cache is None:
            res = self.kv.read_blocking(key)
            if res.state != "value":
                return None
            return self._decode(res.value, cell, key, out)
        ck = self.cache_key(key)
        entry = cache.get(ck)
        options = ReadOptions()
        if entry is not None:
            if entry.time >= staleness_bound(self.recheck_cached_data, self.open_time):
                return entry.array
            options = ReadOptions(if_not_equal=entry.generation)
        res = self.kv.read_blocking(key, options)
        if res.state == "unspecified" and entry is not None:
            cache.put(ck, CacheEntry(entry.generation, entry.array, res.stamp.time))
            return entry.array
        if res.state != "value":
            cache.put(ck, CacheEntry(res.stamp.generation, None, res.stamp.time))
            return None
        arr = self._decode(res.value, cell, key, None)
        cache.put(ck, CacheEntry(res.stamp.generation, arr, res.stamp.time))
        return arr

    async def _run_all(
        self,
        jobs: Sequence[Callable[[], None]],
        executor: concurrent.futures.Executor | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        """Run blocking jobs in the pool; the first failure is raised after all have finished.

        A single job on a local kvstore runs inline: two thread hops cost more than the job.
        """
        if not jobs:
            return
        pool = executor or self.executor
        if len(jobs) == 1:
            if self.kv.blocking and executor is None:
                jobs[0]()
            else:
                await asyncio.wrap_future(pool.submit(jobs[0]))
            return
        # one runner per pool thread drains a shared queue: one future per thread, not per chunk
        workers = min(len(jobs), workers or int(getattr(pool, "_max_workers", 0) or len(jobs)))
        queue = collections.deque(jobs)
        errors: list[BaseException] = []

        def runner() -> None:
            while True:
                try:
                    job = queue.popleft()
                except IndexError:
                    return
                try:
                    job()
                except BaseException as e:  # re-raised below, after every job ran
                    errors.append(e)

        await asyncio.gather(*(asyncio.wrap_future(pool.submit(runner)) for _ in range(workers)))
        if errors:
            raise errors[0]

    # ------------------------------------------------------------------------------------ reading
    async def read(self, transform: IndexTransform, array_shape: Sequence[int]) -> Array:
        """The values at every input position of ``transform`` (C order, input-domain shape)."""
        fmt = self.fmt
        shard = fmt.shard
        plan = make_plan(transform, fmt.read_chunk_shape, array_shape)
        out = np.empty(plan.shape, dtype=fmt.dtype)
        if plan.count == 0 or out.size == 0:
            return out
        copies = list(plan)
        if shard is not None:
            await self._read_sharded(plan, copies, out)
            return out
        if not self.kv.blocking:
            await self._read_async(plan, copies, out)
            return out

        def job(copy: ChunkCopy) -> Callable[[], None]:
            def run() -> None:
                slot = plan.contiguous_slot(out, copy) if self.cache is None else None
                arr = self._load(copy.cell, slot)
                if arr is None:
                    plan.fill_into(out, fmt.fill_value, copy)
                elif arr is not slot:
                    plan.read_into(out, arr, copy)

            return run

        await self._run_all([job(c) for c in copies])
        return out

    async def read_chunkwise(
        self,
        transform: IndexTransform,
        array_shape: Sequence[int],
        consume: Callable[[tuple[slice, ...], Array], None],
        accept: Callable[[list[tuple[slice, ...]]], bool] | None = None,
        workers: int | None = None,
    ) -> bool:
        """Hand each touched chunk's values to ``consume`` instead of assembling the request.

        ``consume(slot, values)`` runs in a pool thread per chunk: ``slot`` is the chunk's part of
        the request (0-based slices of the input domain), ``values`` its (read-only) elements in
        request axis order.  A reduction over the request (downsampling) then never holds more than
        the chunks in flight.  ``False`` (nothing read) when the request needs the general plan,
        goes through shards or a remote kvstore, or ``accept`` rejects the slots: use :meth:`read`.
        ``workers`` caps the pool threads used (a ``consume`` made of many small NumPy calls runs
        fastest on one thread: two threads convoy on the GIL).
        """
        fmt = self.fmt
        if fmt.shard is not None or not self.kv.blocking:
            return False
        plan = make_plan(transform, fmt.chunk_shape, array_shape)
        if not isinstance(plan, StridedPlan):
            return False
        copies = list(plan)
        slots = [
            tuple(
                slice(0 if s.start is None else s.start, n if s.stop is None else s.stop)
                for s, n in zip(c.request_index, plan.shape)
            )
            for c in copies
        ]
        if accept is not None and not accept(slots):
            return False

        def job(copy: ChunkCopy, slot: tuple[slice, ...]) -> Callable[[], None]:
            def run() -> None:
                arr = self._load(copy.cell, None)
                if arr is None:
                    arr = np.broadcast_to(fmt.fill_value, fmt.chunk_shape)
                consume(slot, plan.chunk_view(arr, copy))

            return run

        await self._run_all([job(c, s) for c, s in zip(copies, slots)], workers=workers)
        return True

    async def _read_async(self, plan: Plan, copies: list[ChunkCopy], out: Array) -> None:
        fmt = self.fmt
        loop = asyncio.get_running_loop()

        async def one(copy: ChunkCopy) -> None:
            key = fmt.key(copy.cell)
            res = await self.kv.read(key)

            def finish() -> None:
                if res.state != "value":
                    plan.fill_into(out, fmt.fill_value, copy)
                    return
                slot = plan.contiguous_slot(out, copy)
                arr = self._decode(res.value, copy.cell, key, slot)
                if arr is not slot:
                    plan.read_into(out, arr, copy)

            await loop.run_in_executor(self.executor, finish)

        results = await asyncio.gather(*(one(c) for c in copies), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r

    async def _read_sharded(self, plan: Plan, copies: list[ChunkCopy], out: Array) -> None:
        """Read only the needed sub-chunks of each shard: its index, then merged byte ranges."""
        fmt = self.fmt
        shard = fmt.shard
        assert shard is not None
        ratio = tuple(c // r for c, r in zip(fmt.chunk_shape, shard.inner_shape))
        groups: dict[tuple[int, ...], list[ChunkCopy]] = {}
        for copy in copies:
            scell = tuple(c // r for c, r in zip(copy.cell, ratio))
            groups.setdefault(scell, []).append(copy)
        off, length = shard.index_byte_range()

        cache = self.cache

        def job(scell: tuple[int, ...], items: list[ChunkCopy]) -> Callable[[], None]:
            def inner_of(c: ChunkCopy) -> tuple[int, ...]:
                return tuple(x - s * r for x, s, r in zip(c.cell, scell, ratio))

            def use(c: ChunkCopy, arr: Array | None) -> None:
                if arr is None:
                    plan.fill_into(out, fmt.fill_value, c)
                else:
                    plan.read_into(out, arr, c)

            def remember(key: str, c: ChunkCopy, gen: bytes, arr: Array | None, when: float) -> None:
                if cache is not None:
                    cache.put(self.inner_cache_key(key, inner_of(c)), CacheEntry(gen, arr, when))

            def run() -> None:
                key = fmt.key(scell)
                cached: dict[int, CacheEntry] = {}
                if cache is not None:
                    for k, c in enumerate(items):
                        e = cache.get(self.inner_cache_key(key, inner_of(c)))
                        if e is not None:
                            cached[k] = e
                    bound = staleness_bound(self.recheck_cached_data, self.open_time)
                    if len(cached) == len(items) and all(e.time >= bound for e in cached.values()):
                        for k, c in enumerate(items):
                            use(c, cached[k].array)
                        return
                rng = (off, None) if off < 0 else (off, off + length)
                try:
                    res = self.kv.read_blocking(key, ReadOptions(byte_range=rng))
                except status.StatusError as e:
                    if e.code != "OUT_OF_RANGE":
                        raise
                    raise self._decode_error(
                        key,
                        ChunkDecodeError(
                            "FAILED_PRECONDITION",
                            f"Existing shard has size less than the index size of {length} bytes",
                            codec="sharding_indexed",
                        ),
                    ) from None
                gen, when = res.stamp.generation, res.stamp.time
                if res.state != "value":
                    for c in items:
                        plan.fill_into(out, fmt.fill_value, c)
                        remember(key, c, gen, None, when)
                    return
                try:
                    index = shard.decode_index(res.value, key)
                except status.StatusError as e:
                    raise self._decode_error(key, e) from None
                wanted: list[tuple[int, int, ChunkCopy]] = []
                for k, c in enumerate(items):
                    hit = cached.get(k)
                    if hit is not None and hit.generation == gen:  # revalidated by the index read
                        use(c, hit.array)
                        continue
                    br = index.byte_range(inner_of(c))
                    if br is None:
                        plan.fill_into(out, fmt.fill_value, c)
                        remember(key, c, gen, None, when)
                    else:
                        wanted.append((br[0], br[1], c))
                wanted.sort(key=lambda w: w[0])
                i = 0
                while i < len(wanted):
                    j = i + 1
                    lo, hi = wanted[i][0], wanted[i][0] + wanted[i][1]
                    while j < len(wanted) and wanted[j][0] <= hi + _MAX_GAP:
                        hi = max(hi, wanted[j][0] + wanted[j][1])
                        j += 1
                    got = self.kv.read_blocking(key, ReadOptions(byte_range=(lo, hi)))
                    if got.state != "value" or len(got.value) != hi - lo or got.stamp.generation != gen:
                        raise status.StatusError(
                            "FAILED_PRECONDITION",
                            f"Error reading {self.kv.describe(key)}: shard changed while reading",
                        )
                    buf = memoryview(got.value)
                    for o, n, c in wanted[i:j]:
                        try:
                            arr = shard.decode_inner(bytes(buf[o - lo : o - lo + n]), key, None)
                        except status.StatusError as e:
                            raise self._decode_error(key, e) from None
                        plan.read_into(out, arr, c)
                        remember(key, c, gen, arr, when)
                    i = j

            return run

        await self._run_all([job(s, items) for s, items in groups.items()])

    # ------------------------------------------------------------------------------------ writing
    async def write(self, transform: IndexTransform, source: Array, array_shape: Sequence[int]) -> None:
        """Store ``source`` (request-shaped, already of the array's dtype) through ``transform``."""
        fmt = self.fmt
        plan = make_plan(transform, fmt.chunk_shape, array_shape)
        if plan.count == 0 or int(np.prod(plan.shape)) == 0:
            return
        src = plan.prepare_source(np.asarray(source))
        copies = list(plan)
        io = self.io_executor
        if len(copies) > 1 and io is not None and io is not self.executor:
            await self._write_pipelined(plan, copies, src, io)
            return

        def job(copy: ChunkCopy) -> Callable[[], None]:
            return lambda: self._write_chunk(plan, copy, src)

        # writes wait on the kvstore (fsync), so they run in the I/O pool when there is one
        await self._run_all([job(c) for c in copies], io)

    async def _write_pipelined(
        self, plan: Plan, copies: list[ChunkCopy], src: Array, io: concurrent.futures.Executor
    ) -> None:
        """Encode in the CPU pool, store (write + fsync + rename) in the I/O pool.

        Encoding is CPU work (one thread per core keeps every core busy); a store mostly waits on
        the disk, so many run at once without taking a core.  A thread doing both would leave its
        core idle during each fsync.  Encoders wait while ``window`` encoded chunks are not yet
        stored, which bounds the memory in flight.
        """
        nbytes = int(np.prod(self.fmt.chunk_shape)) * self.fmt.dtype.itemsize
        workers = int(getattr(io, "_max_workers", 0) or _MAX_STORES)
        window = threading.BoundedSemaphore(max(2, min(workers, _MAX_STORES, _STORE_BYTES // max(1, nbytes))))
        stores: list[concurrent.futures.Future[None]] = []
        keep_chunk = self.cache is not None

        def store(copy: ChunkCopy, key: str, chunk: Array | None, value: bytes | None, cond: bytes) -> None:
            try:
                if not self._store_chunk(key, chunk, value, cond):
                    self._write_chunk(plan, copy, src)  # lost a race with another writer: start over
            finally:
                window.release()

        def job(copy: ChunkCopy) -> Callable[[], None]:
            def run() -> None:
                key, chunk, value, cond = self._encode_chunk(plan, copy, src)
                window.acquire()
                try:
                    stores.append(io.submit(store, copy, key, chunk if keep_chunk else None, value, cond))
                except BaseException:
                    window.release()
                    raise

            return run

        failure: BaseException | None = None
        try:
            await self._run_all([job(c) for c in copies])
        except BaseException as e:  # raised once the stores already submitted have finished
            failure = e
        results = await asyncio.gather(*(asyncio.wrap_future(f) for f in stores), return_exceptions=True)
        if failure is not None:
            raise failure
        for r in results:
            if isinstance(r, BaseException):
                raise r

    def _encode_chunk(self, plan: Plan, copy: ChunkCopy, src: Array) -> tuple[str, Array, bytes | None, bytes]:
        """``(key, chunk, stored bytes or None to delete, generation condition)`` for one chunk."""
        fmt = self.fmt
        key = fmt.key(copy.cell)
        old: bytes | None = None
        if copy.full and not fmt.write_reads_old:
            chunk = plan.full_chunk(src, copy, fmt.fill_value, fmt.dtype)
            cond = b""
        else:
            res: ReadResult = self.kv.read_blocking(key)
            if res.state == "value":
                old = res.value
                chunk = self._decode(old, copy.cell, key, None)
                if not chunk.flags.writeable:
                    chunk = chunk.copy()
                cond = res.stamp.generation
            else:
                chunk = np.full(fmt.chunk_shape, fmt.fill_value, dtype=fmt.dtype)
                cond = NO_VALUE
            plan.write_from(chunk, src, copy)
        return key, chunk, fmt.encode_chunk(chunk, copy.cell, old), cond

    def _store_chunk(self, key: str, chunk: Array | None, value: bytes | None, cond: bytes) -> bool:
        """Write one encoded chunk; ``False`` when ``cond`` (the generation it was read at) no longer holds."""
        try:
            stamp = self.kv.write_blocking(key, value, cond)
        except status.StatusError as e:  # tensorstore names the chunk's key first
            where = f"Error writing {self.kv.describe(key)}"
            raise e if e.message.startswith(where) else e.prefixed(where) from None
        if stamp.generation == b"" and cond != b"":
            return False
        if self.cache is not None:
            self.cache.put(
                self.cache_key(key), CacheEntry(stamp.generation, None if value is None else chunk, stamp.time)
            )
            self._discard_inner(key)
        return True

    def _write_chunk(self, plan: Plan, copy: ChunkCopy, src: Array) -> None:
        while not self._store_chunk(*self._encode_chunk(plan, copy, src)):
            pass

    # ------------------------------------------------------------------------------------ resize
    async def stored_cells(self, lo: Sequence[int], hi: Sequence[int]) -> list[bool]:
        """Per read chunk touching the box ``[lo, hi)``: is it stored?  Chunk keys come from one kvstore
        list over the key range they span (no chunk is read); sub-chunks of shards from shard indices."""
        fmt = self.fmt
        shard = fmt.shard
        cs = tuple(fmt.chunk_shape)[: len(lo)]
        inner = tuple(shard.inner_shape)[: len(lo)] if shard is not None else cs
        ranges = [range(a // c, (b - 1) // c + 1) for a, b, c in zip(lo, hi, inner)]
        cells = list(itertools.product(*ranges))
        ratio = tuple(c // r for c, r in zip(cs, inner))
        outer = {cell: tuple(x // r for x, r in zip(cell, ratio)) for cell in cells}
        keys = {o: self.kv.full_key(fmt.key(o)) for o in set(outer.values())}
        if not keys:
            return []
        first, last = min(keys.values()), max(keys.values())
        listed = set(await self.kv.driver.list_keys(KeyRange(first, last + b"\x00")))
        present = {o for o, k in keys.items() if k in listed}
        if shard is None:
            return [outer[c] in present for c in cells]
        off, length = shard.index_byte_range()
        rng = (off, None) if off < 0 else (off, off + length)
        indices: dict[tuple[int, ...], Any] = {}
        for o in present:
            key = fmt.key(o)
            res = await self.kv.read(key, ReadOptions(byte_range=rng))
            if res.state == "value":
                indices[o] = shard.decode_index(res.value, key)
        out = []
        for c in cells:
            index = indices.get(outer[c])
            local = tuple(x - s * r for x, s, r in zip(c, outer[c], ratio))
            out.append(index is not None and index.byte_range(local) is not None)
        return out

    async def delete_outside(self, old_shape: Sequence[int], new_shape: Sequence[int]) -> None:
        """Delete stored chunks that lie entirely outside ``new_shape`` (after shrinking)."""
        fmt = self.fmt
        cs = fmt.chunk_shape
        old_grid = [-(-s // c) for s, c in zip(old_shape, cs)]
        new_grid = [-(-s // c) for s, c in zip(new_shape, cs)]
        if all(n >= o for n, o in zip(new_grid, old_grid)):
            return
        cells = np.indices(old_grid).reshape(len(cs), -1).T if cs else np.zeros((1, 0), dtype=int)
        outside = (cells >= np.asarray(new_grid)).any(axis=1) if cs else np.zeros(1, bool)
        keys = [fmt.key(tuple(int(x) for x in cell)) for cell in cells[outside]]

        def job(key: str) -> Callable[[], None]:
            def run() -> None:
                self.kv.write_blocking(key, None)
                if self.cache is not None:
                    self.cache.discard(self.cache_key(key))
                    self._discard_inner(key)

            return run

        await self._run_all([job(k) for k in keys])
