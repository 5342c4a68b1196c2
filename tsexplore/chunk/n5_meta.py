"""n5 dataset metadata (``attributes.json``): parse and validate, print, and the chunk format it implies.

n5 lists ``dimensions``/``blockSize`` in the same order as the tensorstore domain, but a chunk's
elements are stored in Fortran (column-major) order, big-endian, after a header giving the
chunk's shape.  Chunk keys are the grid cell indices joined with ``/``.  tensorstore writes every
chunk at the full ``blockSize`` but reads chunks stored truncated (other n5 writers truncate edge
chunks); ``varlength`` (mode 1) chunks are rejected, as in tensorstore.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import status
from ..codec import _compress
from ..codec.n5 import n5_compressor, normalize_n5_compression
from ..jsonb import ObjectReader, expect_number, expect_object, expect_string, parse_elements
from .format import Array, ChunkFormat

__all__ = [
    "N5_DATA_TYPES",
    "N5Format",
    "N5Metadata",
    "check_n5_dtype",
    "parse_n5_constraints",
    "parse_n5_metadata",
]

N5_DATA_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64")
_MAX_INDEX = 2**63 - 2
#: the members tensorstore interprets; everything else is an extra attribute kept as is
KNOWN_MEMBERS = ("dimensions", "blockSize", "dataType", "compression", "axes", "units", "resolution")


def check_n5_dtype(name: str) -> np.dtype[Any]:
    """The numpy dtype of an n5 ``dataType`` / tensorstore dtype name, with tensorstore's errors."""
    if name not in N5_DATA_TYPES:
        raise status.invalid_argument(
            f"{name} data type is not one of the supported data types: {', '.join(N5_DATA_TYPES)}"
        )
    return np.dtype(name)


def _data_type(value: Any) -> np.dtype[Any]:
    from ..dtype import dtype as ts_dtype

    name = expect_string(value)
    try:
        ts_dtype(name)
    except (status.StatusError, TypeError, ValueError):
        raise status.invalid_argument(f"Unsupported data type: {json.dumps(name)}") from None
    return check_n5_dtype(name)


class _Rank:
    """The rank fixed by the first dimension-indexed member (later ones must agree)."""

    def __init__(self) -> None:
        self.value: int | None = None

    def array(self, value: Any, parse: Any) -> list[Any]:
        if not isinstance(value, list):
            raise status.invalid_argument(f"Expected array, but received: {json.dumps(value)}")
        if self.value is not None and len(value) != self.value:
            raise status.invalid_argument(f"Array has length {len(value)} but should have length {self.value}")
        out = parse_elements(value, parse)
        self.value = len(value)
        return out


def _int_in(lo: int) -> Any:
    from ..codec._json import bounded_int

    return bounded_int(lo, _MAX_INDEX)


def _labels(value: list[str]) -> list[str]:
    seen: set[str] = set()
    dup = [x for x in value if x and (x in seen or seen.add(x))]  # type: ignore[func-returns-value]
    if dup:
        raise status.invalid_argument(f"Dimension label(s) {', '.join(json.dumps(d) for d in dup)} not unique")
    return value


def _read_members(value: Any, required: bool) -> dict[str, Any]:
    """The interpreted members (normalised) plus ``extra``; missing ones are absent unless ``required``."""
    reader = ObjectReader(value)
    rank = _Rank()
    out: dict[str, Any] = {}

    def member(name: str, parse: Any, kind: str) -> None:
        if not reader.has(name):
            reader.ignore(name)
            if required:
                raise status.invalid_argument(
                    f"Error parsing object member {json.dumps(name)}: Expected {kind}, but member is missing"
                )
            return
        out[name] = reader.get(name, parse)

    member("dimensions", lambda v: rank.array(v, _int_in(0)), "array")
    member("blockSize", lambda v: rank.array(v, _int_in(1)), "array")
    member("dataType", _data_type, "string")
    member("compression", normalize_n5_compression, "object")
    for name, parse in (
        ("axes", lambda v: _labels(rank.array(v, expect_string))),
        ("units", lambda v: rank.array(v, expect_string)),
        ("resolution", lambda v: rank.array(v, expect_number)),
    ):
        if reader.has(name):
            out[name] = reader.get(name, parse)
    out["extra"] = reader.rest()
    out["rank"] = rank.value
    return out


@dataclass(frozen=True)
class N5Metadata:
    """A validated ``attributes.json`` of an n5 dataset."""

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype[Any]
    compression: dict[str, Any]
    axes: tuple[str, ...] | None = None
    units: tuple[str, ...] | None = None
    resolution: tuple[float, ...] | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def rank(self) -> int:
        return len(self.shape)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            dimensions=list(self.shape),
            blockSize=list(self.chunks),
            dataType=self.dtype.name,
            compression=dict(self.compression),
        )
        if self.axes is not None:
            out["axes"] = list(self.axes)
        if self.units is not None:
            out["units"] = list(self.units)
        if self.resolution is not None:
            out["resolution"] = [float(x) for x in self.resolution]
        return dict(sorted(out.items()))

    def with_shape(self, shape: tuple[int, ...]) -> N5Metadata:
        return dataclasses.replace(self, shape=tuple(shape))


def _tuple(value: Any) -> Any:
    return None if value is None else tuple(value)


def validate_chunk_size(chunks: tuple[int, ...], dtype: np.dtype[Any]) -> None:
    """n5 chunks are limited to 2 GiB (tensorstore applies it to the decoded size)."""
    if math.prod(chunks) > (1 << 31) // dtype.itemsize:
        raise status.invalid_argument(
            f'"blockSize" of {{{", ".join(map(str, chunks))}}} with data type of {dtype.name} '
            "exceeds maximum chunk size of 2GB"
        )


def parse_n5_metadata(value: Any) -> N5Metadata:
    """Stored ``attributes.json`` -> metadata (errors name the member, as tensorstore's)."""
    m = _read_members(value, required=True)
    meta = N5Metadata(
        tuple(m["dimensions"]),
        tuple(m["blockSize"]),
        m["dataType"],
        m["compression"],
        _tuple(m.get("axes")),
        _tuple(m.get("units")),
        _tuple(m.get("resolution")),
        m["extra"],
    )
    validate_chunk_size(meta.chunks, meta.dtype)
    return meta


def parse_n5_constraints(value: Any) -> dict[str, Any]:
    """A spec's ``metadata`` member: the members given, normalised, plus ``rank`` (or ``None``)."""
    expect_object(value)
    return _read_members(value, required=False)


class N5Format(ChunkFormat):
    """Chunk hooks of an n5 dataset: ``a/b/c`` keys, header + big-endian Fortran-order payload."""

    def __init__(self, meta: N5Metadata) -> None:
        self.meta = meta
        self.dtype = meta.dtype.newbyteorder("=")
        self.chunk_shape = tuple(meta.chunks)
        self.fill_value = np.zeros((), dtype=self.dtype)
        self._stored = meta.dtype.newbyteorder(">")
        self._rank = meta.rank
        self._compressor: _compress.Compressor | None = n5_compressor(meta.compression, meta.dtype.itemsize)
        head = np.array([0, self._rank], dtype=">u2").tobytes()
        self._header = head + np.asarray(self.chunk_shape, dtype=">u4").tobytes()

    def key(self, cell: tuple[int, ...]) -> str:
        return "/".join(map(str, cell)) if cell else "0"

    def _header_shape(self, data: bytes) -> tuple[tuple[int, ...], int]:
        """``(stored chunk shape, payload offset)`` from a chunk's header."""
        size = 4 + 4 * self._rank
        if len(data) < size:
            raise status.failed_precondition(f"Expected header of length {size}, but chunk has size {len(data)}")
        mode, ndim = (int(x) for x in np.frombuffer(data, dtype=">u2", count=2))
        if mode == 1:
            raise status.failed_precondition("varlength chunks not supported")
        if mode != 0:
            raise status.failed_precondition(f"Unexpected N5 chunk mode: {mode}")
        if ndim != self._rank:
            raise status.failed_precondition(f"Received chunk with {ndim} dimensions but expected {self._rank}")
        shape = tuple(int(x) for x in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
        if any(s > c for s, c in zip(shape, self.chunk_shape)):
            raise status.failed_precondition(
                f"Received chunk of size {{{', '.join(map(str, shape))}}} which exceeds blockSize of "
                f"{{{', '.join(map(str, self.chunk_shape))}}}"
            )
        return shape, size

    def decode(self, data: bytes, cell: tuple[int, ...], key: str, out: Array | None = None) -> Array:
        shape, offset = self._header_shape(data)
        nbytes = math.prod(shape) * self.dtype.itemsize
        payload = memoryview(data)[offset:]
        if self._compressor is None:
            raw: bytes | memoryview = payload
        else:
            raw = self._compressor.decode(bytes(payload), key)
        if len(raw) != nbytes:
            detail = _compress.size_detail(nbytes, len(raw))
            raise status.failed_precondition(detail)
        stored = np.frombuffer(raw, dtype=self._stored).reshape(shape, order="F")
        if out is None or out.shape != self.chunk_shape or out.dtype != self.dtype:
            out = np.empty(self.chunk_shape, dtype=self.dtype, order="F")
        if shape != self.chunk_shape:
            out[...] = 0
        out[tuple(slice(0, s) for s in shape)] = stored
        return out

    def encode(self, chunk: Array, cell: tuple[int, ...]) -> bytes:
        # tensorstore always writes chunks at full size (safe under a concurrent resize)
        payload = np.asarray(chunk, dtype=self._stored).reshape(-1, order="F")
        body = payload.tobytes() if self._compressor is None else self._compressor.encode(payload)
        return self._header + body
