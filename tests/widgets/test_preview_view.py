"""The Preview view built without a front-end: widgets follow the model, controls drive it, errors show."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

import tsexplore as ts
from tsexplore.widgets import Preview, SlicerModel


def _settle(p: Preview) -> None:
    p.model.wait()
    deadline = time.time() + 5
    while p.model.status == "loading" and time.time() < deadline:
        time.sleep(0.01)


def test_image_status_and_controls() -> None:
    data = np.random.default_rng(0).normal(100, 10, (4, 128, 128)).astype(np.float32)
    slicer = SlicerModel(ts.array(data))
    p = Preview(ts.array(data), slicer=slicer, view_px=128)
    _settle(p)
    img = Image.open(io.BytesIO(p.image.value))
    assert img.size == (128, 128) and p.image.format == "png"
    assert "level 0/1 (1\u00d7) · 1 chunk, 0 cached, 256.0 KiB" in p.status.value
    p.colormap.value = "magma"
    _settle(p)
    assert p.model.colormap == "magma" and "magma" in p.status.value
    p.contrast.value = (50.0, 150.0)
    _settle(p)
    assert p.model.frame is not None and p.model.frame.limits.how == "manual"
    p.auto.click()
    _settle(p)
    assert "auto" in p.model.frame.limits.how  # type: ignore[union-attr]
    slicer.set_slider(0, 3)
    _settle(p)
    np.testing.assert_array_equal(p.model.plane, data[3])
    assert "display choices" in p.decisions.value and "rgb" in p.decisions.value
    p.close()


def test_level_dropdown_drives_the_model() -> None:
    data = np.arange(2 * 256 * 256, dtype=np.uint16).reshape(2, 256, 256)
    from tsexplore.widgets.pyramid import Level, Pyramid

    levels = (
        Level(0, "0", ts.array(data), (1.0, 1.0, 1.0)),
        Level(1, "1", ts.array(data[:, ::2, ::2].copy()), (1.0, 2.0, 2.0)),
    )
    p = Preview(Pyramid(levels, "test"), slicer=SlicerModel(ts.array(data)), view_px=256)
    _settle(p)
    assert p.model.frame.plan.level == 0  # type: ignore[union-attr]
    p.level.value = 1
    _settle(p)
    assert p.model.frame.plan.level == 1 and "fixed" in p.status.value  # type: ignore[union-attr]


def test_errors_show_in_the_widget_and_keep_the_image() -> None:
    data = np.zeros((2, 64, 64), np.uint16)
    p = Preview(ts.array(data), slicer=SlicerModel(ts.array(data)), view_px=64)
    _settle(p)
    good = p.image.value
    p.level.value = 0
    p.contrast.value = (p.contrast.value[0], p.contrast.value[0])  # lo == hi: rejected by the model
    assert "contrast limits need lo &lt; hi" in p.error.value
    assert p.image.value == good


def test_updates_from_threads_go_through_the_running_loop() -> None:
    calls: list[int] = []

    async def build_and_finish() -> tuple[Preview, int]:
        data = np.ones((1, 32, 32), np.uint16)
        p = Preview(ts.array(data), view_px=32)
        orig = p._apply

        def spy() -> None:
            calls.append(threading.get_ident())
            orig()

        p._apply = spy  # type: ignore[method-assign]
        p.model.set_request(SlicerModel(ts.array(data)).preview_request)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if p.model.status == "done" and p.image.value:
                break
        return p, threading.get_ident()

    p, loop_thread = asyncio.run(build_and_finish())
    assert p.image.value and calls
    assert set(calls) == {loop_thread}  # never set from the I/O loop or a worker


def test_bind_accepts_a_slicer_view() -> None:
    from tsexplore.widgets import Slicer

    data = np.zeros((3, 40, 50), np.uint8)
    s = Slicer(ts.array(data))
    p = Preview(ts.array(data), slicer=s, view_px=64)
    _settle(p)
    assert p.model.plane is not None and p.model.plane.shape == (40, 50)


def test_labels_disable_contrast(tmp_path: Any) -> None:
    ids = np.arange(64 * 64, dtype=np.uint32).reshape(1, 64, 64) // 100
    p = Preview(ts.array(ids), slicer=SlicerModel(ts.array(ids)), view_px=64, labels=True)
    _settle(p)
    assert p.contrast.disabled and p.colormap.disabled


@pytest.mark.parametrize("hidpi", [False, True])
def test_image_width_is_logical_px(hidpi: bool) -> None:
    data = np.zeros((1, 300, 300), np.uint16)
    p = Preview(ts.array(data), view_px=200, hidpi=hidpi)
    assert p.image.layout.width == "200px"
    assert p.model.view_px == ((400, 400) if hidpi else (200, 200))


def test_channel_controls_drive_the_composite() -> None:
    data = np.zeros((3, 64, 64), np.uint16)
    data[1] = 1000
    base = ts.array(data)[ts.d[0].label["c"]]
    p = Preview(base, slicer=SlicerModel(base, displayed=(1, 2)), view_px=64)
    _settle(p)
    assert len(p.channel_rows) == 3 and p.channels_box.children[-1] is p.auto_all
    assert [r[0].description for r in p.channel_rows] == ["0 cyan", "1 yellow", "2 magenta"]
    p.channel_rows[0][0].value = False  # hide channel 0
    _settle(p)
    assert [c.visible for c in p.model.channels] == [False, True, True]
    assert [r[0].description for r in p.channel_rows] == ["0 off", "1 magenta", "2 green"]
    p.channel_rows[1][1].value = (0.0, 2000.0)
    _settle(p)
    assert p.model.frame is not None and p.model.frame.channels[0][2].how == "manual"
    p.auto_all.click()
    _settle(p)
    assert p.model.frame.channels[0][2].how != "manual"  # type: ignore[union-attr]


def test_progress_and_cancel_appear_only_after_300_ms() -> None:
    from tests.widgets.test_preview_model import SlowArray

    data = np.zeros((2, 64, 64), np.uint16)
    p = Preview(SlowArray(ts.array(data), 1.0), view_px=64)
    p.model.set_request(SlicerModel(ts.array(data)).preview_request)
    time.sleep(0.1)
    assert p.progress.layout.display == "none" and p.cancel_button.layout.display == "none"
    time.sleep(0.4)
    assert p.progress.layout.display == "" and p.cancel_button.layout.display == ""
    p.cancel_button.click()
    deadline = time.time() + 5
    while p.model.status == "loading" and time.time() < deadline:
        time.sleep(0.01)
    assert p.model.status == "cancelled" and p.error.value == ""  # a cancelled read is not an error
    assert p.cancel_button.layout.display == "none"


def test_guard_shows_load_anyway() -> None:
    data = np.zeros((1, 2048, 2048), np.uint8)
    p = Preview(ts.array(data), view_px=128)
    p.model.guard_bytes = 2**20
    p.model.set_request(SlicerModel(ts.array(data)).preview_request)
    assert p.load_anyway.layout.display == "" and "no pyramid: this view decodes 1 chunk" in p.status.value
    p.load_anyway.click()
    _settle(p)
    assert p.load_anyway.layout.display == "none" and p.image.value
