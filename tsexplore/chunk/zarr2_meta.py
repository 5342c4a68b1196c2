"""zarr v2 array metadata (``.zarray``): parse and validate, print, and the chunk format it implies."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import status
from ..codec import (
    V2ChunkCodec,
    V2Compressor,
    V2DType,
    decode_v2_fill_value,
    encode_v2_fill_value,
    parse_v2_compressor,
    parse_v2_dtype,
    parse_v2_filters,
)
from ..jsonb import ObjectReader, dump_compact
from .format import Array, ChunkFormat
from .zarr3_meta import _exact, _int_array, require

__all__ = ["Zarr2Format", "Zarr2Metadata", "parse_zarr2_metadata"]


def _one_of(*choices: str) -> Any:
    def parse(value: Any) -> str:
        if value not in choices or not isinstance(value, str):
            names = ", ".join(f'"{c}"' for c in choices)
            raise status.invalid_argument(f"Expected one of {names}, but received: {dump_compact(value)}")
        return value

    return parse


@dataclass(frozen=True)
class Zarr2Metadata:
    """A validated ``.zarray``."""

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: V2DType
    compressor: V2Compressor | None
    fill_value: Array | None
    order: str = "C"
    dimension_separator: str = "."
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def rank(self) -> int:
        return len(self.shape)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "chunks": list(self.chunks),
            "compressor": None if self.compressor is None else self.compressor.to_json(),
            "dimension_separator": self.dimension_separator,
            "dtype": self.dtype.to_json(),
            "fill_value": encode_v2_fill_value(self.fill_value, self.dtype),
            "filters": None,
            "order": self.order,
            "shape": list(self.shape),
            "zarr_format": 2,
        }
        return out

    def with_shape(self, shape: tuple[int, ...]) -> Zarr2Metadata:
        return dataclasses.replace(self, shape=tuple(shape))


def parse_zarr2_metadata(value: Any) -> Zarr2Metadata:
    reader = ObjectReader(value)
    require(reader, {"shape": "array", "chunks": "array"})
    reader.get("zarr_format", _exact(2))
    shape = tuple(reader.get("shape", lambda v: _int_array(v, None, 0)))
    rank = len(shape)
    chunks = tuple(reader.get("chunks", lambda v: _int_array(v, rank, 1)))
    dtype = reader.get("dtype", parse_v2_dtype)
    compressor = reader.get("compressor", parse_v2_compressor)
    fill = reader.get("fill_value", lambda v: decode_v2_fill_value(v, dtype))
    order = reader.get("order", _one_of("C", "F"))
    reader.get("filters", parse_v2_filters)
    sep = reader.get("dimension_separator", _one_of(".", "/"), ".")
    return Zarr2Metadata(shape, chunks, dtype, compressor, fill, order, sep)


class Zarr2Format(ChunkFormat):
    """Chunk hooks for a zarr v2 array (one field of a structured dtype, if ``field`` is given)."""

    def __init__(self, meta: Zarr2Metadata, field: str | None = None) -> None:
        self.meta = meta
        self.codec = V2ChunkCodec(meta.dtype, meta.chunks, meta.order, meta.compressor)
        self.field = field
        self._rank = meta.rank
        if meta.dtype.has_fields:
            if field is None:
                names = ",".join(f'"{f.name}"' for f in meta.dtype.fields)
                raise status.failed_precondition(f'Must specify a "field" that is one of: [{names}]')
            match = [f for f in meta.dtype.fields if f.name == field]
            if not match:
                names = ",".join(f'"{f.name}"' for f in meta.dtype.fields)
                raise status.failed_precondition(f'Requested field "{field}" is not one of: [{names}]')
            f = match[0]
            self.write_reads_old = True
            self.cache_tag = field
            self.dtype = np.dtype(f.dtype).newbyteorder("=") if f.dtype.byteorder in "<>" else np.dtype(f.dtype)
            self.chunk_shape = tuple(meta.chunks) + tuple(f.shape)
        else:
            if field is not None:
                raise status.failed_precondition(f'Requested field "{field}" but dtype does not have named fields')
            self.dtype = meta.dtype.native
            self.chunk_shape = self.codec.shape
        if meta.fill_value is None:
            self.fill_value = np.zeros((), dtype=self.dtype)
            self.store_fill_chunks = True  # no fill value: every written chunk is stored
        elif field is not None:
            fv = np.asarray(meta.fill_value[field]).astype(self.dtype)
            # per element of the field's own dimensions (trailing), so it broadcasts over a chunk
            self.fill_value = fv.reshape(f.shape) if f.shape else fv.reshape(-1)[0:1].reshape(())
        else:
            fv = np.asarray(meta.fill_value, dtype=self.dtype)
            self.fill_value = fv.reshape(-1)[0:1].reshape(()) if fv.ndim else fv

    def key(self, cell: tuple[int, ...]) -> str:
        cell = cell[: self._rank]
        return self.meta.dimension_separator.join(map(str, cell)) if cell else "0"

    def decode(self, data: bytes, cell: tuple[int, ...], key: str, out: Array | None = None) -> Array:
        if self.field is not None:
            full = self.codec.decode(data, key)
            return np.ascontiguousarray(full[self.field])
        return self.codec.decode(data, key, out)

    def encode(self, chunk: Array, cell: tuple[int, ...]) -> bytes:
        if self.field is not None:
            return self._encode_record(chunk, None)
        return self.codec.encode(chunk)

    def _fill_record(self) -> Array:
        """A whole chunk of records at the record fill value (zeros when there is none)."""
        native = self.meta.dtype.native
        full = np.zeros(self.codec.shape, dtype=native)
        if self.meta.fill_value is not None:
            full[...] = np.asarray(self.meta.fill_value).astype(native)
        return full

    def _record(self, old: bytes | None) -> Array:
        full = self._fill_record() if old is None else self.codec.decode(old, "")
        return full if full.flags.writeable else full.copy()

    def _encode_record(self, chunk: Array, old: bytes | None) -> bytes:
        full = self._record(old)
        full[self.field] = chunk
        return self.codec.encode(full)

    def encode_chunk(self, chunk: Array, cell: tuple[int, ...], old: bytes | None) -> bytes | None:
        """One field: read-modify-write of the stored records; deleted when every record is the fill."""
        if self.field is None:
            return super().encode_chunk(chunk, cell, old)
        full = self._record(old)
        full[self.field] = chunk
        fill = self.meta.fill_value
        if not self.store_fill_chunks and fill is not None and full.tobytes() == self._fill_record().tobytes():
            return None
        return self.codec.encode(full)
