"""zarr v2 chunk codec against real tensorstore and zarr-python: both directions, JSON and errors."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest

from tests.codec.conftest import read_json, sample, ts, ts_create, ts_error
from tsexplore import status
from tsexplore.codec import ChunkDecodeError, V2ChunkCodec, normalize_v2_compressor, parse_v2_compressor

COMPRESSORS: list[Any] = [
    None,
    {"id": "blosc"},
    {"id": "blosc", "cname": "zstd", "shuffle": 2, "clevel": 9},
    {"id": "blosc", "cname": "lz4hc", "shuffle": 0, "blocksize": 256},
    {"id": "blosc", "cname": "blosclz", "shuffle": 1},
    {"id": "blosc", "cname": "zlib"},
    {"id": "zlib", "level": 3},
    {"id": "gzip"},
    {"id": "bz2", "level": 9},
    {"id": "zstd", "level": 5},
    {"id": "zstd", "level": -3},
]
DTYPES = ["<u2", ">i4", ">f8", "|b1", "<c16", "|u1", "<f2", "bfloat16"]


@pytest.mark.parametrize("comp", COMPRESSORS, ids=lambda c: "null" if c is None else str(sorted(c.items())))
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_v2_both_directions(tmp_path: pathlib.Path, comp: Any, order: str, dtype: str) -> None:
    import ml_dtypes

    np_dtype = np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    data = sample(np_dtype if dtype != "bfloat16" else "f4", (5, 6)).astype(np_dtype)
    meta = {"compressor": comp, "order": order, "dtype": dtype, "chunks": [5, 6], "shape": [5, 6]}
    store = ts_create("zarr", tmp_path, meta)
    store[...] = data
    zarray = read_json(tmp_path / ".zarray")
    codec = V2ChunkCodec.from_json(zarray)
    raw = (tmp_path / "0.0").read_bytes()
    got = codec.decode(raw, key="0.0")
    assert got.dtype == np_dtype.newbyteorder("=")
    np.testing.assert_array_equal(got, data)
    out = np.empty((5, 6), np_dtype.newbyteorder("="), order=order)
    assert codec.decode(raw, out=out) is out
    np.testing.assert_array_equal(out, data)
    # a non-contiguous destination still works (decode then copy)
    big = np.zeros((10, 6), np_dtype.newbyteorder("="))
    codec.decode(raw, out=big[::2])
    np.testing.assert_array_equal(big[::2], data)
    # our bytes, read by tensorstore
    other = data[::-1].copy()
    (tmp_path / "0.0").write_bytes(codec.encode(other))
    np.testing.assert_array_equal(store.read().result(), other)


@pytest.mark.parametrize("comp", COMPRESSORS[:10], ids=str)
def test_v2_zarr_python_reads_our_bytes(tmp_path: pathlib.Path, comp: Any) -> None:
    zarr = pytest.importorskip("zarr")
    data = sample("<i4", (4, 7))
    meta = {"compressor": comp, "order": "F", "dtype": "<i4", "chunks": [4, 7], "shape": [4, 7]}
    ts_create("zarr", tmp_path, meta)
    codec = V2ChunkCodec.from_json(read_json(tmp_path / ".zarray"))
    (tmp_path / "0.0").write_bytes(codec.encode(data))
    arr = zarr.open_array(str(tmp_path), mode="r")
    np.testing.assert_array_equal(arr[...], data)


def test_v2_zarr_python_writes_we_read(tmp_path: pathlib.Path) -> None:
    zarr = pytest.importorskip("zarr")
    import numcodecs

    data = sample("<f4", (6, 8))
    arr = zarr.create_array(
        str(tmp_path),
        shape=(6, 8),
        chunks=(6, 8),
        dtype="<f4",
        zarr_format=2,
        compressors=numcodecs.Zstd(level=4),
        filters=None,
        order="F",
    )
    arr[...] = data
    codec = V2ChunkCodec.from_json(read_json(tmp_path / ".zarray"))
    np.testing.assert_array_equal(codec.decode((tmp_path / "0.0").read_bytes()), data)


def test_v2_structured_and_bytes_dtypes() -> None:
    from tsexplore.codec import parse_v2_dtype

    dt = parse_v2_dtype([["a", "<i4"], ["b", ">f8", [2]]])
    codec = V2ChunkCodec(dt, (3,), "C", parse_v2_compressor({"id": "zlib"}))
    data = np.zeros(3, dtype=dt.native)
    data["a"] = [1, 2, 3]
    data["b"] = [[1.5, 2], [3, 4], [5, 6]]
    enc = codec.encode(data)
    # stored representation is the declared byte order
    assert enc and np.frombuffer(__import__("zlib").decompress(enc), dtype=dt.numpy)["b"][0, 0] == 1.5
    got = codec.decode(enc)
    np.testing.assert_array_equal(got["a"], data["a"])
    np.testing.assert_array_equal(got["b"], data["b"])
    s4 = parse_v2_dtype("|S4")
    assert s4.inner_shape == (4,)
    codec = V2ChunkCodec(s4, (2,), "C", None)
    arr = np.frombuffer(b"abcdwxyz", dtype="S1").reshape(2, 4)
    assert codec.encode(arr) == b"abcdwxyz"
    np.testing.assert_array_equal(codec.decode(b"abcdwxyz"), arr)


@pytest.mark.parametrize(
    "comp",
    [
        None,
        {"id": "blosc"},
        {"id": "blosc", "cname": "zstd"},
        {"id": "blosc", "cname": "snappy"},
        {"id": "blosc", "cname": "lz4hc", "shuffle": 2, "clevel": 9, "blocksize": 256},
        {"id": "zlib"},
        {"id": "zlib", "level": 3},
        {"id": "gzip"},
        {"id": "bz2"},
        {"id": "zstd"},
        {"id": "zstd", "level": 5},
        {"id": "zstd", "level": -7},
    ],
    ids=str,
)
def test_v2_compressor_json_matches_tensorstore(tmp_path: pathlib.Path, comp: Any) -> None:
    store = ts_create("zarr", tmp_path, {"compressor": comp}, dtype="uint16", shape=[4])
    written = read_json(tmp_path / ".zarray")
    assert normalize_v2_compressor(comp) == written["compressor"]
    assert written["filters"] is None
    assert store.spec().to_json()["metadata"]["compressor"] == written["compressor"]


BAD = [
    {"id": "lzma"},
    {"id": "lz4"},
    {"id": "bogus"},
    {"id": "blosc", "cname": "bogus"},
    {"id": "blosc", "clevel": 10},
    {"id": "blosc", "shuffle": 3},
    {"id": "blosc", "shuffle": "x"},
    {"id": "zlib", "level": 10},
    {"id": "blosc", "bogus": 1},
    {"id": "zstd", "level": 30},
    {"id": "zstd", "checksum": True},
    {"id": "gzip", "level": -1},
    {"id": "bz2", "level": 0},
    {"id": "bz2", "level": 10},
    {"cname": "lz4"},
    {"id": 3},
    "blosc",
    [],
]


@pytest.mark.parametrize("comp", BAD, ids=str)
def test_v2_bad_compressor_errors_match(tmp_path: pathlib.Path, comp: Any) -> None:
    expected = ts_error(lambda: ts_create("zarr", tmp_path, {"compressor": comp}, dtype="uint16", shape=[4]))
    prefix = 'Error parsing object member "metadata": Error parsing object member "compressor": '
    assert expected.startswith(prefix)
    with pytest.raises(status.StatusError) as info:
        parse_v2_compressor(comp)
    assert str(info.value) == expected[len(prefix) :]


@pytest.mark.parametrize("filters", [[{"id": "delta", "dtype": "<u2"}], [{"id": "shuffle"}]], ids=str)
def test_v2_filters_rejected_like_tensorstore(tmp_path: pathlib.Path, filters: Any) -> None:
    expected = ts_error(lambda: ts_create("zarr", tmp_path, {"filters": filters}, dtype="uint16", shape=[4]))
    with pytest.raises(status.StatusError) as info:
        V2ChunkCodec.from_json({"dtype": "<u2", "chunks": [4], "filters": filters})
    assert expected.endswith(str(info.value))


def test_v2_truncated_and_corrupt_errors() -> None:
    from tsexplore.codec import parse_v2_dtype

    dt = parse_v2_dtype("<u2")
    data = np.arange(16, dtype="<u2").reshape(4, 4)
    raw = V2ChunkCodec(dt, (4, 4), "C", None)
    enc = raw.encode(data)
    with pytest.raises(ChunkDecodeError) as info:
        raw.decode(enc[:16], key="a/0.0")
    # tensorstore: Not enough data: expected at least 32 or 16 more; at byte 16
    assert info.value.detail == "Not enough data: expected at least 32 or 16 more; at byte 16"
    assert '"a/0.0"' in str(info.value) and info.value.code == "FAILED_PRECONDITION"
    with pytest.raises(ChunkDecodeError) as info:
        raw.decode(enc + b"xx", key="k")
    assert info.value.detail == "End of data expected; remaining length: 2; at byte 32"
    for comp in [{"id": "blosc"}, {"id": "zlib"}, {"id": "gzip"}, {"id": "bz2"}, {"id": "zstd"}]:
        codec = V2ChunkCodec(dt, (4, 4), "C", parse_v2_compressor(comp))
        enc = codec.encode(data)
        with pytest.raises(ChunkDecodeError) as info:
            codec.decode(enc[: len(enc) // 2], key="x/0.0")
        assert info.value.codec == comp["id"] and '"x/0.0"' in str(info.value)
        # a well-formed stream of the wrong decoded size
        small = V2ChunkCodec(dt, (2, 4), "C", parse_v2_compressor(comp)).encode(data[:2])
        with pytest.raises(ChunkDecodeError):
            codec.decode(small, key="y")
    blosc = V2ChunkCodec(dt, (4, 4), "C", parse_v2_compressor({"id": "blosc"}))
    with pytest.raises(ChunkDecodeError) as info:
        blosc.decode(b"garbage", key="k")
    assert info.value.detail == "Invalid blosc-compressed data; at byte 0"


def test_v2_reads_blosc_snappy_written_by_tensorstore(tmp_path: pathlib.Path) -> None:
    store = ts_create(
        "zarr", tmp_path, {"compressor": {"id": "blosc", "cname": "snappy"}}, dtype="uint16", shape=[4]
    )
    store[...] = [1, 2, 3, 4]
    codec = V2ChunkCodec.from_json(read_json(tmp_path / ".zarray"))
    # tiny inputs are stored uncompressed (memcpy flag), which numcodecs can read without snappy
    np.testing.assert_array_equal(codec.decode((tmp_path / "0").read_bytes()), [1, 2, 3, 4])


assert ts is not None
