"""Explorer (EXPLORER 2.7): JSON state round trip, close() closes everything, snapshot fallback, probe, error box."""

from __future__ import annotations

import base64
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pytest
import tensorstore as real
from ipywidgets.widgets.widget import _instances
from PIL import Image

import tsexplore as ts
from tsexplore.widgets.explorer import Explorer, close_tree
from tsexplore.widgets.explorer_probe import ProbeError, parse_probe


def _spec(tmp_path: Path, name: str = "a") -> dict[str, Any]:
    return {"driver": "zarr3", "kvstore": {"driver": "file", "path": f"{tmp_path}/{name}/"}}


def _make(tmp_path: Path, shape: tuple[int, ...] = (4, 32, 48), labels: tuple[str, ...] = ("z", "y", "x"),
          units: list[Any] | None = None, chunks: tuple[int, ...] | None = None) -> tuple[dict[str, Any], Any]:
    spec = _spec(tmp_path)
    ref = real.open(spec, create=True, dtype="uint16", domain=real.IndexDomain(labels=list(labels), shape=shape),
                    chunk_layout=real.ChunkLayout(chunk_shape=list(chunks or (1, *shape[1:]))),
                    dimension_units=units).result()
    data = np.random.default_rng(1).integers(0, 60000, size=shape, dtype=np.uint16)
    ref[...] = data
    return spec, data


def _settle(ex: Explorer) -> None:
    ex.wait(20)


def test_state_is_json_and_from_state_restores_view(tmp_path: Path) -> None:
    spec, _ = _make(tmp_path)
    ex = Explorer(spec, view_px=64)
    ex.slicer.text.value = "[:, 2:30, ::2]"
    ex.slicer.model.set_slider("z", 3)
    ex.slicer.model.pick_displayed("rows", "x")
    ex.preview.model.set_colormap("viridis")
    ex.preview.model.set_limits(100.0, 5000.0)
    _settle(ex)
    st = json.loads(json.dumps(ex.state))
    assert st["expression"] == "[:, 2:30, ::2][ts.d['z'][3]]"
    assert st["displayed"] == ["x", "y"] and st["colormap"] == "viridis" and st["limits"] == [100.0, 5000.0]
    ex2 = Explorer.from_state(st)
    _settle(ex2)
    assert ex2.slicer.model.preview_request == ex.slicer.model.preview_request
    assert str(ex2.slicer.model.domain) == str(ex.slicer.model.domain)
    assert ex2.state == st
    assert ex2.preview.model.limits is not None and (ex2.preview.model.limits.lo, ex2.preview.model.limits.hi) == (
        100.0, 5000.0)
    # and the domain is the one tensorstore gives for the same source and expression
    ref = eval(f"r{st['expression']}", {"r": real.open(st["source"]).result(), "ts": real})
    assert str(ex2.slicer.model.domain) == str(ref.domain)
    ex.close()
    ex2.close()
    with pytest.raises(ValueError, match="version"):
        Explorer.from_state({**st, "version": 99})


def test_from_state_of_a_browsed_directory(tmp_path: Path) -> None:
    _make(tmp_path)
    ex = Explorer(tmp_path / "a", view_px=64)
    end = time.monotonic() + 15
    while ex.store is None:
        assert time.monotonic() < end
        time.sleep(0.02)
    ex.slicer.model.set_slider("z", 1)
    ex2 = Explorer.from_state(ex.state)
    while ex2.store is None:
        assert time.monotonic() < end
        time.sleep(0.02)
    assert ex2.slicer.model.preview_request == ex.slicer.model.preview_request
    ex.close()
    ex2.close()


def test_close_closes_every_child_widget(tmp_path: Path) -> None:
    spec, _ = _make(tmp_path)
    before = set(_instances)
    ex = Explorer(spec, view_px=64)
    _settle(ex)
    ex.slicer.model.pick_displayed("cols", "z")  # rebuilds the slider rows: the old ones must not leak either
    _settle(ex)
    opened = set(_instances) - before
    assert len(opened) > 30  # boxes, controls, layouts, styles
    ex.close()
    assert set(_instances) - before == set()
    assert ex.comm is None


def test_close_tree_reaches_layouts_styles_and_attributes() -> None:
    inner = w.IntSlider()
    box = w.VBox([w.HBox([inner])])
    box.hidden = w.Button()  # a widget kept as an attribute but not shown
    n = close_tree(box)
    assert n >= 8  # 3 boxes + slider + button, and their layouts/styles
    assert inner.comm is None and inner.layout.comm is None and inner.style.comm is None and box.hidden.comm is None


def test_mime_bundle_text_and_snapshot_only_on_request(tmp_path: Path) -> None:
    spec, _ = _make(tmp_path, shape=(2, 512, 512), chunks=(1, 256, 256))
    ex = Explorer(spec, view_px=512)
    _settle(ex)
    b = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in b
    assert b["text/plain"].startswith("Explorer · uint16 · z 2 \u00d7 y 512 \u00d7 x 512")
    assert "image/png" not in b  # only snapshot() or close() make one
    png = ex.snapshot()
    assert png is not None
    b = ex._repr_mimebundle_()
    raw = base64.b64decode(b["image/png"])
    assert raw == png and len(raw) <= 60 * 1024
    img = Image.open(io.BytesIO(raw))
    assert max(img.size) <= 256
    ex.slicer.model.set_slider("z", 0)
    _settle(ex)
    assert base64.b64decode(ex._repr_mimebundle_()["image/png"]) == png  # not refreshed by moves
    ex.close()


def test_display_id_lets_snapshot_and_close_update_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    import IPython.display as disp

    calls: list[tuple[str, dict[str, Any], str]] = []
    monkeypatch.setattr(disp, "display", lambda obj, raw, display_id: calls.append(("display", obj, display_id)))
    monkeypatch.setattr(disp, "update_display", lambda obj, raw, display_id: calls.append(("update", obj,
                                                                                           display_id)))
    spec, _ = _make(tmp_path)
    ex = Explorer(spec, view_px=64)
    ex._ipython_display_()
    ex.snapshot()
    ex.close()
    kinds = [(c[0], sorted(c[1])) for c in calls]
    widget = "application/vnd.jupyter.widget-view+json"
    assert kinds[0] == ("display", sorted(["text/plain", widget]))
    assert ("update", sorted(["image/png", "text/plain", widget])) in kinds
    assert kinds[-1] == ("update", ["image/png", "text/plain"])  # closed: the fallback only
    assert len({c[2] for c in calls}) == 1


def test_probe_values_neighbourhood_and_units(tmp_path: Path) -> None:
    spec, data = _make(tmp_path, units=["1um", "0.5um", "0.5um"])
    ex = Explorer(spec, view_px=64)
    res = ex.probe("z=2, y=10, x=20").result(timeout=10)
    ref = real.open(spec).result()
    np.testing.assert_array_equal(res.values, ref[2, 10, 20].read().result())
    np.testing.assert_array_equal(res.neighbourhood, ref[2, 9:12, 19:22].read().result())
    assert "z=2, y=10, x=20" in ex.probe_out.value
    # physical coordinates through dimension_units; the hidden z comes from its slider
    ex.slicer.model.set_slider("z", 1)
    res = ex.probe("y=5um, x=10000nm").result(timeout=10)
    assert res.point == (("z", 1), ("y", 10), ("x", 20))
    np.testing.assert_array_equal(res.values, data[1, 10, 20])
    # clipped at the edge
    res = ex.probe("y=0, x=47").result(timeout=10)
    np.testing.assert_array_equal(res.neighbourhood, data[1, 0:2, 46:48])
    assert "box = store[1, 0:2, 46:48].read().result()" in ex.code
    ex.close()


def test_probe_reads_every_channel(tmp_path: Path) -> None:
    spec, data = _make(tmp_path, shape=(3, 2, 32, 32), labels=("c", "z", "y", "x"), chunks=(1, 1, 32, 32))
    ex = Explorer(spec, view_px=64)
    assert ex.preview.model.channel_axis == 0
    res = ex.probe("z=1, y=5, x=6").result(timeout=10)
    np.testing.assert_array_equal(res.values, data[:, 1, 5, 6])
    assert res.neighbourhood.shape == (3, 3, 3)
    np.testing.assert_array_equal(res.neighbourhood[..., 2], data[2, 1, 4:7, 5:8])
    ex.close()


@pytest.mark.parametrize(
    ("text", "needle"),
    [("q=3", "no dimension 'q'"), ("y=3.5", "not an integer"), ("y=2km", "no unit"), ("y=99", "outside [0, 32)"),
     ("y=__import__('os')", "cannot read"), ("y=1, y=2", "given twice"), ("", "type a point")],
)
def test_probe_errors_name_the_item(text: str, needle: str) -> None:
    dom = ts.IndexDomain(labels=["z", "y", "x"], shape=[4, 32, 48])
    with pytest.raises(ProbeError, match=re.escape(needle)):
        parse_probe(text, dom, None)


def test_probe_error_lands_in_the_error_box(tmp_path: Path) -> None:
    spec, _ = _make(tmp_path)
    ex = Explorer(spec, view_px=64)
    ex.probe_text.value = "zz=1"
    assert "tsx-error-box" in ex.error.value and "no dimension &#x27;zz&#x27;" in ex.error.value
    assert "<details>" in ex.error.value
    ex.close()


def test_corrupt_chunk_error_box_names_key_and_keeps_last_image(tmp_path: Path) -> None:
    spec, _ = _make(tmp_path)
    ex = Explorer(spec, view_px=64)
    ex.slicer.model.set_slider("z", 0)
    _settle(ex)
    good = ex.preview.image.value
    assert good
    (tmp_path / "a" / "c" / "2" / "0" / "0").write_bytes(b"not a chunk")
    ex.slicer.model.set_slider("z", 2)
    with pytest.raises(Exception, match="c/2/0/0"):
        _settle(ex)
    end = time.monotonic() + 10
    while "c/2/0/0" not in ex.error.value:
        assert time.monotonic() < end, ex.error.value
        time.sleep(0.02)
    assert "tsx-error-box" in ex.error.value and "<details><summary>details</summary>" in ex.error.value
    assert ex.preview.image.value == good  # the last good image stays
    ex.slicer.model.set_slider("z", 1)
    _settle(ex)
    assert ex.error.value == ""  # a good frame clears it
    ex.close()


def test_code_for_a_store_input_runs_in_a_fresh_namespace(tmp_path: Path) -> None:
    spec, data = _make(tmp_path)
    store = ts.open(spec).result()
    ex = Explorer(store, text="[:, 8:24, ::4][ts.d['z'][1]]", store_name="vol", view_px=64)
    ns: dict[str, Any] = {}
    exec(ex.code, ns)
    assert str(ns["view"].domain) == str(ex.slicer.model.domain)
    np.testing.assert_array_equal(ns["view"].read().result(), data[1, 8:24, ::4])
    ex.close()
