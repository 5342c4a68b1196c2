"""Pyramid discovery (OME-Zarr 0.5 / 0.4, plain arrays) and the level-of-detail rule, table-driven."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts
from tsexplore import sample
from tsexplore.widgets import SlicerModel
from tsexplore.widgets.pyramid import Level, Pyramid, choose_level, level_read, open_pyramid


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.ensure(tmp_path_factory.getbasetemp() / "tsx-sample")


def test_ome_zarr_0_5(root: Path) -> None:
    p = open_pyramid(str(root)).result()
    assert p.kind == "OME-Zarr 0.5" and not p.labels and p.axes == ("z", "y", "x")
    assert p.units == ("micrometer",) * 3
    assert [lv.factors for lv in p.levels] == [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)]
    assert [lv.shape for lv in p.levels] == [(64, 1024 >> k, 1024 >> k) for k in range(4)]
    win = json.loads((root / "zarr.json").read_text())["attributes"]["ome"]["omero"]["channels"][0]["window"]
    assert p.window == (win["start"], win["end"])
    assert "4 levels" in p.describe()


def test_labels_detected_from_image_label(root: Path) -> None:
    p = open_pyramid(root / "labels" / "cells").result()
    assert p.labels and len(p.levels) == 4


def test_single_array_is_one_level(root: Path) -> None:
    p = open_pyramid(root / "2").result()
    assert p.kind == "array" and p.virtual and p.levels[0].shape == (64, 256, 256)


def test_ome_zarr_0_4_on_zarr_v2(tmp_path: Path) -> None:
    a = np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64)
    for k in range(3):
        f = 2**k
        s = real_ts.open(
            {"driver": "zarr", "kvstore": {"driver": "file", "path": str(tmp_path / str(k))}},
            create=True, dtype=real_ts.uint16, shape=[2, 64 // f, 64 // f],
        ).result()
        s.write(a[:, ::f, ::f]).result()
    (tmp_path / ".zgroup").write_text('{"zarr_format": 2}')
    ms = {
        "version": "0.4",
        "axes": [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
        "datasets": [
            {"path": str(k), "coordinateTransformations": [{"type": "scale", "scale": [1, 2**k * 0.5, 2**k * 0.5]}]}
            for k in range(3)
        ],
    }
    (tmp_path / ".zattrs").write_text(json.dumps({"multiscales": [ms]}))
    p = open_pyramid(tmp_path).result()
    assert p.kind == "OME-Zarr 0.4" and p.channel_axis == 0
    assert [lv.factors for lv in p.levels] == [(1, 1, 1), (1, 2, 2), (1, 4, 4)]
    np.testing.assert_array_equal(p.levels[2].store.read().result(), a[:, ::4, ::4])


def test_missing_metadata_names_the_place(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no zarr\.json, \.zattrs, \.zarray or precomputed info found at .*"):
        open_pyramid(tmp_path).result()


def _synthetic(shape: tuple[int, ...], factors: list[tuple[int, ...]]) -> Pyramid:
    levels = []
    for k, f in enumerate(factors):
        sh = tuple(-(-n // d) for n, d in zip(shape, f))
        levels.append(Level(k, str(k), ts.array(np.zeros(sh, np.uint8)), tuple(float(x) for x in f)))
    return Pyramid(tuple(levels), "test")


# (shape, factors per level, expression, view px (rows, cols), target) -> expected level, read index
LOD_CASES = [
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "", (1024, 1024), 1.0, 0,
     (31, slice(0, 1024, 1), slice(0, 1024, 1))),
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "", (512, 512), 1.0, 1,
     (31, slice(0, 512, 1), slice(0, 512, 1))),
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "", (128, 128), 1.0, 3,
     (31, slice(0, 128, 1), slice(0, 128, 1))),
    # never below 64 px: a 64 px view of 1024 would want factor 16, the coarsest is 8 anyway
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "", (32, 32), 1.0, 3,
     (31, slice(0, 128, 1), slice(0, 128, 1))),
    # a zoomed window: 256 px of data in a 256 px view stays at level 0
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "[:, 256:512, 256:512]", (256, 256), 1.0, 0,
     (31, slice(256, 512, 1), slice(256, 512, 1))),
    # a strided view: ::4 of 1024 in 256 px is level 2, whose step is 1
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "[:, ::4, ::4]", (256, 256), 1.0, 2,
     (31, slice(0, 256, 1), slice(0, 256, 1))),
    # resolution target 0.5 asks for twice the detail
    ((64, 1024, 1024), [(1, 1, 1), (1, 2, 2), (1, 4, 4), (1, 8, 8)], "", (256, 256), 0.5, 1,
     (31, slice(0, 512, 1), slice(0, 512, 1))),
    # non-square view: the larger ratio decides (the whole extent fits)
    ((8, 2048, 512), [(1, 1, 1), (1, 2, 2), (1, 4, 4)], "", (512, 512), 1.0, 2,
     (3, slice(0, 512, 1), slice(0, 128, 1))),
    # anisotropic pyramid (x halves faster than y): a level is taken only if both displayed dims allow it
    ((4, 512, 512), [(1, 1, 1), (1, 1, 2), (1, 2, 4)], "", (512, 256), 1.0, 1,
     (1, slice(0, 512, 1), slice(0, 256, 1))),
    # hidden dims do not count: a z factor of 4 does not stop level 1 for a y/x view
    ((64, 512, 512), [(1, 1, 1), (4, 2, 2)], "", (256, 256), 1.0, 1, (7, slice(0, 256, 1), slice(0, 256, 1))),
    # x displayed as rows (transposed view): f = 2, but level 1 would leave y only 32 px (< 64), so level 0
    ((16, 64, 1024), [(1, 1, 1), (1, 2, 2)], "[5]", (512, 512), 1.0, 0, (5, slice(0, 64, 1), slice(0, 1024, 1))),
    ((16, 256, 1024), [(1, 1, 1), (1, 2, 2)], "[5]", (512, 512), 1.0, 1, (5, slice(0, 128, 1), slice(0, 512, 1))),
]


@pytest.mark.parametrize(("shape", "factors", "text", "px", "target", "level", "index"), LOD_CASES)
def test_level_of_detail(  # noqa: PLR0917
    shape: tuple[int, ...], factors: list[tuple[int, ...]], text: str, px: tuple[int, int], target: float,
    level: int, index: tuple[object, ...],
) -> None:
    p = _synthetic(shape, factors)
    displayed = (1, 0) if text == "[5]" else None
    req = SlicerModel(p.base, text, displayed=displayed).preview_request
    k, _ = choose_level(p, req.transform, req.rows or 0, req.cols or 1, px, target)
    assert k == level
    assert level_read(p.levels[k], req.transform, req.rows or 0, req.cols or 1).index == index
