"""The ``zip`` adapter driver against real tensorstore 0.1.86 and zarr-python's ZipStore."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real

import tsexplore as ts

from .conformance import READONLY_CONTENT, ReadOnlyConformance


def _make_zip(path: Path, content: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for i, (k, v) in enumerate(content.items()):
            z.writestr(k, v, compress_type=zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED)


class TestZipReadOnly(ReadOnlyConformance):
    @pytest.fixture
    def ro(self, tmp_path: Path) -> Any:
        _make_zip(tmp_path / "a.zip", READONLY_CONTENT)
        return ts.KvStore.open(f"file://{tmp_path}/a.zip|zip:").result()

    def test_missing(self, ro: Any) -> None:
        # tensorstore stamps a missing entry with the archive's generation, not NO_VALUE
        r = ro.read("nope/missing").result()
        assert (r.state, r.value) == ("missing", b"")
        assert r.stamp.generation == ro.read("a.txt").result().stamp.generation
        with pytest.raises(KeyError):
            ro["nope/missing"]
        assert "a.txt" in ro


@pytest.fixture
def archive(tmp_path: Path) -> str:
    _make_zip(tmp_path / "a.zip", READONLY_CONTENT)
    with zipfile.ZipFile(tmp_path / "a.zip", "a") as z:
        z.writestr("dir/", b"")  # directory entries are not keys
    return f"file://{tmp_path}/a.zip"


@pytest.mark.parametrize("sub", ["", "dir/", "dir/sub%20x"])
def test_spec_and_url_match(archive: str, sub: str) -> None:
    url = f"{archive}|zip:{sub}"
    for d in (False, True):
        assert ts.KvStore.Spec(url).to_json(include_defaults=d) == real.KvStore.Spec(url).to_json(include_defaults=d)
    assert ts.KvStore.Spec(url).url == real.KvStore.Spec(url).url


@pytest.mark.parametrize("path", ["", "dir/", "dir/sub/"])
def test_listing_and_reads_match(archive: str, path: str) -> None:
    spec = {"driver": "zip", "base": archive, "path": path}
    mine, theirs = ts.KvStore.open(spec).result(), real.KvStore.open(spec).result()
    assert mine.url == theirs.url
    keys = theirs.list().result()
    assert sorted(mine.list().result()) == sorted(keys)
    for k in [*keys, b"missing"]:
        a, b = mine.read(k).result(), theirs.read(k).result()
        assert (a.state, a.value) == (b.state, b.value)
        if b.state == "value" and len(b.value) > 3:
            rng = slice(1, 3)
            assert mine.read(k, byte_range=rng).result().value == theirs.read(k, byte_range=rng).result().value


@pytest.mark.parametrize(
    "spec",
    [
        {"driver": "zip"},
        {"driver": "zip", "base": 5},
        {"driver": "zip", "base": "memory://", "bogus": 1},
        {"driver": "zip", "base": "memory://", "compression": "stored"},
        "zip:",
        "memory://|zip://x",
        "memory://|zip:?q",
        "memory://|memory:",
    ],
)
def test_errors_match(spec: Any) -> None:
    with pytest.raises(ValueError) as theirs:
        real.KvStore.Spec(spec)
    with pytest.raises(ValueError, match="^" + __import__("re").escape(str(theirs.value)) + "$"):
        ts.KvStore.Spec(spec)


@pytest.mark.parametrize(
    "spec",
    [
        {"driver": "zip", "base": {"driver": "memory"}, "cache_pool": "cache_pool", "compression": "store"},
        "memory://|zip:a|zip:b",
        {"driver": "zip", "base": "memory://x/", "cache_pool": {"total_bytes_limit": 5}},
    ],
)
def test_spec_json_match(spec: Any) -> None:
    for d in (False, True):
        assert ts.KvStore.Spec(spec).to_json(include_defaults=d) == real.KvStore.Spec(spec).to_json(include_defaults=d)


def test_missing_and_corrupt_archive(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/none.zip|zip:"
    assert ts.KvStore.open(url).result().list().result() == []
    assert ts.KvStore.open(url).result().read("a").result().state == "missing"
    (tmp_path / "bad.zip").write_bytes(b"not a zip file" * 10)
    bad = f"file://{tmp_path}/bad.zip|zip:"
    with pytest.raises(ValueError) as theirs:
        real.KvStore.open(bad).result().list().result()
    with pytest.raises(ValueError, match=str(theirs.value)):
        ts.KvStore.open(bad).result().list().result()


def test_write_rewrites_archive(tmp_path: Path) -> None:
    _make_zip(tmp_path / "a.zip", {"a": b"1", "b": b"2"})
    kv = ts.KvStore.open(f"file://{tmp_path}/a.zip|zip:").result()
    kv["c"] = b"3"
    del kv["a"]
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert {n: z.read(n) for n in z.namelist()} == {"b": b"2", "c": b"3"}
    theirs = real.KvStore.open(f"file://{tmp_path}/a.zip|zip:").result()
    assert theirs.list().result() == sorted(kv.list().result())


def test_zarr_zipstore_array(tmp_path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    data = np.arange(60, dtype="int32").reshape(6, 10)
    store = zarr.storage.ZipStore(tmp_path / "data.zip", mode="w")
    arr = zarr.create_array(store, shape=data.shape, chunks=(4, 4), dtype="int32")
    arr[...] = data
    store.close()
    spec = {"driver": "zarr3", "kvstore": f"file://{tmp_path}/data.zip|zip:"}
    mine = ts.open(spec).result().read().result()
    theirs = real.open(spec).result().read().result()
    np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(mine, zarr.open_array(zarr.storage.ZipStore(tmp_path / "data.zip", mode="r"))[...])


def test_base_of_a_zip_kvstore_like_tensorstore() -> None:
    """``KvStore.base`` / ``KvStore.Spec.base`` give the archive's own kvstore, sharing its contents."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("p/k", b"v")
    texts = []
    for m in (ts, real):
        kv = m.KvStore.open("memory://a.zip|zip:p/").result()
        base = kv.base
        base.write("", buf.getvalue()).result()  # the archive itself, written through the base
        assert kv.read("k").result().value == b"v"
        texts.append((repr(base), repr(kv.spec().base), repr(m.KvStore.Spec("memory://x/").base)))
    assert texts[0] == texts[1]
