"""Every public array-level class delegates ``_repr_mimebundle_`` to tsexplore.display, with no I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tsexplore as ts


def _zarr3(tmp_path: Path) -> Any:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path) + "/a/"}}
    return ts.open(spec, create=True, dtype="uint16", shape=[4, 6], chunk_layout=ts.ChunkLayout(chunk_shape=[2, 3])
                   ).result()


def _objects(tmp_path: Path) -> list[tuple[str, Any]]:
    s = _zarr3(tmp_path)
    return [
        ("TensorStore", s),
        ("Spec", s.spec()),
        ("Schema", s.schema),
        ("ChunkLayout", s.chunk_layout),
        ("CodecSpec", s.codec),
        ("Transaction", ts.Transaction()),
    ]


@pytest.mark.parametrize("which", ["TensorStore", "Spec", "Schema", "ChunkLayout", "CodecSpec", "Transaction"])
def test_bundle_has_html_and_text(which: str, tmp_path: Path) -> None:
    obj = dict(_objects(tmp_path))[which]
    b = obj._repr_mimebundle_()
    assert set(b) == {"text/plain", "text/html"}
    assert f'<span class="tsx-type">{which}</span>' in b["text/html"]
    assert "object at 0x" not in b["text/plain"]
    assert len(b["text/html"]) <= 64 * 1024


def test_tensorstore_repr_names_chunking_without_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = _zarr3(tmp_path)
    from tsexplore.kvstore.file import FileDriver

    def boom(*a: Any, **k: Any) -> Any:
        raise AssertionError("repr performed I/O")

    monkeypatch.setattr(FileDriver, "read", boom, raising=False)
    monkeypatch.setattr(FileDriver, "list", boom, raising=False)
    html = s._repr_mimebundle_()["text/html"]
    assert "2 \u00d7 2 = 4" in html  # chunk counts for [4, 6) / [2, 3)
    assert "uint16" in html


def test_transaction_bundle_lists_staged_keys() -> None:
    from tsexplore.transaction import Mutation

    kv = ts.KvStore.open("memory://").result()
    txn = ts.Transaction()
    txn.stage(kv.driver, b"k/0", Mutation(lambda old: b"abcd", nbytes=4))
    b = txn._repr_mimebundle_()
    assert "1 staged keys" in b["text/plain"]
    assert "k/0" in b["text/html"]
    txn.abort()
    assert kv.list().result() == []
