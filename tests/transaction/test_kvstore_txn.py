"""Raw ``ts.KvStore`` operations through a transaction, differential against real tensorstore."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tensorstore as real_ts

import tsexplore as our_ts

from ..core.diff import public_type


class KvEnv:
    def __init__(self, ts: ModuleType, kind: str, root: Path) -> None:
        self.ts, self.root = ts, root
        file_spec = {"driver": "file", "path": f"{root}/kv/"}
        self.spec: Any = file_spec if kind == "file" else {"driver": "memory", "path": "p/"}
        self.context = ts.Context()
        self.log: list[tuple[Any, ...]] = []

    def open(self, **kw: Any) -> Any:
        return self.ts.KvStore.open(self.spec, context=self.context, **kw).result()

    def step(self, label: str, fn: Any) -> Any:
        try:
            r = fn()
        except BaseException as e:  # every outcome is compared
            if isinstance(e, KeyboardInterrupt):
                raise
            self.log.append((label, "raise", public_type(e).__name__, str(e).replace(str(self.root), "<root>")))
            return None
        if isinstance(r, self.ts.KvStore.ReadResult):
            r = (r.state, r.value)  # generations are opaque
        elif isinstance(r, self.ts.KvStore.TimestampedStorageGeneration):
            r = "stamp"
        self.log.append((label, "ok", r))
        return r


def scenario_basic(env: KvEnv) -> None:
    ts = env.ts
    kv = env.open()
    kv["x"] = b"0"
    kv["y"] = b"1"
    t = ts.Transaction()
    k = kv.with_transaction(t)
    env.step("bound", lambda: (k.transaction is t, kv.transaction is None))
    env.step("write", lambda: k.write("b", b"1").result())
    env.step("read staged", lambda: k.read("b").result())
    env.step("read staged byte range", lambda: k.read("b", byte_range=slice(0, 1)).result())
    env.step("outside", lambda: kv.read("b").result())
    env.step("delete", lambda: k.write("x", None).result())
    env.step("getitem deleted", lambda: k["x"] if "x" in k else "absent")  # noqa: SIM401 - KvStore has no get()
    env.step("setitem", lambda: k.__setitem__("c/d", b"3"))
    env.step("delitem", lambda: k.__delitem__("y"))
    env.step("list txn", lambda: sorted(k.list().result()))
    env.step("list outside", lambda: sorted(kv.list().result()))
    env.step("delete_range", lambda: k.delete_range(ts.KvStore.KeyRange("c", "d")).result())
    env.step("list txn 2", lambda: sorted(k.list().result()))
    env.step("rebind", lambda: k.with_transaction(None))
    env.step("sub keeps txn", lambda: (k / "c").transaction is t)
    env.step("commit", t.commit_sync)
    env.step("after", lambda: sorted(kv.list().result()))
    env.step("value b", lambda: kv["b"])
    env.step("read after commit", lambda: k.read("b").result())
    env.step("open bound", lambda: env.open(transaction=ts.Transaction()).transaction is not None)


def scenario_conditions(env: KvEnv) -> None:
    ts = env.ts
    kv = env.open()
    kv["x"] = b"0"
    t = ts.Transaction()
    k = kv.with_transaction(t)
    env.step("if_equal never true", lambda: k.write("x", b"9", if_equal=b"zz").result())
    env.step("read shows staged", lambda: k.read("x").result())
    env.step("commit fails", t.commit_sync)
    env.step("unchanged", lambda: kv["x"])
    for rr in (True, False):
        t = ts.Transaction(repeatable_read=rr)
        k = kv.with_transaction(t)
        env.step(f"rr={rr} read", lambda k=k: k.read("x").result())
        k["x"] = b"8"
        kv["x"] = b"5"
        env.step(f"rr={rr} commit", t.commit_sync)
        env.step(f"rr={rr} value", lambda: kv["x"])
    t = ts.Transaction(repeatable_read=True)
    k = kv.with_transaction(t)
    env.step("rr read missing", lambda: k.read("zz").result())
    kv["zz"] = b"7"
    env.step("rr read-only commit", t.commit_sync)


def scenario_atomic(env: KvEnv) -> None:
    ts = env.ts
    kv = env.open()
    kv["e"] = b"1"
    for first, second in (("a", "b"), ("b", "a"), ("m", "c/x")):
        t = ts.Transaction(atomic=True)
        k = kv.with_transaction(t)
        env.step(f"{first}", lambda k=k, first=first: k.write(first, b"1").result())
        env.step(f"{first} then {second}", lambda k=k, second=second: k.write(second, b"1").result())
        env.step("flags", lambda t=t: (t.open, t.aborted))
        env.step("commit", t.commit_sync)
    for rr in (False, True):
        t = ts.Transaction(atomic=True, repeatable_read=rr)
        k = kv.with_transaction(t)
        env.step(f"rr={rr} read e", lambda k=k: k.read("e").result())
        env.step(f"rr={rr} then write", lambda k=k: k.write("a2", b"1").result())
        env.step(f"rr={rr} commit", t.commit_sync)
    t = ts.Transaction(atomic=True)
    k = kv.with_transaction(t)
    env.step("atomic delete_range", lambda: k.delete_range(ts.KvStore.KeyRange("a", "b")).result())
    env.step("after", lambda: k.write("c", b"1").result())
    t = ts.Transaction(atomic=True)
    env.step("one key", lambda: kv.with_transaction(t).write("only", b"1").result())
    env.step("one key commit", t.commit_sync)
    env.step("final", lambda: sorted(kv.list().result()))


SCENARIOS = {"basic": scenario_basic, "conditions": scenario_conditions, "atomic": scenario_atomic}


@pytest.mark.parametrize("kind", ["file", "memory"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_kvstore_scenario(name: str, kind: str, tmp_path: Path) -> None:
    logs = []
    for ts in (real_ts, our_ts):
        root = tmp_path / ts.__name__
        root.mkdir()
        env = KvEnv(ts, kind, root)
        SCENARIOS[name](env)
        logs.append(env.log)
    expected, actual = logs
    for e, a in zip(expected, actual):
        assert a == e, f"step {e[0]!r}"
    assert len(actual) == len(expected)
