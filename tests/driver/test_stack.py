"""``ts.stack`` / ``ts.concat`` / ``ts.overlay`` and the ``stack`` driver against real tensorstore."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as ts

MODS = (real_ts, ts)


def _outcome(fn: Callable[[], Any]) -> Any:
    """A comparable outcome: the value, or (exception kind, message)."""
    try:
        v = fn()
    except IndexError:  # raised by indexing (the index module's texts are tested there)
        return ("IndexError",)
    except ValueError as e:
        return ("ValueError", str(e))
    except TypeError as e:
        return ("TypeError", str(e))
    except NotImplementedError as e:
        return ("NotImplementedError", str(e))
    return _norm(v)


def _norm(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ("array", v.dtype.str, v.tolist())
    if isinstance(v, (tuple, list)):
        return type(v)(_norm(x) for x in v)
    return v


def _both(fn: Callable[[Any], Any]) -> None:
    want, got = (_outcome(lambda m=m: fn(m)) for m in MODS)
    assert got == want


def _ab(m: Any) -> tuple[Any, Any]:
    a = m.array(np.arange(6, dtype=np.int32).reshape(2, 3))
    b = m.array(np.arange(6, 12, dtype=np.int32).reshape(2, 3))
    return a, b


def _labeled(m: Any, x: Any, labels: list[str]) -> Any:
    return x[m.d[:].label[tuple(labels)]]


BUILDERS: dict[str, Callable[[Any], Any]] = {
    "stack0": lambda m: m.stack(list(_ab(m))),
    "stack1": lambda m: m.stack(list(_ab(m)), axis=1),
    "stack-1": lambda m: m.stack(list(_ab(m)), axis=-1),
    "stack_offset": lambda m: m.stack([_ab(m)[0], _ab(m)[1][m.d[0].translate_by[1]]]),
    "stack_labels": lambda m: m.stack([_labeled(m, _ab(m)[0], ["x", "y"]), _ab(m)[1]]),
    "stack_shape_kw": lambda m: m.stack(list(_ab(m)), shape=[2, 2, 4]),
    "stack_read_only": lambda m: m.stack(list(_ab(m)), read=True),
    "stack_cast": lambda m: m.stack([x.astype("int64") for x in _ab(m)]),
    "stack_view": lambda m: m.stack(list(_ab(m)))[1, :, 1:],
    "stack_spec_and_store": lambda m: m.stack(
        [m.Spec({"driver": "array", "array": [1, 2, 3], "dtype": "int32"}), _ab(m)[1][0]]
    ),
    "concat0": lambda m: m.concat(list(_ab(m)), axis=0),
    "concat1": lambda m: m.concat(list(_ab(m)), axis=1),
    "concat-1": lambda m: m.concat(list(_ab(m)), axis=-1),
    "concat_label": lambda m: m.concat([_labeled(m, x, ["x", "y"]) for x in _ab(m)], axis="y"),
    "concat_origin": lambda m: m.concat([_ab(m)[0][m.d[0].translate_by[5]], _ab(m)[1][m.d[0].translate_by[7]]], axis=0),
    "concat_ragged": lambda m: m.concat([_ab(m)[0], m.array(np.zeros((2, 4), np.int32))], axis=0),
    "overlay_same": lambda m: m.overlay(list(_ab(m))),
    "overlay_shift": lambda m: m.overlay([_ab(m)[0], _ab(m)[1][m.d[0].translate_by[1]]]),
    "overlay_gap": lambda m: m.overlay([_ab(m)[0], _ab(m)[1][m.d[0].translate_by[3]]]),
    "overlay_negative": lambda m: m.overlay([_ab(m)[0][m.d[0].translate_by[-5]], _ab(m)[1]]),
    "overlay_1": lambda m: m.overlay([_ab(m)[1]]),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_store_matches(name: str) -> None:
    build = BUILDERS[name]
    _both(lambda m: str(build(m).domain))
    _both(lambda m: build(m).dtype.name)
    _both(lambda m: build(m).mode)
    _both(lambda m: build(m).read().result())
    _both(lambda m: build(m).spec().to_json())
    _both(lambda m: build(m).spec(minimal_spec=True).to_json())
    _both(lambda m: repr(build(m)))
    _both(lambda m: build(m).schema.to_json())
    _both(lambda m: build(m).chunk_layout.to_json())
    _both(lambda m: build(m).dimension_units)
    _both(lambda m: build(m).fill_value)
    _both(lambda m: build(m).kvstore)
    _both(lambda m: build(m).url)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_spec_reopens(name: str) -> None:
    """The spec of every view reopens (``ts.open``) to the same values and spec."""
    build = BUILDERS[name]

    def reopen(m: Any) -> Any:
        again = m.open(build(m).spec()).result()
        return again.spec().to_json(), again.read().exception() is None

    _both(reopen)


ERRORS: dict[str, Callable[[Any], Any]] = {
    "dtype": lambda m: m.stack([_ab(m)[0], m.array(np.zeros((2, 3), np.float32))]),
    "dtype_kw": lambda m: m.stack(list(_ab(m)), dtype="int64"),
    "rank": lambda m: m.stack([_ab(m)[0], m.array(np.zeros((2,), np.int32))]),
    "concat_rank": lambda m: m.concat([_ab(m)[0], m.array(np.zeros((2,), np.int32))], axis=0),
    "rank_kw": lambda m: m.stack(list(_ab(m)), rank=2),
    "empty_stack": lambda m: m.stack([]),
    "empty_concat": lambda m: m.concat([], axis=0),
    "empty_overlay": lambda m: m.overlay([]),
    "axis": lambda m: m.stack(list(_ab(m)), axis=3),
    "axis_neg": lambda m: m.stack(list(_ab(m)), axis=-4),
    "concat_axis": lambda m: m.concat(list(_ab(m)), axis=2),
    "concat_label": lambda m: m.concat([_labeled(m, x, ["x", "y"]) for x in _ab(m)], axis="z"),
    "concat_float_axis": lambda m: m.concat(list(_ab(m)), axis=1.5),
    "labels": lambda m: m.stack([_labeled(m, _ab(m)[0], ["x", "y"]), _labeled(m, _ab(m)[1], ["u", "v"])]),
    "not_a_layer": lambda m: m.stack([_ab(m)[0], 5]),
    "spec_no_domain": lambda m: m.stack([m.Spec({"driver": "zarr3", "kvstore": "memory://"})]),
    "spec_no_dtype": lambda m: m.stack(
        [m.Spec({"driver": "zarr3", "kvstore": "memory://", "schema": {"domain": {"shape": [3]}}})]
    ),
    "gap_read": lambda m: m.overlay([_ab(m)[0], _ab(m)[1][m.d[0].translate_by[3]]]).read().result(),
    "gap_read_row": lambda m: m.overlay([_ab(m)[0], _ab(m)[1][m.d[0].translate_by[3]]])[2].read().result(),
    "gap_write": lambda m: m.overlay([_ab(m)[0], _ab(m)[1][m.d[0].translate_by[3]]])[2].write(1).result(),
    "beyond_hull": lambda m: m.stack(list(_ab(m)), shape=[2, 2, 5])[:, :, 2:].read().result(),
    "write_read_only": lambda m: m.stack(list(_ab(m)), read=True).write(1).result(),
    "lazy_open_error": lambda m: m.stack(
        [m.Spec({"driver": "zarr3", "kvstore": "memory://x/", "dtype": "uint8",
                 "transform": {"input_inclusive_min": [0], "input_exclusive_max": [[4]]}})]
    ).read().result(),
    "json_rank": lambda m: m.Spec({"driver": "stack", "layers": [
        {"driver": "array", "array": [1, 2], "dtype": "int32"},
        {"driver": "array", "array": [[3.0]], "dtype": "int32"}]}),
    "json_dtype": lambda m: m.open({"driver": "stack", "layers": [
        {"driver": "array", "array": [1, 2], "dtype": "int32"},
        {"driver": "array", "array": [3.0], "dtype": "float32"}]}).result(),
    "json_layers_missing": lambda m: m.Spec({"driver": "stack"}),
    "json_layers_type": lambda m: m.Spec({"driver": "stack", "layers": 5}),
    "json_layer_type": lambda m: m.Spec({"driver": "stack", "layers": [5]}),
    "json_no_domain": lambda m: m.Spec({"driver": "stack", "layers": [{"driver": "zarr3", "kvstore": "memory://"}]}),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match(name: str) -> None:
    _both(lambda m: repr(ERRORS[name](m)))


def test_json_open_and_spec() -> None:
    j = {"driver": "stack", "layers": [
        {"driver": "array", "array": [1, 2], "dtype": "int32"},
        {"driver": "array", "array": [3, 4, 5], "dtype": "int32"}]}
    _both(lambda m: m.Spec(j).to_json())
    _both(lambda m: (str(m.Spec(j).domain), m.Spec(j).dtype.name, m.Spec(j).rank))
    _both(lambda m: m.open(j).result().read().result())
    _both(lambda m: m.open(j).result().spec().to_json())


def test_overlay_write_goes_to_top_layer() -> None:
    def run(m: Any) -> Any:
        a, b = _ab(m)
        z = m.array(np.zeros((2, 3), np.int32))
        o = m.overlay([a, z[m.d[0].translate_by[1]], b[m.d[1].translate_by[2]]])
        o.write(np.arange(15, dtype=np.int32).reshape(3, 5)).result()
        o[1:, 3].write(np.array([-1, -2], np.int32)).result()
        return [x.read().result().tolist() for x in (a, z, b)] + [o.read().exception() is None]

    _both(run)


def test_stack_write_routes_by_layer() -> None:
    def run(m: Any) -> Any:
        a, b = _ab(m)
        s = m.stack([a, b], axis=1)
        s[:, :, 1] = np.array([[10, 11], [12, 13]], np.int32)
        s[[1, 0], 0, [2, 0]] = np.array([100, 200], np.int32)
        return a.read().result().tolist(), b.read().result().tolist(), s.read().result().tolist()

    _both(run)


def test_zarr3_layers_opened_lazily_and_repr_context() -> None:
    def run(m: Any) -> Any:
        ctx = m.Context()
        x = m.open({"driver": "zarr3", "kvstore": "memory://a/"}, create=True, dtype="uint8", shape=[4, 4],
                   context=ctx).result()
        x.write(np.arange(16, dtype=np.uint8).reshape(4, 4)).result()
        spec = m.Spec({"driver": "zarr3", "kvstore": "memory://a/"})
        s = m.stack([spec, x], context=ctx)
        return repr(s), s.read().result().tolist(), s[1, 2:].read().result().tolist()

    _both(run)


# -- hypothesis: random overlays, random views ------------------------------------------------------------
layer_st = st.tuples(st.integers(-3, 3), st.integers(1, 4), st.integers(-3, 3), st.integers(1, 4))
view_st = st.tuples(
    st.tuples(st.integers(-4, 5), st.integers(-4, 8), st.sampled_from([1, 2, -1, -2])),
    st.tuples(st.integers(-4, 5), st.integers(-4, 8), st.sampled_from([1, 3, -1])),
    st.booleans(),
    st.lists(st.integers(-4, 7), min_size=1, max_size=4),
)


def _overlay(m: Any, layers: list[tuple[int, int, int, int]]) -> Any:
    stores = []
    for k, (o0, n0, o1, n1) in enumerate(layers):
        x = m.array((np.arange(n0 * n1, dtype=np.int16) + 100 * k).reshape(n0, n1))
        stores.append(x[m.d[:].translate_to[o0, o1]])
    return m.overlay(stores)


@settings(max_examples=120, deadline=None)
@given(st.lists(layer_st, min_size=1, max_size=4), view_st)
def test_overlay_reads_match(layers: list[tuple[int, int, int, int]], view: Any) -> None:
    (a0, b0, s0), (a1, b1, s1), use_array, idx = view

    def run(m: Any) -> Any:
        o = _overlay(m, layers)
        v = o[a0:b0:s0, a1:b1:s1] if not use_array else o[np.array(idx), a1:b1:s1]
        return str(v.domain), v.read().result()

    _both(run)


@settings(max_examples=60, deadline=None)
@given(st.lists(layer_st, min_size=1, max_size=3), view_st, st.integers(0, 2**31))
def test_overlay_writes_match(layers: list[tuple[int, int, int, int]], view: Any, seed: int) -> None:
    (a0, b0, s0), (a1, b1, s1), use_array, idx = view

    def run(m: Any) -> Any:
        o = _overlay(m, layers)
        v = o[a0:b0:s0, a1:b1:s1] if not use_array else o[np.array(idx), a1:b1:s1]
        src = np.random.default_rng(seed).integers(-50, 50, v.shape).astype(np.int16)
        if use_array and len(set(idx)) != len(idx):
            return "skip"  # duplicate write positions: the winner is unspecified
        err = v.write(src).exception()
        return str(err), o.read().result() if err is None else None

    _both(run)
