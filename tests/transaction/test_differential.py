"""Transactions, differential: each scenario runs on real tensorstore and on tsexplore, step by step.

A scenario is a function ``(ts, store_factory, log)``; every step's outcome (value, or exception
type + message with the storage root replaced by ``<root>``) goes to ``log``.  The two logs must be
equal.  Scenarios run for zarr3 and zarr on the ``file`` and ``memory`` kvstores.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as our_ts

from ..core.diff import public_type

Log = list[tuple[str, Any]]
_count = itertools.count()


class Env:
    """Opens arrays of one (driver, kvstore) combination for one module, under one root."""

    def __init__(self, ts: ModuleType, driver: str, kvstore: str, root: Path) -> None:
        self.ts, self.driver, self.kvstore, self.root = ts, driver, kvstore, root
        self.context = ts.Context()
        self.log: Log = []

    def spec(self, name: str) -> dict[str, Any]:
        if self.kvstore == "file":
            kv: dict[str, Any] = {"driver": "file", "path": f"{self.root}/{name}/"}
        else:
            kv = {"driver": "memory", "path": f"{name}/"}
        return {"driver": self.driver, "kvstore": kv}

    def create(
        self, name: str = "a", shape: tuple[int, ...] = (4, 6), chunks: tuple[int, ...] = (2, 3), **kw: Any
    ) -> Any:
        return self.ts.open(
            self.spec(name), create=True, dtype="int32", shape=list(shape),
            chunk_layout=self.ts.ChunkLayout(write_chunk_shape=list(chunks)), context=self.context, **kw,
        ).result()

    def open(self, name: str = "a", **kw: Any) -> Any:
        return self.ts.open(self.spec(name), context=self.context, **kw).result()

    def step(self, label: str, fn: Callable[[], Any]) -> Any:
        try:
            result = fn()
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            # the open-error spec note is compared by the open tests; here only the error itself
            text = str(e).replace(str(self.root), "<root>").split(" [tensorstore_spec=")[0]
            self.log.append((label, "raise", public_type(e).__name__, text))
            return None
        if isinstance(result, np.ndarray):
            self.log.append((label, "ok", result.dtype.str, result.tolist()))
        else:
            self.log.append((label, "ok", result))
        return result


Scenario = Callable[[Env], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def _read(view: Any) -> Callable[[], Any]:
    return lambda: view.read().result()


def _write(view: Any, value: Any) -> Callable[[], Any]:
    return lambda: view.write(np.asarray(value, dtype=np.int32)).result()


@scenario
def isolation_and_visibility(env: Env) -> None:
    ts = env.ts
    s = env.create()
    s[1, 1] = 5
    t = ts.Transaction()
    v = s.with_transaction(t)
    env.step("bound", lambda: v.transaction is t and s.transaction is None)
    env.step("write staged", _write(v[0:3, 2:5], np.arange(9).reshape(3, 3) + 1))
    env.step("txn read", _read(v))
    env.step("outside read", _read(s))
    env.step("fresh open outside", _read(env.open()))
    env.step("strided txn write", _write(v[::2, ::-3], 7))
    env.step("txn read 2", _read(v))
    env.step("indexed txn read", _read(v[ts.d[1].translate_by[10]][1:3, 11:14]))
    env.step("cast view txn read", lambda: v.astype("float64")[0:2, 1:4].read().result())
    env.step("open", lambda: (t.open, t.commit_started, t.aborted))
    env.step("commit", lambda: t.commit_async().result())
    env.step("flags", lambda: (t.open, t.commit_started, t.aborted, t.future.done()))
    env.step("outside after commit", _read(s))
    env.step("reopen after commit", _read(env.open()))


@scenario
def abort_discards(env: Env) -> None:
    ts = env.ts
    s = env.create()
    s[0, 0] = 1
    t = ts.Transaction()
    v = s.with_transaction(t)
    env.step("write", _write(v[:, 0:2], 9))
    env.step("abort", t.abort)
    env.step("flags", lambda: (t.open, t.commit_started, t.aborted))
    env.step("read after abort", _read(v))
    env.step("write after abort", _write(v, 1))
    env.step("commit after abort", lambda: t.commit_async().result())
    env.step("commit_sync after abort", t.commit_sync)
    env.step("future after abort", t.future.result)
    env.step("abort twice", t.abort)
    env.step("outside", _read(s))
    env.step("bind aborted to fresh view", lambda: s.with_transaction(t).transaction is t)
    env.step("rebind from aborted", lambda: v.with_transaction(None))
    env.step("repr of aborted view", lambda: repr(v))


@scenario
def lifecycle_errors(env: Env) -> None:
    ts = env.ts
    s = env.create()
    t = ts.Transaction()
    v = s.with_transaction(t)
    env.step("rebind None", lambda: v.with_transaction(None))
    env.step("rebind other", lambda: v.with_transaction(ts.Transaction()))
    env.step("rebind same", lambda: v.with_transaction(t))
    env.step("index keeps txn", lambda: v[1:2].transaction is t)
    env.step("write", _write(v[0, :], 3))
    env.step("empty txn commit", lambda: ts.Transaction().commit_sync())
    env.step("commit", t.commit_sync)
    env.step("read after commit", _read(v))
    env.step("write after commit", _write(v, 1))
    env.step("abort after commit", t.abort)
    env.step("flags", lambda: (t.open, t.commit_started, t.aborted))
    env.step("commit again", lambda: t.commit_async().result())
    env.step("rebind after commit", lambda: v.with_transaction(None).transaction)
    env.step("open with aborted txn", lambda: env.open(transaction=_aborted(ts)))
    env.step("outside", _read(s))


def _aborted(ts: ModuleType) -> Any:
    t = ts.Transaction()
    t.abort()
    return t


@scenario
def write_futures_in_txn(env: Env) -> None:
    ts = env.ts
    s = env.create()
    t = ts.Transaction()
    w = s.with_transaction(t)[1:3, 1:4].write(np.full((2, 3), 4, np.int32))
    env.step("copy", w.copy.result)
    env.step("commit future", w.commit.result)
    env.step("result", w.result)
    env.step("outside still", _read(s))
    env.step("txn commit", t.commit_sync)
    env.step("outside", _read(s))


@scenario
def disjoint_writers_same_chunk(env: Env) -> None:
    ts = env.ts
    s = env.create()
    t1, t2 = ts.Transaction(), ts.Transaction()
    env.step("t1 write", _write(s.with_transaction(t1)[0, 0], 1))
    env.step("t2 write", _write(s.with_transaction(t2)[0, 1], 2))
    env.step("outside write", _write(s[1, 1], 3))
    env.step("t1 sees", _read(s.with_transaction(t1)[0:2, 0:3]))
    env.step("t1 commit", t1.commit_sync)
    env.step("t2 commit", t2.commit_sync)
    env.step("all kept", _read(s))


@scenario
def repeatable_read_conflicts(env: Env) -> None:
    ts = env.ts
    s = env.create()
    t1, t2 = ts.Transaction(repeatable_read=True), ts.Transaction(repeatable_read=True)
    a = env.step("t1 read", _read(s.with_transaction(t1)[0, 0]))
    b = env.step("t2 read", _read(s.with_transaction(t2)[0, 0]))
    env.step("t1 write", _write(s.with_transaction(t1)[0, 0], a + 10))
    env.step("t2 write", _write(s.with_transaction(t2)[0, 0], b + 20))
    env.step("t1 commit", t1.commit_sync)
    env.step("t2 commit", t2.commit_sync)
    env.step("t2 flags", lambda: (t2.open, t2.commit_started, t2.aborted))
    env.step("t2 read after failure", _read(s.with_transaction(t2)))
    env.step("value", _read(s))
    # an outside writer touching another element of a chunk read through the transaction
    t3 = ts.Transaction(repeatable_read=True)
    env.step("t3 read", _read(s.with_transaction(t3)[2:4, 3:6]))
    env.step("outside", _write(s[3, 5], 8))
    env.step("t3 reread", _read(s.with_transaction(t3)[2:4, 3:6]))
    env.step("t3 read-only commit", t3.commit_sync)
    # a blind partial write is re-applied, not validated
    t4 = ts.Transaction(repeatable_read=True)
    env.step("t4 blind write", _write(s.with_transaction(t4)[2, 0], 4))
    env.step("outside 2", _write(s[3, 0], 6))
    env.step("t4 commit", t4.commit_sync)
    env.step("final", _read(s))


@scenario
def default_is_not_validated(env: Env) -> None:
    ts = env.ts
    s = env.create()
    t = ts.Transaction()
    v = s.with_transaction(t)
    x = env.step("read", _read(v[0, 0]))
    env.step("outside", _write(s[0, 1], 7))
    env.step("outside same element", _write(s[0, 0], 3))
    env.step("reread sees outside", _read(v[0, 0:2]))
    env.step("write", _write(v[0, 0], x + 1))
    env.step("commit", t.commit_sync)
    env.step("lost update", _read(s[0, 0:2]))


@scenario
def atomic_transactions(env: Env) -> None:
    ts = env.ts
    s = env.create()
    t = ts.Transaction(atomic=True)
    w = s.with_transaction(t).write(np.arange(24, dtype=np.int32).reshape(4, 6))
    env.step("copy", w.copy.result)
    env.step("commit future", w.commit.result)
    env.step("flags", lambda: (t.open, t.commit_started, t.aborted, t.atomic))
    env.step("read after", _read(s.with_transaction(t)) if t.aborted else (lambda: "open"))
    env.step("commit", t.commit_sync)
    env.step("outside", _read(s))
    t2 = ts.Transaction(atomic=True)
    env.step("atomic read", _read(s.with_transaction(t2)[0, 0]))
    env.step("atomic read flags", lambda: (t2.open, t2.aborted))


@scenario
def context_managers(env: Env) -> None:
    ts = env.ts
    s = env.create()

    def ok() -> Any:
        with ts.Transaction() as tx:
            s.with_transaction(tx)[1, 1] = 7
        return tx.commit_started, tx.aborted, s.read().result().tolist()

    def raising() -> Any:
        tx = ts.Transaction()
        try:
            with tx:
                s.with_transaction(tx)[1, 2] = 9
                raise KeyError("boom")
        except KeyError:
            pass
        return tx.commit_started, tx.aborted, s.read().result().tolist()

    def abort_inside() -> Any:
        with ts.Transaction() as tx:
            s.with_transaction(tx)[1, 3] = 12
            tx.abort()

    def commit_inside() -> Any:
        with ts.Transaction() as tx:
            s.with_transaction(tx)[1, 4] = 11
            tx.commit_sync()
        return s.read().result().tolist()

    async def asynchronous() -> Any:
        async with ts.Transaction() as tx:
            await s.with_transaction(tx)[2, 2].write(3)
        return s.read().result().tolist()

    def failing_commit() -> Any:
        with ts.Transaction(repeatable_read=True) as tx:
            s.with_transaction(tx).read().result()
            s[0, 0] = 42

    env.step("ok", ok)
    env.step("raising", raising)
    env.step("abort inside", abort_inside)
    env.step("commit inside", commit_inside)
    env.step("async", lambda: asyncio.run(asynchronous()))
    env.step("failing commit", failing_commit)
    env.step("final", _read(s))


@scenario
def open_in_transaction(env: Env) -> None:
    ts = env.ts
    t = ts.Transaction()
    s = env.create("b", transaction=t)
    env.step("bound", lambda: (s.transaction is t, s.shape))
    env.step("outside open", lambda: env.open("b").shape)
    env.step("write", _write(s[0:3, 0:4], 2))
    env.step("txn read", _read(s))
    env.step("open again in txn", lambda: env.open("b", transaction=t).read().result())
    env.step("commit", t.commit_sync)
    env.step("outside open after", lambda: env.open("b").read().result())
    t2 = ts.Transaction()
    env.step("create existing in txn", lambda: env.create("b", transaction=t2).shape)
    env.step("open missing in txn", lambda: env.open("zz", transaction=ts.Transaction()).shape)


@scenario
def fill_value_chunks_deleted(env: Env) -> None:
    ts = env.ts
    s = env.create()
    s[0:2, 0:3] = 5
    s[2:4, 3:6] = 6
    t = ts.Transaction()
    v = s.with_transaction(t)
    env.step("zero one chunk", _write(v[0:2, 0:3], 0))
    env.step("partly zero another", _write(v[2:4, 3:5], 0))
    env.step("commit", t.commit_sync)
    kv = ts.KvStore.open(env.spec("a")["kvstore"], context=env.context).result()
    env.step("stored keys", lambda: sorted(kv.list().result()))
    env.step("values", _read(s))


COMBOS = [(d, k) for d in ("zarr3", "zarr") for k in ("file", "memory")]


@pytest.mark.parametrize(("driver", "kvstore"), COMBOS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name: str, driver: str, kvstore: str, tmp_path: Path) -> None:
    logs = []
    for ts in (real_ts, our_ts):
        root = tmp_path / ts.__name__
        root.mkdir()
        env = Env(ts, driver, kvstore, root)
        SCENARIOS[name](env)
        logs.append(env.log)
    expected, actual = logs
    for e, a in zip(expected, actual):
        assert a == e, f"step {e[0]!r}"
    assert len(actual) == len(expected)
