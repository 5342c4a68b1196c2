"""ts.Context, Context.Spec and Context.Resource against real tensorstore, plus the registry API."""

from __future__ import annotations

import pickle
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as our_ts
from tsexplore import context as ctxmod

from .diff import assert_same

KINDS = [
    "cache_pool", "data_copy_concurrency", "file_io_concurrency", "file_io_sync", "file_io_locking",
    "file_io_mode", "file_io_retries", "ocdbt_coordinator", "gcs_request_concurrency",
    "s3_request_concurrency", "http_request_concurrency", "gcs_request_retries", "s3_request_retries",
    "http_request_retries", "gcs_user_project", "experimental_gcs_rate_limiter", "aws_credentials",
]


@pytest.mark.parametrize("kind", KINDS)
def test_default_resource(kind: str) -> None:
    def run(ts: ModuleType) -> Any:
        r = ts.Context()[kind]
        return repr(r), r.to_json(), r.to_json(include_defaults=True), r.to_json(True)

    assert_same(run)


SPECS: list[Any] = [
    {},
    {"cache_pool": {"total_bytes_limit": 5}},
    {"cache_pool": {"total_bytes_limit": 0}},
    {"cache_pool": {}},
    {"cache_pool": None},
    {"cache_pool": {"total_bytes_limit": 5e3}},
    {"cache_pool": {"total_bytes_limit": 2**64 - 1}},
    {"cache_pool#big": {"total_bytes_limit": 5}, "cache_pool": "cache_pool#big"},
    {"cache_pool#": {}},
    {"cache_pool#a#b": {}},
    {"data_copy_concurrency": {"limit": 4}},
    {"data_copy_concurrency": {"limit": 4.0}},
    {"data_copy_concurrency": {"limit": "shared"}},
    {"file_io_concurrency": {"limit": 7}, "gcs_request_concurrency": {"limit": 2}},
    {"file_io_sync": False},
    {"file_io_sync": True},
    {"file_io_sync": "file_io_sync#a", "file_io_sync#a": False},
    {"file_io_locking": {"mode": "lockfile"}},
    {"file_io_locking": {"mode": "os"}},
    {"file_io_locking": {"mode": "none", "acquire_timeout": "10s"}},
    {"file_io_mode": {"mode": "direct"}},
    {"file_io_mode": {"mode": "default"}},
    {"file_io_mode": {"mode": "memmap"}},
    {"file_io_retries": {"max_retries": 3, "initial_delay": "2s", "max_delay": "1m"}},
    {"gcs_request_retries": {}},
    {"ocdbt_coordinator": {"address": "localhost:1", "lease_duration": "10s"}},
    {"gcs_user_project": {"project_id": "p\u00b5'x"}},
    {"experimental_gcs_rate_limiter": {"read_rate": 5, "write_rate": 5, "doubling_time": "10m"}},
    {"aws_credentials": {"type": "anonymous"}},
    {
        "cache_pool": {"total_bytes_limit": 5},
        "data_copy_concurrency": {"limit": 4},
        "file_io_concurrency": {"limit": 5},
        "file_io_retries": {"max_retries": 3, "initial_delay": "2s", "max_delay": "1m"},
        "gcs_request_retries": {},
    },
    # errors
    {"cache_pools": {}},
    {"cache_pool": {"size": 1}},
    {"cache_pool": {"total_bytes_limit": 5, "b": 1, "a": 2}},
    {"cache_pool": {"total_bytes_limit": -1}},
    {"cache_pool": {"total_bytes_limit": "x"}},
    {"cache_pool": {"total_bytes_limit": True}},
    {"cache_pool": {"total_bytes_limit": 5.5}},
    {"cache_pool": {"total_bytes_limit": 1e30}},
    {"cache_pool": {"total_bytes_limit": 2**64}},
    {"cache_pool": 5},
    {"cache_pool": "data_copy_concurrency"},
    {"cache_pool": "foo"},
    {"cache_pool": ""},
    {"file_io_sync": "cache_pool"},
    {"file_io_sync": 3},
    {"file_io_sync": {}},
    {"data_copy_concurrency": {"limit": 0}},
    {"data_copy_concurrency": {"limit": -3}},
    {"data_copy_concurrency": {"limit": "foo"}},
    {"data_copy_concurrency": {"limit": 4.5}},
    {"data_copy_concurrency": {"limit": True}},
    {"data_copy_concurrency": {"limit": 2**64}},
    {"file_io_locking": {"mode": "bad"}},
    {"file_io_mode": {"mode": "mmap"}},
    {"file_io_retries": {"max_retries": -1}},
    {"file_io_retries": {"initial_delay": 3}},
    {"ocdbt_coordinator": {"security": None}},
    {"aws_credentials": {"profile": "x"}},
    {"z": {}, "cache_pool": {}},
    {"cache_pool": {}, "cache_poolz": {}, "a": 1},
    {"": {}},
    {"#x": {}},
    5,
    [1],
    "x",
    None,
]


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_spec_round_trip(spec: Any) -> None:
    def run(ts: ModuleType) -> Any:
        ctx = ts.Context(spec)
        s = ctx.spec
        again = ts.Context(ts.Context.Spec(s.to_json()))
        return (repr(s), str(s), s.to_json(), s.to_json(include_defaults=True), repr(again.spec))

    assert_same(run)


@pytest.mark.parametrize("spec", SPECS[:30], ids=range(30))
def test_bound_resources(spec: Any) -> None:
    def run(ts: ModuleType) -> Any:
        ctx = ts.Context(spec)
        out = []
        for key in sorted(set(spec) | {"cache_pool", "data_copy_concurrency", "file_io_sync"}):
            try:
                r = ctx[key]
                out.append((key, repr(r), r.to_json(include_defaults=True)))
            except ValueError as e:
                out.append((key, "error", str(e)))
        return out

    assert_same(run)


LOOKUPS: list[tuple[dict[str, Any], str]] = [
    ({"cache_pool": "cache_pool#nope"}, "cache_pool"),
    ({"cache_pool": "cache_pool"}, "cache_pool"),
    ({"cache_pool": "cache_pool#"}, "cache_pool"),
    ({"cache_pool#a": "cache_pool#b", "cache_pool#b": "cache_pool#a"}, "cache_pool#a"),
    ({"cache_pool#a": "cache_pool#b", "cache_pool#b": "cache_pool#a"}, "cache_pool#b"),
    ({"cache_pool#a": "cache_pool#b", "cache_pool#b": "cache_pool#c"}, "cache_pool#a"),
    ({"cache_pool#a": "cache_pool#b", "cache_pool#b": "cache_pool#c", "cache_pool#c": "cache_pool#b"},
     "cache_pool#a"),
    ({f"cache_pool#{a}": f"cache_pool#{b}" for a, b in zip("abcd", "bcda", strict=True)}, "cache_pool#a"),
    ({f"cache_pool#{a}": f"cache_pool#{b}" for a, b in zip("abcd", "bcda", strict=True)}, "cache_pool#c"),
    ({f"cache_pool#{a}": f"cache_pool#{b}" for a, b in zip("abc", "bca", strict=True)}, "cache_pool#a"),
    ({"cache_pool": "cache_pool#a", "cache_pool#a": "cache_pool"}, "cache_pool"),
    ({"cache_pool#a": "cache_pool", "cache_pool": {"total_bytes_limit": 3}}, "cache_pool#a"),
    ({}, "cache_pools"),
    ({}, "cache_pool#big"),
    ({}, "cache_pool#"),
    ({}, "memory_key_value_store"),
]


@pytest.mark.parametrize("case", LOOKUPS, ids=range(len(LOOKUPS)))
def test_lookup(case: tuple[dict[str, Any], str]) -> None:
    spec, key = case
    assert_same(lambda ts: ts.Context(spec)[key])


def test_getitem_type_errors() -> None:
    assert_same(lambda ts: ts.Context()[5])
    assert_same(lambda ts: ts.Context()[{"total_bytes_limit": 5}])


def test_identity_and_sharing() -> None:
    def run(ts: ModuleType) -> Any:
        c = ts.Context({"cache_pool": {"total_bytes_limit": 5}})
        other = ts.Context({"cache_pool": {"total_bytes_limit": 5}})
        p = ts.Context({"cache_pool#big": {"total_bytes_limit": 9}})
        child = ts.Context({"cache_pool": "cache_pool#big"}, p)
        child2 = ts.Context({"cache_pool": {}}, p)
        child3 = ts.Context({"cache_pool#a": "cache_pool"}, p)
        fresh = ts.Context()
        return (
            c["cache_pool"] is c["cache_pool"],
            c["cache_pool"] == c["cache_pool"],
            c["cache_pool"] == other["cache_pool"],
            child["cache_pool"] == p["cache_pool#big"],
            child["cache_pool#big"] == p["cache_pool#big"],
            child2["cache_pool"] == p["cache_pool"],
            child3["cache_pool#a"] == p["cache_pool"],
            fresh["cache_pool"] == ts.Context()["cache_pool"],
            ts.Context({}, fresh)["cache_pool"] == fresh["cache_pool"],
            ts.Context({"cache_pool": None})["cache_pool"] == ts.Context({"cache_pool": None})["cache_pool"],
            child.parent is p,
            p.parent is None,
            repr(child.spec),
        )

    assert_same(run, value=True)


CONSTRUCTOR_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (({},), {}),
    (({}, None), {}),
    ((), {"json": {"cache_pool": {}}}),
    ((None,), {}),
    ((), {"parent": None}),
]


@pytest.mark.parametrize("call", CONSTRUCTOR_CALLS, ids=range(len(CONSTRUCTOR_CALLS)))
def test_constructor(call: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
    args, kwargs = call
    assert_same(lambda ts: repr(ts.Context(*args, **kwargs).spec))


def test_constructor_from_spec_and_parent() -> None:
    def run(ts: ModuleType) -> Any:
        c = ts.Context({"cache_pool": {"total_bytes_limit": 5}})
        d = ts.Context(c.spec, parent=c)
        return repr(ts.Context(c.spec).spec), d.parent is c, ts.Context().spec, ts.Context({}).spec

    assert_same(run)
    assert_same(lambda ts: ts.Context(parent=ts.Context()))
    assert_same(lambda ts: ts.Context.Spec())
    assert_same(lambda ts: ts.Context.Resource())
    assert_same(lambda ts: ts.Context.Spec({"cache_poolx": {}}))
    assert_same(lambda ts: ts.Context().foo)
    assert_same(lambda ts: ts.Context({}).spec.foo)
    assert_same(lambda ts: ts.Context()["cache_pool"].foo)


def test_pickle() -> None:
    def run(ts: ModuleType) -> Any:
        q = ts.Context({"cache_pool": {"total_bytes_limit": 5}})
        u = pickle.loads(pickle.dumps(q))
        both = pickle.loads(pickle.dumps([q, q["cache_pool"]]))
        return (
            repr(u.spec),
            repr(u["cache_pool"]),
            both[0]["cache_pool"] == both[1],
            repr(pickle.loads(pickle.dumps(q.spec))),
            repr(pickle.loads(pickle.dumps(q["cache_pool"]))),
        )

    assert_same(run)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["cache_pool", "cache_pool#a", "data_copy_concurrency", "file_io_concurrency#x"]),
        st.one_of(st.none(), st.integers(-2, 2**64), st.sampled_from(["shared", "cache_pool#a", "x"])),
        max_size=3,
    )
)
def test_random_limits(raw: dict[str, Any]) -> None:
    def member(key: str, v: Any) -> Any:
        if isinstance(v, str) and v.startswith("cache_pool"):
            return v
        return {"total_bytes_limit": v} if key.startswith("cache_pool") else {"limit": v}

    spec = {k: member(k, v) for k, v in raw.items()}

    def run(ts: ModuleType) -> Any:
        ctx = ts.Context(spec)
        return repr(ctx.spec), [repr(ctx[k]) for k in sorted(spec)]

    assert_same(run)


# --- tsexplore's engine API (no tensorstore counterpart) ----------------------------------------


def test_resource_registry_and_sharing() -> None:
    created: list[Any] = []

    def create(spec: Any) -> Any:
        created.append(spec)
        return {"store": {}, "spec": spec}

    ctxmod.register_resource("test_kv_store", {}, create)
    ctx = our_ts.Context({"test_kv_store#b": {}})
    a = ctx.resource("test_kv_store")
    assert ctx.resource("test_kv_store") is a
    assert ctx.resource("test_kv_store", None) is a
    assert ctx.resource("test_kv_store", "test_kv_store") is a
    b = ctx.resource("test_kv_store", "test_kv_store#b")
    assert b is not a and ctx.resource("test_kv_store", "test_kv_store#b") is b
    inline = ctx.resource("test_kv_store", {})
    assert inline is not a and inline is not b
    child = our_ts.Context({}, ctx)
    assert child.resource("test_kv_store") is a
    assert our_ts.Context().resource("test_kv_store") is not a
    assert created == [{}, {}, {}, {}]
    with pytest.raises(ValueError, match='Object includes extra members: "x"'):
        ctx.resource("test_kv_store", {"x": 1})
    with pytest.raises(ValueError, match="Invalid context resource identifier"):
        ctx.resource("nonexistent_kind")


def test_concurrency_objects() -> None:
    from tsexplore.future import cpu_pool, io_pool

    ctx = our_ts.Context({"data_copy_concurrency": {"limit": 3}})
    limited = ctx.resource("data_copy_concurrency")
    assert (limited.shared, limited.limit) == (False, 3)
    assert limited.executor()._max_workers == 3
    assert limited.executor() is limited.executor()
    assert limited.executor().submit(sum, [1, 2]).result() == 3
    shared = our_ts.Context().resource("file_io_concurrency")
    assert shared.shared and shared.executor() is io_pool() and shared.limit == io_pool()._max_workers
    assert our_ts.Context().resource("data_copy_concurrency").executor() is cpu_pool()
    assert our_ts.Context().resource("cache_pool").total_bytes_limit == 0
    pool = our_ts.Context({"cache_pool": {"total_bytes_limit": 10}}).resource("cache_pool")
    assert pool.total_bytes_limit == 10
    retries = our_ts.Context({"file_io_retries": {"max_delay": "1m30s"}}).resource("file_io_retries")
    assert (retries.max_retries, retries.initial_delay, retries.max_delay) == (0, 1.0, 90.0)
    assert our_ts.Context({"file_io_sync": False}).resource("file_io_sync") is False
