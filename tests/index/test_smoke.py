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
    "ts.d[0].mark_bounds_implicit[True:False]",
    "ts.d[0].mark_bounds_implicit[False]",
    "ts.d['x', 1:3, ::-1][..., None, 2]",
    "ts.d[0, 1][[1, 2]:[3, 4]]",
    "ts.d[0, 1][[1, 2]:[3, 4]:[1, 2]]",
    "ts.d[0][np.array([[1, 2], [3, 4]])]",
    "ts.d[0][np.array(True)]",
    "ts.d[0, 1][np.array([[True, False], [False, True]])]",
    "ts.d[:].translate_to[1, None, 3]",
    "ts.d[:].translate_by[(5,)]",
    "ts.d[:].translate_backward_by[()]",
    "ts.d[0].transpose[1:, 'a']",
    "ts.d[0, 1].diagonal.label['a']",
    "ts.d[0].vindex[[1, 2],]",
    "ts.d['a\\'b', 'c\"d']",
    "ts.d[1:][...]",
    "ts.IndexDomain(rank=0)",
    "ts.IndexDomain(labels=['a\\n', 'b\"'], shape=[1, 2])",
    "ts.IndexDomain(inclusive_min=[-ts.inf], exclusive_max=[5], implicit_upper_bounds=[True])",
    "ts.IndexDomain([ts.Dim(3, label='x'), ts.Dim(inclusive_min=2, inclusive_max=4)])",
    "ts.IndexTransform(input_rank=0)",
    "ts.IndexTransform(input_rank=2, output=[])",
    "ts.d['\\xe9\\x01\\n', 'x'].label['\\t\"']",
    "ts.IndexTransform(input_shape=[2], output=[ts.OutputIndexMap(5), ts.OutputIndexMap(input_dimension=0, offset=-1, stride=3)])",  # noqa: E501
    "ts.IndexTransform(input_shape=[2, 3], output=[ts.OutputIndexMap(index_array=[[1], [2]], index_range=ts.Dim(0, 3))])",  # noqa: E501
    "ts.IndexTransform(input_shape=[2, 3])[[[0, 1], [1, 0]], ::-1]",
    "ts.IndexTransform(json={'input_inclusive_min': [['-inf'], 2], 'input_exclusive_max': [3, ['+inf']]})",
    "ts.IndexTransform(input_shape=[5, 6], input_labels=['x', 'y'])[ts.d['y'].translate_by[2].stride[-2]]",
    "ts.IndexDomain(shape=[5, 6], labels=['x', 'y'])[ts.d['y', 'x'].transpose[:]]",
    "ts.IndexDomain(shape=[5, 6])['a' if False else 1]",
    "ts.Dim(inclusive_min=-ts.inf, exclusive_max=3, label='x')",
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
