"""Benchmark: tsexplore vs tensorstore vs zarr-python on the same zarr arrays (same run, same bytes).

Plain script: ``.venv/bin/python benchmarks/bench_zarr.py [--size-mib 256] [--repeat 3]``.
Workloads: full reads of a float32 zarr3 array (blosc lz4, ~1 MiB chunks), the same sharded and as
zarr v2; ``a[::8, ::8]``; a 64x64 window; one chunk; a full write.  Also a numcodecs-only baseline
(read chunk files + decode in a 2-thread pool + copy) and tsexplore's peak memory for a full read.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numcodecs
import numpy as np
import tensorstore
import zarr

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tsexplore


def ts_open(spec: dict[str, Any], **kw: Any) -> Any:
    return tsexplore.open(spec, **kw).result()


def ts_read(h: Any, idx: Any = ...) -> np.ndarray[Any, Any]:
    return np.asarray(h[idx].read().result() if idx is not ... else h.read().result())


def ts_write(h: Any, value: Any) -> None:
    h.write(value).result()


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def numcodecs_baseline(path: str, n: int, c: int, dtype: Any) -> Callable[[], None]:
    """Read every chunk file, blosc-decode in a 2-thread pool, copy into the output."""
    blosc = numcodecs.Blosc()
    pool = concurrent.futures.ThreadPoolExecutor(2)

    def run() -> None:
        out = np.empty((n, n), dtype)

        def one(i: int, j: int) -> None:
            with open(os.path.join(path, "c", str(i), str(j)), "rb") as f:
                data = f.read()
            chunk = np.frombuffer(blosc.decode(data), dtype).reshape(c, c)
            out[i * c : (i + 1) * c, j * c : (j + 1) * c] = chunk

        list(pool.map(lambda ij: one(*ij), [(i, j) for i in range(n // c) for j in range(n // c)]))

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = int(np.sqrt(args.size_mib * (1 << 20) / 4))
    n -= n % 512
    c = 512
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((n, n)) * 100).round(1).astype(np.float32)
    root = tempfile.mkdtemp(prefix="bench_zarr_")
    blosc = [
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4}},
    ]
    arrays = {
        "zarr3": {"driver": "zarr3", "metadata": {"codecs": blosc}, "chunk": [c, c]},
        "zarr3 sharded": {
            "driver": "zarr3",
            "metadata": {
                "codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [c, c], "codecs": blosc}}]
            },
            "chunk": [4 * c, 4 * c],
        },
        "zarr v2": {"driver": "zarr", "metadata": {}, "chunk": [c, c]},
    }
    paths = {}
    for name, a in arrays.items():
        p = os.path.join(root, name.replace(" ", "_")) + "/"
        paths[name] = p
        spec = {"driver": a["driver"], "kvstore": {"driver": "file", "path": p}, "metadata": a["metadata"]}
        t = tensorstore.open(
            spec,
            create=True,
            dtype="float32",
            shape=[n, n],
            chunk_layout=tensorstore.ChunkLayout(write_chunk_shape=a["chunk"]),
        ).result()
        t.write(data).result()
    rows: list[tuple[str, str, float, float, float, float | None]] = []

    def row(name: str, unit: str, tsx: Callable[[], Any], tst: Callable[[], Any], zp: Callable[[], Any]) -> None:
        ts_t, tt, zt = best(tsx, args.repeat), best(tst, args.repeat), best(zp, args.repeat)
        rows.append((name, unit, ts_t, tt, zt, None))
        print(
            f"  {name}: tsexplore {ts_t * 1e3:.2f} ms, tensorstore {tt * 1e3:.2f} ms, zarr-python {zt * 1e3:.2f} ms",
            flush=True,
        )

    for name, a in arrays.items():
        spec = {"driver": a["driver"], "kvstore": {"driver": "file", "path": paths[name]}}
        h = ts_open(spec)
        t = tensorstore.open(spec).result()
        z = zarr.open_array(paths[name], mode="r")
        assert np.array_equal(ts_read(h), data)
        row(f"full read {name}", "s", lambda h=h: ts_read(h), lambda t=t: t.read().result(), lambda z=z: z[...])
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": paths["zarr3"]}}
    h = ts_open(spec)
    t = tensorstore.open(spec).result()
    z = zarr.open_array(paths["zarr3"], mode="r")
    sl: Any = np.s_[::8, ::8]
    assert np.array_equal(ts_read(h, sl), data[sl])
    row("a[::8, ::8]", "s", lambda: ts_read(h, sl), lambda: t[sl].read().result(), lambda: z[sl])
    win: Any = np.s_[1000:1064, 2000:2064]
    row("64x64 window", "ms", lambda: ts_read(h, win), lambda: t[win].read().result(), lambda: z[win])
    one: Any = np.s_[c : 2 * c, c : 2 * c]
    row("single chunk", "ms", lambda: ts_read(h, one), lambda: t[one].read().result(), lambda: z[one])
    wspec = {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": os.path.join(root, "w") + "/"},
        "metadata": {"codecs": blosc},
    }
    hw = ts_open(
        wspec,
        create=True,
        delete_existing=True,
        dtype="float32",
        shape=[n, n],
        chunk_layout=tsexplore.ChunkLayout(chunk_shape=[c, c]),
    )
    tw = tensorstore.open(
        {**wspec, "kvstore": {"driver": "file", "path": os.path.join(root, "w2") + "/"}},
        create=True,
        dtype="float32",
        shape=[n, n],
        chunk_layout=tensorstore.ChunkLayout(chunk_shape=[c, c]),
    ).result()
    zw = zarr.create_array(
        os.path.join(root, "w3"),
        shape=(n, n),
        chunks=(c, c),
        dtype="float32",
        compressors=zarr.codecs.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
    )
    row(
        "full write",
        "s",
        lambda: ts_write(hw, data),
        lambda: tw.write(data).result(),
        lambda: zw.__setitem__(..., data),
    )
    base = best(numcodecs_baseline(paths["zarr3"], n, c, np.float32), args.repeat)
    tracemalloc.start()
    ts_read(h)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print()
    print(f"{'workload':<26}{'tsexplore':>12}{'tensorstore':>13}{'zarr-python':>13}{'vs ts':>8}{'vs zarr':>9}")
    for name, unit, a_t, b_t, c_t, _ in rows:
        k = 1e3 if unit == "ms" else 1.0
        print(
            f"{name:<26}{a_t * k:>10.3f}{unit:>2}{b_t * k:>11.3f}{unit:>2}{c_t * k:>11.3f}{unit:>2}"
            f"{b_t / a_t:>7.2f}x{c_t / a_t:>8.2f}x"
        )
    full_ts = rows[0][3]
    print(f"{'numcodecs-only baseline':<26}{base:>10.3f} s{full_ts:>11.3f} s{'':>13}{full_ts / base:>7.2f}x")
    print(
        f"\npeak traced memory of a full read: {peak / 2**20:.0f} MiB "
        f"(output {data.nbytes / 2**20:.0f} MiB, ratio {peak / data.nbytes:.2f}; cache limit 0)"
    )
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
