"""``ts.virtual_chunked`` against real tensorstore: values, callback domains, writes, errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as ts

MODS = (real_ts, ts)


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        v = fn()
    except (ValueError, TypeError, KeyError, IndexError, RuntimeError, NotImplementedError) as e:
        return (type(e).__name__ if not isinstance(e, ValueError) else "ValueError", str(e))
    return _norm(v)


def _norm(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ("array", v.dtype.str, v.tolist())
    if isinstance(v, (tuple, list)):
        return type(v)(_norm(x) for x in v)
    return v


def _both(fn: Callable[[Any], Any]) -> None:
    want, got = (_outcome(lambda m=m: fn(m)) for m in MODS)
    assert got == want


def _fill(domain: Any, array: np.ndarray[Any, Any], params: Any) -> None:
    """Value = 1000 * first coordinate + second coordinate (rank 2) or the coordinate (rank 1)."""
    grids = np.meshgrid(*[np.arange(a, b) for a, b in zip(domain.inclusive_min, domain.exclusive_max, strict=True)],
                        indexing="ij")
    array[...] = sum(g * 1000 ** (len(grids) - 1 - k) for k, g in enumerate(grids))


view_st = st.tuples(
    st.tuples(st.integers(-6, 4), st.integers(1, 8)),  # domain origin, shape (dim 0)
    st.tuples(st.integers(-6, 4), st.integers(1, 8)),
    st.tuples(st.integers(1, 4), st.integers(1, 4)),  # read chunk shape
    st.tuples(st.integers(0, 7), st.integers(0, 8), st.sampled_from([1, 2, -1, 3])),  # view of dim 0
    st.tuples(st.integers(0, 7), st.integers(0, 8), st.sampled_from([1, 2, -2])),
)


@settings(max_examples=80, deadline=None)
@given(view_st)
def test_reads_and_callback_domains_match(case: Any) -> None:
    (o0, n0), (o1, n1), chunk, (a0, b0, s0), (a1, b1, s1) = case

    def run(m: Any) -> Any:
        seen: list[str] = []
        lock = threading.Lock()

        def rd(domain: Any, array: Any, params: Any) -> None:
            with lock:
                seen.append(str(domain))
            _fill(domain, array, params)

        dom = m.IndexDomain(inclusive_min=[o0, o1], shape=[n0, n1])
        t = m.virtual_chunked(rd, dtype="int32", domain=dom, chunk_layout=m.ChunkLayout(read_chunk_shape=chunk))
        v = t[o0 + a0 % n0 : o0 + b0 : s0, o1 + a1 % n1 : o1 + b1 : s1] if s0 > 0 else t[o0 + a0 % n0 :: s0, :]
        if 0 in v.shape:
            return str(v.domain)
        values = v.read().result()
        return str(v.domain), values, sorted(seen), t.chunk_layout.to_json(), t.schema.to_json()

    _both(run)


def test_index_array_read() -> None:
    def run(m: Any) -> Any:
        seen: list[str] = []
        t = m.virtual_chunked(lambda d, a, p: (seen.append(str(d)), _fill(d, a, p))[1], dtype="int64", shape=[6, 5],
                              chunk_layout=m.ChunkLayout(read_chunk_shape=[2, 5]))
        return t[[5, 0, 4], 1:3].read().result(), sorted(seen)

    _both(run)


def test_read_write_round_trip_and_partial_chunks() -> None:
    def run(m: Any) -> Any:
        backing = np.zeros((4, 5), np.uint32)
        backing[1] = 50
        log: list[Any] = []

        def rd(domain: Any, chunk: Any, params: Any) -> None:
            log.append(("r", str(domain)))
            chunk[...] = backing[domain.index_exp]

        def wr(domain: Any, chunk: Any, params: Any) -> None:
            log.append(("w", str(domain), chunk.flags.writeable, type(params).__name__))
            backing[domain.index_exp] = chunk

        t = m.virtual_chunked(rd, wr, dtype=backing.dtype, shape=backing.shape,
                              chunk_layout=m.ChunkLayout(read_chunk_shape=(2, 3)))
        t[1:3, 1:3] = 42
        t[0:2, 3:5] = np.array([[1, 2], [3, 4]], np.uint32)
        return backing.tolist(), sorted(log), t.read().result(), t.mode

    _both(run)


def test_write_only() -> None:
    def run(m: Any) -> Any:
        store: dict[str, Any] = {}

        def wr(domain: Any, chunk: Any, params: Any) -> None:
            store[str(domain)] = chunk.tolist()

        t = m.virtual_chunked(None, wr, dtype="int32", shape=[5], chunk_layout=m.ChunkLayout(write_chunk_shape=[2]))
        out: list[Any] = [t.mode]
        t[0:4] = np.arange(4, dtype=np.int32)
        out.append(sorted(store.items()))
        out.append(_outcome(lambda: t[1:3].write(7).result()))
        out.append(_outcome(lambda: t.read().result()))
        return out

    _both(run)


class _Boom(Exception):
    pass


ERRORS: dict[str, Callable[[Any], Any]] = {
    "no_functions": lambda m: m.virtual_chunked(dtype="int32", shape=[4]),
    "no_dtype": lambda m: m.virtual_chunked(_fill, shape=[4]),
    "no_rank": lambda m: m.virtual_chunked(_fill, dtype="int32"),
    "positional": lambda m: m.virtual_chunked(_fill, None, None),
    "read_only_write": lambda m: m.virtual_chunked(_fill, dtype="int32", shape=[2]).write(1).result(),
    "key_error": lambda m: m.virtual_chunked(lambda d, a, p: {}["boom"], dtype="int32", shape=[2]).read().result(),
    "value_error": lambda m: m.virtual_chunked(
        lambda d, a, p: (_ for _ in ()).throw(ValueError("vboom")), dtype="int32", shape=[2]).read().result(),
    "bad_return": lambda m: m.virtual_chunked(lambda d, a, p: 5, dtype="int32", shape=[2]).read().result(),
    "spec_json": lambda m: m.virtual_chunked(_fill, dtype="int32", shape=[2]).spec().to_json(),
    "spec_repr": lambda m: repr(m.virtual_chunked(_fill, dtype="int32", shape=[2]).spec()),
    "spec_schema": lambda m: _spec_summary(m.virtual_chunked(_fill, dtype="int32", shape=[2, 3]).spec()),
    "rank_only_domain": lambda m: str(m.virtual_chunked(_fill, dtype="int32", rank=2).domain),
    "units": lambda m: [str(u) for u in m.virtual_chunked(_fill, dtype="int32", shape=[2],
                                                          dimension_units=["4nm"]).dimension_units],
    "schema_kw": lambda m: str(m.virtual_chunked(_fill, schema=m.Schema(dtype="int32", shape=[3])).domain),
    "rank0": lambda m: m.virtual_chunked(lambda d, a, p: a.fill(4), dtype="int32", shape=[]).read().result(),
    "async_no_loop": lambda m: m.virtual_chunked(_async_fill, dtype="int32", shape=[2]).read().result(),
}


def _spec_summary(s: Any) -> Any:
    return s.dtype.name, str(s.domain), s.rank


async def _async_fill(domain: Any, array: Any, params: Any) -> None:
    await asyncio.sleep(0)
    array[...] = 7


@pytest.mark.filterwarnings("ignore:coroutine '_async_fill' was never awaited")
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_and_misc_match(name: str) -> None:
    _both(ERRORS[name])


def test_exception_type_preserved() -> None:
    for m in MODS:
        def rd(d: Any, a: Any, p: Any) -> None:
            raise _Boom("x")

        with pytest.raises(_Boom):
            m.virtual_chunked(rd, dtype="int32", shape=[2]).read().result()


def test_async_callbacks_on_loops() -> None:
    loop = asyncio.new_event_loop()
    th = threading.Thread(target=loop.run_forever, daemon=True)
    th.start()
    try:
        async def main(m: Any) -> Any:
            t = m.virtual_chunked(_async_fill, dtype="int32", shape=[2])
            return await t.read()

        _both(lambda m: asyncio.run(main(m)))
        _both(lambda m: m.virtual_chunked(_async_fill, dtype="int32", shape=[3], loop=loop).read().result())

        async def bad(d: Any, a: Any, p: Any) -> None:
            raise KeyError("aboom")

        _both(lambda m: m.virtual_chunked(bad, dtype="int32", shape=[3], loop=loop).read().result())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        th.join(5)


def test_chunks_run_concurrently() -> None:
    """Blocking callbacks of one read overlap (tsexplore runs them in its I/O pool)."""
    active = [0, 0]
    lock = threading.Lock()
    gate = threading.Barrier(2, timeout=10)

    def rd(d: Any, a: Any, p: Any) -> None:
        with lock:
            active[0] += 1
            active[1] = max(active[1], active[0])
        gate.wait()  # both chunks must be inside the callback at once
        a[...] = 1
        with lock:
            active[0] -= 1

    t = ts.virtual_chunked(rd, dtype="uint8", shape=[2], chunk_layout=ts.ChunkLayout(read_chunk_shape=[1]))
    assert t.read().result().tolist() == [1, 1]
    assert active[1] == 2


def test_repr_without_json_form_matches_tensorstore() -> None:
    """virtual_chunked has no JSON form: repr falls back to tensorstore's ``TensorStore(...)``."""

    def fill(domain: Any, array: Any, params: Any) -> None:
        array[...] = 1

    ours = ts.virtual_chunked(fill, dtype=ts.int32, shape=[4])
    theirs = real_ts.virtual_chunked(fill, dtype=real_ts.int32, shape=[4])
    assert repr(ours) == repr(theirs) == "TensorStore(...)"
