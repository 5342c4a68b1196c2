"""zarr v3 codec chains against real tensorstore and zarr-python: JSON, both directions, errors."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import ml_dtypes
import numpy as np
import pytest

from tests.codec.conftest import read_json, sample, ts_create, ts_error
from tsexplore import status
from tsexplore.codec import ChunkDecodeError, CodecChainSpec, CodecPipeline

SHAPE = [8, 6]
CHUNK = [4, 6]


def _create(
    tmp_path: pathlib.Path,
    codecs: Any,
    dtype: str = "uint16",
    shape: list[int] = SHAPE,
    chunk: list[int] = CHUNK,
    **kw: Any,
) -> Any:
    meta = {"codecs": codecs, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}}}
    return ts_create("zarr3", tmp_path, meta, dtype=dtype, shape=shape, **kw)


NORMALISE: list[tuple[Any, str]] = [
    ([], "uint16"),
    ([{"name": "gzip"}], "uint16"),
    ([{"name": "blosc"}], "uint16"),
    ([{"name": "blosc"}], "uint8"),
    ([{"name": "blosc"}], "complex128"),
    ([{"name": "blosc", "configuration": {"shuffle": "noshuffle", "typesize": 4}}], "float32"),
    ([{"name": "blosc", "configuration": {"shuffle": "shuffle"}}], "uint8"),
    (
        [{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 9, "blocksize": 64, "typesize": 4}}],
        "uint16",
    ),
    ([{"name": "gzip"}, {"name": "blosc"}], "float32"),
    ([{"name": "zstd"}], "int64"),
    ([{"name": "zstd", "configuration": {"level": -5, "checksum": True}}], "int64"),
    ([{"name": "crc32c"}], "int32"),
    ([{"name": "crc32c", "configuration": {}}, {"name": "crc32c"}], "int32"),
    (["bytes"], "float64"),
    ([{"name": "bytes"}], "uint8"),
    ([{"name": "bytes", "configuration": {"endian": "big"}}], "uint8"),
    ([{"name": "bytes", "configuration": {"endian": "big"}}], "float32"),
    ([{"name": "bytes"}], "bfloat16"),
    ([{"name": "bytes"}], "bool"),
    ([{"name": "transpose", "configuration": {"order": [1, 0]}}], "int16"),
    ([{"name": "transpose", "configuration": {"order": "F"}}], "int16"),
    ([{"name": "transpose", "configuration": {"order": "C"}}], "int16"),
    ([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 3]}}], "uint16"),
    ([{"name": "sharding_indexed"}], "uint8"),
    (
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2], "index_location": "start"}}],
        "uint16",
    ),
    (
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2], "index_location": "end"}}],
        "uint16",
    ),
    (
        [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [2, 3],
                    "codecs": [{"name": "blosc"}],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}],
                },
            }
        ],
        "float32",
    ),
    (
        [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [2, 6],
                    "codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [1, 3]}}],
                },
            }
        ],
        "int32",
    ),
    (
        [
            {"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "sharding_indexed", "configuration": {"chunk_shape": [3, 2]}},
        ],
        "uint16",
    ),
]


@pytest.mark.parametrize(("codecs", "dtype"), NORMALISE, ids=json.dumps)
def test_codecs_json_matches_tensorstore(tmp_path: pathlib.Path, codecs: Any, dtype: str) -> None:
    store = _create(tmp_path, codecs, dtype)
    written = read_json(tmp_path / "zarr.json")["codecs"]
    np_dtype = np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    pipeline = CodecChainSpec.from_json(codecs).resolve(np_dtype, CHUNK)
    assert pipeline.to_json() == written
    assert pipeline.to_json(include_defaults=True) == store.spec().to_json()["metadata"]["codecs"]
    # the written JSON read back strictly resolves to itself
    assert CodecPipeline.from_json(written, np_dtype, CHUNK, strict=True).to_json() == written


BAD_PARSE: list[Any] = [
    [{"name": "bogus"}],
    [{"name": "gzip", "configuration": {"level": 10}}],
    [{"name": "gzip", "configuration": {"level": "x"}}],
    [{"name": "gzip", "configuration": {"bogus": 10}}],
    [{"name": "gzip", "configuration": None}],
    [{"name": "gzip", "bogus": 1}],
    [{"bogus": 1}],
    [{"name": "bytes"}, {"name": "bytes"}],
    [{"name": "gzip"}, {"name": "bytes"}],
    [{"name": "bytes"}, {"name": "transpose", "configuration": {"order": [1, 0]}}],
    [{"name": "transpose", "configuration": {"order": [1, 1]}}],
    [{"name": "bytes", "configuration": {"endian": "middle"}}],
    [{"name": "blosc", "configuration": {"cname": "x"}}],
    [{"name": "blosc", "configuration": {"shuffle": 1}}],
    [{"name": "blosc", "configuration": {"typesize": 0}}],
    [{"name": "blosc", "configuration": {"blocksize": -1}}],
    [{"name": "zstd", "configuration": {"level": 30}}],
    [{"name": "zstd", "configuration": {"checksum": 1}}],
    [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2], "index_location": "middle"}}],
    [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2], "codecs": [{"name": "nope"}]}}],
    {"name": "bytes"},
]


@pytest.mark.parametrize("codecs", BAD_PARSE, ids=json.dumps)
def test_codec_parse_errors_match_tensorstore(tmp_path: pathlib.Path, codecs: Any) -> None:
    expected = ts_error(lambda: _create(tmp_path, codecs))
    prefix = 'Error parsing object member "metadata": Error parsing object member "codecs": '
    assert expected.startswith(prefix)
    with pytest.raises(status.StatusError) as info:
        CodecChainSpec.from_json(codecs)
    assert str(info.value) == expected[len(prefix) :]


BAD_RESOLVE: list[Any] = [
    [{"name": "transpose", "configuration": {"order": [0]}}],
    [{"name": "sharding_indexed", "configuration": {"chunk_shape": [3, 4]}}],
    [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2]}}],
    [
        {
            "name": "sharding_indexed",
            "configuration": {"chunk_shape": [2, 3], "index_codecs": [{"name": "bytes"}, {"name": "gzip"}]},
        }
    ],
    [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 3]}}, {"name": "gzip"}],
]


@pytest.mark.parametrize("codecs", BAD_RESOLVE, ids=json.dumps)
def test_codec_resolve_errors_match_tensorstore(tmp_path: pathlib.Path, codecs: Any) -> None:
    expected = ts_error(lambda: _create(tmp_path, codecs))
    spec = CodecChainSpec.from_json(codecs)
    with pytest.raises(status.StatusError) as info:
        spec.resolve(np.uint16, CHUNK)
    assert expected.endswith(str(info.value)), (expected, str(info.value))


def test_strict_resolve_requires_endian(tmp_path: pathlib.Path) -> None:
    with pytest.raises(status.StatusError) as info:
        CodecPipeline.from_json([{"name": "bytes"}], np.float32, [4], strict=True)
    assert str(info.value).endswith(
        '"bytes" codec requires that "endian" option is specified for data type float32'
    )


ROUND_TRIP: list[tuple[Any, str]] = [
    ([{"name": "bytes", "configuration": {"endian": "little"}}], "float32"),
    ([{"name": "bytes", "configuration": {"endian": "big"}}], "float64"),
    ([{"name": "bytes", "configuration": {"endian": "big"}}], "uint16"),
    (
        [
            {"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "bytes", "configuration": {"endian": "big"}},
        ],
        "int32",
    ),
    ([{"name": "transpose", "configuration": {"order": "F"}}, {"name": "gzip"}], "complex64"),
    ([{"name": "gzip", "configuration": {"level": 1}}], "int16"),
    ([{"name": "zstd", "configuration": {"level": 7, "checksum": True}}], "uint32"),
    ([{"name": "zstd"}], "int64"),
    ([{"name": "blosc"}], "float32"),
    ([{"name": "blosc", "configuration": {"cname": "zstd", "shuffle": "bitshuffle"}}], "uint16"),
    ([{"name": "blosc", "configuration": {"cname": "lz4hc", "shuffle": "noshuffle"}}], "uint8"),
    ([{"name": "blosc", "configuration": {"cname": "blosclz", "clevel": 1, "blocksize": 16}}], "int16"),
    ([{"name": "blosc", "configuration": {"cname": "zlib", "typesize": 2}}], "float64"),
    ([{"name": "crc32c"}], "bool"),
    ([{"name": "gzip"}, {"name": "crc32c"}], "bfloat16"),
    ([{"name": "blosc"}, {"name": "crc32c"}], "complex128"),
    ([{"name": "zstd"}, {"name": "gzip"}], "float16"),
]


def _np_dtype(dtype: str) -> np.dtype[Any]:
    return np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)


def _data(dtype: str, shape: list[int], seed: int = 0) -> np.ndarray[Any, Any]:
    dt = _np_dtype(dtype)
    return sample(dt if dtype != "bfloat16" else "f4", tuple(shape), seed).astype(dt)


@pytest.mark.parametrize(("codecs", "dtype"), ROUND_TRIP, ids=json.dumps)
def test_chunks_both_directions(tmp_path: pathlib.Path, codecs: Any, dtype: str) -> None:
    data = _data(dtype, SHAPE)
    store = _create(tmp_path, codecs, dtype)
    store[...] = data
    meta = read_json(tmp_path / "zarr.json")
    pipe = CodecPipeline.from_json(meta["codecs"], _np_dtype(dtype), CHUNK, strict=True)
    for i in range(2):
        raw = (tmp_path / "c" / str(i) / "0").read_bytes()
        part = data[4 * i : 4 * i + 4]
        np.testing.assert_array_equal(pipe.decode(raw, key=f"c/{i}/0"), part)
        out = np.empty(CHUNK, _np_dtype(dtype))
        assert pipe.decode(raw, out=out) is out
        np.testing.assert_array_equal(out, part)
        strided = np.zeros((8, 12), _np_dtype(dtype))
        pipe.decode(raw, out=strided[::2, ::2])
        np.testing.assert_array_equal(strided[::2, ::2], part)
    other = _data(dtype, SHAPE, seed=1)
    for i in range(2):
        (tmp_path / "c" / str(i) / "0").write_bytes(pipe.encode(other[4 * i : 4 * i + 4]))
    np.testing.assert_array_equal(store.read().result(), other)


@pytest.mark.parametrize(
    ("codecs", "dtype"), [r for r in ROUND_TRIP if r[1] not in ("bfloat16",)], ids=json.dumps
)
def test_zarr_python_reads_our_chunks(tmp_path: pathlib.Path, codecs: Any, dtype: str) -> None:
    zarr = pytest.importorskip("zarr")
    _create(tmp_path, codecs, dtype)
    meta = read_json(tmp_path / "zarr.json")
    pipe = CodecPipeline.from_json(meta["codecs"], _np_dtype(dtype), CHUNK, strict=True)
    data = _data(dtype, SHAPE, seed=2)
    for i in range(2):
        (tmp_path / "c" / str(i)).mkdir(parents=True, exist_ok=True)
        (tmp_path / "c" / str(i) / "0").write_bytes(pipe.encode(data[4 * i : 4 * i + 4]))
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path), mode="r")[...], data)


def test_zarr_python_writes_we_read(tmp_path: pathlib.Path) -> None:
    zarr = pytest.importorskip("zarr")
    from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, TransposeCodec, ZstdCodec

    data = _data("float32", SHAPE, seed=3)
    arr = zarr.create_array(
        str(tmp_path),
        shape=SHAPE,
        chunks=CHUNK,
        dtype="float32",
        filters=[TransposeCodec(order=(1, 0))],
        serializer=BytesCodec(endian="big"),
        compressors=[ZstdCodec(level=2), BloscCodec(cname="lz4"), Crc32cCodec()],
    )
    arr[...] = data
    meta = read_json(tmp_path / "zarr.json")
    pipe = CodecPipeline.from_json(meta["codecs"], np.float32, CHUNK, strict=True)
    got = np.concatenate([pipe.decode((tmp_path / "c" / str(i) / "0").read_bytes()) for i in range(2)])
    np.testing.assert_array_equal(got, data)


def test_corrupt_chunks_give_tensorstore_details(tmp_path: pathlib.Path) -> None:
    codecs = [{"name": "bytes"}, {"name": "crc32c"}]
    store = _create(tmp_path, codecs, shape=[4, 4], chunk=[4, 4])
    store[...] = np.arange(16, dtype="uint16").reshape(4, 4)
    path = tmp_path / "c" / "0" / "0"
    good = path.read_bytes()
    bad = good[:-3] + bytes([good[-3] ^ 0xFF]) + good[-2:]
    path.write_bytes(bad)
    expected = ts_error(lambda: store.read().result())
    pipe = CodecPipeline.from_json(read_json(tmp_path / "zarr.json")["codecs"], np.uint16, [4, 4])
    with pytest.raises(ChunkDecodeError) as info:
        pipe.decode(bad, key="c/0/0")
    assert info.value.code == "DATA_LOSS" and info.value.codec == "crc32c"
    assert expected.endswith(info.value.detail)
    assert '"c/0/0"' in str(info.value)
    # truncated raw chunk
    plain = CodecPipeline.from_json([{"name": "bytes"}], np.uint16, [4, 4])
    with pytest.raises(ChunkDecodeError) as info:
        plain.decode(good[:16], key="c/0/0")
    assert info.value.detail == "Not enough data: expected at least 32 or 16 more; at byte 16"
    with pytest.raises(ChunkDecodeError):
        plain.decode(good[:32] + b"x", key="k")
    for comp in ({"name": "gzip"}, {"name": "zstd"}, {"name": "blosc"}):
        p = CodecPipeline.from_json([comp], np.uint16, [4, 4])
        enc = p.encode(np.arange(16, dtype="uint16").reshape(4, 4))
        with pytest.raises(ChunkDecodeError) as info:
            p.decode(enc[: len(enc) // 2], key="c/1/1")
        assert info.value.codec == comp["name"] and '"c/1/1"' in str(info.value)
        small = CodecPipeline.from_json([comp], np.uint16, [2, 4]).encode(np.zeros((2, 4), "uint16"))
        with pytest.raises(ChunkDecodeError):
            p.decode(small, key="c/1/1")
        with pytest.raises(ChunkDecodeError):
            p.decode(small, key="c/1/1", out=np.empty((4, 4), "uint16"))
