"""Differential tests of ts.Spec vs tensorstore, plus the E3 string-key extension."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

import tsexplore as ts

from .driver.test_array import same

J = {"driver": "array", "array": [[1, 2], [3, 4]], "dtype": "int32"}


def _updated(m: Any, **kw: Any) -> Any:
    s = m.Spec(J)
    s.update(**kw)
    return s.to_json()


CASES: dict[str, Callable[[Any], Any]] = {
    "json": lambda m: m.Spec(J).to_json(),
    "defaults": lambda m: m.Spec(J).to_json(include_defaults=True),
    "repr": lambda m: repr(m.Spec(J)),
    "props": lambda m: (m.Spec(J).rank, str(m.Spec(J).dtype), repr(m.Spec(J).domain), repr(m.Spec(J).schema)),
    "transform": lambda m: repr(m.Spec(J).transform),
    "index": lambda m: m.Spec(J)[1:, m.newaxis].to_json(),
    "dim_expr": lambda m: m.Spec(J)[m.d[0].label["a"]].to_json(),
    "eq": lambda m: m.Spec(J) == m.Spec(dict(J)),
    "copy": lambda m: m.Spec(J).copy().to_json(),
    "bad_driver": lambda m: m.Spec({"driver": "no_such_driver"}),
    "no_driver": lambda m: m.Spec({}),
    "int_driver": lambda m: m.Spec({"driver": 3}),
    "not_object": lambda m: m.Spec(5),
    "bad_url": lambda m: m.Spec("x"),
    "extra": lambda m: m.Spec({**J, "bogus": 1}),
    "missing_dtype": lambda m: m.Spec({"driver": "array", "array": [1]}),
    "kwargs": lambda m: m.Spec(J, rank=2),
    "update_dtype_conflict": lambda m: _updated(m, dtype="int64"),
    "update_positional": lambda m: m.Spec(J).update({"open": True}, 1),
    "update_context": lambda m: _updated(m, context=m.Context()),
    "update_strip": lambda m: _updated(m, strip_context=True),
    "url_unsupported": lambda m: m.Spec(J).url,
    "url_kvstore_first": lambda m: m.Spec("zarr3:"),
    "url_unknown": lambda m: m.Spec("memory://|foo:"),
    "open_mode": lambda m: repr(m.Spec(J).open_mode),
    "not_iterable": lambda m: list(m.Spec(J)),
    "kvstore": lambda m: (m.Spec(J).kvstore, m.Spec(J).base),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_tensorstore(name: str) -> None:
    same(CASES[name])


def test_pickle() -> None:
    s = ts.Spec(J)[1:]
    assert pickle.loads(pickle.dumps(s)) == s


def test_e3_member_access() -> None:
    s = ts.Spec(J)
    assert s["driver"] == "array"
    s["dtype"] = "int64"
    assert s.dtype == ts.int64
    s.update({"array": [5, 6]})
    assert s.to_json()["array"] == [5, 6]
    with pytest.raises(TypeError):
        "driver" in s  # noqa: B015
