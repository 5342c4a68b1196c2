"""``ts.open(spec, kvstore=<open KvStore>)`` shares the store's context; ``Spec.update`` refuses one."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
import tensorstore

import tsexplore

MODULES = [pytest.param(tsexplore, id="tsexplore"), pytest.param(tensorstore, id="tensorstore")]


@pytest.mark.parametrize("m", MODULES)
def test_open_with_open_memory_kvstore_shares_contents(m: ModuleType) -> None:
    kv = m.KvStore.open("memory://").result()
    created = m.open({"driver": "zarr3"}, kvstore=kv, create=True, dtype="int8", shape=[4]).result()
    created[1] = 5
    reopened = m.open({"driver": "zarr3"}, kvstore=kv).result()
    np.testing.assert_array_equal(reopened.read().result(), [0, 5, 0, 0])
    assert sorted(kv.list().result()) == [b"c/0", b"zarr.json"]
    assert created.spec().to_json()["kvstore"] == {"driver": "memory"}


def _update_error(m: ModuleType) -> Any:
    kv = m.KvStore.open("memory://").result()
    spec = m.Spec({"driver": "zarr3"})
    with pytest.raises(TypeError) as info:
        spec.update(kvstore=kv)
    return str(info.value)


def test_spec_update_rejects_open_kvstore_like_tensorstore() -> None:
    assert _update_error(tsexplore) == _update_error(tensorstore)


@pytest.mark.parametrize("kv", [{"driver": "memory"}, "memory://"])
def test_kvstore_keyword_rejects_json_like_tensorstore(kv: Any) -> None:
    def outcome(m: ModuleType) -> Any:
        results = []
        spec = m.Spec({"driver": "zarr3"})
        for call in (lambda: spec.update(kvstore=kv), lambda: m.open({"driver": "zarr3"}, kvstore=kv).result()):
            try:
                call()
                results.append("ok")
            except TypeError as e:
                results.append(f"TypeError: {e}")
        return results

    assert outcome(tsexplore) == outcome(tensorstore)
