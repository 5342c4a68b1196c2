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
        ({"_sharding": {}}, ("orbax", "checkpoint")),
        ({"attributes.json": {"n5": "2.5.0"}}, ("n5", "group")),
        ({"zarr.json": {"node_type": "group", "attributes": {"ome": {"version": "0.5", "multiscales": [
            {"datasets": [{"path": "0"}, {"path": "1"}, {"path": "2"}]}]}}}}, ("zarr3", "group")),
        ({".zgroup": {}, ".zattrs": {"multiscales": [{"datasets": [{"path": "0"}]}], "image-label": {}}},
         ("zarr", "group")),
        ({".zgroup": {}, ".zattrs": {"plate": {"wells": [{"path": "A/1"}, {"path": "A/2"}]}}}, ("zarr", "group")),
        ({"info": {"scales": [{}, {}], "type": "segmentation", "data_type": "uint64"}},
         ("neuroglancer_precomputed", "array")),
        ({}, (None, None)),
    ],
)
def test_marker_table(meta: dict[str, Any], expected: tuple[str | None, str | None]) -> None:
    assert recognise(meta)[:2] == expected


@pytest.mark.parametrize(
    ("meta", "badge"),
    [
        ({"zarr.json": {"node_type": "group", "attributes": {"ome": {"multiscales": [
            {"datasets": [{"path": "0"}, {"path": "1"}, {"path": "2"}]}]}}}}, "OME-Zarr image · 3 levels"),
        ({".zgroup": {}, ".zattrs": {"multiscales": [{"datasets": [{"path": "0"}]}], "image-label": {}}},
         "OME-Zarr label image · 1 level"),
        ({".zgroup": {}, ".zattrs": {"labels": ["cells", "nuclei"]}}, "OME-Zarr labels · 2"),
        ({".zgroup": {}, ".zattrs": {"plate": {"wells": [{"path": "A/1"}, {"path": "A/2"}]}}},
         "OME-Zarr plate · 2 wells"),
        ({"manifest.ocdbt": {}}, "OCDBT database"),
        ({"_METADATA": {}}, "Orbax checkpoint"),
        ({"info": {"scales": [{}, {}], "type": "segmentation", "data_type": "uint64"}},
         "precomputed segmentation · uint64 · 2 scales"),
        ({"attributes.json": {"dimensions": [4, 5], "dataType": "uint16"}}, "n5 array · uint16 · 4×5"),  # noqa: RUF001
    ],
)
def test_marker_badges(meta: dict[str, Any], badge: str) -> None:
    assert recognise(meta)[2] == badge


def test_orbax_and_ocdbt_recognised_from_listing_alone(tmp_path: Path) -> None:
    kv = real_ts.KvStore.open(f"file://{tmp_path}/").result()
    kv["ckpt/_CHECKPOINT_METADATA"] = b"{}"
    kv["ckpt/ocdbt.process_0/manifest.ocdbt"] = b"x"
    kv["db/manifest.ocdbt"] = b"x"
    m = KvStoreBrowserModel(f"file://{tmp_path}/")
    m.expand("").result(timeout=10)
    rows = labels(m)
    assert "▸ ckpt/ · Orbax checkpoint" in rows and "▸ db/ · OCDBT database" in rows


class ManyKeys:
    """A kvstore stand-in holding ``n`` flat keys (plus a zarr v2 array); counts list calls and reads."""

    url = "memory://many/"

    def __init__(self, n: int) -> None:
        self.keys = [f"big/k{i:06d}".encode() for i in range(n)] + [b"arr/.zarray", b"arr/0.0", b"arr/1.1"]
        self.lists = 0
        self.reads = 0

    def list(self, key_range: Any = None, *a: Any, **k: Any) -> Any:
        self.lists += 1
        lo = bytes(key_range.inclusive_min) if key_range is not None else b""
        return ts.Future([x for x in self.keys if x.startswith(lo)])

    def read(self, key: str, *a: Any, **k: Any) -> Any:
        self.reads += 1
        if key == "arr/.zarray":
            meta = {"zarr_format": 2, "shape": [4, 6], "chunks": [2, 2], "dtype": "<u2", "dimension_separator": "."}
            return ts.Future(ts.KvStore.ReadResult(state="value", value=json.dumps(meta).encode()))
        return ts.Future(ts.KvStore.ReadResult(state="missing"))


def test_100k_keys_first_page_with_bounded_list_calls() -> None:
    import time

    m = KvStoreBrowserModel("memory://")
    fake = ManyKeys(100_000)
    m.kvstore = fake
    t0 = time.perf_counter()
    m.expand("").result(timeout=30)
    m.expand("big/").result(timeout=30)
    elapsed = time.perf_counter() - t0
    rows = labels(m)
    assert len(rows) <= 500 + 10
    assert rows[-1] == "… 99,500 more — show next 500"
    assert "▸ big/ · 100,000 keys" not in rows and "▾ big/ · 100,000 keys" in rows
    assert fake.lists == 1 and fake.reads <= 2  # one listing for the whole tree; only marker keys are read
    assert elapsed < 5.0
    m.more("big/")
    assert labels(m)[-1] == "… 99,000 more — show next 500" and fake.lists == 1


def test_counts_are_lower_bounds_until_known() -> None:
    m = KvStoreBrowserModel("memory://", max_keys=1000)
    m.kvstore = ManyKeys(5000)
    m.expand("").result(timeout=10)
    assert any(r.startswith("▸ big/ · ≥ 997 keys") for r in labels(m))  # 3 arr/ keys sort first
    assert "≥ 1,000 keys" in labels(m)[0]
    m2 = KvStoreBrowserModel("memory://")
    m2.kvstore = ManyKeys(5000)
    m2.expand("").result(timeout=10)
    assert any(r.startswith("▸ big/ · 5,000 keys") for r in labels(m2))


def test_filter_restarts_the_listing_and_narrows(tree: str) -> None:
    m = KvStoreBrowserModel("file://" + tree)
    m.expand("").result(timeout=10)
    assert m.list_calls == 1
    m.set_filter("k3").result(timeout=10)
    assert m.list_calls == 2 and m.filter == "k3"
    m.expand("many/").result(timeout=10)
    rows = labels(m)
    assert "k3" in rows and "k2" not in rows and not any(r.startswith("▸ v2/") for r in rows)
    m.set_filter("").result(timeout=10)
    assert m.list_calls == 3 and any(r.startswith("▸ v2/") for r in labels(m))


def test_occupancy_grid_and_png_page_by_page(tmp_path: Path) -> None:
    root = f"file://{tmp_path}/"
    a = real_ts.open({"driver": "zarr3", "kvstore": root + "a/"}, create=True, dtype="uint8", shape=[3, 8, 12],
                     chunk_layout=real_ts.ChunkLayout(chunk_shape=[1, 4, 4])).result()
    a[0, 0:4, 0:4] = 1  # chunk (0, 0, 0)
    a[2, 4:8, 8:12] = 1  # chunk (2, 1, 2)
    a[1, 4:8, 8:12] = 1  # chunk (1, 1, 2)
    m = KvStoreBrowserModel(root, page_size=2)
    m.expand("").result(timeout=10)
    m.expand("a/").result(timeout=10)
    ch = m.find("a/#chunks")
    assert m.fill_occupancy(ch) is False and ch.occupancy_done == 2  # one page of 2 keys
    assert m.fill_occupancy(ch) is True
    want = np.zeros((3, 2, 3), np.uint8)
    want[0, 0, 0] = want[2, 1, 2] = want[1, 1, 2] = 1
    np.testing.assert_array_equal(ch.occupancy_grid, want)
    # the grid agrees with what real tensorstore reports as stored
    stored = np.zeros((3, 2, 3), np.uint8)
    for z in range(3):
        for y in range(2):
            for x in range(3):
                stored[z, y, x] = real_ts.KvStore.open(root + f"a/c/{z}/{y}/{x}").result().read("").result().state \
                    == "value"
    np.testing.assert_array_equal(ch.occupancy_grid, stored)
    import io

    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(m.occupancy_png(ch, px=96))))
    assert img.shape == (64, 96)  # 2 x 3 cells, 32 px each
    cell = img[::32, ::32]
    frac = want.mean(axis=0)
    np.testing.assert_array_equal(cell > 40, frac > 0)
    assert cell[1, 2] > cell[0, 0] > 40  # two of three z-chunks stored vs one


def test_view_filter_and_occupancy(tree: str) -> None:
    from tsexplore.widgets.browser import KvStoreBrowser

    b = KvStoreBrowser("file://" + tree, expand_root=False)
    b.model.expand("").result(timeout=10)
    b.model.expand("img/").result(timeout=10)
    b.model.expand("img/0/").result(timeout=10)
    b._refresh()
    i = next(k for k, (n, _l) in enumerate(b._rows) if n is not None and n.kind == "chunks")
    b.tree.value = i
    b.details_button.click()
    assert b.occupancy.layout.display == "" and b.occupancy.value[:4] == b"\x89PNG"
    assert int(b.model.find("img/0/#chunks").occupancy_grid.sum()) == 8
    b.filter_text.value = "k5"
    import time

    deadline = time.time() + 10
    while time.time() < deadline and not any(lab.strip().startswith("▸ many/") for lab, _ in b.tree.options):
        time.sleep(0.01)
    b._refresh()
    assert b.model.filter == "k5" and not any("v2/" in lab for lab, _ in b.tree.options)
