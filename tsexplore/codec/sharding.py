"""The zarr v3 ``sharding_indexed`` codec: a shard is many inner chunks plus an index of byte ranges.

Besides whole-shard encode/decode, the pieces a reader needs to fetch only some inner chunks are
public: :meth:`ShardingCodec.index_byte_range`, :meth:`ShardingCodec.decode_index` and
:meth:`ShardingCodec.decode_inner_chunk`.  Inner chunks equal to the fill value are not stored;
their index entry is ``(2**64-1, 2**64-1)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .. import status
from ..jsonb import ObjectReader, expect_array
from ._json import bounded_int, codec_error, one_of
from .pipeline import CodecChainSpec, CodecPipeline
from .registry import V3_CODECS
from .v3_base import ArrayToBytesCodec, ChainState

__all__ = ["MISSING", "ShardIndex", "ShardingCodec"]

MISSING = np.uint64(2**64 - 1)
_DEFAULT_INDEX_CODECS = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]


def _braces(values: Any) -> str:
    return "{" + ", ".join(str(v) for v in values) + "}"


def _chain(value: Any) -> CodecChainSpec:
    return CodecChainSpec.from_json(value)


@dataclass(frozen=True)
class ShardIndex:
    """Decoded shard index: ``entries[cell] == (offset, nbytes)`` as uint64, grid-shaped."""

    entries: np.ndarray[Any, Any]

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return tuple(self.entries.shape[:-1])

    @property
    def missing(self) -> np.ndarray[Any, Any]:
        """Boolean grid: True where the inner chunk is not stored (reads as the fill value)."""
        out: np.ndarray[Any, Any] = (self.entries[..., 0] == MISSING) & (self.entries[..., 1] == MISSING)
        return out

    def byte_range(self, cell: tuple[int, ...]) -> tuple[int, int] | None:
        """``(offset, nbytes)`` of the inner chunk at grid position ``cell``, or None if missing."""
        off, n = (int(v) for v in self.entries[tuple(cell)])
        if off == int(MISSING) and n == int(MISSING):
            return None
        return off, n


@V3_CODECS.register("sharding_indexed")
@dataclass(frozen=True)
class ShardingCodec(ArrayToBytesCodec):
    name: ClassVar[str] = "sharding_indexed"
    is_sharding: ClassVar[bool] = True

    chunk_shape: tuple[int, ...] | None = None
    codecs: CodecChainSpec | None = None
    index_codecs: CodecChainSpec | None = None
    index_location: str | None = None
    # set by resolve()
    shard_shape: tuple[int, ...] = ()
    inner: CodecPipeline | None = field(default=None, compare=False)
    index: CodecPipeline | None = field(default=None, compare=False)
    index_nbytes: int = 0

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> ShardingCodec:
        shape = reader.get("chunk_shape", _int_list, None)
        return cls(
            chunk_shape=None if shape is None else tuple(shape),
            codecs=reader.get("codecs", _chain, None),
            index_codecs=reader.get("index_codecs", _chain, None),
            index_location=reader.get("index_location", one_of(["start", "end"]), None),
        )

    def configuration(self, include_defaults: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.chunk_shape is not None:
            config["chunk_shape"] = list(self.chunk_shape)
        if self.inner is not None:
            config["codecs"] = self.inner.to_json(include_defaults)
        elif self.codecs is not None:
            config["codecs"] = self.codecs.to_json()
        if self.index is not None:
            config["index_codecs"] = self.index.to_json(include_defaults)
        elif self.index_codecs is not None:
            config["index_codecs"] = self.index_codecs.to_json()
        if self.index_location is not None and (include_defaults or self.inner is None or self.index_location != "end"):
            config["index_location"] = self.index_location
        return config

    # -------------------------------------------------------------------------------- resolve
    def resolve(self, state: ChainState) -> tuple[ShardingCodec, ChainState]:
        shape = state.shape
        inner_shape = shape if self.chunk_shape is None else self.chunk_shape
        if len(inner_shape) != len(shape):
            raise status.invalid_argument(
                f"Error propagating chunk layout through codec {self.describe()}: "
                f"sharding_indexed sub-chunk shape of {_braces(inner_shape)} is not compatible with array of "
                f"rank {len(shape)}"
            )
        if any(s % c for s, c in zip(shape, inner_shape)):
            raise status.invalid_argument(
                f"sharding_indexed sub-chunk shape of {_braces(inner_shape)} does not evenly divide chunk "
                f"shape of {_braces(shape)}"
            )
        grid = tuple(s // c for s, c in zip(shape, inner_shape))
        inner_spec = self.codecs if self.codecs is not None else CodecChainSpec((), None, ())
        inner = inner_spec.resolve(state.dtype, inner_shape, strict=state.strict)
        index_spec = self.index_codecs if self.index_codecs is not None else _chain(_DEFAULT_INDEX_CODECS)
        try:
            index = index_spec.resolve(np.uint64, (*grid, 2), strict=state.strict)
        except status.StatusError as e:
            raise status.StatusError(e.code, f"Error resolving index_codecs: {e.message}") from None
        index_nbytes = index.encoded_size()
        if index_nbytes is None:
            raise status.invalid_argument("Invalid index_codecs specified: only fixed-size encodings are supported")
        resolved = ShardingCodec(
            tuple(inner_shape),
            self.codecs,
            self.index_codecs,
            self.index_location or "end",
            tuple(shape),
            inner,
            index,
            index_nbytes,
        )
        return resolved, ChainState(state.dtype, shape, None, state.strict)

    def _pipelines(self) -> tuple[CodecPipeline, CodecPipeline]:
        if self.inner is None or self.index is None:
            raise status.failed_precondition("sharding_indexed codec used before it was resolved")
        return self.inner, self.index

    @property
    def grid_shape(self) -> tuple[int, ...]:
        """Inner chunks per shard along each dimension."""
        assert self.chunk_shape is not None
        return tuple(s // c for s, c in zip(self.shard_shape, self.chunk_shape))

    # ------------------------------------------------------------------------ partial reads
    def index_byte_range(self) -> tuple[int, int]:
        """Where the index lives: ``(offset, length)``; a negative offset counts from the end (suffix)."""
        if self.index_location == "start":
            return 0, self.index_nbytes
        return -self.index_nbytes, self.index_nbytes

    def decode_index(self, data: bytes, key: str | None = None, shard_size: int | None = None) -> ShardIndex:
        """Decode the index bytes; with ``shard_size`` also check each entry lies inside the shard."""
        _, index = self._pipelines()
        if len(data) != self.index_nbytes:
            raise codec_error(
                "sharding_indexed",
                key,
                f"Error decoding shard index: expected {self.index_nbytes} bytes but received {len(data)}",
                code="DATA_LOSS",
            )
        try:
            entries = index.decode(data, key)
        except status.StatusError as e:
            detail = getattr(e, "detail", e.message)
            raise codec_error("sharding_indexed", key, f"Error decoding shard index: {detail}", code=e.code) from None
        self._validate(entries, key, shard_size)
        return ShardIndex(entries)

    def _validate(self, entries: np.ndarray[Any, Any], key: str | None, shard_size: int | None) -> None:
        flat = entries.reshape(-1, 2)
        off, n = flat[:, 0], flat[:, 1]
        missing = (off == MISSING) & (n == MISSING)
        lo = 0 if self.index_location != "start" else self.index_nbytes
        hi = None if shard_size is None else (shard_size - (self.index_nbytes if self.index_location == "end" else 0))
        with np.errstate(over="ignore"):
            end = off + n
        bad = ~missing & ((off == MISSING) | (end < off) | (off < lo))
        if hi is not None:
            bad |= ~missing & (end > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            o, ln = int(off[i]), int(n[i])
            if o == int(MISSING) or ln == int(MISSING) or o + ln >= 2**64:
                detail = f"Invalid shard index entry {i} with offset={o}, length={ln}"
            else:
                detail = (
                    f"Shard index entry {i} with byte range [{o}, {o + ln}) is invalid for shard of size {shard_size}"
                )
            raise codec_error("sharding_indexed", key, detail, code="DATA_LOSS")

    def decode_inner_chunk(
        self,
        data: bytes,
        key: str | None = None,
        out: np.ndarray[Any, Any] | None = None,
        fill_value: Any = None,
    ) -> np.ndarray[Any, Any]:
        """Decode one inner chunk's bytes (as addressed by its index entry)."""
        inner, _ = self._pipelines()
        return inner.decode(data, key, out, fill_value)

    def cell_slices(self, cell: tuple[int, ...]) -> tuple[slice, ...]:
        """Where inner chunk ``cell`` sits in the shard."""
        assert self.chunk_shape is not None
        return tuple(slice(i * c, (i + 1) * c) for i, c in zip(cell, self.chunk_shape))

    # ------------------------------------------------------------------------ whole shards
    def split(self, data: bytes, key: str | None = None) -> tuple[ShardIndex, bytes]:
        """Index and full shard bytes from a whole shard."""
        n = self.index_nbytes
        if len(data) < n:
            raise codec_error(
                "sharding_indexed",
                key,
                f"Existing shard has size of {len(data)} bytes, but expected at least {n} bytes",
                code="DATA_LOSS",
            )
        raw = data[:n] if self.index_location == "start" else data[len(data) - n :]
        return self.decode_index(raw, key, len(data)), data

    def decode(
        self, data: bytes, key: str | None, out: np.ndarray[Any, Any] | None, fill_value: Any = None
    ) -> np.ndarray[Any, Any]:
        inner, _ = self._pipelines()
        index, _ = self.split(data, key)
        target = out if out is not None else np.empty(self.shard_shape, inner.dtype)
        fill = np.zeros((), inner.dtype) if fill_value is None else np.asarray(fill_value, dtype=inner.dtype)
        missing = index.missing
        if missing.any():
            self._fill_missing(target, missing, fill)
        for cell in zip(*np.nonzero(~missing)):
            c = tuple(int(i) for i in cell)
            off, n = index.byte_range(c)  # type: ignore[misc]
            inner.decode(data[off : off + n], _inner_key(key, c), target[self.cell_slices(c)], fill_value)
        return target

    def _fill_missing(self, target: np.ndarray[Any, Any], missing: np.ndarray[Any, Any], fill: Any) -> None:
        if missing.all():
            target[...] = fill
            return
        for cell in zip(*np.nonzero(missing)):
            target[self.cell_slices(tuple(int(i) for i in cell))] = fill

    def stored_cells(self, array: np.ndarray[Any, Any], fill_value: Any) -> np.ndarray[Any, Any]:
        """Boolean grid: True where the inner chunk differs from ``fill_value`` (NaN equals NaN)."""
        grid = self.grid_shape
        assert self.chunk_shape is not None
        if fill_value is None:
            return np.ones(grid, dtype=bool)
        blocked = array.reshape([n for pair in zip(grid, self.chunk_shape) for n in pair])
        fill = np.asarray(fill_value, dtype=array.dtype)
        same = blocked == fill
        if array.dtype.kind in "fc":
            same |= np.isnan(blocked) & np.isnan(fill)
        inner_axes = tuple(range(1, 2 * len(grid), 2))
        return ~same.all(axis=inner_axes) if inner_axes else np.array(not bool(same), dtype=bool)

    def encode(self, array: np.ndarray[Any, Any], fill_value: Any = None) -> bytes:
        """Encode a whole shard (inner chunks in C order; those equal to ``fill_value`` left out)."""
        inner, index_pipe = self._pipelines()
        grid = self.grid_shape
        stored = self.stored_cells(array, fill_value)
        entries = np.full((*grid, 2), MISSING, dtype=np.uint64)
        pieces: list[bytes] = []
        pos = self.index_nbytes if self.index_location == "start" else 0
        for cell in _cells(grid):
            if not stored[cell]:
                continue
            enc = inner.encode(array[self.cell_slices(cell)], fill_value)
            entries[cell] = (pos, len(enc))
            pieces.append(enc)
            pos += len(enc)
        index_bytes = index_pipe.encode(entries)
        if self.index_location == "start":
            return index_bytes + b"".join(pieces)
        return b"".join(pieces) + index_bytes


def _cells(grid: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """Every inner-chunk cell of ``grid`` in C order."""
    return itertools.product(*(range(n) for n in grid))


def _inner_key(key: str | None, cell: tuple[int, ...]) -> str | None:
    return None if key is None else f"{key}[{','.join(map(str, cell))}]"


def _int_list(value: Any) -> list[int]:
    return expect_array(value, bounded_int(1, 2**63 - 1))
