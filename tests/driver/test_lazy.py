"""The ``lazy`` driver (tsexplore extension E1): no storage I/O until first use."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts
from tsexplore.kvstore import memory


def _zarr3(ctx: Any) -> Any:
    spec = {"driver": "zarr3", "kvstore": {"driver": "memory", "path": "lazy/"}}
    z = ts.open(spec, create=True, dtype="uint16", shape=[6, 4], context=ctx).result()
    z[...] = np.arange(24, dtype=np.uint16).reshape(6, 4)
    return spec


def test_real_tensorstore_has_no_lazy_driver() -> None:
    with pytest.raises(ValueError, match='"lazy" is not a registered TensorStore driver'):
        real_ts.open({"driver": "lazy", "base": {"driver": "array", "array": [1], "dtype": "int32"}})
    assert not hasattr(real_ts, "lazy_driver")


def test_ten_thousand_lazy_views_read_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = ts.Context()
    spec = _zarr3(ctx)
    reads = []
    orig = memory.MemoryDriver.read

    async def counting(self: Any, key: bytes, options: Any) -> Any:
        reads.append(key)
        return await orig(self, key, options)

    monkeypatch.setattr(memory.MemoryDriver, "read", counting)
    views = [ts.lazy_driver(spec, dtype="uint16", shape=[6, 4], context=ctx) for _ in range(10_000)]
    assert reads == []
    assert views[0].domain.shape == (6, 4)
    assert views[0].dtype == ts.uint16
    got = views[0][1:3, 2].read().result()
    assert got.tolist() == [6, 10]
    assert reads  # the first read opened the base and read metadata + chunk
    assert views[0]._driver.is_open
    assert not views[1]._driver.is_open  # each view opens its own base, only when used


def test_resolve_opens_and_spec_round_trips() -> None:
    ctx = ts.Context()
    spec = _zarr3(ctx)
    v = ts.lazy_driver(spec, dtype="uint16", rank=2, context=ctx)
    assert v.domain.rank == 2
    j = v.spec().to_json()
    assert j["driver"] == "lazy"
    assert j["base"]["driver"] == "zarr3"
    assert ts.Spec(j).to_json() == j
    r = v.resolve().result()
    assert r._driver.is_open  # resolve() forces the open; the view keeps its (rank-only) domain
    assert r.spec().to_json()["base"]["metadata"]["shape"] == [6, 4]
    assert r[0:6, 0:4].read().result().sum() == sum(range(24))


def test_lazy_json_open_and_write_through() -> None:
    a = np.zeros(4, np.int32)
    base = ts.array(a)
    v = ts.open({"driver": "lazy", "base": base.spec().to_json()}).result()
    v[1:3] = [5, 6]
    assert v.read().result().tolist() == [0, 5, 6, 0]
