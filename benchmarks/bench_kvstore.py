"""KvStore ``file`` driver: tsexplore vs tensorstore in the same run.

* read 2,000 small keys, all reads issued at once (futures), then waited on;
* list 10,000 keys (in 100 directories);
* read the same 2,000 keys from a ``memory`` kvstore.

Prints the best of a few repetitions for each library and the ratio tsexplore / tensorstore.
Run: ``.venv/bin/python benchmarks/bench_kvstore.py``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tensorstore

import tsexplore

N_READ = 2_000
N_LIST = 10_000
REPEATS = 5


def best_of(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def fill(root: Path, keys: list[str], value: bytes) -> None:
    for k in keys:
        p = root / k
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(value)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_kvstore_"))
    try:
        read_keys = [f"r/{i // 100:02d}/{i:05d}" for i in range(N_READ)]
        list_keys = [f"l/{i // 100:03d}/{i:05d}" for i in range(N_LIST)]
        fill(tmp, read_keys, b"x" * 64)
        fill(tmp, list_keys, b"")
        results: dict[str, dict[str, float]] = {}
        for name, mod in (("tensorstore", tensorstore), ("tsexplore", tsexplore)):
            kv = mod.KvStore.open({"driver": "file", "path": str(tmp) + "/"}).result()
            rkv = kv / "r/"
            lkv = kv / "l/"

            def read_all(rkv: Any = rkv) -> None:
                futures = [rkv.read(k[2:]) for k in read_keys]
                values = [f.result().value for f in futures]
                assert len(values) == N_READ and values[0] == b"x" * 64

            def list_all(lkv: Any = lkv) -> None:
                assert len(lkv.list().result()) == N_LIST

            mkv = mod.KvStore.open("memory://").result()
            for k in read_keys:
                mkv[k] = b"x" * 64

            def read_memory(mkv: Any = mkv) -> None:
                futures = [mkv.read(k) for k in read_keys]
                assert [f.result().value for f in futures][-1] == b"x" * 64

            read_all()  # warm up (thread pools, page cache)
            results[name] = {"read": best_of(read_all), "list": best_of(list_all), "mem": best_of(read_memory)}
        print(f"{'operation':<34}{'tensorstore':>12}{'tsexplore':>12}{'ratio':>8}")
        rows = (
            ("read", f"read {N_READ:,} keys (concurrent)"),
            ("list", f"list {N_LIST:,} keys"),
            ("mem", f"memory: read {N_READ:,} keys"),
        )
        for op, label in rows:
            a, b = results["tensorstore"][op], results["tsexplore"][op]
            print(f"{label:<34}{a * 1e3:>10.1f}ms{b * 1e3:>10.1f}ms{b / a:>7.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
