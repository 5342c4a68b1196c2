"""PreviewModel without a browser: level + read per request, cancellation, contrast, NaN and label colours,
channel/RGB decisions.  Expected pixels come from real tensorstore or plain numpy, never from the model."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts
from PIL import Image

import tsexplore as ts
from tsexplore import sample
from tsexplore.future import spawn
from tsexplore.widgets import PreviewModel, SlicerModel
from tsexplore.widgets import colormap as cm


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.ensure(tmp_path_factory.getbasetemp() / "tsx-sample")


def _real(path: Path) -> Any:
    return real_ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}}).result()


def _pixels(png: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert(mode))


# -- "request X at view size Y reads level L with transform T" ----------------------------------------------------
@pytest.mark.parametrize(
    ("text", "px", "hidpi", "level", "domain"),
    [
        ("", 1024, False, 0, ((0, 1024), (0, 1024))),
        ("", 512, False, 1, ((0, 512), (0, 512))),
        ("", 512, True, 0, ((0, 1024), (0, 1024))),
        ("", 256, False, 2, ((0, 256), (0, 256))),
        ("[:, 512:1024, 0:512]", 256, False, 1, ((256, 512), (0, 256))),
        ("[:, ::8, ::8]", 128, False, 3, ((0, 128), (0, 128))),
    ],
)
def test_request_reads_level_and_matches_real_tensorstore(  # noqa: PLR0917
    root: Path, text: str, px: int, hidpi: bool, level: int, domain: tuple[tuple[int, int], ...]
) -> None:
    model = PreviewModel.open(str(root), view_px=px, hidpi=hidpi).result()
    slicer = SlicerModel(model.pyramid.base, text)
    slicer.set_slider("z", 17)
    model.bind(slicer)
    frame = model.wait()
    assert frame is not None and model.status == "done"
    assert frame.plan.level == level
    view = model.view_for(frame.plan)
    assert tuple((d.inclusive_min, d.exclusive_max) for d in view.domain) == domain
    # the same level and index through real tensorstore gives the same pixels
    want = _real(root / str(level))[frame.plan.read.index].read().result()
    np.testing.assert_array_equal(model.plane, want)
    assert want.shape[0] == domain[0][1] - domain[0][0]


def test_level_override_and_bad_level(root: Path) -> None:
    model = PreviewModel.open(str(root), view_px=1024, level=3).result()
    model.bind(SlicerModel(model.pyramid.base))
    assert model.wait().plan.level == 3  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"level 7 does not exist; levels are 0\.\.3"):
        model.set_level(7)
    model.set_level(None)
    assert model.wait().plan.level == 0  # type: ignore[union-attr]


def test_transposed_view_is_shown_rows_first(root: Path) -> None:
    model = PreviewModel.open(str(root), view_px=256).result()
    slicer = SlicerModel(model.pyramid.base, "", displayed=("x", "y"))
    model.bind(slicer)
    model.wait()
    z = dict(slicer.preview_request.positions)["z"]
    want = _real(root / "2")[z].read().result().T
    np.testing.assert_array_equal(model.plane, want)


def test_virtual_downsample_matches_real_tensorstore() -> None:
    rng = np.random.default_rng(1)
    data = rng.normal(0, 1, (2048, 1024)).astype(np.float32) + 5
    model = PreviewModel(ts.array(data), view_px=256)
    frame = model.set_request(SlicerModel(ts.array(data)).preview_request).result()
    assert frame.plan.level == 0 and frame.plan.read.extra_factors == (8, 8) and frame.plan.method == "mean"
    want = real_ts.downsample(real_ts.array(data), [8, 8], "mean").read().result()
    np.testing.assert_allclose(model.plane, want, rtol=1e-6)


def test_virtual_labels_use_mode() -> None:
    ids = np.repeat(np.repeat(np.arange(64, dtype=np.uint64).reshape(8, 8), 64, 0), 64, 1)
    ids[::3, ::5] = 2**40 + 7  # sprinkled noise that a mean would smear into new ids
    model = PreviewModel(ts.array(ids), view_px=128, labels=True)
    frame = model.set_request(SlicerModel(ts.array(ids)).preview_request).result()
    assert frame.plan.method == "mode"
    want = real_ts.downsample(real_ts.array(ids), list(frame.plan.read.extra_factors), "mode").read().result()
    np.testing.assert_array_equal(model.plane, want)


# -- cancellation -------------------------------------------------------------------------------------------------
class SlowArray:
    """A TensorStore stand-in whose reads take ``delay`` seconds and count starts, finishes and cancellations."""

    def __init__(self, base: Any, delay: float, stats: dict[str, int] | None = None, fail: bool = False) -> None:
        self.base, self.delay, self.fail = base, delay, fail
        self.stats = stats if stats is not None else {"started": 0, "finished": 0, "cancelled": 0}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def __getitem__(self, index: Any) -> SlowArray:
        return SlowArray(self.base[index], self.delay, self.stats, self.fail)

    def read(self) -> Any:
        async def run() -> Any:
            self.stats["started"] += 1
            try:
                await asyncio.sleep(self.delay)
            except asyncio.CancelledError:
                self.stats["cancelled"] += 1
                raise
            if self.fail:
                raise ValueError("DATA_LOSS: Error reading chunk 'c/0/0': corrupt")
            self.stats["finished"] += 1
            return await self.base.read()

        return spawn(run())


def test_newer_request_cancels_older_future() -> None:
    data = np.arange(64 * 64 * 4, dtype=np.uint16).reshape(4, 64, 64)
    store = SlowArray(ts.array(data), 0.3)
    model = PreviewModel(store, view_px=64)
    slicer = SlicerModel(ts.array(data))
    slicer.set_slider(0, 0)
    first = model.set_request(slicer.preview_request)
    slicer.set_slider(0, 3)
    second = model.set_request(slicer.preview_request)
    frame = second.result(timeout=10)
    assert first.cancelled()
    assert store.stats["finished"] == 1  # the stale read never completed
    assert store.stats["started"] - store.stats["finished"] == store.stats["cancelled"]
    assert model.status == "done" and model.error is None
    np.testing.assert_array_equal(model.plane, data[3])
    assert frame.generation == model.generation


def test_twenty_rapid_slider_moves() -> None:
    data = np.arange(32 * 64 * 64, dtype=np.uint16).reshape(32, 64, 64)
    store = SlowArray(ts.array(data), 0.05)
    model = PreviewModel(store, view_px=64)
    slicer = SlicerModel(ts.array(data))
    seen: list[str] = []
    gens: list[int] = []
    model.observe(lambda m, what: seen.append(what))
    model.bind(slicer)
    for z in range(20):
        slicer.set_slider(0, z)
        gens.append(model.generation)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the slicer may hold the newest request in its single-flight slot
        model.wait()
        if model.plane is not None and model.status == "done" and (model.plane == data[19]).all():
            break
        time.sleep(0.01)
    assert all(a <= b for a, b in itertools.pairwise(gens))  # generations never go back
    np.testing.assert_array_equal(model.plane, data[19])
    assert "error" not in seen and model.error is None
    assert store.stats["finished"] <= 3  # stale reads were cancelled, not queued
    assert store.stats["started"] - store.stats["finished"] == store.stats["cancelled"]


def test_failed_read_is_shown_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    data = np.zeros((2, 64, 64), np.uint16)
    model = PreviewModel(SlowArray(ts.array(data), 0.0, fail=True), view_px=64)
    errors: list[str] = []
    model.observe(lambda m, what: errors.append(what) if what == "error" else None)
    with caplog.at_level(logging.ERROR, logger="tsexplore"):
        fut = model.set_request(SlicerModel(ts.array(data)).preview_request)
        with pytest.raises(ValueError, match="c/0/0"):
            fut.result(timeout=10)
    assert model.status == "error" and "c/0/0" in model.status_text
    assert errors == ["error"]
    assert any("c/0/0" in r.getMessage() for r in caplog.records)


def test_contrast_change_does_not_reread() -> None:
    data = np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64)
    store = SlowArray(ts.array(data), 0.0)
    model = PreviewModel(store, view_px=64)
    model.set_request(SlicerModel(ts.array(data)).preview_request).result(timeout=10)
    reads = store.stats["finished"]
    frame = model.set_limits(100, 200).result(timeout=10)
    assert store.stats["finished"] == reads
    assert frame.limits.how == "manual" and (frame.limits.lo, frame.limits.hi) == (100, 200)
    frame = model.set_colormap("viridis").result(timeout=10)
    assert frame.colormap == "viridis" and store.stats["finished"] == reads
    with pytest.raises(ValueError, match="unknown colormap 'nope'"):
        model.set_colormap("nope")


# -- contrast, NaN, labels --------------------------------------------------------------------------------------
def test_hot_pixel_does_not_set_the_limits() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(1000, 50, (1, 512, 512)).astype(np.uint16)
    data[0, 100, 100] = 65535
    model = PreviewModel(ts.array(data), view_px=512)
    frame = model.set_request(SlicerModel(ts.array(data)).preview_request).result(timeout=10)
    assert frame.limits is not None and "p0.5" in frame.limits.how
    true_hi = np.percentile(data.astype(np.float64), 99.5)
    assert abs(frame.limits.hi - true_hi) < 0.05 * true_hi and frame.limits.hi < 2000


def test_nan_pixels_get_the_nan_colour() -> None:
    data = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(1, 64, 64)
    data[0, :8, :] = np.nan
    model = PreviewModel(ts.array(data), view_px=64, nan_color=(0, 255, 0))
    frame = model.set_request(SlicerModel(ts.array(data)).preview_request).result(timeout=10)
    px = _pixels(frame.png)
    assert (px[:8] == (0, 255, 0)).all()
    assert not (px[8:] == (0, 255, 0)).all(axis=-1).any()
    assert frame.nan_fraction == pytest.approx(8 / 64)
    assert "NaN 12.5 %" in model.status_text


def test_all_nan_and_constant_planes() -> None:
    nan = np.full((1, 32, 32), np.nan, np.float32)
    frame = PreviewModel(ts.array(nan), view_px=32).set_request(SlicerModel(ts.array(nan)).preview_request).result()
    assert frame.limits.how == "all NaN" and (_pixels(frame.png) == cm.DEFAULT_NAN_COLOR).all()
    const = np.full((1, 32, 32), 7, np.int16)
    frame = PreviewModel(ts.array(const)).set_request(SlicerModel(ts.array(const)).preview_request).result()
    assert frame.limits.how == "constant = 7"


def test_uint8_fixed_and_signed_symmetric() -> None:
    u8 = np.arange(64 * 64, dtype=np.uint32).reshape(1, 64, 64).astype(np.uint8)
    f = PreviewModel(ts.array(u8)).set_request(SlicerModel(ts.array(u8)).preview_request).result()
    assert (f.limits.lo, f.limits.hi) == (0, 255) and f.colormap == "gray"
    s = np.linspace(-3, 5, 64 * 64, dtype=np.float32).reshape(1, 64, 64)
    f = PreviewModel(ts.array(s)).set_request(SlicerModel(ts.array(s)).preview_request).result()
    assert f.limits.lo == -f.limits.hi and f.colormap == "RdBu_r"


def test_label_ids_hash_to_distinct_stable_colours() -> None:
    ids = np.array([305, 2**40 + 305, 2**53, 2**53 + 1, 2**64 - 1, 0], dtype=np.uint64)
    rgba = cm.label_rgba(ids)
    colours = {tuple(c) for c in rgba[:5, :3]}
    assert len(colours) == 5  # no float aliasing: 2**53 and 2**53 + 1 differ
    assert rgba[5, 3] == 0 and (rgba[:5, 3] == 255).all()
    np.testing.assert_array_equal(cm.label_rgba(ids[::-1])[::-1], rgba)  # same id, same colour, any order
    assert (rgba[:5, :3] >= 64).all()  # never near-black
    np.testing.assert_array_equal(cm.label_rgba(np.array([305], np.int64)), rgba[:1])


def test_label_frame_pixels(root: Path) -> None:
    model = PreviewModel.open(root / "labels" / "cells", view_px=256).result()
    assert model.labels and model.decisions[0].reason.startswith("OME-Zarr 0.5 metadata")
    frame = model.set_request(SlicerModel(model.pyramid.base).preview_request).result(timeout=10)
    z = frame.plan.read.index[0]
    ids = _real(root / "labels" / "cells" / "2")[z].read().result()
    np.testing.assert_array_equal(_pixels(frame.png, "RGBA"), cm.label_rgba(ids))


# -- decisions --------------------------------------------------------------------------------------------------
def _decision(model: PreviewModel, name: str) -> Any:
    return next(d for d in model.decisions if d.name == name)


def test_rgb_and_channel_decisions() -> None:
    assert not PreviewModel(ts.array(np.zeros((1, 4, 4), np.float32))).rgb
    rgb = PreviewModel(ts.array(np.zeros((2, 128, 128, 3), np.uint8)))
    assert rgb.rgb and rgb.channel_axis == 3 and "set rgb=False" in _decision(rgb, "rgb").reason
    five = PreviewModel(ts.array(np.zeros((1024, 1024, 5), np.uint16)))
    assert not five.rgb and five.channel_axis is None
    labelled = ts.array(np.zeros((3, 64, 64), np.uint16))[ts.d[0].label["c"]]
    assert PreviewModel(labelled).channel_axis == 0
    forced = PreviewModel(ts.array(np.zeros((2, 128, 128, 3), np.uint8)), rgb=False)
    assert not forced.rgb and _decision(forced, "rgb").reason == "set by you"
    with pytest.raises(ValueError, match="labels=True needs integer ids"):
        PreviewModel(ts.array(np.zeros((4, 4), np.float32)), labels=True)


def test_rgb_frame_as_stored() -> None:
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    model = PreviewModel(ts.array(data), view_px=64)
    slicer = SlicerModel(ts.array(data), displayed=(1, 2))
    model.bind(slicer)
    frame = model.wait()
    pos = dict(slicer.preview_request.positions)["dim 0"]
    np.testing.assert_array_equal(_pixels(frame.png), data[pos])


def test_listener_thread_and_code_reproduces_plane(root: Path) -> None:
    model = PreviewModel.open(str(root), view_px=512).result()
    threads: set[int] = set()
    model.observe(lambda m, what: threads.add(threading.get_ident()))
    model.bind(SlicerModel(model.pyramid.base))
    model.wait()
    assert threads
    ns: dict[str, Any] = {"ts": ts}
    exec(model.code, ns)
    np.testing.assert_array_equal(ns["plane"], model.plane)
