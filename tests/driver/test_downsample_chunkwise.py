"""Downsampling a chunked (zarr3) base chunk by chunk, against real tensorstore.

The chunkwise path reduces each chunk as it is read; it must give the same values as tensorstore
whether or not blocks align with chunks (unaligned ones fall back to streamed groups), with
missing chunks (fill value), translated/sliced base views and every method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorstore as real_ts
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as ts

from .test_downsample import _cut_both_sides

case = st.tuples(
    st.sampled_from(["mean", "min", "max", "median", "mode"]),
    st.sampled_from(["uint8", "int16", "float32"]),
    st.integers(1, 3).flatmap(
        lambda r: st.tuples(
            st.tuples(*[st.integers(1, 20)] * r),  # shape
            st.tuples(*[st.sampled_from([2, 4, 6, 8])] * r),  # chunk
            st.tuples(*[st.sampled_from([1, 2, 3, 4, 8])] * r),  # factors
            st.tuples(*[st.integers(0, 5)] * r),  # slice start
            st.tuples(*[st.sampled_from([0, 2, 4])] * r),  # translate
        )
    ),
    st.booleans(),  # leave some chunks unwritten
    st.integers(0, 2**32 - 1),
)


def _open(mod: Any, shape: tuple[int, ...], chunk: tuple[int, ...], dtype: str) -> Any:
    return mod.open(
        {"driver": "zarr3", "kvstore": "memory://", "metadata": {"fill_value": 7, "data_type": dtype}},
        create=True,
        shape=list(shape),
        chunk_layout=mod.ChunkLayout(chunk_shape=list(chunk)),
    ).result()


@settings(max_examples=80, deadline=None)
@given(case)
def test_chunkwise_downsample_matches_tensorstore(c: Any) -> None:
    method, dtype, (shape, chunk, factors, start, shift), sparse, seed = c
    x = np.random.default_rng(seed).integers(0, 100, shape).astype(dtype)
    outs = []
    for mod in (real_ts, ts):
        z = _open(mod, shape, chunk, dtype)
        if sparse:
            z[tuple(slice(0, (n + 1) // 2) for n in shape)] = x[tuple(slice(0, (n + 1) // 2) for n in shape)]
        else:
            z[...] = x
        view = z[tuple(slice(min(s, n - 1), None) for s, n in zip(start, shape, strict=True))]
        view = view[mod.d[:].translate_by[list(shift)]]
        if _cut_both_sides(view.domain.inclusive_min, view.domain.exclusive_max, list(factors)):
            return
        d = mod.downsample(view, list(factors), method)
        outs.append((d.domain.to_json(), np.asarray(d.read().result())))
    assert outs[0][0] == outs[1][0]
    np.testing.assert_allclose(outs[1][1].astype(np.float64), outs[0][1].astype(np.float64), rtol=1e-6)
    assert outs[1][1].dtype == outs[0][1].dtype


def test_chunkwise_path_is_used_and_reads_each_chunk_once() -> None:
    """Aligned blocks: every chunk is read once and no group is assembled (the streamed path is not taken)."""
    from tsexplore.driver import downsample as dmod

    x = np.random.default_rng(1).integers(0, 255, (64, 48), dtype=np.uint8)
    z = _open(ts, (64, 48), (16, 16), "uint8")
    z[...] = x
    engine = z._driver.engine
    keys: list[str] = []
    orig = engine._load

    def counting(cell: tuple[int, ...], out: Any) -> Any:
        keys.append(engine.fmt.key(cell))
        return orig(cell, out)

    engine._load = counting
    old = dmod.DownsampleDriver._reduce_into

    async def fail(*args: Any) -> None:
        raise AssertionError("streamed groups used")

    dmod.DownsampleDriver._reduce_into = fail  # type: ignore[method-assign]
    try:
        got = ts.downsample(z, [8, 8], "mean").read().result()
    finally:
        dmod.DownsampleDriver._reduce_into = old  # type: ignore[method-assign]
    exp = real_ts.downsample(real_ts.array(x), [8, 8], "mean").read().result()
    np.testing.assert_array_equal(got, exp)
    assert sorted(keys) == sorted(f"c/{i}/{j}" for i in range(4) for j in range(3))
