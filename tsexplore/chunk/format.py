"""What the chunk engine needs to know about one chunked format (zarr, zarr3, n5...).

A :class:`ChunkFormat` is built from validated metadata: it names the storage key of a grid
cell, encodes and decodes one chunk, and knows the fill value.  Every coding hook is told which
grid cell (and key) it handles, so formats whose stored chunks depend on the position (truncated
edge chunks of neuroglancer_precomputed) need no side channel.  Metadata JSON parsing and the
schema live in the drivers; the engine only calls these hooks.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

__all__ = ["ChunkFormat", "ShardAccess"]

Array = np.ndarray[Any, Any]


class ShardAccess(abc.ABC):
    """Partial reads of one stored chunk made of independently decodable sub-chunks."""

    #: sub-chunk (read chunk) shape
    inner_shape: tuple[int, ...]

    @abc.abstractmethod
    def index_byte_range(self) -> tuple[int, int]:
        """``(offset, length)`` of the index; a negative offset counts from the end."""

    @abc.abstractmethod
    def decode_index(self, data: bytes, key: str) -> Any:
        """The decoded index (an object with ``byte_range(cell) -> (offset, n) | None``)."""

    @abc.abstractmethod
    def decode_inner(self, data: bytes, key: str, out: Array | None) -> Array:
        """Decode one sub-chunk's bytes."""


class ChunkFormat(abc.ABC):
    """The per-format hooks of the chunk engine.  Instances are immutable and thread-safe."""

    #: element type of decoded chunks (native byte order)
    dtype: np.dtype[Any]
    #: shape of one stored chunk (for sharded formats: one shard)
    chunk_shape: tuple[int, ...]
    #: 0-d array: the value of elements never written
    fill_value: Array
    #: whether a chunk equal to the fill value is stored anyway (else it is deleted)
    store_fill_chunks: bool = False

    @abc.abstractmethod
    def key(self, cell: tuple[int, ...]) -> str:
        """Storage key (relative to the array's kvstore path) of grid cell ``cell``."""

    @abc.abstractmethod
    def decode(self, data: bytes, cell: tuple[int, ...], key: str, out: Array | None = None) -> Array:
        """Decode the chunk of grid cell ``cell`` stored at ``key`` (into ``out`` when given; shape ``chunk_shape``)."""

    @abc.abstractmethod
    def encode(self, chunk: Array, cell: tuple[int, ...]) -> bytes:
        """Encode the chunk (shape ``chunk_shape``) of grid cell ``cell``."""

    #: whether a write must read the stored chunk even when it covers every element (the stored
    #: chunk holds more than the decoded one: one field of a structured record)
    write_reads_old: bool = False
    #: distinguishes decoded forms of one stored chunk in a shared cache (a field name)
    cache_tag: Any = None

    def encode_chunk(self, chunk: Array, cell: tuple[int, ...], old: bytes | None) -> bytes | None:
        """The bytes to store for the chunk of ``cell`` (``old``: the stored bytes it replaces), ``None`` to delete.

        A chunk equal to the fill value is deleted unless ``store_fill_chunks``.
        """
        if not self.store_fill_chunks and self.is_fill(chunk):
            return None
        return self.encode(chunk, cell)

    @property
    def shard(self) -> ShardAccess | None:
        """Sub-chunk access when stored chunks can be read in pieces (zarr3 sharding)."""
        return None

    @property
    def read_chunk_shape(self) -> tuple[int, ...]:
        shard = self.shard
        return self.chunk_shape if shard is None else shard.inner_shape

    def is_fill(self, chunk: Array) -> bool:
        """Whether every element equals the fill value (NaN equals NaN, bitwise for floats)."""
        fill = self.fill_value
        if chunk.size and fill.ndim == 0 and chunk.dtype.kind in "biu":
            # most written chunks are not all fill: a few elements decide without a full pass
            flat = chunk.reshape(-1) if chunk.flags.c_contiguous else chunk.ravel()
            if flat[0] != fill or flat[-1] != fill or flat[flat.size // 2] != fill:
                return False
        elif chunk.size and fill.ndim == 0 and chunk.dtype.kind in "fc":
            flat = chunk.reshape(-1) if chunk.flags.c_contiguous else chunk.ravel()
            probe = flat[[0, flat.size // 2, -1]]
            if not ((probe == fill) | (np.isnan(probe) & np.isnan(fill))).all():
                return False
        if chunk.dtype.kind in "fc":
            eq = (chunk == fill) | (np.isnan(chunk) & np.isnan(fill))
            return bool(eq.all())
        return bool((chunk == fill).all())
