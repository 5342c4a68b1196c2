"""Codec pipelines: zarr v2 compressors and zarr v3 codecs (incl. crc32c and sharding) over numcodecs.

Pure functions between numpy arrays and bytes: no I/O.  Importing this package registers every
codec in :mod:`tsexplore.codec.registry`.
"""

from __future__ import annotations

from ._json import ChunkDecodeError
from .dtypes import (
    V3_DATA_TYPES,
    V2DType,
    parse_v2_dtype,
    parse_v3_data_type,
    v2_dtype_json,
    v3_data_type_name,
)
from .fill_value import decode_v2_fill_value, decode_v3_fill_value, encode_v2_fill_value, encode_v3_fill_value
from .registry import V2_COMPRESSORS, V3_CODECS, Registry
from .v2 import V2ChunkCodec, V2Compressor, normalize_v2_compressor, parse_v2_compressor, parse_v2_filters

__all__ = [
    "V2_COMPRESSORS",
    "V3_CODECS",
    "V3_DATA_TYPES",
    "ChunkDecodeError",
    "Registry",
    "V2ChunkCodec",
    "V2Compressor",
    "V2DType",
    "decode_v2_fill_value",
    "decode_v3_fill_value",
    "encode_v2_fill_value",
    "encode_v3_fill_value",
    "normalize_v2_compressor",
    "parse_v2_compressor",
    "parse_v2_dtype",
    "parse_v2_filters",
    "parse_v3_data_type",
    "v2_dtype_json",
    "v3_data_type_name",
]

from . import v3_codecs as _v3_codecs  # registers the v3 codecs
from .pipeline import CodecChainSpec, CodecPipeline, parse_codec
from .sharding import MISSING, ShardIndex, ShardingCodec
from .v3_codecs import BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, TransposeCodec, ZstdCodec

__all__ += [
    "MISSING",
    "BloscCodec",
    "BytesCodec",
    "CodecChainSpec",
    "CodecPipeline",
    "Crc32cCodec",
    "GzipCodec",
    "ShardIndex",
    "ShardingCodec",
    "TransposeCodec",
    "ZstdCodec",
    "parse_codec",
]
del _v3_codecs
