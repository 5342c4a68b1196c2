"""A file where a chunk directory must go: status and text against real tensorstore (file kvstore)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

# (driver, extra spec members, the path component that is made a file) -- one chunk each, so the
# failing key is deterministic
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("zarr3", {}, "c"),
    ("zarr3", {}, "c/0"),
    ("zarr", {"metadata": {"dimension_separator": "/"}}, "0"),
    ("n5", {}, "0"),
]


def _write_error(mod: Any, driver: str, extra: dict[str, Any], blocker: str, root: Path) -> str:
    spec = {"driver": driver, "kvstore": {"driver": "file", "path": str(root) + "/"}, **extra}
    layout = mod.ChunkLayout(chunk_shape=[2, 2])
    s = mod.open(spec, create=True, dtype="int32", shape=[2, 2], chunk_layout=layout).result()
    (root / blocker).parent.mkdir(parents=True, exist_ok=True)
    (root / blocker).write_bytes(b"x")
    with pytest.raises(ValueError) as e:
        s[...] = np.ones((2, 2), dtype="int32")
    np.testing.assert_array_equal(s.read().result(), np.zeros((2, 2), dtype="int32"))
    return str(e.value).replace(str(root), "ROOT")


@pytest.mark.parametrize(("driver", "extra", "blocker"), CASES)
def test_chunk_write_under_a_file_matches_tensorstore(
    driver: str, extra: dict[str, Any], blocker: str, tmp_path: Path
) -> None:
    want = _write_error(real_ts, driver, extra, blocker, tmp_path / "real")
    got = _write_error(ts, driver, extra, blocker, tmp_path / "ours")
    assert got == want
    assert got.startswith("FAILED_PRECONDITION: Error writing local file")


@pytest.mark.parametrize("key", ["f/x", "f/x/y/z"])
def test_kvstore_write_under_a_file_matches_tensorstore(key: str, tmp_path: Path) -> None:
    texts = []
    for mod, name in ((real_ts, "real"), (ts, "ours")):
        root = tmp_path / name
        root.mkdir()
        (root / "f").write_bytes(b"x")
        kv = mod.KvStore.open({"driver": "file", "path": str(root) + "/"}).result()
        with pytest.raises(ValueError) as e:
            kv.write(key, b"1").result()
        texts.append(str(e.value).replace(str(root), "ROOT"))
        assert (root / "f").read_bytes() == b"x"
    assert texts[1] == texts[0]


def _commit_error(mod: Any, root: Path) -> str:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(root) + "/"}}
    layout = mod.ChunkLayout(chunk_shape=[2, 2])
    mod.open(spec, create=True, dtype="int32", shape=[2, 2], chunk_layout=layout).result()
    (root / "c").write_bytes(b"x")
    txn = mod.Transaction()
    s = mod.open(spec, transaction=txn).result()
    s[...] = np.ones((2, 2), dtype="int32")
    with pytest.raises(ValueError) as e:
        txn.commit_sync()
    return str(e.value).replace(str(root), "ROOT")


def test_transaction_commit_under_a_file_matches_tensorstore(tmp_path: Path) -> None:
    want = _commit_error(real_ts, tmp_path / "real")
    got = _commit_error(ts, tmp_path / "ours")
    assert got == want
