"""A pickled TensorStore (spec + context) reopens in another process and reads the same values."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

import tsexplore as ts


def _read(blob: bytes) -> list[list[float]]:
    store = pickle.loads(blob)
    return store.read().result().tolist()  # type: ignore[no-any-return]


def test_pickle_in_other_process() -> None:
    base = ts.array(np.arange(24, dtype=np.float32).reshape(4, 6))
    views = [base, base[1:3, ::2], ts.cast(base, "int16")[ts.d[:].label["y", "x"]][2:]]
    blobs = [pickle.dumps(v) for v in views]
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(_read, blobs))
    for v, got in zip(views, results):
        assert got == v.read().result().tolist()


def test_pickle_keeps_mode_and_domain() -> None:
    v = ts.array(np.arange(6, dtype=np.int32).reshape(2, 3), write=False)[:, 1:]
    again = pickle.loads(pickle.dumps(v))
    assert again.mode == "r"
    assert again.domain == v.domain
