"""The conformance suite on the ``file`` driver, plus file-specific behaviour (atomicity, safety)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import tsexplore as ts

from .conformance import KvStoreConformance


class TestFileConformance(KvStoreConformance):
    @pytest.fixture
    def kv(self, tmp_path: Path) -> Any:
        return ts.KvStore.open({"driver": "file", "path": str(tmp_path) + "/"}).result()


@pytest.fixture
def kv(tmp_path: Path) -> Any:
    return ts.KvStore.open("file://" + str(tmp_path) + "/").result()


@pytest.mark.parametrize(
    "key",
    [
        "../escape",
        "/abs",
        "a//b",
        "a/../b",
        "x\0y",
        "",
        "dir/",
        ".",
        "a/./b",
        "./x",
        "..",
        "x/..",
        "k.__lock",
    ],
)
def test_invalid_keys_rejected(kv: Any, tmp_path: Path, key: str) -> None:
    before = sorted(os.listdir(tmp_path))
    parent_before = sorted(os.listdir(tmp_path.parent))
    with pytest.raises(ValueError, match=r"^Invalid key: ") as info:
        kv.write(key, b"v").result()
    assert str(tmp_path) in str(info.value)
    with pytest.raises(ValueError, match=r"^Invalid key: "):
        kv.read(key).result()
    assert sorted(os.listdir(tmp_path)) == before
    assert sorted(os.listdir(tmp_path.parent)) == parent_before


def test_no_escape_through_path_join(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    kv = ts.KvStore.open({"driver": "file", "path": str(tmp_path / "inner") + "/"}).result()
    with pytest.raises(ValueError, match=r'Invalid key: ".*/inner/\.\./outside"'):
        kv.write("../outside", b"x").result()
    assert not (tmp_path / "outside").exists()
    with pytest.raises(ValueError, match=r'Invalid file path: "\.\./x/"'):
        ts.KvStore.open({"driver": "file", "path": "../x/"})


def test_files_on_disk_and_no_lock_leftovers(kv: Any, tmp_path: Path) -> None:
    kv["a/b/c"] = b"data"
    assert (tmp_path / "a" / "b" / "c").read_bytes() == b"data"
    assert kv.write("a/b/c", b"zz", if_equal=b"nope").result().generation == b""
    kv.write("a/b/c", None).result()
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == []


def test_external_files_are_listed(kv: Any, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_bytes(b"outside")
    (tmp_path / "x" / "stale.__lock").write_bytes(b"junk")
    assert kv.list().result() == [b"x/f"]
    assert kv["x/f"] == b"outside"


def test_directory_key_reads_missing_and_write_fails(kv: Any) -> None:
    kv["sub/a"] = b"1"
    assert kv.read("sub").result().state == "missing"
    with pytest.raises(ValueError, match="FAILED_PRECONDITION"):
        kv.write("sub", b"v").result()
    assert kv.list().result() == [b"sub/a"]


def test_generation_unique_with_recycled_inodes(kv: Any) -> None:
    # Writes with identical size in a tight loop: inodes get recycled, mtime ticks may collide.
    gens = set()
    for _ in range(200):
        gens.add(kv.write("same", b"12345678").result().generation)
    assert len(gens) == 200


def test_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    kv = ts.KvStore.open({"driver": "file", "path": "rel/dir/"}).result()
    kv["k"] = b"1"
    assert (tmp_path / "rel" / "dir" / "k").read_bytes() == b"1"
    assert kv.list().result() == [b"k"]
    with pytest.raises(ValueError, match=r'^file: URIs do not support relative paths: "rel/dir/"$'):
        kv.url  # noqa: B018


def test_file_io_concurrency_limit(tmp_path: Path) -> None:
    spec = {"driver": "file", "path": str(tmp_path) + "/", "file_io_concurrency": {"limit": 2}}
    kv = ts.KvStore.open(spec).result()
    futures = [kv.write(f"k{i}", b"v") for i in range(20)]
    assert all(f.result().generation for f in futures)
    assert len(kv.list().result()) == 20
    assert "'file_io_concurrency': {'limit': 2}" in repr(kv)
