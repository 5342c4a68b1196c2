"""Stress worker: random read-modify-write transactions (``repeatable_read=True``) on one array.

``python _stress_worker.py <array path> <count> <seed> <log file>``: each committed transaction
appends ``y0 y1 x0 x1 increment`` to the log; conflicts are retried.  The last line is
``retries <n>``.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import tsexplore as ts

CHUNK = 4
GRID = 2


def one_transaction(store: Any, rng: random.Random) -> tuple[tuple[int, int, int, int, int], int]:
    """Pick a region inside one chunk and an increment; commit ``region += increment``, retrying on conflict."""
    cy, cx = rng.randrange(GRID), rng.randrange(GRID)
    y0, x0 = rng.randrange(CHUNK), rng.randrange(CHUNK)
    y1, x1 = rng.randrange(y0, CHUNK) + 1, rng.randrange(x0, CHUNK) + 1
    y0, y1, x0, x1 = cy * CHUNK + y0, cy * CHUNK + y1, cx * CHUNK + x0, cx * CHUNK + x1
    inc = rng.randrange(1, 6)
    retries = 0
    while True:
        txn = ts.Transaction(repeatable_read=True)
        view = store.with_transaction(txn)[y0:y1, x0:x1]
        current = view.read().result()
        view.write(current + inc).result()
        try:
            txn.commit_sync()
        except ValueError as e:
            if "Generation mismatch" not in str(e):
                raise
            retries += 1
            continue
        return (y0, y1, x0, x1, inc), retries


def run(path: str, count: int, seed: int, log: Any) -> int:
    store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}).result()
    rng = random.Random(seed)
    total = 0
    for _ in range(count):
        entry, retries = one_transaction(store, rng)
        total += retries
        log.write(" ".join(map(str, entry)) + "\n")
        log.flush()
    return total


if __name__ == "__main__":
    path, count, seed, log_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with open(log_path, "w") as f:
        r = run(path, count, seed, f)
        f.write(f"retries {r}\n")
