"""Differential tests of Schema, ChunkLayout and OpenMode vs tensorstore."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as ts

from .driver.test_array import same


def _update(obj: Any, **kw: Any) -> Any:
    obj.update(**kw)
    return obj.to_json()


def _props(c: Any) -> Any:
    return (c.rank, c.inner_order, c.grid_origin, c.inner_order_soft_constraint, c.write_chunk.shape,
            c.write_chunk.elements)


CASES: dict[str, Callable[[Any], Any]] = {
    "shape": lambda m: m.Schema(dtype="int32", shape=[2, 3]).to_json(),
    "repr": lambda m: repr(m.Schema(dtype="int32", shape=[2, 3])),
    "json": lambda m: repr(m.Schema({"dtype": "int32", "rank": 2})),
    "fill": lambda m: m.Schema(rank=2, dtype=m.int32, fill_value=5).fill_value,
    "fill_cast": lambda m: m.Schema(dtype="int32", fill_value=1.5).to_json(),
    "units": lambda m: m.Schema(dimension_units=["4nm", None]).to_json(),
    "units_merge": lambda m: _update(m.Schema(dimension_units=["4nm", None]), dimension_units=[None, "5nm"]),
    "units_conflict": lambda m: m.Schema(dimension_units=["4nm"]).update(dimension_units=["5nm"]),
    "rank_conflict": lambda m: m.Schema(rank=2, shape=[3]),
    "dtype_conflict": lambda m: m.Schema(dtype="int32").update(dtype="float32"),
    "domain_conflict": lambda m: m.Schema(shape=[2, 3]).update(domain=m.IndexDomain(shape=[2, 4])),
    "label_conflict": lambda m: m.Schema(domain=m.IndexDomain(labels=["x", "y"], shape=[2, 3])).update(
        domain=m.IndexDomain(labels=["x", "z"], shape=[2, 3])
    ),
    "fill_conflict": lambda m: m.Schema(fill_value=1).update(fill_value=2),
    "extra": lambda m: m.Schema({"bogus": 1}),
    "json_rank": lambda m: m.Schema({"rank": 2, "domain": {"shape": [3]}}),
    "empty": lambda m: (repr(m.Schema()), m.Schema().rank, m.Schema().dtype, m.Schema(rank=2).dimension_units),
    "positional_update": lambda m: m.Schema().update(m.Schema()),
    "layout_conflict": lambda m: m.Schema(chunk_layout=m.ChunkLayout(chunk_shape=[1, 1])).update(
        chunk_layout=m.ChunkLayout(chunk_shape=[2, 2])
    ),
    "cl_shape": lambda m: repr(m.ChunkLayout(chunk_shape=[1, None])),
    "cl_soft": lambda m: repr(m.ChunkLayout(chunk_shape_soft_constraint=[1, 2])),
    "cl_aspect": lambda m: repr(m.ChunkLayout(chunk_aspect_ratio=[1, 2], chunk_elements=100)),
    "cl_json": lambda m: repr(m.ChunkLayout({"chunk": {"shape": [1, 2]}, "inner_order_soft_constraint": [1, 0]})),
    "cl_rank": lambda m: repr(m.ChunkLayout(rank=2)),
    "cl_perm": lambda m: m.ChunkLayout(inner_order=[1, 1]),
    "cl_rank_conflict": lambda m: m.ChunkLayout(inner_order=[1, 0], chunk_shape=[1, 2, 3]),
    "cl_neg": lambda m: m.ChunkLayout(chunk_shape=[1, -2]),
    "cl_elements": lambda m: m.ChunkLayout(chunk_elements=-1),
    "cl_hard_conflict": lambda m: m.ChunkLayout(chunk_shape=[1, 2]).update(chunk_shape=[3, None]),
    "cl_soft_first_wins": lambda m: _update(m.ChunkLayout(chunk_shape_soft_constraint=[1, 2]),
                                            chunk_shape_soft_constraint=[3, None]),
    "cl_hard_over_soft": lambda m: _update(m.ChunkLayout(chunk_shape_soft_constraint=[1, 2]), chunk_shape=[3, None]),
    "cl_order_conflict": lambda m: m.ChunkLayout(inner_order=[0, 1]).update(inner_order=[1, 0]),
    "cl_origin_conflict": lambda m: m.ChunkLayout(grid_origin=[0, 1]).update(grid_origin=[1, 1]),
    "cl_json_conflict": lambda m: m.ChunkLayout({"chunk": {"shape": [1]}, "write_chunk": {"shape": [2]}}),
    "cl_props": lambda m: _props(m.ChunkLayout(chunk_shape=[1, 2], inner_order=[1, 0], grid_origin=[0, 0])),
    "cl_templates": lambda m: (
        repr(m.ChunkLayout(read_chunk_shape=[2, 2], write_chunk_shape=[4, 4], grid_origin=[0, 0]).write_chunk_template),
        repr(m.ChunkLayout(grid_origin=[0, 1]).write_chunk_template),
    ),
    "grid_json": lambda m: m.ChunkLayout.Grid(shape=[1, 2], aspect_ratio=[1, None], elements=5).to_json(),
    "open_mode": lambda m: (repr(m.OpenMode(open=True, create=True)), repr(m.OpenMode()),
                            m.OpenMode(open=True) == m.OpenMode(open=True)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_tensorstore(name: str) -> None:
    same(CASES[name])


shapes = st.lists(st.one_of(st.none(), st.integers(1, 9)), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(a=shapes, b=shapes, soft=st.booleans())
def test_chunk_shape_merge_matches(a: list[int | None], b: list[int | None], soft: bool) -> None:
    key = "chunk_shape_soft_constraint" if soft else "chunk_shape"
    same(lambda m: _update(m.ChunkLayout(chunk_shape=a), **{key: b}))


@settings(max_examples=40, deadline=None)
@given(dt=st.sampled_from(["int8", "uint16", "float32", "float64"]), fv=st.integers(-200, 300))
def test_fill_value_conversion_matches(dt: str, fv: int) -> None:
    same(lambda m: m.Schema(dtype=dt, fill_value=fv).to_json())


def test_schema_pickle_and_copy() -> None:
    import pickle

    s = ts.Schema(dtype="int32", shape=[2, 3], fill_value=np.int32(4))
    assert pickle.loads(pickle.dumps(s)) == s
    assert s.copy() == s
