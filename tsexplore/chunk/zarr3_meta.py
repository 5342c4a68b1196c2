"""zarr v3 array metadata (``zarr.json``): parse and validate, print, and the chunk format it implies.

Parsing errors carry tensorstore's texts (``Error parsing object member "shape": ...``); members
are validated when the metadata is built, so invalid metadata never exists in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import status
from ..codec import CodecChainSpec, CodecPipeline, decode_v3_fill_value, encode_v3_fill_value
from ..codec.dtypes import V3_DATA_TYPES, v3_data_type_name
from ..jsonb import ObjectReader, dump_compact, expect_object, expect_string, member_error
from .format import Array, ChunkFormat, ShardAccess

__all__ = ["Zarr3Format", "Zarr3Metadata", "parse_data_type", "parse_zarr3_metadata"]

_SUPPORTED = (
    "bool, int2, int4, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float8_e3m4, "
    "float8_e4m3fn, float8_e4m3fnuz, float8_e4m3b11fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu, "
    "float4_e2m1fn, float16, bfloat16, float32, float64, complex64, complex128, r<N>"
)
_KNOWN = {
    "zarr_format",
    "node_type",
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
    "attributes",
    "dimension_names",
    "storage_transformers",
}


def parse_data_type(value: Any) -> np.dtype[Any]:
    name = expect_string(value)
    dt = V3_DATA_TYPES.get(name)
    if dt is None:
        raise status.invalid_argument(f"{name} data type is not one of the supported data types: {_SUPPORTED}")
    return dt


def _length(values: Any, rank: int | None) -> list[Any]:
    if not isinstance(values, list):
        raise status.invalid_argument(f"Expected array, but received: {dump_compact(values)}")
    if rank is not None and len(values) != rank:
        raise status.invalid_argument(f"Array has length {len(values)} but should have length {rank}")
    return values


def _int_array(values: Any, rank: int | None, lo: int) -> list[int]:
    out = []
    for i, v in enumerate(_length(values, rank)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or v > 2**62:
            raise status.invalid_argument(
                f"Error parsing value at position {i}: Expected integer in the range [{lo}, "
                f"{2**62}], but received: {dump_compact(v)}"
            )
        out.append(int(v))
    return out


def _exact(expected: Any) -> Any:
    def parse(value: Any) -> Any:
        if value != expected or type(value) is not type(expected):
            if isinstance(expected, int):
                raise status.invalid_argument(
                    f"Expected integer in the range [{expected}, {expected}], but received: {dump_compact(value)}"
                )
            raise status.invalid_argument(f"Expected {json.dumps(expected)}, but received: {dump_compact(value)}")
        return value

    return parse


def require(reader: ObjectReader, members: dict[str, str]) -> None:
    """tensorstore's text for a missing required member (``Expected array, but member is missing``)."""
    for name, kind in members.items():
        if not reader.has(name):
            raise status.invalid_argument(
                f'Error parsing object member "{name}": Expected {kind}, but member is missing'
            )


@dataclass(frozen=True)
class ChunkKeyEncoding:
    name: str = "default"
    separator: str = "/"

    def key(self, cell: tuple[int, ...]) -> str:
        if self.name == "default":
            return self.separator.join(["c", *map(str, cell)])
        return self.separator.join(map(str, cell)) if cell else "0"

    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        default = "/" if self.name == "default" else "."
        if self.separator != default or include_defaults:
            return {"configuration": {"separator": self.separator}, "name": self.name}
        return {"name": self.name}

    @classmethod
    def from_json(cls, value: Any) -> ChunkKeyEncoding:
        reader = ObjectReader(value)
        if not reader.has("name"):
            raise status.invalid_argument('Error parsing object member "name": Expected string, but member is missing')

        def name_of(v: Any) -> str:
            if v not in ("default", "v2"):
                raise status.invalid_argument(f'Expected one of "default", "v2", but received: {dump_compact(v)}')
            return str(v)

        name = reader.get("name", name_of)
        default = "/" if name == "default" else "."

        def config(v: Any) -> str:
            r = ObjectReader(v)

            def sep(s: Any) -> str:
                if s not in ("/", "."):
                    raise status.invalid_argument(f'Expected one of "/", ".", but received: {dump_compact(s)}')
                return str(s)

            out = r.get("separator", sep, default)
            r.finish()
            return out

        separator = reader.get("configuration", config, default)
        reader.finish()
        return cls(name, separator)


@dataclass(frozen=True)
class Zarr3Metadata:
    """A validated ``zarr.json`` of an array."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunk_shape: tuple[int, ...]
    fill_value: Array
    codecs: CodecPipeline
    chunk_key_encoding: ChunkKeyEncoding = ChunkKeyEncoding()
    attributes: dict[str, Any] | None = None
    dimension_names: tuple[str | None, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown members with must_understand false

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def data_type(self) -> str:
        return v3_data_type_name(self.dtype)

    def to_json(self, include_defaults: bool = False, spec: bool = False) -> dict[str, Any]:
        """Members as tensorstore writes them (sorted; ``include_defaults`` as ``spec()`` shows).

        ``spec``: as ``spec().to_json()`` prints them (codec defaults such as ``index_location``).
        """
        out: dict[str, Any] = {}
        if self.attributes is not None:
            out["attributes"] = self.attributes
        out["chunk_grid"] = {"configuration": {"chunk_shape": list(self.chunk_shape)}, "name": "regular"}
        out["chunk_key_encoding"] = self.chunk_key_encoding.to_json(include_defaults)
        out["codecs"] = self.codecs.to_json(include_defaults or spec)
        out["data_type"] = self.data_type
        if self.dimension_names is not None:
            out["dimension_names"] = list(self.dimension_names)
        out["fill_value"] = encode_v3_fill_value(self.fill_value, self.dtype)
        out["node_type"] = "array"
        out["shape"] = list(self.shape)
        out.update(self.extra)
        out["zarr_format"] = 3
        return dict(sorted(out.items()))

    def with_shape(self, shape: tuple[int, ...]) -> Zarr3Metadata:
        import dataclasses

        return dataclasses.replace(self, shape=tuple(shape))


def parse_zarr3_metadata(value: Any) -> Zarr3Metadata:
    """Validate a ``zarr.json`` object (as read from storage: codec options not defaulted)."""
    reader = ObjectReader(value)
    require(reader, {"shape": "array", "data_type": "string"})
    reader.get("zarr_format", _exact(3))
    reader.get("node_type", _exact("array"))
    shape = tuple(reader.get("shape", lambda v: _int_array(v, None, 0)))
    rank = len(shape)
    dtype = reader.get("data_type", parse_data_type)

    def grid(v: Any) -> tuple[int, ...]:
        r = ObjectReader(v)
        r.get("name", _exact("regular"))

        def conf(c: Any) -> tuple[int, ...]:
            cr = ObjectReader(c)
            cs = tuple(cr.get("chunk_shape", lambda x: _int_array(x, rank, 1)))
            cr.finish()
            return cs

        cs = r.get("configuration", conf)
        r.finish()
        return cs

    chunk_shape = reader.get("chunk_grid", grid)
    cke = reader.get("chunk_key_encoding", ChunkKeyEncoding.from_json)
    fill = reader.get("fill_value", lambda v: decode_v3_fill_value(v, dtype))
    chain = reader.get("codecs", CodecChainSpec.from_json)
    try:
        codecs = chain.resolve(dtype, chunk_shape, strict=True)
    except status.StatusError as e:
        raise member_error("codecs", e) from None
    attributes = reader.get("attributes", expect_object, None)

    def names(v: Any) -> tuple[str | None, ...]:
        out = []
        for i, n in enumerate(_length(v, rank)):
            if n is not None and not isinstance(n, str):
                raise status.invalid_argument(
                    f"Error parsing value at position {i}: Expected string, but received: {dump_compact(n)}"
                )
            out.append(n)
        return tuple(out)

    dimension_names = reader.get("dimension_names", names, None)

    def transformers(v: Any) -> None:
        if _length(v, None):
            raise status.invalid_argument("No storage transformers supported")

    reader.get("storage_transformers", transformers, None)
    extra = {}
    for k, v in reader.rest().items():
        if not (isinstance(v, dict) and v.get("must_understand") is False):
            raise status.invalid_argument(
                f'Unsupported metadata field "{k}" is not marked {{"must_understand": false}}'
            )
        extra[k] = v
    return Zarr3Metadata(shape, dtype, chunk_shape, fill, codecs, cke, attributes, dimension_names, extra)


class _Shard(ShardAccess):
    def __init__(self, codec: Any) -> None:
        self.codec = codec
        self.inner_shape = tuple(codec.chunk_shape)

    def index_byte_range(self) -> tuple[int, int]:
        return self.codec.index_byte_range()  # type: ignore[no-any-return]

    def decode_index(self, data: bytes, key: str) -> Any:
        return self.codec.decode_index(data, key)

    def decode_inner(self, data: bytes, key: str, out: Array | None) -> Array:
        return self.codec.decode_inner_chunk(data, key, out)  # type: ignore[no-any-return]


class Zarr3Format(ChunkFormat):
    """Chunk hooks for a zarr v3 array."""

    def __init__(self, meta: Zarr3Metadata) -> None:
        self.meta = meta
        self.dtype = meta.dtype
        self.chunk_shape = meta.chunk_shape
        self.fill_value = np.asarray(meta.fill_value, dtype=meta.dtype).reshape(())
        self._pipe = meta.codecs
        sh = meta.codecs.sharding
        # sub-chunk reads only when the shard's cells are the array's cells (no transpose before)
        self._shard = _Shard(sh) if sh is not None and not meta.codecs.array_to_array else None
        # plain ``bytes`` in native order: a chunk is its stored bytes, viewed without a copy
        ab = meta.codecs.array_to_bytes
        raw = ab.raw_layout()
        self._view_raw = (
            raw is not None
            and raw.isnative
            and raw == meta.dtype
            and not meta.codecs.array_to_array
            and not meta.codecs.bytes_to_bytes
        )
        self._nbytes = int(np.prod(meta.chunk_shape)) * meta.dtype.itemsize
        # raw bytes then a compressor: hand it the chunk's memory (no ``tobytes`` copy first)
        bbs = meta.codecs.bytes_to_bytes
        self._compress_raw = (
            raw is not None
            and raw.isnative
            and raw == meta.dtype
            and not meta.codecs.array_to_array
            and bool(bbs)
            and hasattr(bbs[0], "_impl")
        )

    def key(self, cell: tuple[int, ...]) -> str:
        return self.meta.chunk_key_encoding.key(cell)

    def decode(self, data: bytes, cell: tuple[int, ...], key: str, out: Array | None = None) -> Array:
        if out is None and self._view_raw and type(data) is bytes and len(data) == self._nbytes:
            return np.frombuffer(data, self.dtype).reshape(self.chunk_shape)  # read-only view, no copy
        return self._pipe.decode(data, key, out, self.fill_value)

    def encode(self, chunk: Array, cell: tuple[int, ...]) -> bytes:
        if self._compress_raw and chunk.shape == self.chunk_shape:
            data: Any = np.ascontiguousarray(chunk, dtype=self.dtype).reshape(-1).view(np.uint8)
            for b in self._pipe.bytes_to_bytes:
                data = b.encode(data)
            return bytes(data)
        return self._pipe.encode(chunk, self.fill_value)

    @property
    def shard(self) -> ShardAccess | None:
        return self._shard
