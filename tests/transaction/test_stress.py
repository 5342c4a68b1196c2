"""Stress: 4 threads + 2 processes run 500 random read-modify-write transactions on overlapping regions.

Each transaction reads a region through a ``repeatable_read`` transaction, adds an increment and
commits, retrying on ``Generation mismatch``.  Every committed increment is logged; at the end the
array must equal the sum of the logged increments (no update lost, none applied twice).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import tensorstore as real_ts

import tsexplore as ts

from . import _stress_worker as worker

THREADS, PROCESSES = 4, 2
PER_WORKER = {"thread": 84, "process": 82}  # 4 * 84 + 2 * 82 = 500


def test_concurrent_read_modify_write(tmp_path: Path) -> None:
    path = str(tmp_path / "a.zarr") + "/"
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}
    shape = (worker.CHUNK * worker.GRID,) * 2
    ts.open(
        spec, create=True, dtype="int64", shape=shape, chunk_layout=ts.ChunkLayout(write_chunk_shape=[worker.CHUNK] * 2)
    ).result()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), OPENBLAS_NUM_THREADS="1")
    logs = [tmp_path / f"p{i}.log" for i in range(PROCESSES)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(Path(worker.__file__)), path, str(PER_WORKER["process"]), str(100 + i), str(log)],
            env=env,
        )
        for i, log in enumerate(logs)
    ]
    store = ts.open(spec).result()
    buffers = [io.StringIO() for _ in range(THREADS)]
    retries = [0] * THREADS
    errors: list[BaseException] = []

    def thread_main(i: int) -> None:
        try:
            retries[i] = worker.run(path, PER_WORKER["thread"], i, buffers[i])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert not errors, errors

    expected = np.zeros(shape, dtype=np.int64)
    committed = 0
    total_retries = sum(retries)
    texts = [b.getvalue() for b in buffers] + [log.read_text() for log in logs]
    for text in texts:
        for line in text.splitlines():
            if line.startswith("retries "):
                total_retries += int(line.split()[1])
                continue
            y0, y1, x0, x1, inc = map(int, line.split())
            expected[y0:y1, x0:x1] += inc
            committed += 1
    assert committed == 500
    np.testing.assert_array_equal(store.read().result(), expected)
    np.testing.assert_array_equal(real_ts.open(spec).result().read().result(), expected)
    assert total_retries > 0  # the workers really conflicted
