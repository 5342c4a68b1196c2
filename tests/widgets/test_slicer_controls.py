"""Slicer controls (EXPLORER 2.4): physical readouts, cost line vs tensorstore, rows/cols, hints, coalescing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real

import tsexplore as ts
from tsexplore.future import Future
from tsexplore.widgets import SlicerModel
from tsexplore.widgets.slicer_model import SingleFlight, StoreInfo


def _spec(tmp_path: Path, name: str = "a") -> dict[str, Any]:
    return {"driver": "zarr3", "kvstore": {"driver": "file", "path": f"{tmp_path}/{name}/"}}


def _chunk_id_store(tmp_path: Path, shape: list[int], chunks: list[int], labels: list[str]) -> Any:
    """A real-tensorstore array whose every element holds the linear id of its chunk."""
    r = real.open(_spec(tmp_path), create=True, dtype="uint32",
                  domain=real.IndexDomain(labels=labels, shape=shape),
                  chunk_layout=real.ChunkLayout(chunk_shape=chunks)).result()
    grids = np.meshgrid(*[np.arange(n) // c for n, c in zip(shape, chunks, strict=True)], indexing="ij")
    grid_shape = [-(-n // c) for n, c in zip(shape, chunks, strict=True)]
    r[...] = np.ravel_multi_index(grids, grid_shape).astype(np.uint32)
    return r


def test_readout_uses_dimension_units(tmp_path: Path) -> None:
    real.open(_spec(tmp_path), create=True, dtype="uint8", domain=real.IndexDomain(labels=["z", "y", "x"],
              shape=[274, 16, 16]), dimension_units=["0.04um", "0.1um", None]).result()
    store = ts.open(_spec(tmp_path)).result()
    m = SlicerModel(store)
    m.set_slider("z", 118)
    assert m.readout("z") == "z 118/274 \u00b7 4.72 \u00b5m"
    m.set_displayed("z", "y")
    assert m.readout("x") == "x 7/16 \u00b7 7 px"  # no unit recorded: say "px"


def test_readout_follows_strides_into_base_space() -> None:
    info = StoreInfo(units=(ts.Unit(2.0, "nm"), None, None))
    m = SlicerModel(ts.IndexDomain(labels=["z", "y", "x"], shape=[10, 8, 8]), "[1::3]", info=info)
    m.set_slider("z", 2)  # base index 1 + 3*2 = 7 -> 14 nm
    assert m.physical("z") == (14.0, "nm")
    assert m.readout("z") == "z 2/3 \u00b7 14 nm"


@pytest.mark.parametrize(
    "text",
    ["", "[::3]", "[:, ::7, 5:40]", "ts.d['x'][::-3]", "ts.d['y'][[1, 9, 17, 40]]",
     "ts.d['x', 'y'].transpose[0, 1]", "[3:9, 10:11, ::16]", "ts.d['y'].translate_by[100]"],
)
def test_chunk_count_equals_distinct_chunks_read_by_tensorstore(tmp_path: Path, text: str) -> None:
    ref = _chunk_id_store(tmp_path, [12, 48, 40], [5, 16, 12], ["z", "y", "x"])
    store = ts.open(_spec(tmp_path)).result()
    m = SlicerModel(store, text)
    for s in m.sliders:  # pin the sliders into the text, so the text alone describes what the preview reads
        m.set_slider(s.dim, s.value)
    view = eval(m.code, {"store": ref, "ts": real})  # the oracle: real tensorstore indexing of the same text
    expected = int(np.unique(view.read().result()).size)
    line = m.result_line
    assert f"\u00b7 {expected:,} chunk" in line, line
    assert sorted(m.preview_request.domain.shape) == sorted(view.domain.shape)  # rows/cols may reorder
    shape = " \u00d7 ".join(str(x) for x in m.preview_request.domain.shape)
    assert f"\u2192 {shape} \u00b7" in line
    decoded = expected * 5 * 16 * 12 * 4
    assert any(unit in line for unit in ("KiB", "MiB", " B")) and decoded > 0


def test_result_line_text_and_no_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real.open(_spec(tmp_path), create=True, dtype="uint16",
              domain=real.IndexDomain(labels=["z", "y", "x"], shape=[274, 8192, 8192]),
              chunk_layout=real.ChunkLayout(chunk_shape=[1, 2048, 2048])).result()
    store = ts.open(_spec(tmp_path)).result()
    monkeypatch.setattr(type(store), "read", lambda *a, **k: pytest.fail("the cost line must not read"))
    m = SlicerModel(store, "ts.d['x'][::4]")
    # 1 z-chunk x 4 y-chunks x 4 x-chunks; 2048*2048*2 bytes each
    assert m.result_line == "\u2192 y [0, 8192) \u00d7 x ::4 \u2192 8192 \u00d7 2048 \u00b7 16 chunks, 128 MiB"
    m.set_text("[:, 100:300, 8:72:8]")
    m.set_slider("z", 5)
    assert m.result_line == "\u2192 y [100, 300) \u00d7 x 8:72:8 \u2192 200 \u00d7 8 \u00b7 1 chunk, 8 MiB"


def test_rows_cols_pick_and_swap() -> None:
    m = SlicerModel(ts.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48]))
    assert m.displayed == (1, 2)
    m.pick_displayed("rows", "x")  # x was the cols dim: the two swap
    assert m.displayed == (2, 1)
    assert m.preview_request.domain.labels == ("x", "y")
    m.pick_displayed("cols", "z")  # y leaves the screen and gets a slider
    assert m.displayed == (2, 0)
    assert [s.label for s in m.sliders] == ["y"]
    assert m.preview_request.domain.labels == ("x", "z")
    with pytest.raises(ValueError, match="'q'"):
        m.pick_displayed("rows", "q")


@pytest.mark.parametrize(("typo", "suggestion"), [("zz", "'z'"), ("Y", "'y'"), ("xx", "'x'")])
def test_unknown_label_says_did_you_mean(typo: str, suggestion: str) -> None:
    m = SlicerModel(ts.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48]))
    assert not m.set_text(f"ts.d['{typo}'][0]")
    assert m.error is not None
    assert f"did you mean {suggestion}?" in str(m.error)
    assert m.error.caret().splitlines()[1].strip() == "^" * (len(typo) + 2)
    with pytest.raises(IndexError, match=f'Label "{typo}"'):  # the engine's text is the one tensorstore gives
        real.IndexTransform(real.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48]))[real.d[typo][0]]


def test_far_label_gets_no_suggestion() -> None:
    m = SlicerModel(ts.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48]))
    m.set_text("ts.d['channel'][0]")
    assert m.error is not None and "did you mean" not in str(m.error)


def test_single_flight_keeps_one_pending_newest_wins() -> None:
    m = SlicerModel(ts.IndexDomain(labels=["z", "y", "x"], shape=[30, 8, 8]))
    sent: list[Any] = []
    futures: list[Future[None]] = []

    def deliver(req: Any) -> Future[None]:
        sent.append(req)
        f: Future[None] = Future.pending()
        futures.append(f)
        return f

    m.on_request(deliver)
    assert len(sent) == 0  # registering does not emit
    for z in range(20):
        m.set_slider("z", z)
    assert [r.positions for r in sent] == [(("z", 0),)]  # the first move went out; the rest wait
    gate = m.gates[-1]
    assert gate.pending.positions == (("z", 19),)
    assert gate.dropped == 18
    futures[0]._set(None, None)
    assert [r.positions for r in sent] == [(("z", 0),), (("z", 19),)]
    futures[1]._set(None, None)
    m.set_slider("z", 3)  # idle again: goes out at once
    assert sent[-1].positions == (("z", 3),)


def test_single_flight_releases_after_errors() -> None:
    calls: list[int] = []

    def deliver(x: int) -> None:
        calls.append(x)
        if x == 1:
            raise ValueError("bad request 1")

    g = SingleFlight(deliver)
    with pytest.raises(ValueError, match="bad request 1"):
        g.push(1)
    g.push(2)
    assert calls == [1, 2]


def test_twenty_rapid_moves_bounded_reads_last_image_matches(tmp_path: Path) -> None:
    from tsexplore.widgets import PreviewModel

    data = (np.arange(20)[:, None, None] * 1000 + np.arange(64 * 64).reshape(1, 64, 64)).astype(np.uint16)
    r = real.open(_spec(tmp_path), create=True, dtype="uint16", domain=real.IndexDomain(
        labels=["z", "y", "x"], shape=[20, 64, 64]), chunk_layout=real.ChunkLayout(chunk_shape=[1, 64, 64])).result()
    r[...] = data
    store = ts.open(_spec(tmp_path)).result()
    m = SlicerModel(store)
    pm = PreviewModel(store, view_px=64)
    pm.bind(m)
    g0 = pm.generation
    for z in range(20):
        m.set_slider("z", z)
    deadline = time.monotonic() + 20
    while m.gates[-1].pending is not None or pm.status != "done" or pm.plan is None or \
            pm.plan.request.positions != (("z", 19),):
        assert time.monotonic() < deadline, (pm.status, m.gates[-1].pending)
        time.sleep(0.01)
    pm.wait()
    assert pm.generation - g0 <= 3, pm.generation - g0  # first move, maybe one in between, and the newest
    assert m.gates[-1].sent <= 4
    np.testing.assert_array_equal(pm.plane, data[19])
    assert pm.error is None


def test_view_buttons_number_play_and_axes(tmp_path: Path) -> None:
    from tsexplore.widgets import Slicer

    real.open(_spec(tmp_path), create=True, dtype="uint8", domain=real.IndexDomain(
        labels=["t", "z", "y", "x"], shape=[5, 10, 16, 16]), dimension_units=["2s", "0.5um", None, None]).result()
    s = Slicer(ts.open(_spec(tmp_path)).result())
    rows = s.rows_by_dim
    assert sorted(rows) == [0, 1]
    assert rows[0].play is not None and rows[1].play is None  # Play only for the time-like dim
    assert s.model.sliders[1].value == 4  # the middle of z; t starts at 0
    rows[1].next.click()
    assert s.model.sliders[1].value == 5
    rows[1].prev.click()
    rows[1].prev.click()
    assert s.model.sliders[1].value == 3
    assert "z 3/10 \u00b7 1.5 \u00b5m" in rows[1].readout.value
    rows[1].number.value = 9
    assert s.text.value == "ts.d['t', 'z'][0, 9]" and rows[1].slider.value == 9
    rows[1].number.value = 10  # out of range: shown, nothing moves
    assert "outside [0, 10)" in s.error.value and s.model.sliders[1].value == 9
    rows[0].play.value = 3  # what the Play widget does each tick
    assert s.text.value == "ts.d['t', 'z'][3, 9]" and "6 s" in rows[0].readout.value
    assert "\u2192 y [0, 16) \u00d7 x [0, 16) \u2192 16 \u00d7 16" in s.result.value
    # rows/cols: picking the cols dim for rows swaps them
    assert (s.rows.value, s.cols.value) == (2, 3)
    s.rows.value = 3
    assert s.model.displayed == (3, 2) and (s.rows.value, s.cols.value) == (3, 2)
    s.cols.value = 1  # z on screen; y becomes a slider
    assert s.model.displayed == (3, 1)
    assert [r.slider.description for r in s.rows_by_dim.values()] == ["t", "y"]
    for r in s.rows_by_dim.values():
        assert r.slider.continuous_update and not r.number.continuous_update
        assert all(b.tooltip for b in (r.prev, r.next, r.number, r.slider))
