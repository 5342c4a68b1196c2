"""The kvstore conformance suite: every driver's test module subclasses :class:`KvStoreConformance`.

A subclass provides the ``kv`` fixture (a fresh, empty, writable ``ts.KvStore``) and may turn off
capabilities (``binary_keys``); :class:`ReadOnlyConformance` is the subset for read-only drivers,
whose fixture ``ro`` gives a store pre-filled with :data:`READONLY_CONTENT`.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any, ClassVar

import pytest

import tsexplore as ts

NO_VALUE = b"\x02"

# Keys/values served by read-only stores (http) and checked by ReadOnlyConformance.
READONLY_CONTENT: dict[str, bytes] = {
    "a.txt": b"hello world",
    "dir/b.bin": bytes(range(256)),
    "dir/sub/c": b"",
    "e": b"x" * 1000,
}


class ReadOnlyConformance:
    """Reads and listing: what every driver, read-only ones included, must do."""

    def test_read_value(self, ro: Any) -> None:
        for key, value in READONLY_CONTENT.items():
            r = ro.read(key).result()
            assert (r.state, r.value) == ("value", value), key
            assert r.stamp.generation not in (b"", NO_VALUE)
            assert ro[key] == value

    def test_missing(self, ro: Any) -> None:
        r = ro.read("nope/missing").result()
        assert (r.state, r.value, r.stamp.generation) == ("missing", b"", NO_VALUE)
        with pytest.raises(KeyError):
            ro["nope/missing"]
        assert "nope/missing" not in ro
        assert "a.txt" in ro

    def test_byte_ranges(self, ro: Any) -> None:
        v = READONLY_CONTENT["a.txt"]
        for sl, expected in [
            (slice(2, 5), v[2:5]),
            (slice(2, None), v[2:]),
            (slice(None, 3), v[:3]),
            (slice(-3, None), v[-3:]),
            (slice(0, 0), b""),
            (slice(11, None), b""),
            (slice(0, 11), v),
        ]:
            assert ro.read("a.txt", byte_range=sl).result().value == expected, sl
        with pytest.raises(
            ValueError,
            match=r"OUT_OF_RANGE: Requested byte range \[5, 100\) is not valid for value of size 11",
        ):
            ro.read("a.txt", byte_range=slice(5, 100)).result()
        with pytest.raises(
            ValueError,
            match=r"OUT_OF_RANGE: Requested byte range \[-20, \?\) is not valid for value of size 11",
        ):
            ro.read("a.txt", byte_range=slice(-20, None)).result()
        r = ro.read("nope", byte_range=slice(1, 2)).result()
        assert r.state == "missing"

    def test_if_not_equal(self, ro: Any) -> None:
        r = ro.read("a.txt").result()
        same = ro.read("a.txt", if_not_equal=r.stamp.generation).result()
        assert (same.state, same.value, same.stamp.generation) == ("unspecified", b"", r.stamp.generation)
        other = ro.read("a.txt", if_not_equal=b"something else").result()
        assert other.state == "value"

    def test_list(self, ro: Any) -> None:
        assert sorted(ro.list().result()) == sorted(k.encode() for k in READONLY_CONTENT)
        assert sorted(ro.list(ts.KvStore.KeyRange("dir/", "dir0")).result()) == [b"dir/b.bin", b"dir/sub/c"]
        assert sorted(ro.list(ts.KvStore.KeyRange("dir/", "dir0"), strip_prefix_length=4).result()) == [
            b"b.bin",
            b"sub/c",
        ]
        assert sorted((ro / "dir/").list().result()) == [b"b.bin", b"sub/c"]
        assert (ro / "dir/")["b.bin"] == READONLY_CONTENT["dir/b.bin"]

    def test_many_reads_in_flight(self, ro: Any) -> None:
        futures = [ro.read(k) for k in list(READONLY_CONTENT) * 25]
        values = [f.result().value for f in futures]
        assert values == [READONLY_CONTENT[k] for k in list(READONLY_CONTENT) * 25]


class KvStoreConformance:
    """The full suite for writable drivers."""

    binary_keys: ClassVar[bool] = True
    many_keys: ClassVar[int] = 10_000

    @pytest.fixture
    def ro(self, kv: Any) -> Any:
        futures = [kv.write(k, v) for k, v in READONLY_CONTENT.items()]
        for f in futures:
            f.result()
        return kv

    # The read-only subset runs against the filled writable store too.
    test_read_value = ReadOnlyConformance.test_read_value
    test_missing = ReadOnlyConformance.test_missing
    test_byte_ranges = ReadOnlyConformance.test_byte_ranges
    test_if_not_equal = ReadOnlyConformance.test_if_not_equal
    test_list = ReadOnlyConformance.test_list
    test_many_reads_in_flight = ReadOnlyConformance.test_many_reads_in_flight

    def test_write_read_roundtrip(self, kv: Any) -> None:
        stamp = kv.write("k", b"value").result()
        assert isinstance(stamp, ts.KvStore.TimestampedStorageGeneration)
        r = kv.read("k").result()
        assert (r.state, r.value) == ("value", b"value")
        assert r.stamp.generation == stamp.generation
        assert r.stamp.time >= stamp.time
        kv["k2"] = "text"  # str values are UTF-8 encoded
        assert kv["k2"] == b"text"

    def test_empty_value(self, kv: Any) -> None:
        kv["empty"] = b""
        r = kv.read("empty").result()
        assert (r.state, r.value) == ("value", b"")
        assert "empty" in kv
        assert kv.list().result() == [b"empty"]

    def test_generation_changes_on_every_write(self, kv: Any) -> None:
        gens = [kv.write("g", b"same").result().generation for _ in range(20)]
        assert len(set(gens)) == 20
        assert NO_VALUE not in gens and b"" not in gens

    def test_delete(self, kv: Any) -> None:
        kv["d"] = b"1"
        assert kv.write("d", None).result().generation == NO_VALUE
        assert kv.read("d").result().state == "missing"
        assert kv.write("d", None).result().generation == NO_VALUE  # deleting a missing key is fine
        kv["d"] = b"2"
        del kv["d"]
        del kv["d"]
        assert "d" not in kv
        kv["d"] = b"3"
        assert kv.delete("d").result().generation == NO_VALUE  # E4
        assert "d" not in kv

    def test_conditional_write(self, kv: Any) -> None:
        g1 = kv.write("c", b"1").result().generation
        g2 = kv.write("c", b"2", if_equal=g1).result().generation
        assert g2 not in (b"", g1)
        failed = kv.write("c", b"3", if_equal=g1).result()
        assert failed.generation == b""
        assert kv["c"] == b"2"
        # if_equal=NO_VALUE: create only
        assert kv.write("c", b"4", if_equal=NO_VALUE).result().generation == b""
        assert kv.write("new", b"4", if_equal=NO_VALUE).result().generation not in (b"", NO_VALUE)
        assert kv["new"] == b"4"
        # if_equal=b'' is unconditional
        assert kv.write("c", b"5", if_equal=b"").result().generation not in (b"", NO_VALUE)
        assert kv["c"] == b"5"

    def test_conditional_delete(self, kv: Any) -> None:
        g = kv.write("cd", b"1").result().generation
        assert kv.write("cd", None, if_equal=b"bogus").result().generation == b""
        assert kv["cd"] == b"1"
        assert kv.write("cd", None, if_equal=g).result().generation == NO_VALUE
        assert "cd" not in kv
        assert kv.write("cd", None, if_equal=NO_VALUE).result().generation == NO_VALUE
        assert kv.write("cd", None, if_equal=g).result().generation == b""

    def test_if_not_equal_missing(self, kv: Any) -> None:
        r = kv.read("absent", if_not_equal=NO_VALUE).result()
        assert (r.state, r.stamp.generation) == ("unspecified", NO_VALUE)

    def test_binary_and_unicode_keys(self, kv: Any) -> None:
        keys = ["ünïcødé/ключ", "with space", "a+b=c&d", "percent%41"]
        if self.binary_keys:
            keys += [b"\xff\xfe\x01", b"\x80bin/\x7f"]
        for i, k in enumerate(keys):
            kv[k] = bytes([i])
        for i, k in enumerate(keys):
            assert kv[k] == bytes([i])
        expected = sorted(k if isinstance(k, bytes) else k.encode() for k in keys)
        assert sorted(kv.list().result()) == expected

    def test_list_ranges_and_paths(self, kv: Any) -> None:
        for k in ["a", "b", "ba", "c/1", "c/2", "d"]:
            kv[k] = b"v"
        KR = ts.KvStore.KeyRange
        assert sorted(kv.list(KR("b", "c")).result()) == [b"b", b"ba"]
        assert sorted(kv.list(KR("b")).result()) == [b"b", b"ba", b"c/1", b"c/2", b"d"]
        assert sorted(kv.list(KR("", "b")).result()) == [b"a"]
        assert kv.list(KR("x", "a")).result() == []
        sub = kv / "c"
        assert sub.path.endswith("c")
        assert sorted((kv / "c/").list().result()) == [b"1", b"2"]
        assert sorted((kv + "c/").list(KR("2")).result()) == [b"2"]

    def test_delete_range(self, kv: Any) -> None:
        for k in ["a", "aa", "b", "c/x", "c/y/z", "d"]:
            kv[k] = b"v"
        assert kv.delete_range(ts.KvStore.KeyRange("aa", "c/y")).result() is None
        assert sorted(kv.list().result()) == [b"a", b"c/y/z", b"d"]
        (kv / "c/").delete_range(ts.KvStore.KeyRange()).result()
        assert sorted(kv.list().result()) == [b"a", b"d"]
        kv.delete_range(ts.KvStore.KeyRange("z", "a")).result()  # empty range: nothing
        assert sorted(kv.list().result()) == [b"a", b"d"]
        kv.delete_range(ts.KvStore.KeyRange()).result()
        assert kv.list().result() == []

    def test_many_keys_listing(self, kv: Any) -> None:
        n = self.many_keys
        keys = [f"k/{i // 100:03d}/{i:05d}".encode() for i in range(n)]
        self.bulk_write(kv, keys)
        listed = kv.list().result()
        assert len(listed) == n
        assert sorted(listed) == keys
        part = kv.list(ts.KvStore.KeyRange(b"k/010/", b"k/012/")).result()
        assert sorted(part) == keys[1000:1200]

    def bulk_write(self, kv: Any, keys: list[bytes]) -> None:
        for start in range(0, len(keys), 500):
            futures = [kv.write(k, b"") for k in keys[start : start + 500]]
            for f in futures:
                f.result()

    def test_concurrent_conditional_writers(self, kv: Any) -> None:
        """Threads increment a counter with read + conditional write; no update may be lost."""
        kv["counter"] = b"0"
        wins = [0] * 4
        per_thread = 15

        def worker(i: int) -> None:
            done = 0
            while done < per_thread:
                r = kv.read("counter").result()
                new = str(int(r.value) + 1).encode()
                if kv.write("counter", new, if_equal=r.stamp.generation).result().generation:
                    done += 1
            wins[i] = done

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(worker, range(4)))
        assert kv["counter"] == str(4 * per_thread).encode()

    def test_concurrent_unconditional_writers(self, kv: Any) -> None:
        """Whole values only: each read sees one writer's complete value."""
        values = [bytes([i]) * 5000 for i in range(1, 5)]
        stop = threading.Event()
        seen: set[bytes] = set()

        def reader() -> None:
            while not stop.is_set():
                r = kv.read("blob").result()
                if r.state == "value":
                    seen.add(r.value)

        t = threading.Thread(target=reader)
        t.start()
        try:
            futures = [kv.write("blob", values[i % 4]) for i in range(40)]
            for f in futures:
                f.result()
        finally:
            stop.set()
            t.join()
        assert seen <= set(values)
        assert kv["blob"] in values
