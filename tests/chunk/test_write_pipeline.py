"""Multi-chunk writes to a ``file`` kvstore: encoded in the CPU pool, stored in the I/O pool.

The stored bytes are compared with tensorstore's for the same writes; racing partial writers must
not lose updates (the store's generation condition fails and the chunk is read and encoded again);
a failing store is reported after the other chunks are stored; tiny pools do not deadlock.
"""

from __future__ import annotations

import os
import pathlib
import threading
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

BLOSC = [
    {"name": "bytes", "configuration": {"endian": "little"}},
    {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4}},
]


def _open(mod: Any, path: pathlib.Path, shape: list[int], chunk: list[int], **kw: Any) -> Any:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}, "metadata": {"codecs": BLOSC}}
    return mod.open(
        spec, create=True, dtype="float32", shape=shape, chunk_layout=mod.ChunkLayout(chunk_shape=chunk), **kw
    ).result()


def _files(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != "zarr.json"}


@pytest.mark.parametrize(
    "index",
    [np.s_[...], np.s_[3:61, 5:40], np.s_[::3, 7:], np.s_[10:11, :]],
    ids=["full", "partial", "strided", "one row"],
)
def test_stored_chunks_equal_tensorstore(tmp_path: pathlib.Path, index: Any) -> None:
    rng = np.random.default_rng(1)
    base = rng.standard_normal((64, 48)).astype(np.float32)
    handles = {
        "tsx": _open(ts, tmp_path / "tsx", [64, 48], [16, 16]),
        "ts": _open(real_ts, tmp_path / "ts", [64, 48], [16, 16]),
    }
    for h in handles.values():
        h[:32].write(base[:32]).result()  # half stored, half missing: both read-modify-write cases
    value = (rng.standard_normal(base[index].shape) * 10).astype(np.float32)
    for h in handles.values():
        h[index].write(value).result()
    assert _files(tmp_path / "tsx") == _files(tmp_path / "ts")
    assert np.array_equal(handles["tsx"].read().result(), handles["ts"].read().result())


def test_fill_chunks_are_deleted_like_tensorstore(tmp_path: pathlib.Path) -> None:
    data = np.zeros((32, 32), np.float32)
    data[:8, :8] = 1  # one chunk of 16 holds data; the other three equal the fill value
    handles = [_open(mod, tmp_path / name, [32, 32], [8, 8]) for mod, name in ((ts, "tsx"), (real_ts, "ts"))]
    for h in handles:
        h.write(np.ones((32, 32), np.float32)).result()
        h.write(data).result()
    assert _files(tmp_path / "tsx") == _files(tmp_path / "ts")
    assert sorted(_files(tmp_path / "tsx")) == ["c/0/0"]


def test_racing_partial_writers_lose_no_update(tmp_path: pathlib.Path) -> None:
    """Each writer owns a set of columns of every chunk; its columns end up holding its last value."""
    h = _open(ts, tmp_path / "a", [32, 32], [8, 8])
    writers, rounds = 4, 6
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for r in range(rounds):
                h[:, w::writers].write(np.full((32, 32 // writers), w * 100 + r, np.float32)).result()
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "a") + "/"}}).result()
    expected = np.tile(np.arange(writers, dtype=np.float32) * 100 + rounds - 1, (32, 32 // writers))
    assert np.array_equal(got.read().result(), expected)


def test_failing_store_is_raised_after_the_others(tmp_path: pathlib.Path) -> None:
    h = _open(ts, tmp_path, [8, 8], [2, 2])
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "1").write_bytes(b"")  # a file where the directory of row 1 must go
    data = np.arange(1, 65, dtype=np.float32).reshape(8, 8)
    with pytest.raises(ValueError, match=r'Error writing local file ".*/c/1/\d"'):
        h.write(data).result()
    assert not any(p.name.endswith(".__lock") for p in tmp_path.rglob("*"))
    for row in (0, 2, 3):
        assert sorted(os.listdir(tmp_path / "c" / str(row))) == ["0", "1", "2", "3"]
    got = h[4:, :].read().result()
    assert np.array_equal(got, data[4:, :])


@pytest.mark.parametrize("io_limit,copy_limit", [(1, 1), (1, 2), (3, 1)])
def test_small_pools_do_not_deadlock(tmp_path: pathlib.Path, io_limit: int, copy_limit: int) -> None:
    ctx = ts.Context({"file_io_concurrency": {"limit": io_limit}, "data_copy_concurrency": {"limit": copy_limit}})
    h = _open(ts, tmp_path, [64, 64], [8, 8], context=ctx)
    data = np.random.default_rng(2).standard_normal((64, 64)).astype(np.float32)
    h.write(data).result(timeout=60)
    assert np.array_equal(h.read().result(), data)
    assert len(_files(tmp_path)) == 64
