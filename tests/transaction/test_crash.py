"""A commit killed (SIGKILL) at 50 points leaves every chunk at its old or new value, readably.

A warm fork server (``_crash_child.py``) commits a 16-chunk transaction to a ``file`` zarr3 array
and kills itself after the N-th file-system step of the commit.  After each kill the array is
opened and read by tsexplore *and* real tensorstore: every chunk must equal its old or its new
content, and the directory must list cleanly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import tensorstore as real_ts

import tsexplore as ts

SHAPE, CHUNK = (8, 8), (2, 2)


def _chunks(a: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """(grid_y, grid_x, 2, 2) view of the chunks."""
    return a.reshape(SHAPE[0] // 2, 2, SHAPE[1] // 2, 2).transpose(0, 2, 1, 3)


def _template(root: Path) -> tuple[Path, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    tpl = root / "template"
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tpl / "a.zarr") + "/"}}
    old = np.arange(64, dtype=np.int32).reshape(SHAPE) + 1
    old[6:8, 6:8] = 0  # one chunk missing before the commit: created by it
    store = real_ts.open(
        spec, create=True, dtype="int32", shape=SHAPE, chunk_layout=real_ts.ChunkLayout(write_chunk_shape=CHUNK)
    ).result()
    store.write(old).result()
    new = old * 10 + 7
    new[0:2, 0:2] = 0  # one chunk becomes fill: deleted by the commit
    new[6:8, 6:8] = 5
    np.save(tpl / "new.npy", new)
    return tpl, old, new


def test_sigkill_during_commit(tmp_path: Path) -> None:
    tpl, old, new = _template(tmp_path)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_crash_child.py"))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    assert server.stdin is not None and server.stdout is not None

    def run(kill_after: int, name: str) -> tuple[str, Path]:
        work = tmp_path / name
        shutil.copytree(tpl, work)
        server.stdin.write(f"{work / 'a.zarr'}/ {kill_after}\n")  # type: ignore[union-attr]
        server.stdin.flush()  # type: ignore[union-attr]
        return server.stdout.readline().strip(), work  # type: ignore[union-attr]

    try:
        reply, work = run(10**9, "full")
        kind, steps, code = reply.split()
        assert (kind, code) == ("done", "0"), reply
        total = int(steps)
        assert total >= 50, total
        _check(work, old, new, expect_all_new=True)
        points = sorted({int(x) for x in np.linspace(1, total, 50)})
        assert len(points) == 50
        mixed = 0
        for n in points:
            reply, work = run(n, f"k{n}")
            assert reply.split()[0] == "killed" and reply.split()[-1] == "-9", reply
            mixed += _check(work, old, new)
            shutil.rmtree(work)
        assert mixed >= 10  # the kill points really fall inside the commit
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def _check(work: Path, old: np.ndarray, new: np.ndarray, expect_all_new: bool = False) -> bool:  # type: ignore[type-arg]
    path = str(work / "a.zarr") + "/"
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}
    ours = ts.open(spec).result().read().result()
    theirs = real_ts.open(spec).result().read().result()
    np.testing.assert_array_equal(ours, theirs)
    got, o, n = _chunks(ours), _chunks(old), _chunks(new)
    is_old = (got == o).all(axis=(2, 3))
    is_new = (got == n).all(axis=(2, 3))
    assert (is_old | is_new).all(), f"torn chunk in {work}: {np.argwhere(~(is_old | is_new)).tolist()}"
    if expect_all_new:
        assert is_new.all()
    keys = ts.KvStore.open({"driver": "file", "path": path}).result().list().result()
    assert all(k == b"zarr.json" or k.startswith(b"c/") for k in keys), keys
    return bool((~is_old).any() and (~is_new).any())
