"""Quick checks of the ERRATA §4 snippets against live tensorstore."""

from __future__ import annotations

import numpy as np
import pytest
import tensorstore as real

import tsexplore as ts
from tsexplore.index import read_array

CASES = [
    "ts.IndexDomain(rank=2)",
    "ts.IndexDomain(shape=[3, 100, 200], labels=['c', 'y', 'x'])",
    "ts.IndexDomain(inclusive_min=[0, 1], exclusive_max=[5, 6], implicit_lower_bounds=[True, False], labels=['a', ''])",
    "ts.IndexTransform(input_labels=['a', 'b'], input_shape=[2, 3])[ts.d['a'].translate_by[5]][6, [0, 2]]",
    "ts.IndexTransform(input_shape=[3, 100, 200])[1, 10:20:2]",
    "ts.IndexTransform(input_shape=[100])[::-1]",
    "ts.IndexTransform(input_shape=[100])[20:10:-1]",
    "ts.IndexTransform(input_inclusive_min=[-5], input_exclusive_max=[5])[::2]",
    "ts.IndexTransform(input_inclusive_min=[5], input_exclusive_max=[105])[ts.d[0].stride[2]]",
    "ts.IndexTransform(input_shape=[2, 3, 4])[..., None]",
    "ts.IndexTransform(input_shape=[2, 3, 4])[[0, 1], :, [1, 2]]",
    "ts.IndexTransform(input_shape=[2, 3, 4]).oindex[[0, 1], :, [1, 2]]",
    "ts.IndexTransform(input_shape=[2, 3, 4]).vindex[:, [0, 1], [1, 2]]",
    "ts.IndexTransform(input_shape=[3, 4])[np.array([[True, False, True, False], [False, True, False, False], [True, True, False, False]])]",  # noqa: E501
    "ts.IndexTransform(input_shape=[4, 4])[ts.d[0, 1].diagonal]",
    "ts.IndexTransform(input_shape=[2, 3], input_labels=['x', 'y'])[ts.d['y'].transpose[0]]",
    "ts.IndexDomain(shape=[3, 4], labels=['x', 'y'])[ts.d['x'].mark_bounds_implicit[True]]",
    "ts.d['c'][0]",
    "ts.d[0].translate_by[5].stride[2]",
    "ts.d[1:, 'x'].transpose[0]",
    "ts.d[:].label['a', 'b']",
    "ts.d[0, 1].oindex[[1, 2], [3, 4]]",
    "ts.d[0].mark_bounds_implicit[:False]",
]


def _both(expr: str) -> tuple[str, str]:
    ours = eval(expr, {"ts": ts, "np": np})
    theirs = eval(expr, {"ts": real, "np": np})
    return repr(ours), repr(theirs)


@pytest.mark.parametrize("expr", CASES)
def test_repr_matches(expr: str) -> None:
    ours, theirs = _both(expr)
    assert ours == theirs


def test_read_through_transform() -> None:
    a = np.arange(60).reshape(3, 4, 5)
    expr = "ts.IndexTransform(input_shape=[3, 4, 5])[1:, ::-2, [0, 4]]"
    t = eval(expr, {"ts": ts})
    rt = eval(expr, {"ts": real})
    expected = real.array(a)[rt].read().result()
    np.testing.assert_array_equal(read_array(t, a), expected)
