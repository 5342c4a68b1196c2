"""Benchmark: index-space operations and strided reads, tsexplore vs tensorstore vs NumPy (same run).

Plain script: ``.venv/bin/python benchmarks/bench_index.py [--repeat 5]``.
Indexing rows are microseconds per operation on a rank-3 transform/domain; read rows are the time
to read ``a[::2, 1::3]`` (and friends) of a 4096x4096 float32 array into a new NumPy array:
tsexplore through ``read_array`` (and ``ts.array(...)[...].read()`` when that driver exists),
tensorstore through ``tensorstore.array``, NumPy as ``a[::2, 1::3].copy()``.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorstore

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tsexplore
from tsexplore.index import IndexTransform, read_array


def per_call(fn: Callable[[], Any], repeat: int, min_time: float = 0.05) -> float:
    """Best-of-``repeat`` seconds per call (each sample loops until ``min_time`` has passed)."""
    best = float("inf")
    for _ in range(repeat):
        n = 0
        start = time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / n)
    return best


def indexing_rows(mod: Any) -> dict[str, Callable[[], Any]]:
    t = mod.IndexTransform(input_shape=[1000, 200, 30], input_labels=["x", "y", "z"])
    dom = t.domain
    d = mod.d
    return {
        "t[5:100:3]": lambda: t[5:100:3],
        "t[1, ..., ::-1]": lambda: t[1, ..., ::-1],
        "t[ts.d['x'].translate_by[5]]": lambda: t[d["x"].translate_by[5]],
        "t[ts.d['y', 'z'].transpose[0]]": lambda: t[d["y", "z"].transpose[0]],
        "t[[1, 5, 7], :, [0, 1, 2]]": lambda: t[[1, 5, 7], :, [0, 1, 2]],
        "t.oindex[[1, 5], [2, 3]]": lambda: t.oindex[[1, 5], [2, 3]],
        "domain['y', 'z']": lambda: dom["y", "z"],
        "domain[ts.d['z'][2:9]]": lambda: dom[d["z"][2:9]],
        "repr(t)": lambda: repr(t),
        "t.to_json()": t.to_json,
    }


def _copy(a: np.ndarray[Any, Any], key: Any) -> Any:
    return a[key].copy()


def _read(view: Any) -> Any:
    return view.read().result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    print(f"{'indexing operation':34} {'tsexplore us':>13} {'tensorstore us':>15} {'ratio':>7}")
    ours_rows = indexing_rows(tsexplore)
    theirs_rows = indexing_rows(tensorstore)
    for name in ours_rows:
        try:
            ours = per_call(ours_rows[name], args.repeat) * 1e6
        except Exception as e:  # an unsupported form is reported, not fatal
            print(f"{name:34} error: {type(e).__name__}: {e}")
            continue
        theirs = per_call(theirs_rows[name], args.repeat) * 1e6
        print(f"{name:34} {ours:13.1f} {theirs:15.1f} {ours / theirs:7.2f}")

    a = np.random.default_rng(0).random((4096, 4096), dtype=np.float32)
    ts_arr = tensorstore.array(a)
    our_arr = getattr(tsexplore, "array", None)
    our_store = None
    if our_arr is not None:
        try:
            our_store = our_arr(a)
        except Exception as e:
            print(f"(tsexplore.array unavailable: {type(e).__name__}: {e})")
    base = IndexTransform(input_shape=list(a.shape))
    reads: list[tuple[str, Any]] = [
        ("a[::2, 1::3]", np.s_[::2, 1::3]),
        ("a[100:3000, ::-1]", np.s_[100:3000, ::-1]),
        ("a[:, :]", np.s_[:, :]),
        ("a.T[::3]", None),
    ]
    print()
    hdr = f"{'read 4096x4096 float32':24} {'numpy ms':>9} {'read_array ms':>14} {'ts.array ms':>12} "
    print(hdr + f"{'tensorstore ms':>15} {'ra/np':>6} {'ts/np':>6}")
    for name, key in reads:
        if key is None:
            np_fn: Callable[[], Any] = a.T[::3].copy
            t = base.T[::3]
            ts_view = ts_arr.T[::3]
            our_view = our_store.T[::3] if our_store is not None else None
        else:
            np_fn = functools.partial(_copy, a, key)
            t = base[key]
            ts_view = ts_arr[key]
            our_view = our_store[key] if our_store is not None else None
        ref = np_fn()
        got = read_array(t, a)
        assert np.array_equal(got, ref), name
        np_t = per_call(np_fn, args.repeat) * 1e3
        ra_t = per_call(functools.partial(read_array, t, a), args.repeat) * 1e3
        ours_t = float("nan")
        if our_view is not None:
            try:
                assert np.array_equal(np.asarray(our_view.read().result()), ref), name
                ours_t = per_call(functools.partial(_read, our_view), args.repeat) * 1e3
            except Exception as e:
                print(f"(ts.array read failed: {type(e).__name__}: {e})")
        ts_t = per_call(functools.partial(_read, ts_view), args.repeat) * 1e3
        print(f"{name:24} {np_t:9.2f} {ra_t:14.2f} {ours_t:12.2f} {ts_t:15.2f} {ra_t / np_t:6.2f} {ts_t / np_t:6.2f}")


if __name__ == "__main__":
    main()
