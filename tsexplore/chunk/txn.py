"""Chunk reads and writes through a :class:`~tsexplore.transaction.Transaction`.

A transactional write does not touch storage: each touched chunk gets a :class:`ChunkPatch`
(the written values and a mask of the written elements, both chunk-shaped) staged on the chunk's
kvstore key.  At commit (and for reads through the transaction) the patches are applied to the
chunk as stored *then*: decode once, assign every patch's masked elements, re-encode, or delete
the key when the result equals the fill value.  Because only the masked elements are assigned,
two transactions writing disjoint parts of one chunk both keep their writes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..index.transform import IndexTransform
from ..transaction import Mutation, Region, Transaction
from .format import ChunkFormat
from .plan import ChunkCopy, make_plan

__all__ = ["ChunkPatch", "TxnChunkIO"]

Array = np.ndarray[Any, Any]


@dataclass
class ChunkPatch(Mutation):
    """A staged chunk write of grid cell ``cell`` (stored at ``key``): ``values`` where ``mask``
    (``mask is None``: the whole chunk)."""

    values: Any = None
    mask: Any = None
    cell: tuple[int, ...] = ()
    key: str = ""


def _region(cell: Sequence[int], chunk_shape: Sequence[int], array_shape: Sequence[int], mask: Array | None) -> Region:
    """The written box of one chunk in array coordinates (bounding box of ``mask``)."""
    origin = [c * s for c, s in zip(cell, chunk_shape)]
    lo: list[int] = []
    hi: list[int] = []
    n = len(chunk_shape)
    for d in range(n):
        if mask is None:
            a, b = 0, min(chunk_shape[d], array_shape[d] - origin[d])
        else:
            axes = tuple(i for i in range(n) if i != d)
            hit = np.flatnonzero(mask.any(axis=axes) if axes else mask)
            a, b = (int(hit[0]), int(hit[-1]) + 1) if hit.size else (0, 0)
        lo.append(origin[d] + a)
        hi.append(origin[d] + b)
    return Region(tuple(lo), tuple(hi))


class TxnChunkIO:
    """The transactional half of a :class:`~tsexplore.chunk.engine.ChunkEngine`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        # one function object shared by every patch of this array, so consecutive patches batch
        self._batch: Callable[[list[Mutation], bytes | None], bytes | None] = self._apply_patches

    @property
    def fmt(self) -> ChunkFormat:
        return self.engine.fmt  # type: ignore[no-any-return]

    # -- applying staged patches --------------------------------------------------------------
    def _apply_patches(self, muts: list[Mutation], old: bytes | None) -> bytes | None:
        """The new stored bytes of one chunk: every patch (all of one key) applied to ``old``."""
        fmt = self.fmt
        head = muts[0]
        assert isinstance(head, ChunkPatch)
        cell, key = head.cell, head.key
        start = 0
        for i, m in enumerate(muts):
            if isinstance(m, ChunkPatch) and m.mask is None:
                start = i  # a whole-chunk write makes everything before it irrelevant
        first = muts[start]
        if isinstance(first, ChunkPatch) and first.mask is None:
            chunk = np.array(first.values, copy=True)
            start += 1
        elif old is None:
            chunk = np.full(fmt.chunk_shape, fmt.fill_value, dtype=fmt.dtype)
        else:
            chunk = self.engine._decode(old, cell, key, None)
            if not chunk.flags.writeable:
                chunk = chunk.copy()
        for m in muts[start:]:
            assert isinstance(m, ChunkPatch)
            if m.mask is None:
                chunk[...] = m.values
            else:
                np.copyto(chunk, m.values, where=m.mask)
        return fmt.encode_chunk(chunk, cell, old)

    def _apply_one(self, m: ChunkPatch) -> Callable[[bytes | None], bytes | None]:
        return lambda old: self._apply_patches([m], old)

    # -- read / write ---------------------------------------------------------------------------
    async def read(self, transform: IndexTransform, array_shape: Sequence[int], txn: Transaction) -> Array:
        """Read through ``txn``: stored chunks with the transaction's staged patches applied."""
        engine, fmt = self.engine, self.fmt
        # whole stored chunks (shards): staged patches cover whole chunks
        plan = make_plan(transform, fmt.chunk_shape, array_shape)
        out = np.empty(plan.shape, dtype=fmt.dtype)
        if plan.count == 0 or out.size == 0:
            return out
        loop = asyncio.get_running_loop()
        kv = engine.kv

        async def one(copy: ChunkCopy) -> None:
            key = fmt.key(copy.cell)
            got = await txn.read(kv.driver, kv.full_key(key))

            def finish() -> None:
                if got.value is None:
                    plan.fill_into(out, fmt.fill_value, copy)
                else:
                    plan.read_into(out, engine._decode(got.value, copy.cell, key, None), copy)

            await loop.run_in_executor(engine.executor, finish)

        results = await asyncio.gather(*(one(c) for c in plan), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        return out

    async def write(
        self, transform: IndexTransform, source: Array, array_shape: Sequence[int], txn: Transaction
    ) -> None:
        """Stage ``source`` written through ``transform`` as one patch per touched chunk."""
        engine, fmt = self.engine, self.fmt
        plan = make_plan(transform, fmt.chunk_shape, array_shape)
        if plan.count == 0 or int(np.prod(plan.shape)) == 0:
            return
        txn.check_open()
        src = plan.prepare_source(np.asarray(source))
        ones = plan.prepare_source(np.broadcast_to(np.True_, plan.shape))
        kv = engine.kv
        cache = engine.cache

        def build(copy: ChunkCopy) -> ChunkPatch:
            values = np.full(fmt.chunk_shape, fmt.fill_value, dtype=fmt.dtype)
            plan.write_from(values, src, copy)
            mask: Array | None = None
            if not copy.full:
                mask = np.zeros(fmt.chunk_shape, dtype=bool)
                plan.write_from(mask, ones, copy)
            patch = ChunkPatch(
                apply=lambda old: None,
                nbytes=int(values.nbytes) + (0 if mask is None else int(mask.nbytes)),
                region=_region(copy.cell, fmt.chunk_shape, array_shape, mask),
                batch=self._batch,
                values=values,
                mask=mask,
                cell=copy.cell,
                key=fmt.key(copy.cell),
            )
            patch.apply = self._apply_one(patch)
            return patch

        loop = asyncio.get_running_loop()
        copies = list(plan)
        patches = await asyncio.gather(*(loop.run_in_executor(engine.executor, build, c) for c in copies))
        for patch in patches:
            full = kv.full_key(patch.key)
            txn.stage(kv.driver, full, patch)
            if cache is not None:
                node = txn.node(kv.driver, full)
                if not node.on_commit:
                    node.on_commit.append(functools.partial(cache.discard, engine.cache_key(patch.key)))
                    node.on_commit.append(functools.partial(engine._discard_inner, patch.key))
