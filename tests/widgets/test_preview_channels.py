"""PreviewModel: channel composites, the channel/RGB decision table, bool/complex, status line, cost guard and the
decoded-plane cache.  Expected pixels come from numpy formulas written here or real tensorstore, never the model."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts
from PIL import Image

import tsexplore as ts
from tsexplore import sample
from tsexplore.chunk.kvio import KvAccess
from tsexplore.widgets import PreviewModel, SlicerModel
from tsexplore.widgets.preview_model import CHANNEL_COLORS, channel_colors
from tsexplore.widgets.pyramid import Level, Pyramid


def _pixels(png: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert(mode))


class Counting:
    """A TensorStore stand-in that records the domain of every read."""

    def __init__(self, base: Any, log: list[Any] | None = None) -> None:
        self.base, self.log = base, log if log is not None else []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def __getitem__(self, index: Any) -> Counting:
        self.log.append(index)
        return Counting(self.base[index], self.log)


def _count_chunk_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A counting kvstore: every chunk-key read of the engine (async or blocking path) is recorded."""
    keys: list[str] = []
    orig_read, orig_blocking = KvAccess.read, KvAccess.read_blocking

    async def read(self: Any, key: str, options: Any = None) -> Any:
        keys.append(key)
        return await orig_read(self, key, options)

    def blocking(self: Any, key: str, options: Any = None) -> Any:
        keys.append(key)
        return orig_blocking(self, key, options)

    monkeypatch.setattr(KvAccess, "read", read)
    monkeypatch.setattr(KvAccess, "read_blocking", blocking)
    return keys


def _blend(planes: list[np.ndarray], colours: list[str], limits: list[tuple[float, float]]) -> np.ndarray:
    acc = np.zeros((*planes[0].shape, 3), np.float64)
    for x, name, (lo, hi) in zip(planes, colours, limits):
        t = np.clip((x.astype(np.float64) - lo) / (hi - lo), 0, 1)
        acc += t[..., None] * np.array(CHANNEL_COLORS[name]) / 255
    return (np.clip(acc, 0, 1) * 255 + 0.5).astype(np.uint8)


def test_channel_colour_table() -> None:
    assert channel_colors(1) == ["gray"]
    assert channel_colors(2) == ["magenta", "green"]
    assert channel_colors(3) == ["cyan", "yellow", "magenta"]
    assert channel_colors(6) == ["cyan", "yellow", "magenta", "red", "green", "blue"]
    assert channel_colors(9) == channel_colors(6)


def test_composite_reads_visible_channels_only_and_blends() -> None:
    rng = np.random.default_rng(5)
    data = rng.integers(0, 4000, (3, 2, 64, 64)).astype(np.uint16)
    base = ts.array(data)[ts.d[:].label["c", "z", "y", "x"]]
    reads: list[Any] = []
    model = PreviewModel(Counting(base, reads), view_px=64)
    assert model.mode == "composite" and model.channel_axis == 0
    assert [c.color for c in model.channels] == ["cyan", "yellow", "magenta"]
    lims = [(0.0, 4000.0), (1000.0, 3000.0), (500.0, 1500.0)]
    for i, lim in enumerate(lims):
        model.channels[i].limits = ts_limits(lim)
    slicer = SlicerModel(base, displayed=("y", "x"))
    slicer.set_slider("z", 1)
    frame = model.set_request(slicer.preview_request).result(timeout=10)
    assert sorted(r[0] for r in reads) == [0, 1, 2] and all(r[1] == 1 for r in reads)  # one read per channel
    np.testing.assert_array_equal(_pixels(frame.png), _blend([data[i, 1] for i in range(3)],
                                                              ["cyan", "yellow", "magenta"], lims))
    # hiding a channel re-blends the cached planes: no read, and the two left take magenta/green
    frame = model.set_channel(1, visible=False).result(timeout=10)
    assert len(reads) == 3 and frame.cached
    np.testing.assert_array_equal(_pixels(frame.png), _blend([data[0, 1], data[2, 1]], ["magenta", "green"],
                                                             [lims[0], lims[2]]))
    assert "2 channels" in frame.colormap


def ts_limits(lim: tuple[float, float]) -> Any:
    from tsexplore.widgets.colormap import Limits

    return Limits(lim[0], lim[1], "manual")


def test_composite_auto_is_per_channel_and_auto_all() -> None:
    data = np.zeros((2, 64, 64), np.float32)
    data[0] = np.linspace(0, 100, 64 * 64).reshape(64, 64)
    data[1] = np.linspace(1000, 5000, 64 * 64).reshape(64, 64)
    base = ts.array(data)[ts.d[0].label["ch"]]
    model = PreviewModel(base, view_px=64)
    frame = model.set_request(SlicerModel(base, displayed=(1, 2)).preview_request).result(timeout=10)
    (_c0, col0, l0), (_c1, col1, l1) = frame.channels
    assert (col0, col1) == ("magenta", "green")
    assert l0.hi == pytest.approx(np.percentile(data[0], 99.5)) and l1.lo == pytest.approx(np.percentile(data[1], 0.5))
    model.set_channel(1, limits=(0, 1)).result(timeout=10)
    assert model.frame is not None and model.frame.channels[1][2].how == "manual"
    frame = model.auto_all().result(timeout=10)
    assert frame.channels[1][2].lo == pytest.approx(l1.lo)
    with pytest.raises(ValueError, match=r"channel 5 does not exist; channels are 0\.\.1"):
        model.set_channel(5, visible=True)


def test_more_than_six_channels_keep_six_active() -> None:
    base = ts.array(np.zeros((8, 40, 40), np.uint16))[ts.d[0].label["c"]]
    model = PreviewModel(base, view_px=40)
    assert [c.visible for c in model.channels] == [True] * 6 + [False] * 2
    with pytest.raises(ValueError, match="at most 6 channels show at once"):
        model.set_channel(7, visible=True)


def _ngff_pyramid(shape: tuple[int, ...], labels: list[str], channel_axis: int) -> Pyramid:
    st = ts.array(np.zeros(shape, np.uint16))[ts.d[:].label[tuple(labels)]]
    return Pyramid((Level(0, "0", st, (1.0,) * len(shape)),), "OME-Zarr 0.5", channel_axis=channel_axis)


@pytest.mark.parametrize(
    ("source", "rgb", "channel_axis"),
    [
        (lambda: ts.array(np.zeros((1, 4, 4), np.float32)), False, None),
        (lambda: ts.array(np.zeros((2, 128, 128, 3), np.uint8)), True, 3),
        (lambda: ts.array(np.zeros((1024, 1024, 5), np.uint16)), False, None),  # never from size alone
        (lambda: ts.array(np.zeros((3, 64, 64), np.uint16))[ts.d[0].label["c"]], False, 0),
        (lambda: ts.array(np.zeros((64, 64, 3), np.uint8))[ts.d[2].label["x"]], False, None),  # labelled x: not RGB
        (lambda: ts.array(np.zeros((2, 16, 16, 3), np.uint8)), False, None),  # displayed dims < 32
        (lambda: _ngff_pyramid((3, 2, 64, 64), ["c", "ch", "y", "x"], 1), False, 1),  # NGFF channel axis wins
    ],
)
def test_channel_and_rgb_decision_table(source: Any, rgb: bool, channel_axis: int | None) -> None:
    model = PreviewModel(source())
    assert (model.rgb, model.channel_axis) == (rgb, channel_axis)
    reason = next(d.reason for d in model.decisions if d.name == "channel_axis")
    if channel_axis is not None and not rgb:
        assert "OME-Zarr" in reason or "label" in reason


def test_bool_is_two_colours_and_complex_is_magnitude() -> None:
    b = np.zeros((1, 64, 64), bool)
    b[0, :, :20] = True
    frame = PreviewModel(ts.array(b)).set_request(SlicerModel(ts.array(b)).preview_request).result(timeout=10)
    px = _pixels(frame.png, "L")
    assert set(np.unique(px).tolist()) == {0, 255} and (px[:, :20] == 255).all()
    assert frame.limits is not None and frame.limits.how == "bool: False/True"
    z = (np.linspace(-3, 3, 64 * 64) * np.exp(1j * np.linspace(0, 6, 64 * 64))).reshape(1, 64, 64)
    z = z.astype(np.complex64)
    m = PreviewModel(ts.array(z))
    frame = m.set_request(SlicerModel(ts.array(z)).preview_request).result(timeout=10)
    mag = np.abs(z[0]).astype(np.float64)
    lo, hi = np.percentile(mag, [0.5, 99.5])
    assert frame.colormap == "gray" and frame.limits is not None
    assert (frame.limits.lo, frame.limits.hi) == pytest.approx((lo, hi), rel=1e-5)
    assert "|z|" in frame.limits.detail
    want = np.clip((mag - lo) * (254 / (hi - lo)), 0, 254).astype(np.uint8)
    got = np.asarray(Image.open(io.BytesIO(frame.png)))  # palette indices
    assert np.abs(got.astype(int) - want).max() <= 1


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.ensure(tmp_path_factory.getbasetemp() / "tsx-sample")


def test_status_line_and_plane_cache_with_a_counting_kvstore(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = PreviewModel.open(str(root), view_px=256).result()
    keys = _count_chunk_reads(monkeypatch)
    slicer = SlicerModel(model.pyramid.base)
    slicer.set_slider("z", 20)
    model.bind(slicer)
    frame = model.wait()
    assert frame is not None and frame.plan.level == 2
    # chunk count and bytes from real tensorstore's chunk layout of level 2
    real = real_ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(root / "2") + "/"}}).result()
    cz, cy, cx = real.chunk_layout.read_chunk.shape
    ny, nx = real.shape[1], real.shape[2]
    n_chunks = -(-ny // cy) * -(-nx // cx)
    kib = cz * min(cy * -(-ny // cy), ny) * min(cx * -(-nx // cx), nx) * 2 / 2**10
    text = model.status_text
    assert text.startswith(f"level 2/4 (4\u00d7) · {n_chunks} chunk{'s' if n_chunks > 1 else ''}, 0 cached, "
                           f"{kib:.1f} KiB · ")
    assert re.search(r" · omero window · \d+ ms$", text) or re.search(r" · auto p0\.5\u201399\.5 · \d+ ms$", text), text
    n_reads, plane_reads = len(keys), model.plane_reads
    assert n_reads > 0
    # contrast and colormap changes re-render the cached plane: no kvstore read at all
    model.set_limits(100, 900).result(timeout=10)
    model.set_colormap("magma").result(timeout=10)
    assert len(keys) == n_reads and model.plane_reads == plane_reads
    # back to a plane seen before: served by the decoded-plane cache
    slicer.set_slider("z", 21)
    _settle(model, slicer)
    reads_z21 = len(keys)
    assert reads_z21 > n_reads
    slicer.set_slider("z", 20)
    _settle(model, slicer)
    assert len(keys) == reads_z21 and model.plane_hits >= 1
    assert f"{n_chunks} chunk{'s' if n_chunks > 1 else ''}, {n_chunks} cached" in model.status_text


def _settle(model: PreviewModel, slicer: SlicerModel) -> None:
    """Wait until the model shows the slicer's newest request (the slicer holds one pending request at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = model.wait()
        if frame is not None and frame.plan.request == slicer.preview_request and model.status == "done":
            return
        time.sleep(0.01)
    raise AssertionError("the preview never caught up with the slicer")


def test_constant_and_all_nan_messages() -> None:
    const = np.full((1, 32, 32), 7, np.int16)
    m = PreviewModel(ts.array(const))
    m.set_request(SlicerModel(ts.array(const)).preview_request).result(timeout=10)
    assert "constant = 7" in m.status_text
    nan = np.full((1, 32, 32), np.nan, np.float32)
    m = PreviewModel(ts.array(nan))
    m.set_request(SlicerModel(ts.array(nan)).preview_request).result(timeout=10)
    assert "all NaN" in m.status_text and "NaN 100 %" in m.status_text


def test_cost_guard_without_pyramid_waits_for_load_anyway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path) + "/"}}, create=True,
                    dtype="uint8",
                    shape=[2, 4096, 4096], chunk_layout=ts.ChunkLayout(chunk_shape=[1, 512, 512])).result()
    reads = _count_chunk_reads(monkeypatch)
    model = PreviewModel(store, view_px=256)
    model.guard_bytes = 8 * 2**20
    seen: list[str] = []
    model.observe(lambda _m, what: seen.append(what))
    assert model.set_request(SlicerModel(store).preview_request) is None
    assert model.status == "guarded" and reads == [] and "guarded" in seen
    assert model.guard_message == "no pyramid: this view decodes 64 chunks, 16.0 MiB"
    assert "Load anyway" in model.status_text
    frame = model.load_anyway().result(timeout=30)
    assert frame is not None and frame.plan.read.extra_factors == (16, 16) and len(reads) == 64  # each chunk once
