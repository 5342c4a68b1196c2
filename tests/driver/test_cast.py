"""Differential tests of the ``cast`` driver (``ts.cast``, ``.astype``) vs tensorstore."""

from __future__ import annotations

import numpy as np
import pytest
import tensorstore as real

import tsexplore as ts

from .test_array import same

A = np.arange(6, dtype=np.int32).reshape(2, 3)
DTYPES = ["bool", "int8", "uint16", "int64", "float32", "float64", "complex64", "string", "ustring", "json"]


@pytest.mark.parametrize("dst", DTYPES)
def test_cast_modes_from_int32(dst: str) -> None:
    same(lambda m: (m.cast(m.array(A), dst).readable, m.cast(m.array(A), dst).writable))


@pytest.mark.parametrize("dst", ["ustring", "json", "int32", "float32"])
def test_cast_modes_from_string(dst: str) -> None:
    src = np.array([b"1", b"x"], dtype=object)
    same(lambda m: (m.cast(m.array(src, dtype=m.string), dst).readable,
                    m.cast(m.array(src, dtype=m.string), dst).writable))


@pytest.mark.parametrize("dst", ["float32", "int8", "bool", "complex128"])
def test_cast_read_values(dst: str) -> None:
    same(lambda m: m.cast(m.array(A), dst)[1:, ::2].read().result())


def test_cast_write_is_c_style() -> None:
    for m in (ts, real):
        base = m.array(np.zeros((2, 3), np.int32))
        m.cast(base, "float32").write(np.full((2, 3), 2.7, np.float32)).result()
        assert base.read().result().tolist() == [[2] * 3] * 2


def test_cast_specs() -> None:
    same(lambda m: m.cast(m.array(A), "float32").spec().to_json())
    same(lambda m: m.cast(m.array(A), "float32").spec().to_json(include_defaults=True))
    same(lambda m: repr(m.cast(m.array(A), "float32").spec()))
    same(lambda m: m.array(A).astype(m.float32).spec().to_json())
    same(lambda m: m.cast(m.array(A), "float32").schema.to_json())
    same(lambda m: m.Spec({"driver": "cast", "dtype": "int32"}))
    same(lambda m: m.Spec({"driver": "cast", "base": {"driver": "array", "array": [1], "dtype": "int32"}}).to_json())


def test_cast_unsafe_write_source() -> None:
    same(lambda m: m.cast(m.array(A), "float32").write(np.ones((2, 3))).result())


def test_cast_reopens() -> None:
    c = ts.cast(ts.array(A), "float64")
    again = ts.open(c.spec().to_json()).result()
    assert again.dtype == ts.float64
    assert again.read().result().tolist() == A.astype(float).tolist()
