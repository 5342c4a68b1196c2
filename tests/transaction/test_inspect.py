"""The staged-state inspection extension, the chunk cache across commits, sharded arrays in transactions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts


def _memory_store(**kw: object) -> ts.TensorStore:
    return ts.open(
        {"driver": "zarr3", "kvstore": "memory://a/"}, create=True, dtype="int16", shape=[4, 6],
        chunk_layout=ts.ChunkLayout(write_chunk_shape=[2, 3]), **kw,
    ).result()


def test_staged_records() -> None:
    s = _memory_store()
    t = ts.Transaction()
    assert t.staged() == []
    s.with_transaction(t)[1:3, 2:5] = 7
    s.with_transaction(t)[0, 0] = 1
    rows = {k.describe(): k for k in t.staged()}
    # the metadata key takes part (read) but is not staged for writing
    assert sorted(rows) == ['"a/c/0/0"', '"a/c/0/1"', '"a/c/1/0"', '"a/c/1/1"']
    regions = {d: [str(r) for r in k.regions] for d, k in rows.items()}
    assert regions == {
        '"a/c/0/0"': ["[1:2, 2:3]", "[0:1, 0:1]"],
        '"a/c/0/1"': ["[1:2, 3:5]"],
        '"a/c/1/0"': ["[2:3, 2:3]"],
        '"a/c/1/1"': ["[2:3, 3:5]"],
    }
    first = rows['"a/c/0/1"'].regions[0]
    assert (first.inclusive_min, first.exclusive_max) == ((1, 3), (2, 5))
    # a patch holds chunk-sized values (int16) and a mask (bool): 6 * 2 + 6 bytes
    assert rows['"a/c/0/1"'].nbytes == 18
    assert t.staged_bytes() == 5 * 18
    assert "4 staged keys" in t._repr_mimebundle_()["text/plain"]
    t.commit_sync()
    expected = np.zeros((4, 6), np.int16)
    expected[1:3, 2:5] = 7
    expected[0, 0] = 1
    np.testing.assert_array_equal(s.read().result(), expected)


def test_full_chunk_patch_has_no_mask() -> None:
    s = _memory_store()
    t = ts.Transaction()
    s.with_transaction(t)[0:2, 0:3] = 4
    (row,) = t.staged()
    assert row.nbytes == 12 and [str(r) for r in row.regions] == ["[0:2, 0:3]"]


@pytest.mark.parametrize("recheck", [False, "open", True])
def test_cache_not_stale_after_commit(recheck: object) -> None:
    ctx = ts.Context({"cache_pool": {"total_bytes_limit": 1 << 20}})
    s = _memory_store(context=ctx, recheck_cached_data=recheck)
    s[...] = 3
    assert s.read().result().sum() == 3 * 24  # cached now
    t = ts.Transaction()
    s.with_transaction(t)[0:3, 1:4] = 9
    assert s.read().result().sum() == 3 * 24  # isolation: the cache holds committed data only
    t.commit_sync()
    expected = np.full((4, 6), 3, np.int16)
    expected[0:3, 1:4] = 9
    np.testing.assert_array_equal(s.read().result(), expected)


def test_sharded_array_in_transaction(tmp_path: Path) -> None:
    spec = {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": str(tmp_path / "s.zarr") + "/"},
        "metadata": {
            "shape": [8, 8], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 8]}},
            "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [2, 2], "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            }}],
        },
    }
    real = real_ts.open(spec, create=True).result()
    real[...] = np.arange(64, dtype=np.uint16).reshape(8, 8)
    ours = ts.open({"driver": "zarr3", "kvstore": spec["kvstore"]}).result()
    t1, t2 = ts.Transaction(), ts.Transaction()
    ours.with_transaction(t1)[1:3, 1:7] = 1000
    ours.with_transaction(t2)[5, :] = 2000  # another shard
    ours.with_transaction(t2)[0, 0] = 3000  # same shard as t1, other element
    np.testing.assert_array_equal(ours.with_transaction(t1)[1, 0:3].read().result(), [8, 1000, 1000])
    t1.commit_sync()
    t2.commit_sync()
    expected = np.arange(64, dtype=np.uint16).reshape(8, 8)
    expected[1:3, 1:7] = 1000
    expected[5, :] = 2000
    expected[0, 0] = 3000
    np.testing.assert_array_equal(real_ts.open(spec).result().read().result(), expected)
    np.testing.assert_array_equal(ours.read().result(), expected)
