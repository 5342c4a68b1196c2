"""ts.dtype and the data type constants against real tensorstore."""

from __future__ import annotations

import pickle
from types import ModuleType
from typing import Any

import ml_dtypes
import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as our_ts

from .diff import assert_same

REAL_NAMES = sorted(n for n in dir(real_ts) if isinstance(getattr(real_ts, n, None), real_ts.dtype))


def test_constant_names_match_tensorstore() -> None:
    ours = sorted(n for n in dir(our_ts) if isinstance(getattr(our_ts, n, None), our_ts.dtype))
    assert ours == REAL_NAMES
    assert len(REAL_NAMES) == 30


@pytest.mark.parametrize("name", REAL_NAMES)
def test_constant(name: str) -> None:
    def describe(ts: ModuleType) -> Any:
        d = getattr(ts, name)
        return (repr(d), str(d), d.name, d.to_json(), repr(d.numpy_dtype), d.numpy_dtype.itemsize, d.type)

    assert_same(describe, value=True)


@pytest.mark.parametrize("name", REAL_NAMES)
def test_equality_and_hash(name: str) -> None:
    def compare(ts: ModuleType) -> Any:
        d = getattr(ts, name)
        by_name = ts.dtype(name)
        return (
            d == by_name,
            d != by_name,
            hash(d) == hash(by_name),
            d == name,
            d == ts.dtype("int8"),
            {d: 1}.get(by_name),
            pickle.loads(pickle.dumps(d)) == d,
        )

    assert_same(compare, value=True)


@pytest.mark.parametrize("name", [n for n in REAL_NAMES if n not in ("string", "ustring", "json")])
def test_numpy_round_trip(name: str) -> None:
    def run(ts: ModuleType) -> Any:
        d = getattr(ts, name)
        nd = d.numpy_dtype
        return repr(ts.dtype(nd)), d == nd, d == nd.type, nd == d

    assert_same(run, value=True)


DTYPE_LIKES: list[Any] = [
    "float32", np.float32, np.dtype("float32"), np.dtype("<f4"), np.dtype(">f4"), "<f4", "f4", "i4",
    float, int, bool, complex, str, bytes, object, np.object_, np.dtype("O"), np.str_, np.bytes_,
    np.dtype("S5"), np.dtype("U5"), np.dtype("V1"), np.dtype("V"), np.void, ml_dtypes.bfloat16,
    np.dtype(ml_dtypes.bfloat16), ml_dtypes.int4, ml_dtypes.uint4, np.datetime64, np.intc, np.longlong,
    np.uint, np.dtype([("a", "i4")]), "foo", "", 5, None, [("a", "i4")], b"int8", "float", "double",
    "bool_", "uint4", np.float32(3), np.zeros(2, np.float32),
]


@pytest.mark.parametrize("like", DTYPE_LIKES, ids=[repr(x)[:30] for x in DTYPE_LIKES])
def test_constructor(like: Any) -> None:
    assert_same(lambda ts: ts.dtype(like))


@pytest.mark.parametrize("like", DTYPE_LIKES, ids=[repr(x)[:30] for x in DTYPE_LIKES])
def test_eq_with_dtype_like(like: Any) -> None:
    assert_same(lambda ts: ts.float32 == like)
    assert_same(lambda ts: ts.float32 != like)


def test_constructor_errors() -> None:
    assert_same(lambda ts: ts.dtype())
    assert_same(lambda ts: ts.dtype(name="int8"))
    assert_same(lambda ts: ts.dtype(ts.float32))
    assert_same(lambda ts: ts.dtype(ts.dtype))
    assert_same(lambda ts: ts.dtype(dtype="uint16"))


def test_unordered_and_attributes() -> None:
    assert_same(lambda ts: ts.float32 < ts.float64)
    assert_same(lambda ts: ts.float32.foo)
    assert_same(lambda ts: np.dtype("float32") == ts.float32)
    assert_same(lambda ts: "float32" == ts.float32)  # noqa: SIM300 - reflected __eq__ under test
    assert_same(lambda ts: np.dtype("float32") in [ts.float32])
    assert_same(lambda ts: ts.float32 in {np.dtype("float32")})
    assert_same(lambda ts: np.dtype(ts.float32))


CALLS: list[tuple[str, Any]] = [
    ("uint8", 5), ("uint8", 300), ("uint8", -1), ("float32", 1.5), ("float32", "1.5"), ("bool", 1),
    ("string", "abc"), ("string", b"abc"), ("ustring", "abc"), ("json", {"a": 1}), ("bfloat16", 1.5),
    ("int4", 3), ("byte", 1), ("char", b"a"), ("complex64", 1 + 2j), ("uint8", [1, 2]), ("int16", 2**20),
]


@pytest.mark.parametrize("call", CALLS, ids=[f"{n}({v!r})" for n, v in CALLS])
def test_call(call: tuple[str, Any]) -> None:
    name, arg = call
    assert_same(lambda ts: getattr(ts, name)(arg))


def test_call_without_argument() -> None:
    assert_same(lambda ts: ts.uint8())
