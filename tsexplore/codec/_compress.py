"""Byte compressors over numcodecs, shared by the zarr v2 compressors and the v3 bytes->bytes codecs.

numcodecs releases the GIL and keeps no per-call state in the codec objects used here, so one
instance may be used from many worker threads.  Every failure becomes a :class:`ChunkDecodeError`
naming the codec and the chunk key.
"""

from __future__ import annotations

import zlib as _zlib
from typing import Any

import numcodecs
import numpy as np
from numcodecs import blosc as _blosc

from ._json import ChunkDecodeError, codec_error

__all__ = ["BloscCompressor", "Compressor", "StreamCompressor", "as_bytes_array"]

_BLOSC_AVAILABLE = frozenset(_blosc.list_compressors())


def as_bytes_array(out: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A flat uint8 view of a contiguous array (the memory a decoder writes into)."""
    return out.reshape(-1, order="A").view(np.uint8)


class Compressor:
    """A bytes -> bytes transform. ``name`` is what error messages call it."""

    name = ""

    def encode(self, data: np.ndarray[Any, Any]) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes, key: str | None) -> bytes:
        """Decode to however many bytes the stream holds."""
        raise NotImplementedError

    def decode_into(self, data: bytes, out: np.ndarray[Any, Any], key: str | None) -> None:
        """Decode into ``out`` (flat uint8); the stream must hold exactly ``out.size`` bytes."""
        copy_decoded(self.name, self.decode(data, key), out, key)


def copy_decoded(name: str, raw: bytes, out: np.ndarray[Any, Any], key: str | None) -> None:
    """Copy a decoded stream into flat uint8 ``out``, which it must fill exactly (else codec ``name`` fails)."""
    if len(raw) != out.size:
        raise codec_error(name, key, size_detail(out.size, len(raw)))
    out[...] = np.frombuffer(raw, dtype=np.uint8)


def size_detail(expected: int, actual: int) -> str:
    """tensorstore's riegeli-style message for a decoded size that is off."""
    if actual < expected:
        return f"Not enough data: expected at least {expected} or {expected - actual} more; at byte {actual}"
    return f"End of data expected; remaining length: {actual - expected}; at byte {expected}"


class StreamCompressor(Compressor):
    """gzip / zlib / bz2 / zstd: a numcodecs codec plus the stream name tensorstore prints."""

    def __init__(self, name: str, stream: str, codec: Any) -> None:
        self.name = name
        self.stream = stream
        self._codec = codec

    def encode(self, data: np.ndarray[Any, Any]) -> bytes:
        flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        if self.name == "gzip":
            # zlib's own gzip wrapper writes mtime 0 and OS 3: byte-identical to tensorstore's output
            return _zlib.compress(flat.data, self._codec.level, wbits=31)
        return bytes(self._codec.encode(flat))

    def decode(self, data: bytes, key: str | None) -> bytes:
        try:
            return bytes(self._codec.decode(data))
        except Exception as e:  # numcodecs raises RuntimeError / zlib.error / OSError / ValueError
            raise codec_error(self.name, key, f"Invalid or truncated {self.stream}-compressed stream: {e}") from None

    def decode_into(self, data: bytes, out: np.ndarray[Any, Any], key: str | None) -> None:
        if self.name != "zstd":
            super().decode_into(data, out, key)
            return
        # zstd decodes straight into the destination when the frame records its size
        if _zstd_content_size(data) != out.size:
            super().decode_into(data, out, key)
            return
        try:
            self._codec.decode(data, out=out)
        except Exception as e:
            detail = f"Invalid or truncated {self.stream}-compressed stream: {e}"
            raise codec_error(self.name, key, detail) from None


def _zstd_content_size(data: bytes) -> int:
    """Decompressed size from a single zstd frame header, or -1 when not recorded."""
    if len(data) < 6 or data[:4] != b"\x28\xb5\x2f\xfd":
        return -1
    fhd = data[4]
    fcs_flag, single, dict_flag = fhd >> 6, (fhd >> 5) & 1, fhd & 3
    pos = 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
    nbytes = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if nbytes == 0 or len(data) < pos + nbytes:
        return -1
    value = int.from_bytes(data[pos : pos + nbytes], "little")
    return value + 256 if nbytes == 2 else value


def gzip(level: int) -> StreamCompressor:
    return StreamCompressor("gzip", "Zlib", numcodecs.GZip(level=level))


def zlib(level: int) -> StreamCompressor:
    return StreamCompressor("zlib", "Zlib", numcodecs.Zlib(level=level))


def bz2(level: int) -> StreamCompressor:
    return StreamCompressor("bz2", "Bzip2", numcodecs.BZ2(level=level))


def zstd(level: int, checksum: bool = False) -> StreamCompressor:
    return StreamCompressor("zstd", "Zstd", numcodecs.Zstd(level=level, checksum=checksum))


_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


class BloscCompressor(Compressor):
    """Blosc; ``shuffle`` is numcodecs' integer (-1 auto, 0 none, 1 byte, 2 bit)."""

    name = "blosc"

    def __init__(self, cname: str, clevel: int, shuffle: int, blocksize: int, typesize: int | None) -> None:
        self.cname = cname
        self.clevel = clevel
        self.shuffle = shuffle
        self.blocksize = blocksize
        self.typesize = typesize

    def encode(self, data: np.ndarray[Any, Any]) -> bytes:
        if self.cname not in _BLOSC_AVAILABLE:
            raise codec_error(
                "blosc",
                None,
                f"Blosc compressor {self.cname!r} is not available in this numcodecs build",
                code="UNIMPLEMENTED",
            )
        flat = np.ascontiguousarray(data).reshape(-1)
        raw = flat.view(np.uint8)
        typesize = self.typesize if self.typesize is not None else flat.dtype.itemsize
        if typesize > 1 and raw.size % typesize == 0:
            buf: np.ndarray[Any, Any] = raw.view(f"V{typesize}")
        else:
            buf = raw
        return bytes(_blosc.compress(buf, self.cname.encode(), self.clevel, self.shuffle, self.blocksize))

    def _check_header(self, data: bytes, key: str | None) -> int:
        if len(data) < 16 or int.from_bytes(data[12:16], "little") != len(data):
            raise codec_error("blosc", key, "Invalid blosc-compressed data; at byte 0")
        return int.from_bytes(data[4:8], "little")

    def decode(self, data: bytes, key: str | None) -> bytes:
        self._check_header(data, key)
        try:
            return bytes(_blosc.decompress(data))
        except Exception:
            raise codec_error("blosc", key, "Invalid blosc-compressed data; at byte 0") from None

    def decode_into(self, data: bytes, out: np.ndarray[Any, Any], key: str | None) -> None:
        nbytes = self._check_header(data, key)
        if nbytes != out.size:
            raise codec_error("blosc", key, size_detail(out.size, nbytes))
        try:
            _blosc.decompress(data, out)
        except Exception:
            raise codec_error("blosc", key, "Invalid blosc-compressed data; at byte 0") from None


def blosc_shuffle_code(name: str) -> int:
    return _SHUFFLE[name]


__all__ += ["ChunkDecodeError", "blosc_shuffle_code", "bz2", "copy_decoded", "gzip", "size_detail", "zlib", "zstd"]
