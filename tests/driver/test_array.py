"""Differential tests of the ``array`` driver, ``ts.open`` and the TensorStore handle vs tensorstore."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tensorstore as real

import tsexplore as ts


def outcome(fn: Callable[[Any], Any], mod: Any) -> Any:
    """Value (numpy arrays as lists, objects as repr) or (exception category, message)."""
    try:
        v = fn(mod)
    except Exception as e:
        cat = "ValueError" if isinstance(e, ValueError) else type(e).__name__
        msg = str(e).split("\nInvoked with")[0]
        if isinstance(e, TypeError):  # pybind signature listings: compare the first line only
            msg = msg.split("\n")[0]
        head, *notes = msg.split(" [")
        return ("error", cat, head, sorted(notes))
    if isinstance(v, np.ndarray):
        return ("array", v.dtype.str, v.tolist())
    if isinstance(v, (dict, list, tuple, int, float, str, bool)) or v is None:
        return v
    return repr(v)


def same(fn: Callable[[Any], Any]) -> None:
    assert outcome(fn, ts) == outcome(fn, real)


A = np.arange(6, dtype=np.int32).reshape(2, 3)

CASES: dict[str, Callable[[Any], Any]] = {
    "spec": lambda m: m.array(A).spec().to_json(),
    "spec_defaults": lambda m: m.array(A).spec().to_json(include_defaults=True),
    "spec_retain": lambda m: m.array(A).spec(retain_context=True).to_json(),
    "spec_unbind": lambda m: m.array(A).spec(unbind_context=True).to_json(),
    "view_spec": lambda m: m.array(A)[m.d[:].label["r", "col"]][:, 1:].spec().to_json(),
    "view_scalar_spec": lambda m: m.array(A)[1, 1:2].spec().to_json(),
    "repr_view": lambda m: repr(m.array(A)[m.d[:].label["r", "col"]][:, 1:]),
    "schema": lambda m: m.array(A).schema.to_json(),
    "chunk_layout": lambda m: m.array(A).chunk_layout.to_json(),
    "read": lambda m: m.array(A)[1:, ::2].read().result(),
    "read_f": lambda m: m.array(A).read(order="F").result().flags["F_CONTIGUOUS"],
    "mode": lambda m: (m.array(A).mode, m.array(A, write=False).mode),
    "write_readonly": lambda m: m.array(np.arange(3), write=False).write(1).result(),
    "unsafe_cast": lambda m: m.array(A).write(np.zeros((2, 3))).result(),
    "misaligned": lambda m: m.array(A).write(np.zeros((3, 3), np.int32)).result(),
    "too_deep": lambda m: m.array(A).write(np.zeros((1, 2, 3), np.int32)).result(),
    "overflow": lambda m: m.array(A).write(1 << 40).result(),
    "index_oob": lambda m: m.array(A)[2],
    "slice_oob": lambda m: m.array(A)[:, 1:5],
    "open_json": lambda m: repr(m.open({"driver": "array", "array": [1, 2], "dtype": "int32"}).result()),
    "open_dtype_conflict": lambda m: m.open(
        {"driver": "array", "array": [1, 2], "dtype": "int32"}, dtype="int64"
    ).result(),
    "open_context_dict": lambda m: m.open({"driver": "array", "array": [1, 2], "dtype": "int32"}, context={}),
    "open_bad_driver": lambda m: m.open({"driver": "no_such_driver"}),
    "open_extra": lambda m: m.open({"driver": "array", "array": [1], "dtype": "int32", "bogus": 1}),
    "open_missing_dtype": lambda m: m.open({"driver": "array", "array": [1]}),
    "open_bad_transform": lambda m: m.open(
        {"driver": "array", "array": [1, 2], "dtype": "int32", "transform": {"input_shape": [3]}}
    ).result(),
    "open_shape_mismatch": lambda m: m.open(
        {"driver": "array", "array": [1, 2], "dtype": "int32"}, shape=[3]
    ).result(),
    "open_read_only_write": lambda m: m.open(
        {"driver": "array", "array": [1, 2], "dtype": "int32"}, read=True
    ).result().write(5).result(),
    "open_write_mode": lambda m: m.open(
        {"driver": "array", "array": [1, 2], "dtype": "int32"}, write=True
    ).result().mode,
    "resize": lambda m: m.array(np.arange(3)).resize(exclusive_max=[5]).result(),
    "url": lambda m: m.array(np.arange(3)).url,
    "kvstore_base": lambda m: (m.array(np.arange(3)).kvstore, m.array(np.arange(3)).base),
    "units": lambda m: m.array(A).dimension_units,
    "fill_codec": lambda m: (m.array(A).fill_value, m.array(A).codec),
    "dtype_arg": lambda m: str(m.array([[1, 2], [3, 4]], dtype=m.int8).dtype),
    "bad_array": lambda m: m.array(["a", "b"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_tensorstore(name: str) -> None:
    same(CASES[name])


def test_array_references_numpy_data() -> None:
    a = np.zeros(4, dtype=np.int32)
    t = ts.array(a)
    t[1:3] = 7
    assert a.tolist() == [0, 7, 7, 0]
    b = np.zeros(4, dtype=np.int32)
    ts.array(b, copy=True)[0] = 5
    assert b.tolist() == [0, 0, 0, 0]


def test_write_futures_and_sources() -> None:
    t = ts.array(np.zeros((2, 3), dtype=np.float64))
    wf = t.write([1, 2, 3])
    assert isinstance(wf, ts.WriteFutures)
    assert wf.copy.result() is None
    assert wf.result() is None and wf.done()
    other = ts.array(np.full((2, 3), 4, dtype=np.int16))
    t.write(other).result()
    assert np.asarray(t).tolist() == [[4.0] * 3] * 2


def test_spec_update_and_open_mode() -> None:
    j = {"driver": "array", "array": [1, 2], "dtype": "int32"}
    for m in (ts, real):
        s = m.Spec(j)
        s.update(dtype="int32")
        assert s.to_json() == real.Spec(j).to_json()
        assert repr(s.open_mode) == "OpenMode()"
