"""The NumPy downsample kernels against real tensorstore (on ``tensorstore.array`` bases).

tensorstore 0.1.86 returns uninitialised garbage for a block that is cut on *both* sides (a whole
dimension lying strictly inside one block, e.g. base ``[1, 3)`` with factor 4), so those cases are
checked against a brute-force per-block reference written here instead.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts
from hypothesis import given, settings
from hypothesis import strategies as st

from tsexplore.driver.downsample_kernels import (
    check_method_supports,
    downsample_array,
    downsampled_bounds,
    parse_method,
)
from tsexplore.status import StatusError

METHODS = ["mean", "min", "max", "median", "mode"]
DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int4",
]


def _cut_both_sides(shape: tuple[int, ...], origin: tuple[int, ...], factors: tuple[int, ...]) -> bool:
    return any(
        n > 0 and o % f != 0 and (o + n) % f != 0 and o // f == (o + n - 1) // f
        for n, o, f in zip(shape, origin, factors, strict=True)
    )


def _values(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], wide: bool) -> np.ndarray[Any, Any]:
    npdt = real_ts.dtype(dtype).numpy_dtype
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.startswith("complex"):
        return (rng.integers(-3, 3, shape) + 1j * rng.integers(-3, 3, shape)).astype(npdt)
    if dtype == "int4":
        return rng.integers(-8, 8, shape).astype(npdt)
    if dtype in ("int64", "uint64") and wide:  # sums beyond 64 bits
        base = rng.integers(0 if dtype == "uint64" else -100, 100, shape)
        return (base.astype(object) * (1 << 56)).astype(npdt)
    info_lo = 0 if dtype.startswith("uint") else -100
    return rng.integers(info_lo, 100, shape).astype(npdt)


def _brute(x: np.ndarray[Any, Any], origin: tuple[int, ...], factors: tuple[int, ...], method: str) -> Any:
    """One Python loop per block: independent of the kernels' segment arithmetic."""
    lo = [o // f for o, f in zip(origin, factors, strict=True)]
    hi = [-(-(o + n) // f) for o, n, f in zip(origin, x.shape, factors, strict=True)]
    out = np.empty([h - low for low, h in zip(lo, hi, strict=True)], dtype=object)
    for idx in itertools.product(*[range(a, b) for a, b in zip(lo, hi, strict=True)]):
        sel = tuple(
            slice(max(i * f, o) - o, min((i + 1) * f, o + n) - o)
            for i, f, o, n in zip(idx, factors, origin, x.shape, strict=True)
        )
        vals = sorted(x[sel].ravel().tolist(), key=lambda v: (v.real, v.imag) if isinstance(v, complex) else v)
        if x.dtype == bool and method in ("median", "mode"):
            method_b = "mean"
        else:
            method_b = method
        if method_b == "mean":
            s = sum(vals)
            exact = (isinstance(s, int) and not isinstance(s, bool)) or x.dtype == bool or x.dtype.kind in "iu"
            mean = round(Fraction(int(s), len(vals))) if exact else s / len(vals)  # round(): ties to even
            out[tuple(i - a for i, a in zip(idx, lo, strict=True))] = mean
        elif method_b == "min":
            out[tuple(i - a for i, a in zip(idx, lo, strict=True))] = vals[0]
        elif method_b == "max":
            out[tuple(i - a for i, a in zip(idx, lo, strict=True))] = vals[-1]
        elif method_b == "median":
            out[tuple(i - a for i, a in zip(idx, lo, strict=True))] = vals[(len(vals) - 1) // 2]
        else:
            best = max(vals, key=lambda v: (vals.count(v), -vals.index(v)))
            out[tuple(i - a for i, a in zip(idx, lo, strict=True))] = best
    return out


def _close(dtype: str, got: np.ndarray[Any, Any], exp: Any, *, integer_mean_exact: bool = True) -> None:
    assert got.shape == np.shape(exp)
    if dtype in ("bfloat16", "float16", "int4"):
        np.testing.assert_allclose(got.astype(np.float64), np.asarray(exp).astype(np.float64), rtol=1e-2)
    elif dtype.startswith(("float", "complex")):
        np.testing.assert_allclose(got.astype(np.complex128), np.asarray(exp).astype(np.complex128), rtol=1e-6)
    else:
        np.testing.assert_array_equal(got, exp)


case = st.tuples(
    st.sampled_from(METHODS),
    st.sampled_from(DTYPES),
    st.integers(1, 3).flatmap(
        lambda r: st.tuples(
            st.tuples(*[st.integers(0, 8)] * r),
            st.tuples(*[st.integers(-9, 9)] * r),
            st.tuples(*[st.integers(1, 4)] * r),
        )
    ),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(case)
def test_kernels_match_tensorstore(c: Any) -> None:
    method, dtype, (shape, origin, factors), seed, wide = c
    npdt = real_ts.dtype(dtype).numpy_dtype
    try:
        check_method_supports(method, dtype, npdt)
    except StatusError as e:
        with pytest.raises(ValueError) as info:
            real_ts.downsample(real_ts.array(np.zeros(shape, npdt), dtype=dtype), factors, method)
        assert str(info.value) == str(e)
        return
    x = _values(np.random.default_rng(seed), dtype, shape, wide)
    got = downsample_array(x, origin, factors, method)
    assert got.dtype == x.dtype
    base = real_ts.array(x, dtype=dtype)[real_ts.d[:].translate_to[origin]]
    if x.size == 0:  # no elements: only the shape is defined
        assert got.shape == real_ts.downsample(base, factors, method).shape
        return
    if _cut_both_sides(shape, origin, factors):
        if method == "mean" and dtype not in ("bool",) and not dtype.startswith(("float", "bfloat", "complex")):
            ref = _brute(x, origin, factors, method)
            np.testing.assert_array_equal(got.astype(np.float64 if dtype == "int4" else object), ref)
        elif method != "mean":
            _close(dtype, got, np.asarray(_brute(x, origin, factors, method)).astype(got.dtype))
        return
    exp = real_ts.downsample(base, factors, method).read().result()
    _close(dtype, got, exp)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1, 2], 2), ([2, 3], 2), ([-1, -2], -2), ([-2, -3], -2), ([1, 2, 2, 2], 2), ([0, 1, 1, 1], 1), ([0, 0, 1], 0)],
)
def test_integer_mean_rounds_half_to_even(values: list[int], expected: int) -> None:
    x = np.array(values, np.int32)
    exp = real_ts.downsample(real_ts.array(x), [len(values)], "mean").read().result()
    assert int(exp[0]) == expected
    assert downsample_array(x, [0], [len(values)], "mean").tolist() == [expected]


def test_median_lower_middle_and_mode_smallest_tie() -> None:
    x = np.array([4, 1, 3, 2, 7, 7, 5, 5], np.int16)
    for method in ("median", "mode"):
        exp = real_ts.downsample(real_ts.array(x), [4], method).read().result()
        np.testing.assert_array_equal(downsample_array(x, [0], [4], method), exp)
    assert downsample_array(x, [0], [4], "median").tolist() == [2, 5]
    assert downsample_array(x, [0], [4], "mode").tolist() == [1, 5]


def test_nan_never_wins_min_max() -> None:
    x = np.array([np.nan, 2.0, np.nan, np.nan, 1.0, np.nan], np.float32)
    for method in ("min", "max"):
        exp = real_ts.downsample(real_ts.array(x), [2], method).read().result()
        np.testing.assert_array_equal(downsample_array(x, [0], [2], method), exp)


def test_bool_median_and_mode_equal_mean() -> None:
    x = np.array([True, False, True, True, False, False], bool)
    for method in ("median", "mode", "mean"):
        exp = real_ts.downsample(real_ts.array(x), [3], method).read().result()
        np.testing.assert_array_equal(downsample_array(x, [0], [3], method), exp)


def test_complex_mode_orders_lexicographically() -> None:
    x = np.array([1 + 2j, 1 + 1j, 2 + 0j, 0 + 5j], np.complex64)
    exp = real_ts.downsample(real_ts.array(x), [4], "mode").read().result()
    np.testing.assert_array_equal(downsample_array(x, [0], [4], "mode"), exp)


def test_ustring_stride_and_mode() -> None:
    x = np.array(["b", "a", "b", "c", "c", "a"], dtype=object)
    exp = real_ts.downsample(real_ts.array(x, dtype="ustring"), [3], "mode").read().result()
    np.testing.assert_array_equal(downsample_array(x, [0], [3], "mode"), exp)


def test_sum_extension_wraps_in_base_dtype() -> None:
    x = np.array([0, 30, 60, 90, 120, 150, 180, 210, 240, 250], np.uint8)  # base positions 3..12
    got = downsample_array(x, [3], [4], "sum")
    exp = np.array([0, (30 + 60 + 90 + 120) % 256, (150 + 180 + 210 + 240) % 256, 250], np.uint8)
    np.testing.assert_array_equal(got, exp)
    f = np.array([0.5, 1.5, 2.0], np.float32)
    assert downsample_array(f, [0], [2], "sum").tolist() == [2.0, 2.0]


def test_bounds() -> None:
    assert downsampled_bounds(5, 14, 2, "mean") == (2, 7)
    assert downsampled_bounds(5, 14, 2, "stride") == (3, 7)
    assert downsampled_bounds(-5, 5, 3, "max") == (-2, 2)
    assert downsampled_bounds(3, 17, 3, "stride") == (1, 6)


def test_parse_method_messages() -> None:
    assert parse_method("add") == "sum"
    assert parse_method("sum") == "sum"
    with pytest.raises(ValueError) as ours:
        parse_method("average")
    with pytest.raises(ValueError) as real:
        real_ts.downsample(real_ts.array(np.zeros(2)), [1], "average")  # type: ignore[arg-type]
    assert str(ours.value) == str(real.value)
