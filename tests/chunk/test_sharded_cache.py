"""Sharded reads use the chunk cache: decoded sub-chunks are kept per (shard, cell) and revalidated
by the shard index's generation, so a repeated read moves only the index (or nothing when the
staleness bound allows)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

SHARDED = {"codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [4, 4]}}]}


def _open(mod: Any, path: str, recheck: Any, create: bool = False) -> Any:
    kw: dict[str, Any] = {"recheck_cached_data": recheck}
    spec: dict[str, Any] = {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": path},
        "context": {"cache_pool": {"total_bytes_limit": 1 << 24}},
    }
    if create:
        spec["metadata"] = SHARDED
        kw.update(create=True, dtype="int32", shape=[16, 16], chunk_layout=mod.ChunkLayout(write_chunk_shape=[8, 8]))
    return mod.open(spec, **kw).result()


def _count_reads(store: Any) -> list[Any]:
    kv = store._driver.engine.kv
    calls: list[Any] = []
    orig = kv.read_blocking

    def counting(key: str, options: Any = None) -> Any:
        calls.append((key, None if options is None else options.byte_range))
        return orig(key, options)

    kv.read_blocking = counting
    return calls


@pytest.mark.parametrize("recheck", [True, False, "open"])
def test_sharded_reads_use_the_cache(tmp_path: Any, recheck: Any) -> None:
    path = str(tmp_path) + "/"
    x = np.arange(256, dtype=np.int32).reshape(16, 16)
    w = _open(real_ts, path, True, create=True)
    w[...] = x
    w[0:4, 4:8] = 0  # an inner chunk equal to the fill value is not stored
    x[0:4, 4:8] = 0
    store = _open(ts, path, recheck)
    calls = _count_reads(store)
    sel = np.s_[2:11, 1:7]
    np.testing.assert_array_equal(store[sel].read().result(), x[sel])
    first = len(calls)
    assert first > 0
    np.testing.assert_array_equal(store[sel].read().result(), x[sel])
    again = calls[first:]
    if recheck is True:
        # only the shard indexes are read again: every sub-chunk is revalidated by its generation
        assert again and all(rng is not None and rng[0] < 0 for _, rng in again)
    else:
        assert again == []


def test_sharded_cache_sees_writes(tmp_path: Any) -> None:
    path = str(tmp_path) + "/"
    x = np.arange(256, dtype=np.int32).reshape(16, 16)
    _open(real_ts, path, True, create=True)[...] = x
    a = _open(ts, path, "open")
    b = _open(ts, path, True)
    np.testing.assert_array_equal(a.read().result(), x)
    a[3:5, 3:5] = -1  # through the cached handle: its cached sub-chunks are dropped
    x[3:5, 3:5] = -1
    np.testing.assert_array_equal(a.read().result(), x)
    real_ts_view = _open(real_ts, path, True)
    real_ts_view[8:9, 0:16] = 5  # behind tsexplore's back: a handle that revalidates sees it
    x[8:9, 0:16] = 5
    np.testing.assert_array_equal(b.read().result(), x)
