"""The sample OME-Zarr dataset: structure, OME metadata, readable by real tensorstore and zarr-python, idempotent."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import tensorstore as real_ts

from tsexplore import sample


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.ensure(tmp_path_factory.getbasetemp() / "tsx-sample")


def _real(path: Path) -> real_ts.TensorStore:
    return real_ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}}).result()


def test_group_metadata_is_ome_0_5(root: Path) -> None:
    doc = json.loads((root / "zarr.json").read_text())
    assert doc["zarr_format"] == 3 and doc["node_type"] == "group"
    ome = doc["attributes"]["ome"]
    assert ome["version"] == "0.5"
    ms = ome["multiscales"][0]
    assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"]
    assert {a["unit"] for a in ms["axes"]} == {"micrometer"} and {a["type"] for a in ms["axes"]} == {"space"}
    assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2", "3"]
    for k, d in enumerate(ms["datasets"]):
        kinds = [t["type"] for t in d["coordinateTransformations"]]
        assert kinds == ["scale", "translation"]
        assert d["coordinateTransformations"][0]["scale"] == [1.0, 0.25 * 2**k, 0.25 * 2**k]
    win = ome["omero"]["channels"][0]["window"]
    assert win["min"] <= win["start"] < win["end"] <= win["max"]
    assert ome["omero"]["rdefs"]["defaultZ"] == 32


def test_labels_group(root: Path) -> None:
    labels = json.loads((root / "labels" / "zarr.json").read_text())["attributes"]["ome"]
    assert labels["labels"] == ["cells"]
    cells = json.loads((root / "labels" / "cells" / "zarr.json").read_text())["attributes"]["ome"]
    assert cells["image-label"]["source"]["image"] == "../../"
    assert len(cells["multiscales"][0]["datasets"]) == 4


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_levels_readable_by_real_tensorstore(root: Path, level: int) -> None:
    img = _real(root / str(level))
    lab = _real(root / "labels" / "cells" / str(level))
    shape = (64, 1024 // 2**level, 1024 // 2**level)
    assert img.shape == shape and lab.shape == shape
    assert img.dtype == real_ts.uint16 and lab.dtype == real_ts.uint32
    assert list(img.domain.labels) == ["z", "y", "x"]
    plane = img[32].read().result()
    assert plane.max() > plane.min()


@pytest.mark.parametrize(("which", "method"), [("", "mean"), ("labels/cells", "mode")])
def test_levels_are_real_tensorstore_downsamples(root: Path, which: str, method: str) -> None:
    base = root / which if which else root
    for k in (1, 2):
        prev, cur = _real(base / str(k - 1)), _real(base / str(k))
        want = real_ts.downsample(prev[20:22], [1, 2, 2], method).read().result()
        np.testing.assert_array_equal(cur[20:22].read().result(), want)


def test_readable_by_zarr_python(root: Path) -> None:
    zarr = pytest.importorskip("zarr")
    g = zarr.open_group(str(root), mode="r")
    assert g.attrs["ome"]["multiscales"][0]["name"] == "cells"
    a = g["0"]
    assert a.shape == (64, 1024, 1024) and a.dtype == np.uint16
    np.testing.assert_array_equal(a[32, 100:200, 300:400], _real(root / "0")[32, 100:200, 300:400].read().result())
    lab = zarr.open_group(str(root / "labels" / "cells"), mode="r")["3"]
    assert lab.shape == (64, 128, 128) and lab.dtype == np.uint32


def test_segmentation_matches_image(root: Path) -> None:
    img = _real(root / "0")[32].read().result().astype(np.float64)
    lab = _real(root / "labels" / "cells" / "0")[32].read().result()
    ids = np.unique(lab)
    assert ids[0] == 0 and ids.size > 10 and ids.max() > 2**16
    inside, outside = img[lab != 0], img[lab == 0]
    assert 0.05 < inside.size / lab.size < 0.95
    assert np.median(inside) > 2 * np.median(outside)


def test_hot_pixels_present(root: Path) -> None:
    vol = _real(root / "0").read().result()
    assert (vol == 65535).sum() == sample.HOT_PIXELS  # what the preview's contrast must ignore


def test_second_call_is_fast_and_leaves_files_alone(root: Path) -> None:
    marker = root / ".tsexplore-sample.json"
    before = marker.stat().st_mtime_ns
    t0 = time.perf_counter()
    again = sample.ensure(root.parent)
    assert time.perf_counter() - t0 < 0.5
    assert again == root and marker.stat().st_mtime_ns == before


def test_paths_follow_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TSEXPLORE_DATA_DIR", str(tmp_path))
    p = sample.paths()
    assert p.root == tmp_path / "cells.ome.zarr"
    assert p.image(2) == tmp_path / "cells.ome.zarr" / "2"
    assert p.labels(1) == tmp_path / "cells.ome.zarr" / "labels" / "cells" / "1"
    assert not sample.is_complete(p)


def test_partial_tree_is_not_complete(tmp_path: Path) -> None:
    p = sample.paths(tmp_path)
    (p.root / "0").mkdir(parents=True)
    assert not sample.is_complete(p)
    p.marker.write_text(json.dumps({"version": sample.VERSION - 1}))
    assert not sample.is_complete(p)


def test_generation_is_deterministic() -> None:
    a_img, a_lab = sample.generate_cells(30, 32, (64, 128, 128), n_cells=12)
    b_img, b_lab = sample.generate_cells(30, 32, (64, 128, 128), n_cells=12)
    np.testing.assert_array_equal(a_img, b_img)
    np.testing.assert_array_equal(a_lab, b_lab)
    assert a_img.dtype == np.uint16 and a_lab.dtype == np.uint32 and a_img.shape == (2, 128, 128)


def test_cli_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str], root: Path) -> None:
    # the CLI on an existing tree only checks the marker; --quiet prints nothing
    assert sample.main(["--quiet", "--path", str(root.parent)]) == 0
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
