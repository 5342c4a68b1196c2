"""``ts.downsample`` and the ``downsample`` driver against real tensorstore (array and zarr3 bases)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as ts


def _cut_both_sides(lo: tuple[int, ...], hi: tuple[int, ...], factors: list[int]) -> bool:
    """tensorstore returns garbage for blocks cut on both sides; keep those out of value comparisons."""
    return any(b > a and a % f and b % f and a // f == (b - 1) // f for a, b, f in zip(lo, hi, factors, strict=True))


def _spec_json(store: Any) -> Any:
    try:
        return store.spec().to_json()
    except ValueError:
        return None


view_case = st.tuples(
    st.sampled_from(["mean", "min", "max", "median", "mode", "stride"]),
    st.sampled_from(["uint8", "int32", "float32", "int64"]),
    st.integers(1, 3).flatmap(
        lambda r: st.tuples(
            st.tuples(*[st.integers(1, 9)] * r),
            st.tuples(*[st.integers(-6, 6)] * r),
            st.tuples(*[st.integers(1, 4)] * r),
            st.tuples(*[st.integers(0, 3)] * r),
        )
    ),
    st.integers(0, 2**32 - 1),
)


@settings(max_examples=150, deadline=None)
@given(view_case)
def test_downsample_views_match(c: Any) -> None:
    method, dtype, (shape, origin, factors, cut), seed = c
    x = np.random.default_rng(seed).integers(0, 100, shape).astype(dtype)
    outs = []
    for mod in (real_ts, ts):
        base = mod.array(x)[mod.d[:].translate_to[origin]]
        # slice the base view first: downsampling happens in the view's coordinates
        sub = base[tuple(slice(o + min(k, n - 1), None) for o, k, n in zip(origin, cut, shape, strict=True))]
        if 0 in sub.shape:
            continue
        d = mod.downsample(sub, list(factors), method)
        outs.append((d.domain.to_json(), d.dtype.name, _spec_json(d), sub.domain))
        lo, hi = sub.domain.inclusive_min, sub.domain.exclusive_max
        if method == "stride" or not _cut_both_sides(lo, hi, list(factors)):
            outs.append(np.asarray(d.read().result()))
            # and a sub-view of the downsampled view
            if all(n > 1 for n in d.shape):
                dd = d[tuple(slice(a + 1, None) for a in d.domain.inclusive_min)]
                outs.append(np.asarray(dd.read().result()))
    half = len(outs) // 2
    for a, b in zip(outs[:half], outs[half:], strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-6)
            assert a.dtype == b.dtype
        else:
            assert a[:2] == b[:2]
            if a[2] is not None:  # tensorstore cannot print specs of size-1 array bases
                assert a[2] == b[2]


def test_errors_match() -> None:
    x = np.arange(20, dtype=np.int32)
    for call in (
        lambda m: m.downsample(m.array(x), [2, 2], "mean"),
        lambda m: m.downsample(m.array(x), [0], "mean"),
        lambda m: m.downsample(m.array(x), [2], "average"),
        lambda m: m.downsample(m.array(np.zeros(3, np.complex64)), [2], "min"),
        lambda m: m.downsample(m.array(x), [2], "mean").write(np.zeros(10, np.int32)).result(),
        lambda m: m.downsample(m.array(x), [2], "stride").write(np.zeros(10, np.int32)).result(),
    ):
        with pytest.raises(ValueError) as real:
            call(real_ts)
        with pytest.raises(ValueError) as ours:
            call(ts)
        assert str(ours.value) == str(real.value)
    with pytest.raises(TypeError):
        ts.downsample(ts.array(x), [2])  # type: ignore[call-arg]


def test_sum_extension() -> None:
    x = np.arange(10, dtype=np.int32)
    d = ts.downsample(ts.array(x), [4], "sum")
    assert d.read().result().tolist() == [6, 22, 17]
    assert d.spec().to_json()["downsample_method"] == "sum"
    assert ts.downsample(ts.array(x), [4], "add").read().result().tolist() == [6, 22, 17]
    with pytest.raises(ValueError, match='but received: "sum"'):
        real_ts.downsample(real_ts.array(x), [4], "sum")  # type: ignore[arg-type]


def test_spec_json_round_trip() -> None:
    j = {
        "driver": "downsample",
        "base": {"driver": "array", "array": [1, 2, 3, 4, 5], "dtype": "int32"},
        "downsample_factors": [2],
        "downsample_method": "mean",
    }
    assert ts.Spec(j).to_json() == real_ts.Spec(j).to_json()
    got = ts.open(j).result().read().result()
    assert got.tolist() == real_ts.open(j).result().read().result().tolist()
    bad = [
        {k: v for k, v in j.items() if k != "downsample_method"},
        {k: v for k, v in j.items() if k != "downsample_factors"},
        {k: v for k, v in j.items() if k != "base"},
        {**j, "downsample_factors": [0]},
        {**j, "downsample_factors": [2, 2]},
        {**j, "downsample_method": "sum2"},
    ]
    for b in bad:
        with pytest.raises(ValueError) as real:
            real_ts.Spec(b)
        with pytest.raises(ValueError) as ours:
            ts.Spec(b)
        assert str(ours.value) == str(real.value)


def test_spec_of_spec_and_schema() -> None:
    for mod in (real_ts, ts):
        s = mod.downsample(mod.Spec({"driver": "zarr3", "kvstore": "memory://"}), [2, 3], "max")
        assert isinstance(s, mod.Spec)
    rj = real_ts.downsample(real_ts.Spec({"driver": "zarr3", "kvstore": "memory://"}), [2, 3], "max").to_json()
    oj = ts.downsample(ts.Spec({"driver": "zarr3", "kvstore": "memory://"}), [2, 3], "max").to_json()
    assert oj == rj


def test_zarr3_base_units_layout_and_implicit_bounds() -> None:
    x = np.arange(80, dtype=np.uint8).reshape(10, 8)
    res = []
    for mod in (real_ts, ts):
        z = mod.open(
            {"driver": "zarr3", "kvstore": "memory://"},
            create=True,
            dtype="uint8",
            shape=[10, 8],
            chunk_layout=mod.ChunkLayout(chunk_shape=[4, 4]),
            dimension_units=["4nm", "2um"],
        ).result()
        z[...] = x
        d = mod.downsample(z[mod.d[:].label["y", "x"]], [2, 3], "mean")
        res.append(
            (
                repr(d.domain),
                d.dimension_units,
                d.chunk_layout.read_chunk.shape,
                d.read().result().tolist(),
                d.spec(minimal_spec=True).to_json(),
            )
        )
    assert res[0][0] == res[1][0]
    assert [str(u) for u in res[0][1]] == [str(u) for u in res[1][1]]
    assert tuple(res[0][2]) == tuple(res[1][2])
    assert res[0][3] == res[1][3]
    assert res[0][4] == res[1][4]


def test_streaming_groups_cover_the_box() -> None:
    from tsexplore.driver import downsample as mod

    old = mod.GROUP_BYTES
    mod.GROUP_BYTES = 64  # force many groups
    try:
        x = np.random.default_rng(3).integers(0, 255, (37, 11), dtype=np.uint8)
        got = ts.downsample(ts.array(x), [3, 2], "mean").read().result()
        exp = real_ts.downsample(real_ts.array(x), [3, 2], "mean").read().result()
        np.testing.assert_array_equal(got, exp)
    finally:
        mod.GROUP_BYTES = old


@pytest.mark.parametrize("kind", ["downsample_array", "cast_array", "downsample_zarr3", "downsample_of_cast"])
def test_adapter_repr_hoists_nested_context(kind: str) -> None:
    """``repr`` of an adapter view lists the resources its base uses in the top-level ``context``."""
    reprs = []
    for mod in (real_ts, ts):
        a = mod.array(np.arange(6, dtype=np.int32).reshape(2, 3))
        if kind == "downsample_array":
            v = mod.downsample(a, [1, 2], "mean")
        elif kind == "cast_array":
            v = a.astype("int64")
        elif kind == "downsample_of_cast":
            v = mod.downsample(a.astype("float32"), [2, 1], "max")
        else:
            z = mod.open({"driver": "zarr3", "kvstore": "memory://"}, create=True, dtype="uint8", shape=[4, 4]).result()
            v = mod.downsample(z, [2, 2], "mean")
        reprs.append((repr(v), v.spec(retain_context=True).to_json(), v.spec().to_json()))
    assert reprs[1] == reprs[0]


@pytest.mark.parametrize("factors", [[8, 8], [3, 8], [1, 8], [8, 1, 8]])
def test_uint8_factor8_fast_path_matches(factors: list[int]) -> None:
    """The ``uint8`` innermost-factor-8 mean kernel (lane folding) against tensorstore, edges included."""
    shape = [35, 64] if len(factors) == 2 else [9, 4, 40]
    x = np.random.default_rng(len(factors) + factors[0]).integers(0, 256, shape, dtype=np.uint8)
    x[: shape[0] // 2] = 255  # large sums
    outs = [np.asarray(mod.downsample(mod.array(x), factors, "mean").read().result()) for mod in (real_ts, ts)]
    np.testing.assert_array_equal(outs[1], outs[0])
