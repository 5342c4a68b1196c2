"""zarr v2 chunk codec: ``.zarray`` ``compressor`` / ``filters`` / ``order`` / ``dtype`` -> bytes and back.

tensorstore accepts the compressors ``blosc``, ``zlib``, ``gzip``, ``bz2`` and ``zstd`` (and
``null``) and only ``null`` (or ``[]``) filters; anything else is rejected with its error text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import status
from ..jsonb import ObjectReader, dump_compact, expect_string, member_error
from . import _compress
from ._json import bounded_int, one_of, one_of_unquoted, required_string
from .dtypes import V2DType
from .registry import V2_COMPRESSORS

__all__ = [
    "V2ChunkCodec",
    "V2Compressor",
    "normalize_v2_compressor",
    "parse_v2_compressor",
    "parse_v2_filters",
    "parse_v2_order",
]

BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd")


class V2Compressor:
    """Base of the v2 compressor classes; ``to_json`` prints what tensorstore writes."""

    id: ClassVar[str] = ""

    @classmethod
    def from_json(cls, reader: ObjectReader) -> V2Compressor:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def compressor(self, dtype: V2DType) -> _compress.Compressor:
        raise NotImplementedError


@V2_COMPRESSORS.register("blosc")
@dataclass(frozen=True)
class V2Blosc(V2Compressor):
    id: ClassVar[str] = "blosc"
    cname: str = "lz4"
    clevel: int = 5
    shuffle: int = -1
    blocksize: int = 0

    @classmethod
    def from_json(cls, reader: ObjectReader) -> V2Blosc:
        return cls(
            cname=reader.get("cname", one_of_unquoted(BLOSC_CNAMES, comma=True), "lz4"),
            clevel=reader.get("clevel", bounded_int(0, 9), 5),
            shuffle=reader.get("shuffle", bounded_int(-1, 2), -1),
            blocksize=reader.get("blocksize", bounded_int(0, 2**63 - 1), 0),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "blocksize": self.blocksize,
            "clevel": self.clevel,
            "cname": self.cname,
            "id": "blosc",
            "shuffle": self.shuffle,
        }

    def compressor(self, dtype: V2DType) -> _compress.Compressor:
        return _compress.BloscCompressor(self.cname, self.clevel, self.shuffle, self.blocksize, dtype.numpy.itemsize)


@dataclass(frozen=True)
class _Leveled(V2Compressor):
    level: int = 1
    lo: ClassVar[int] = 0
    hi: ClassVar[int] = 9

    @classmethod
    def from_json(cls, reader: ObjectReader) -> _Leveled:
        return cls(level=reader.get("level", bounded_int(cls.lo, cls.hi), 1))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level}


@V2_COMPRESSORS.register("zlib")
class V2Zlib(_Leveled):
    id: ClassVar[str] = "zlib"

    def compressor(self, dtype: V2DType) -> _compress.Compressor:
        return _compress.zlib(self.level)


@V2_COMPRESSORS.register("gzip")
class V2Gzip(_Leveled):
    id: ClassVar[str] = "gzip"

    def compressor(self, dtype: V2DType) -> _compress.Compressor:
        return _compress.gzip(self.level)


@V2_COMPRESSORS.register("bz2")
class V2Bz2(_Leveled):
    id: ClassVar[str] = "bz2"
    lo: ClassVar[int] = 1

    def compressor(self, dtype: V2DType) -> _compress.Compressor:
        return _compress.bz2(self.level)


@V2_COMPRESSORS.register("zstd")
class V2Zstd(_Leveled):
    id: ClassVar[str] = "zstd"
    lo: ClassVar[int] = -131072
    hi: ClassVar[int] = 22

    def compressor(self, dtype: V2DType) -> _compress.Compressor:
        return _compress.zstd(self.level)


def parse_v2_compressor(value: Any) -> V2Compressor | None:
    """Parse a ``.zarray`` ``compressor`` member (``null`` -> ``None``).

    Errors are relative to the member, e.g. ``Error parsing object member "id": "lzma" is not registered``.
    """
    if value is None:
        return None
    reader = ObjectReader(value)
    required_string(reader.obj, "id")
    cls = reader.get("id", lambda v: V2_COMPRESSORS.lookup(expect_string(v)))
    comp: V2Compressor = cls.from_json(reader)
    reader.finish()
    return comp


def normalize_v2_compressor(value: Any) -> dict[str, Any] | None:
    """The ``compressor`` JSON tensorstore writes for ``value`` (defaults filled in)."""
    comp = parse_v2_compressor(value)
    return None if comp is None else comp.to_json()


def parse_v2_filters(value: Any) -> None:
    """``filters``: tensorstore accepts only ``null`` or ``[]`` (and writes ``null``)."""
    if value is None or value == []:
        return
    raise status.invalid_argument("filters are not supported")


parse_v2_order = one_of(["C", "F"])


class V2ChunkCodec:
    """Encodes and decodes one zarr v2 chunk: ``chunk_shape + dtype.inner_shape`` elements.

    Decoded arrays have the native byte order; ``order`` is the memory layout of the stored bytes.
    """

    def __init__(
        self,
        dtype: V2DType,
        chunks: tuple[int, ...] | list[int],
        order: str = "C",
        compressor: V2Compressor | None = None,
    ) -> None:
        self.dtype = dtype
        self.shape = tuple(chunks) + dtype.inner_shape
        self.order = parse_v2_order(order)
        self.compressor_spec = compressor
        self._compressor = None if compressor is None else compressor.compressor(dtype)
        self.nbytes = math.prod(self.shape) * dtype.numpy.itemsize

    @classmethod
    def from_json(cls, metadata: Any, dtype: V2DType | None = None) -> V2ChunkCodec:
        """Build from a ``.zarray``-like object (chunks, dtype, order, compressor, filters)."""
        from .dtypes import parse_v2_dtype

        if dtype is None:
            dtype = _member(metadata, "dtype", parse_v2_dtype)
        chunks = _member(metadata, "chunks", lambda v: [bounded_int(1, 2**63 - 1)(x) for x in v])
        order = _member(metadata, "order", parse_v2_order, "C")
        comp = _member(metadata, "compressor", parse_v2_compressor, None)
        _member(metadata, "filters", parse_v2_filters, None)
        return cls(dtype, chunks, order, comp)

    def encode(self, array: Any) -> bytes:
        """Bytes of one chunk (``array`` is cast to the stored dtype; its shape must match)."""
        arr = np.asarray(array)
        if arr.shape != self.shape:
            raise status.invalid_argument(f"Chunk array has shape {arr.shape}, expected {self.shape}")
        stored = np.asarray(arr, dtype=self.dtype.numpy)
        raw = np.asarray(stored, order=self.order)
        flat = raw.reshape(-1, order="A")
        if self._compressor is None:
            return flat.tobytes()
        return self._compressor.encode(flat)

    def decode(
        self, data: bytes, key: str | None = None, out: np.ndarray[Any, Any] | None = None
    ) -> np.ndarray[Any, Any]:
        """Decode one chunk; with ``out`` (native dtype, chunk shape) decode into it and return it."""
        native = self.dtype.native
        if out is not None and (out.shape != self.shape or out.dtype != native):
            raise status.invalid_argument(
                f"Decode destination has shape {out.shape} and dtype {out.dtype}, expected {self.shape} {native}"
            )
        direct = (
            out is not None
            and (out.flags.c_contiguous if self.order == "C" else out.flags.f_contiguous)
            and out.flags.writeable
        )
        target = out if (out is not None and direct) else np.empty(self.shape, dtype=native, order=self.order)
        raw_out = _compress.as_bytes_array(target)
        if self._compressor is None:
            _compress.copy_decoded("null", data, raw_out, key)
        else:
            self._compressor.decode_into(data, raw_out, key)
        if _needs_swap(self.dtype.numpy):
            _swap_inplace(target, self.dtype.numpy)
        if out is not None and target is not out:
            np.copyto(out, target)
            return out
        return target


def _needs_swap(dt: np.dtype[Any]) -> bool:
    if dt.names is not None:
        return any(_needs_swap(dt.fields[n][0]) for n in dt.names)  # type: ignore[index]
    if dt.subdtype is not None:
        return _needs_swap(dt.subdtype[0])
    return not dt.isnative


def _swap_inplace(target: np.ndarray[Any, Any], stored: np.ndarray[Any, Any] | np.dtype[Any]) -> None:
    """``target`` holds stored-order bytes under a native dtype: reinterpret and convert in place."""
    target[...] = target.view(np.dtype(stored)).astype(target.dtype)


def _member(obj: Any, name: str, parse: Any, default: Any = ...) -> Any:
    if not isinstance(obj, dict):
        raise status.invalid_argument(f"Expected object, but received: {dump_compact(obj)}")
    if name not in obj:
        if default is ...:
            raise status.invalid_argument(
                f"Error parsing object member {json.dumps(name)}: Expected array, but member is missing"
            )
        return default
    try:
        return parse(obj[name])
    except status.StatusError as e:
        raise member_error(name, e) from None
