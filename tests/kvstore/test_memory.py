"""The conformance suite on the ``memory`` driver, plus memory-specific behaviour."""

from __future__ import annotations

from typing import Any

import pytest

import tsexplore as ts

from .conformance import KvStoreConformance


class TestMemoryConformance(KvStoreConformance):
    @pytest.fixture
    def kv(self) -> Any:
        return ts.KvStore.open("memory://", context=ts.Context()).result()


def test_shared_within_context() -> None:
    ctx = ts.Context()
    a = ts.KvStore.open("memory://", context=ctx).result()
    b = ts.KvStore.open({"driver": "memory"}, context=ctx).result()
    a["x"] = b"1"
    assert b["x"] == b"1"
    c = ts.KvStore.open("memory://").result()  # a fresh default context: not shared
    assert "x" not in c


def test_named_resource() -> None:
    ctx = ts.Context({"memory_key_value_store#a": {}})
    spec = {"driver": "memory", "memory_key_value_store": "memory_key_value_store#a"}
    a = ts.KvStore.open(spec, context=ctx).result()
    b = ts.KvStore.open(spec, context=ctx).result()
    a["k"] = b"v"
    assert b["k"] == b"v"
    assert repr(a) == (
        "KvStore({\n  'context': {'memory_key_value_store#a': {}},\n  'driver': 'memory',\n"
        "  'memory_key_value_store': 'memory_key_value_store#a',\n})"
    )
    with pytest.raises(ValueError, match='Resource not defined: "memory_key_value_store#a"'):
        ts.KvStore.open(spec).result()


def test_atomic_multi_key_commit() -> None:
    kv = ts.KvStore.open("memory://").result()
    driver = kv.driver
    assert driver.atomic_multi_key
    g = kv.write("a", b"1").result().generation
    from tsexplore.future import spawn

    ok = spawn(driver.commit_atomic([(b"a", b"2", g), (b"b", b"3", b"\x02")])).result()
    assert ok is not None and kv["a"] == b"2" and kv["b"] == b"3"
    failed = spawn(driver.commit_atomic([(b"a", b"9", g), (b"c", b"9", b"")])).result()
    assert failed is None and kv["a"] == b"2" and "c" not in kv
