"""sharding_indexed against shards real tensorstore writes (and reads), incl. partial reads and errors."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pytest

from tests.codec.conftest import read_json, ts_create, ts_error
from tsexplore.codec import MISSING, ChunkDecodeError, CodecPipeline

SHAPE = [8, 12]
SHARD = [8, 6]


def _create(
    tmp_path: pathlib.Path,
    config: dict[str, Any],
    dtype: str = "int32",
    fill: Any = None,
    extra: list[Any] | None = None,
) -> Any:
    codecs = [*(extra or []), {"name": "sharding_indexed", "configuration": config}]
    meta = {"codecs": codecs, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": SHARD}}}
    kw = {} if fill is None else {"fill_value": fill}
    return ts_create("zarr3", tmp_path, meta, dtype=dtype, shape=SHAPE, **kw)


def _pipeline(tmp_path: pathlib.Path) -> tuple[CodecPipeline, Any]:
    meta = read_json(tmp_path / "zarr.json")
    from tsexplore.codec import decode_v3_fill_value, parse_v3_data_type

    dt = parse_v3_data_type(meta["data_type"])
    return CodecPipeline.from_json(meta["codecs"], dt, SHARD, strict=True), decode_v3_fill_value(
        meta["fill_value"], dt
    )


def _data_with_holes(dtype: str, fill: Any) -> np.ndarray[Any, Any]:
    data = (np.arange(np.prod(SHAPE)).reshape(SHAPE) % 97).astype(dtype) + 1
    data[0:2, 0:3] = fill  # one whole inner chunk equal to the fill value (for 2x3 inner chunks)
    data[4:8, 6:12] = fill  # and a whole quadrant of the second shard
    return data


CONFIGS: list[tuple[dict[str, Any], str, Any]] = [
    ({"chunk_shape": [2, 3]}, "int32", 0),
    ({"chunk_shape": [2, 3], "index_location": "start"}, "uint16", 7),
    ({"chunk_shape": [4, 2], "codecs": [{"name": "gzip"}]}, "float32", float("nan")),
    (
        {
            "chunk_shape": [2, 3],
            "codecs": [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "blosc"}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}],
        },
        "float64",
        -1.5,
    ),
    (
        {
            "chunk_shape": [2, 3],
            "codecs": [{"name": "zstd"}, {"name": "crc32c"}],
            "index_codecs": [{"name": "bytes"}, {"name": "crc32c"}, {"name": "crc32c"}],
            "index_location": "start",
        },
        "int64",
        0,
    ),
    (
        {
            "chunk_shape": [4, 6],
            "codecs": [
                {
                    "name": "sharding_indexed",
                    "configuration": {
                        "chunk_shape": [2, 3],
                        "index_location": "start",
                        "codecs": [{"name": "gzip"}],
                    },
                }
            ],
        },
        "uint8",
        0,
    ),
    (
        {
            "chunk_shape": [2, 3],
            "codecs": [{"name": "transpose", "configuration": {"order": [1, 0]}}, {"name": "bytes"}],
        },
        "int16",
        3,
    ),
]


@pytest.mark.parametrize(("config", "dtype", "fill"), CONFIGS, ids=json.dumps)
def test_shards_both_directions(
    tmp_path: pathlib.Path, config: dict[str, Any], dtype: str, fill: Any
) -> None:
    store = _create(tmp_path, config, dtype, fill)
    data = _data_with_holes(dtype, fill)
    store[...] = data
    pipe, fill_value = _pipeline(tmp_path)
    for i in range(2):
        raw = (tmp_path / "c" / "0" / str(i)).read_bytes()
        part = data[:, 6 * i : 6 * i + 6]
        np.testing.assert_array_equal(pipe.decode(raw, key=f"c/0/{i}", fill_value=fill_value), part)
        out = np.empty(SHARD, pipe.dtype)
        pipe.decode(raw, out=out, fill_value=fill_value)
        np.testing.assert_array_equal(out, part)
        # tensorstore leaves out inner chunks equal to the fill value, so do we: same bytes
        ours = pipe.encode(part, fill_value=fill_value)
        if "gzip" in json.dumps(config):  # tensorstore's zlib build may pick other deflate blocks
            shard = pipe.sharding
            assert (shard.split(ours)[0].missing == shard.split(raw)[0].missing).all()
            np.testing.assert_array_equal(pipe.decode(ours, fill_value=fill_value), part)
        else:
            assert ours == raw
    other = _data_with_holes(dtype, fill)[::-1].copy()
    for i in range(2):
        (tmp_path / "c" / "0" / str(i)).write_bytes(pipe.encode(other[:, 6 * i : 6 * i + 6], fill_value))
    np.testing.assert_array_equal(store.read().result(), other)


@pytest.mark.parametrize(("config", "dtype", "fill"), CONFIGS[:2] + CONFIGS[5:6], ids=json.dumps)
def test_partial_reads_of_tensorstore_shard(
    tmp_path: pathlib.Path, config: dict[str, Any], dtype: str, fill: Any
) -> None:
    store = _create(tmp_path, config, dtype, fill)
    data = _data_with_holes(dtype, fill)
    store[...] = data
    pipe, fill_value = _pipeline(tmp_path)
    shard = pipe.sharding
    assert shard is not None
    raw = (tmp_path / "c" / "0" / "0").read_bytes()
    off, length = shard.index_byte_range()
    index_bytes = raw[off : off + length] if off >= 0 else raw[len(raw) + off :]
    assert len(index_bytes) == length == shard.index_nbytes
    index = shard.decode_index(index_bytes, key="c/0/0", shard_size=len(raw))
    assert index.grid_shape == shard.grid_shape
    part = data[:, :6]
    for cell in np.ndindex(*shard.grid_shape):
        rng = index.byte_range(cell)
        expect = part[shard.cell_slices(cell)]
        assert (rng is None) == bool((expect == fill_value).all())
        if rng is None:
            continue
        got = shard.decode_inner_chunk(raw[rng[0] : rng[0] + rng[1]], key="c/0/0", fill_value=fill_value)
        np.testing.assert_array_equal(got, expect)
    assert not index.missing.all()


def test_missing_entries_and_empty_shard() -> None:
    pipe = CodecPipeline.from_json(
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2]}}], np.float32, [4, 4]
    )
    enc = pipe.encode(np.full((4, 4), np.nan, np.float32), fill_value=np.nan)
    shard = pipe.sharding
    index = shard.decode_index(enc[-shard.index_nbytes :], shard_size=len(enc))
    assert index.missing.all() and (index.entries == MISSING).all()
    assert len(enc) == shard.index_nbytes
    np.testing.assert_array_equal(
        pipe.decode(enc, fill_value=np.float32(2.5)), np.full((4, 4), 2.5, np.float32)
    )


def test_zarr_python_reads_our_shards(tmp_path: pathlib.Path) -> None:
    zarr = pytest.importorskip("zarr")
    config, dtype, fill = CONFIGS[1]
    _create(tmp_path, config, dtype, fill)
    pipe, fill_value = _pipeline(tmp_path)
    data = _data_with_holes(dtype, fill)
    (tmp_path / "c" / "0").mkdir(parents=True)
    for i in range(2):
        (tmp_path / "c" / "0" / str(i)).write_bytes(pipe.encode(data[:, 6 * i : 6 * i + 6], fill_value))
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path), mode="r")[...], data)


def test_zarr_python_shards_we_read(tmp_path: pathlib.Path) -> None:
    zarr = pytest.importorskip("zarr")
    data = _data_with_holes("float32", 0)
    arr = zarr.create_array(
        str(tmp_path), shape=SHAPE, shards=SHARD, chunks=(2, 3), dtype="float32", fill_value=0
    )
    arr[...] = data
    pipe, fill_value = _pipeline(tmp_path)
    got = np.concatenate(
        [pipe.decode((tmp_path / "c" / "0" / str(i)).read_bytes(), fill_value=fill_value) for i in range(2)],
        axis=1,
    )
    np.testing.assert_array_equal(got, data)


def _index_entries(n: int, values: list[int]) -> bytes:
    return np.array([values] * n, "<u8").tobytes()


CORRUPT = [
    ("flip", {"chunk_shape": [4, 3]}, lambda b: b[:-3] + bytes([b[-3] ^ 0xFF]) + b[-2:]),
    ("short", {"chunk_shape": [4, 3]}, lambda b: b[:10]),
    (
        "range",
        {"chunk_shape": [4, 3], "index_codecs": [{"name": "bytes"}]},
        lambda b: b[:-64] + _index_entries(4, [1000, 8]),
    ),
    (
        "offset",
        {"chunk_shape": [4, 3], "index_codecs": [{"name": "bytes"}]},
        lambda b: b[:-64] + _index_entries(4, [2**64 - 1, 8]),
    ),
]


@pytest.mark.parametrize(("name", "config", "mutate"), CORRUPT, ids=[c[0] for c in CORRUPT])
def test_corrupt_shards_match_tensorstore(
    tmp_path: pathlib.Path, name: str, config: dict[str, Any], mutate: Any
) -> None:
    codecs = [{"name": "sharding_indexed", "configuration": config}]
    meta = {"codecs": codecs, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 6]}}}
    store = ts_create("zarr3", tmp_path, meta, dtype="int32", shape=[8, 6])
    store[...] = np.arange(48, dtype="int32").reshape(8, 6) + 1
    path = tmp_path / "c" / "0" / "0"
    bad = mutate(path.read_bytes())
    path.write_bytes(bad)
    expected = ts_error(lambda: store.read().result())
    pipe, _ = _pipeline_for(tmp_path)
    with pytest.raises(ChunkDecodeError) as info:
        pipe.decode(bad, key="c/0/0")
    assert info.value.code == "DATA_LOSS"
    assert '"c/0/0"' in str(info.value)
    assert expected.endswith(info.value.detail), (expected, info.value.detail)


def _pipeline_for(tmp_path: pathlib.Path) -> tuple[CodecPipeline, Any]:
    meta = read_json(tmp_path / "zarr.json")
    return CodecPipeline.from_json(meta["codecs"], np.int32, [8, 6], strict=True), None


@pytest.mark.parametrize(
    "codecs",
    [
        [{"name": "bytes"}],
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 3]}}],
        [
            {"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "sharding_indexed", "configuration": {"chunk_shape": [3, 4]}},
        ],
        [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [4, 6],
                    "codecs": [
                        {"name": "transpose", "configuration": {"order": [1, 0]}},
                        {"name": "sharding_indexed", "configuration": {"chunk_shape": [3, 2]}},
                    ],
                },
            }
        ],
    ],
    ids=json.dumps,
)
def test_read_chunk_shape_matches_tensorstore_layout(tmp_path: pathlib.Path, codecs: Any) -> None:
    meta = {"codecs": codecs, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": SHARD}}}
    store = ts_create("zarr3", tmp_path, meta, dtype="int32", shape=SHAPE)
    pipe = CodecPipeline.from_json(read_json(tmp_path / "zarr.json")["codecs"], np.int32, SHARD)
    assert pipe.read_chunk_shape == tuple(store.chunk_layout.read_chunk.shape)
