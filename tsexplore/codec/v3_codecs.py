"""zarr v3 codecs other than sharding: ``transpose``, ``bytes``, ``gzip``, ``zstd``, ``blosc``, ``crc32c``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import crc32c as _crc32c
import numpy as np

from .. import status
from ..jsonb import ObjectReader, dump_compact
from . import _compress
from ._json import bounded_int, codec_error, one_of, one_of_unquoted
from .registry import V3_CODECS
from .v3_base import ArrayToArrayCodec, ArrayToBytesCodec, BytesToBytesCodec, ChainState

__all__ = ["BloscCodec", "BytesCodec", "Crc32cCodec", "GzipCodec", "TransposeCodec", "ZstdCodec"]

BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd")


def _braces(values: Any) -> str:
    return "{" + ", ".join(str(v) for v in values) + "}"


def _parse_order(value: Any) -> Any:
    if value in ("C", "F") and isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        if sorted(value) == list(range(len(value))):
            return tuple(value)
        why = f"{_braces(value)} is not a valid permutation"
    else:
        why = f"Expected array, but received: {dump_compact(value)}"
    raise status.invalid_argument(
        f'No matching value binder: {why}; Expected one of "C", "F", but received: {dump_compact(value)}'
    )


@V3_CODECS.register("transpose")
@dataclass(frozen=True)
class TransposeCodec(ArrayToArrayCodec):
    """Stores the chunk with its dimensions permuted: encoded dim ``i`` is decoded dim ``order[i]``."""

    name: ClassVar[str] = "transpose"
    order: tuple[int, ...] | str = "C"

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> TransposeCodec:
        return cls(order=reader.get("order", _parse_order))

    def configuration(self, include_defaults: bool = False) -> dict[str, Any]:
        return {"order": self.order if isinstance(self.order, str) else list(self.order)}

    def resolve(self, state: ChainState) -> tuple[TransposeCodec, ChainState]:
        rank = len(state.shape)
        if self.order == "C":
            order: tuple[int, ...] = tuple(range(rank))
        elif self.order == "F":
            order = tuple(range(rank - 1, -1, -1))
        else:
            order = tuple(int(i) for i in self.order)
        if len(order) != rank:
            raise status.invalid_argument(
                f"{_braces(order)} is not a valid dimension permutation for a rank {rank} array"
            )
        shape = tuple(state.shape[i] for i in order)
        return replace(self, order=order), ChainState(state.dtype, shape, None, state.strict)

    def encode(self, array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.transpose(array, [int(i) for i in self.order])

    def decode(self, array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.transpose(array, np.argsort(np.asarray(self.order)))


@V3_CODECS.register("bytes")
@dataclass(frozen=True)
class BytesCodec(ArrayToBytesCodec):
    """Raw C-order element bytes; ``endian`` is required (and only kept) for multi-byte types."""

    name: ClassVar[str] = "bytes"
    endian: str | None = None
    dtype: Any = None
    shape: tuple[int, ...] = ()

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> BytesCodec:
        return cls(endian=reader.get("endian", one_of(["little", "big"]), None))

    def configuration(self, include_defaults: bool = False) -> dict[str, Any] | None:
        return None if self.endian is None else {"endian": self.endian}

    def resolve(self, state: ChainState) -> tuple[BytesCodec, ChainState]:
        dt = state.dtype
        endian = self.endian
        if dt.itemsize == 1:
            endian = None
        elif endian is None:
            if state.strict:
                from .dtypes import v3_data_type_name

                raise status.failed_precondition(
                    f"Error resolving codec spec through codec {self.describe()}: "
                    f'"bytes" codec requires that "endian" option is specified for data type '
                    f"{v3_data_type_name(dt)}"
                )
            endian = "little"
        resolved = BytesCodec(endian, dt, state.shape)
        return resolved, ChainState(dt, state.shape, dt.itemsize, state.strict)

    @property
    def stored_dtype(self) -> np.dtype[Any]:
        dt: np.dtype[Any] = np.dtype(self.dtype)
        if self.endian is None:
            return dt
        swapped: np.dtype[Any] = dt.newbyteorder("<" if self.endian == "little" else ">")
        return swapped

    @property
    def nbytes(self) -> int:
        return int(math.prod(self.shape)) * int(np.dtype(self.dtype).itemsize)

    def raw_layout(self) -> np.dtype[Any] | None:
        return self.stored_dtype

    def encode(self, array: np.ndarray[Any, Any], fill_value: Any = None) -> bytes:
        return np.ascontiguousarray(array, dtype=self.stored_dtype).tobytes()

    def decode(
        self, data: bytes, key: str | None, out: np.ndarray[Any, Any] | None, fill_value: Any = None
    ) -> np.ndarray[Any, Any]:
        if len(data) != self.nbytes:
            raise codec_error("bytes", key, _compress.size_detail(self.nbytes, len(data)))
        arr = np.frombuffer(data, dtype=self.stored_dtype).reshape(self.shape)
        if out is None:
            return arr.astype(np.dtype(self.dtype))
        np.copyto(out, arr)
        return out


class _CompressorCodec(BytesToBytesCodec):
    """A bytes codec that is one :class:`_compress.Compressor` (built from the resolved members)."""

    @property
    def _impl(self) -> _compress.Compressor:
        raise NotImplementedError

    def encode(self, data: bytes) -> bytes:
        return self._impl.encode(np.frombuffer(data, dtype=np.uint8))

    def decode(self, data: bytes, key: str | None) -> bytes:
        return self._impl.decode(data, key)

    def decode_into(self, data: bytes, out: np.ndarray[Any, Any], key: str | None) -> None:
        self._impl.decode_into(data, out, key)


@V3_CODECS.register("gzip")
@dataclass(frozen=True)
class GzipCodec(_CompressorCodec):
    name: ClassVar[str] = "gzip"
    level: int | None = None

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> GzipCodec:
        return cls(level=reader.get("level", bounded_int(0, 9), None))

    def configuration(self, include_defaults: bool = False) -> dict[str, Any] | None:
        return None if self.level is None else {"level": self.level}

    def resolve(self, state: ChainState) -> tuple[BytesToBytesCodec, ChainState]:
        return self._resolved(GzipCodec(6 if self.level is None else self.level), state)

    @property
    def _impl(self) -> _compress.Compressor:
        return _compress.gzip(6 if self.level is None else self.level)


@V3_CODECS.register("zstd")
@dataclass(frozen=True)
class ZstdCodec(_CompressorCodec):
    name: ClassVar[str] = "zstd"
    level: int | None = None
    checksum: bool | None = None

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> ZstdCodec:
        from ..jsonb import expect_bool

        return cls(
            level=reader.get("level", bounded_int(-131072, 22), None),
            checksum=reader.get("checksum", expect_bool, None),
        )

    def configuration(self, include_defaults: bool = False) -> dict[str, Any] | None:
        config: dict[str, Any] = {}
        if self.checksum is not None:
            config["checksum"] = self.checksum
        if self.level is not None:
            config["level"] = self.level
        return config or None

    def resolve(self, state: ChainState) -> tuple[BytesToBytesCodec, ChainState]:
        return self._resolved(ZstdCodec(3 if self.level is None else self.level, bool(self.checksum)), state)

    @property
    def _impl(self) -> _compress.Compressor:
        return _compress.zstd(3 if self.level is None else self.level, bool(self.checksum))


_SHUFFLES = ("noshuffle", "shuffle", "bitshuffle")


@V3_CODECS.register("blosc")
@dataclass(frozen=True)
class BloscCodec(_CompressorCodec):
    """Blosc; ``typesize`` and ``shuffle`` default from the item size when it is known."""

    name: ClassVar[str] = "blosc"
    cname: str | None = None
    clevel: int | None = None
    shuffle: str | None = None
    typesize: int | None = None
    blocksize: int | None = None

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> BloscCodec:
        return cls(
            cname=reader.get("cname", one_of_unquoted(BLOSC_CNAMES, comma=False), None),
            clevel=reader.get("clevel", bounded_int(0, 9), None),
            shuffle=reader.get("shuffle", one_of(list(_SHUFFLES)), None),
            typesize=reader.get("typesize", bounded_int(1, 255), None),
            blocksize=reader.get("blocksize", bounded_int(0, 715827542), None),
        )

    def configuration(self, include_defaults: bool = False) -> dict[str, Any] | None:
        config = {
            "blocksize": self.blocksize,
            "clevel": self.clevel,
            "cname": self.cname,
            "shuffle": self.shuffle,
            "typesize": self.typesize,
        }
        return {k: v for k, v in config.items() if v is not None} or None

    def resolve(self, state: ChainState) -> tuple[BytesToBytesCodec, ChainState]:
        item = state.item_bytes
        shuffle = self.shuffle
        if shuffle is None:
            shuffle = "noshuffle" if item is None else ("bitshuffle" if item == 1 else "shuffle")
        typesize = self.typesize if self.typesize is not None else item
        if shuffle == "noshuffle":
            typesize = None
        resolved = BloscCodec(
            cname=self.cname or "lz4",
            clevel=5 if self.clevel is None else self.clevel,
            shuffle=shuffle,
            typesize=typesize,
            blocksize=self.blocksize or 0,
        )
        return self._resolved(resolved, state)

    @property
    def _impl(self) -> _compress.BloscCompressor:
        return _compress.BloscCompressor(
            self.cname or "lz4",
            5 if self.clevel is None else self.clevel,
            _compress.blosc_shuffle_code(self.shuffle or "noshuffle"),
            self.blocksize or 0,
            self.typesize or 1,
        )


@V3_CODECS.register("crc32c")
@dataclass(frozen=True)
class Crc32cCodec(BytesToBytesCodec):
    """Appends the little-endian CRC-32C of the data; decoding verifies and strips it."""

    name: ClassVar[str] = "crc32c"
    fixed_overhead: ClassVar[int | None] = 4

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> Crc32cCodec:
        return cls()

    def encode(self, data: bytes) -> bytes:
        return data + _crc32c.crc32c(data).to_bytes(4, "little")

    def decode(self, data: bytes, key: str | None) -> bytes:
        if len(data) < 4:
            raise codec_error(
                "crc32c",
                key,
                f"Not enough data: expected at least 4 or {4 - len(data)} more; at byte {len(data)}",
            )
        body = memoryview(data)[:-4]
        stored = int.from_bytes(data[-4:], "little")
        computed = _crc32c.crc32c(body)
        if stored != computed:
            raise codec_error(
                "crc32c",
                key,
                f"Digest mismatch, stored digest is 0x{stored:08x} but computed digest is 0x{computed:08x}",
                code="DATA_LOSS",
            )
        return bytes(body)


json_dumps = json.dumps
