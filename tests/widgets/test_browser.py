"""KvStoreBrowserModel: lazy listing, paging, marker recognition, chunk collapsing, shard occupancy, open code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts
from tsexplore.widgets.browser_model import KvStoreBrowserModel, recognise


@pytest.fixture
def tree(tmp_path: Path) -> str:
    """An OME-Zarr-like group with one zarr3 array, a sharded zarr3 array and a zarr v2 array, all by tensorstore."""
    root = str(tmp_path) + "/"
    kv = real_ts.KvStore.open("file://" + root).result()
    ome = {"ome": {"version": "0.5", "multiscales": [{"datasets": [{"path": "0"}, {"path": "1"}]}]}}
    kv["img/zarr.json"] = json.dumps({"zarr_format": 3, "node_type": "group", "attributes": ome}).encode()
    a = real_ts.open({"driver": "zarr3", "kvstore": f"file://{root}img/0/"}, create=True, dtype="uint16",
                     shape=[8, 16, 16], chunk_layout=real_ts.ChunkLayout(chunk_shape=[4, 8, 8])).result()
    a[...] = 1
    sh = real_ts.open(
        {"driver": "zarr3", "kvstore": f"file://{root}sh/",
         "metadata": {"codecs": [{"name": "sharding_indexed",
                                  "configuration": {"chunk_shape": [2, 4, 4], "codecs": [{"name": "bytes"}]}}],
                      "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 8, 8]}}}},
        create=True, dtype="uint8", shape=[8, 16, 16]).result()
    sh[0:2, 0:8, 0:4] = 3  # 2 of the 8 inner chunks of shard c/0/0/0
    v2 = real_ts.open({"driver": "zarr", "kvstore": f"file://{root}v2/"}, create=True, dtype="float32", shape=[6],
                      chunk_layout=real_ts.ChunkLayout(chunk_shape=[2])).result()
    v2[0:2] = 1.5
    for i in range(7):
        kv[f"many/k{i}"] = b"x" * i
    return root


def labels(m: KvStoreBrowserModel) -> list[str]:
    return [label.strip() for _n, label in m.rows()]


def test_root_lists_one_level_with_badges(tree: str) -> None:
    m = KvStoreBrowserModel("file://" + tree)
    assert m.list_calls == 0  # nothing listed until asked
    m.expand("").result(timeout=10)
    rows = labels(m)
    assert "▸ img/ · OME-Zarr image · 2 levels" in rows
    assert "▸ sh/ · zarr3 array · uint8 · 8×16×16 · sharded" in rows  # noqa: RUF001
    assert "▸ v2/ · zarr array · <f4 · 6" in rows
    # sub-directories reuse the root's listing
    m.expand("img/").result(timeout=10)
    m.expand("img/0/").result(timeout=10)
    assert m.list_calls == 1
    assert any(r.startswith("▸ chunks: 8 keys, grid 2×2×2 (100% stored)") for r in labels(m))  # noqa: RUF001


def test_paging_caps_rows(tree: str) -> None:
    m = KvStoreBrowserModel("file://" + tree + "many/", page_size=3)
    m.expand("").result(timeout=10)
    rows = labels(m)
    assert rows[1:4] == ["k0", "k1", "k2"]
    assert rows[-1] == "… 4 more — show next 3"
    m.more("")
    assert labels(m)[-1] == "… 1 more — show next 1"
    m.more("")
    assert labels(m)[-1] == "k6"


def test_chunks_collapse_and_shard_occupancy_reads_only_the_index(tree: str) -> None:
    m = KvStoreBrowserModel("file://" + tree)
    m.expand("").result(timeout=10)
    m.expand("sh/").result(timeout=10)
    chunks = m.find("sh/#chunks")
    assert chunks.name.startswith("shards: 1 shard key, grid 2×2×2")  # noqa: RUF001
    m.expand(chunks).result(timeout=10)
    reads = m.read_calls
    assert m.occupancy("sh/c/0/0/0").result(timeout=10) == (2, 8)
    assert m.read_calls == reads + 1
    assert "c/0/0/0 · 2/8 inner chunks" in labels(m)


def test_open_code_reopens_the_same_array_in_tensorstore(tree: str) -> None:
    m = KvStoreBrowserModel("file://" + tree)
    m.expand("").result(timeout=10)
    m.expand("v2/").result(timeout=10)
    spec = m.open_spec("v2/")
    assert spec is not None and spec["driver"] == "zarr"
    ours = m.open("v2/").result(timeout=10)
    ref = real_ts.open(spec).result()
    np.testing.assert_array_equal(ours.read().result(), ref.read().result())
    ns: dict[str, Any] = {"ts": ts}
    exec(m.code("v2/"), ns)
    assert ns["store"].domain.shape == (6,)


def test_peek_reads_a_prefix_only(tree: str) -> None:
    m = KvStoreBrowserModel("file://" + tree + "many/")
    m.expand("").result(timeout=10)
    assert m.peek_key("k5").result(timeout=10) == b"xxxxx"
    assert m.find("k5").size == 5


def test_listing_error_is_shown_not_swallowed() -> None:
    m = KvStoreBrowserModel("memory://")

    class Failing:
        url = "memory://"

        def list(self, *a: Any, **k: Any) -> Any:
            promise, fut = ts.Promise.new()
            promise.set_exception(OSError("bucket unreachable"))
            return fut

    m.kvstore = Failing()
    m.expand("").result(timeout=10)
    assert m.root.error == "bucket unreachable"
    assert "bucket unreachable" in labels(m)[0]


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"zarr.json": {"node_type": "array", "data_type": "int8", "shape": [3]}}, ("zarr3", "array")),
        ({"zarr.json": {"node_type": "group"}}, ("zarr3", "group")),
        ({".zarray": {"dtype": "|u1", "shape": [2]}}, ("zarr", "array")),
        ({".zgroup": {}}, ("zarr", "group")),
        ({"attributes.json": {"dimensions": [4], "dataType": "uint8"}}, ("n5", "array")),
        ({"info": {"scales": [{}], "type": "image", "data_type": "uint8"}}, ("neuroglancer_precomputed", "array")),
        ({"manifest.ocdbt": {}}, ("ocdbt", "database")),
        ({"_METADATA": {}}, ("orbax", "checkpoint")),
        ({}, (None, None)),
    ],
)
def test_marker_table(meta: dict[str, Any], expected: tuple[str | None, str | None]) -> None:
    assert recognise(meta)[:2] == expected
