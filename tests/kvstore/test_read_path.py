"""The fast read path (queued file reads, forced by ``result()``, synchronous memory reads)
against real tensorstore: the same values, states and errors whatever thread runs the read."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
import tensorstore
from hypothesis import given, settings
from hypothesis import strategies as st

import tsexplore as ts
from tsexplore.kvstore import file as file_driver

N = 300


def _fill(root: Path) -> list[str]:
    keys = [f"d{i % 7}/k{i:04d}" for i in range(N)]
    for i, k in enumerate(keys):
        (root / k).parent.mkdir(parents=True, exist_ok=True)
        (root / k).write_bytes(b"v%d" % i * (i % 5))
    return keys


def _read_all(mod: Any, root: Path, keys: list[str]) -> list[tuple[str, bytes]]:
    kv = mod.KvStore.open({"driver": "file", "path": str(root) + "/"}).result()
    futures = [kv.read(k) for k in [*keys, "absent", "d1"]]  # a missing key and a directory
    return [(r.state, r.value) for r in (f.result() for f in futures)]


def test_burst_matches_tensorstore(tmp_path: Path) -> None:
    keys = _fill(tmp_path)
    assert _read_all(ts, tmp_path, keys) == _read_all(tensorstore, tmp_path, keys)


def test_burst_from_threads_callbacks_and_await(tmp_path: Path) -> None:
    keys = _fill(tmp_path)
    expected = {k: (tmp_path / k).read_bytes() for k in keys}
    kv = ts.KvStore.open({"driver": "file", "path": str(tmp_path) + "/"}).result()
    seen: dict[str, bytes] = {}
    errors: list[BaseException] = []
    done = threading.Event()
    lock = threading.Lock()

    def on_done(key: str) -> Any:
        def cb(f: Any) -> None:
            with lock:
                seen[key] = f.result().value
                if len(seen) == N:
                    done.set()

        return cb

    for k in keys:  # nobody blocks on these: the drainers must complete them
        kv.read(k).add_done_callback(on_done(k))

    def blocking_reader(part: list[str]) -> None:
        try:
            futures = [kv.read(k) for k in part]
            assert [f.result().value for f in futures] == [expected[k] for k in part]
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=blocking_reader, args=(keys[i::3],)) for i in range(3)]
    for t in threads:
        t.start()

    async def awaiting() -> list[bytes]:
        return [(await kv.read(k)).value for k in keys[:50]]

    assert asyncio.run(awaiting()) == [expected[k] for k in keys[:50]]
    for t in threads:
        t.join()
    assert not errors
    assert done.wait(10)
    assert seen == expected


def test_invalid_key_error_through_forced_read(tmp_path: Path) -> None:
    kv = ts.KvStore.open({"driver": "file", "path": str(tmp_path) + "/"}).result()
    ref = tensorstore.KvStore.open({"driver": "file", "path": str(tmp_path) + "/"}).result()
    for key in ("a//b", "../x", "k.__lock"):
        with pytest.raises(ValueError) as ours:
            kv.read(key).result()
        with pytest.raises(ValueError) as theirs:
            ref.read(key).result()
        assert str(ours.value) == str(theirs.value)


def test_cancelled_queued_read(tmp_path: Path) -> None:
    (tmp_path / "k").write_bytes(b"v")
    kv = ts.KvStore.open({"driver": "file", "path": str(tmp_path) + "/"}).result()
    futures = [kv.read("k") for _ in range(200)]
    cancelled = [f for f in futures[100:] if f.cancel()]
    for f in futures[:100]:
        assert f.result().value == b"v"
    for f in cancelled:
        assert f.cancelled()
        with pytest.raises(asyncio.CancelledError):
            f.result()


def test_memory_reads_match_tensorstore() -> None:
    out = []
    for mod in (ts, tensorstore):
        kv = mod.KvStore.open("memory://").result()
        kv["a"] = b"0123456789"
        results = [kv.read("a").result(), kv.read("b").result(), kv.read("a", byte_range=slice(2, 5)).result()]
        out.append([(r.state, r.value) for r in results])
        with pytest.raises(ValueError) as info:
            kv.read("a", byte_range=slice(20, 30)).result()
        out.append([str(info.value)])
    assert out[0] == out[2] and out[1] == out[3]


_piece = st.sampled_from(["a", "b.", ".", "..", "", "x.__lock", ".__lockx", "\\", "\0", "é", "/"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_piece, max_size=6).map("".join))
def test_fast_key_check_agrees_with_rules(key: str) -> None:
    raw = key.encode()
    try:
        file_driver.validate_key(raw)
        fast_ok = True
    except ValueError:
        fast_ok = False
    assert fast_ok == file_driver._components_valid(raw)
