"""n5 ``compression`` members (raw, gzip, bzip2, xz, blosc, zstd): parse, print, and the byte compressor.

The JSON texts (defaults, ranges, error messages) are tensorstore's; the byte work is done by
numcodecs / the standard library through :mod:`._compress`.
"""

from __future__ import annotations

import json
import lzma
from typing import Any

import numpy as np

from .. import status
from ..jsonb import ObjectReader, expect_bool, expect_string
from . import _compress
from ._json import bounded_int, codec_error, one_of_unquoted, required_string
from .v2 import BLOSC_CNAMES

__all__ = ["N5_COMPRESSION_TYPES", "XzCompressor", "n5_compressor", "normalize_n5_compression"]

N5_COMPRESSION_TYPES = ("raw", "gzip", "bzip2", "xz", "blosc", "zstd")

_MISSING_INT = "<discarded>"


def _required_int(reader: ObjectReader, name: str, lo: int, hi: int) -> int:
    """A required integer member; missing prints tensorstore's ``<discarded>`` range message."""
    if not reader.has(name):
        reader.ignore(name)
        raise status.invalid_argument(
            f"Error parsing object member {json.dumps(name)}: "
            f"Expected integer in the range [{lo}, {hi}], but received: {_MISSING_INT}"
        )
    return reader.get(name, bounded_int(lo, hi))


def _type_of(value: Any) -> str:
    name = expect_string(value)
    if name not in N5_COMPRESSION_TYPES:
        raise status.invalid_argument(f"{json.dumps(name)} is not registered")
    return name


def normalize_n5_compression(value: Any) -> dict[str, Any]:
    """The ``compression`` JSON tensorstore stores for ``value`` (defaults filled in, keys sorted).

    Errors are relative to the member (``Error parsing object member "level": ...``).
    """
    reader = ObjectReader(value)
    required_string(reader.obj, "type")
    kind = reader.get("type", _type_of)
    out: dict[str, Any] = {"type": kind}
    if kind == "gzip":
        out["level"] = reader.get("level", bounded_int(-1, 9), -1)
        out["useZlib"] = reader.get("useZlib", expect_bool, False)
    elif kind == "bzip2":
        out["blockSize"] = reader.get("blockSize", bounded_int(1, 9), 9)
    elif kind == "xz":
        out["preset"] = reader.get("preset", bounded_int(0, 9), 6)
    elif kind == "zstd":
        out["level"] = reader.get("level", bounded_int(-131072, 22), 0)
    elif kind == "blosc":
        required_string(reader.obj, "cname")
        out["cname"] = reader.get("cname", one_of_unquoted(BLOSC_CNAMES, comma=True))
        out["clevel"] = _required_int(reader, "clevel", 0, 9)
        out["shuffle"] = _required_int(reader, "shuffle", 0, 2)
        out["blocksize"] = reader.get("blocksize", bounded_int(0, 2**64 - 1), 0)
    reader.finish()
    return dict(sorted(out.items()))


class XzCompressor(_compress.Compressor):
    """xz (lzma2 in the .xz container, CRC64 check), as tensorstore's n5 ``xz`` writes."""

    name = "xz"

    def __init__(self, preset: int) -> None:
        self.preset = preset

    def encode(self, data: np.ndarray[Any, Any]) -> bytes:
        flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        return lzma.compress(flat.data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=self.preset)

    def decode(self, data: bytes, key: str | None) -> bytes:
        try:
            return lzma.decompress(data, format=lzma.FORMAT_XZ)
        except lzma.LZMAError as e:
            raise codec_error(self.name, key, f"Invalid or truncated Xz-compressed stream: {e}") from None


def n5_compressor(compression: dict[str, Any], itemsize: int) -> _compress.Compressor | None:
    """The byte compressor of normalised ``compression`` JSON (``None`` for ``raw``)."""
    kind = compression["type"]
    if kind == "raw":
        return None
    if kind == "gzip":
        level = compression["level"]
        return _compress.zlib(level) if compression["useZlib"] else _compress.gzip(level)
    if kind == "bzip2":
        return _compress.bz2(compression["blockSize"])
    if kind == "xz":
        return XzCompressor(compression["preset"])
    if kind == "zstd":
        return _compress.zstd(compression["level"])
    return _compress.BloscCompressor(
        compression["cname"], compression["clevel"], compression["shuffle"], compression["blocksize"], itemsize
    )
