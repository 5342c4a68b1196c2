"""SlicerModel (no widgets) and the Slicer view built without a front-end."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import tensorstore as real

import tsexplore as ts
from tsexplore.widgets import PreviewRequest, SlicerModel
from tsexplore.widgets.expression import apply_terms, parse


def _zyx() -> Any:
    return ts.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48])


def _real_domain(text_python: str) -> str:
    rd = real.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48])
    return str(eval(f"real.IndexTransform(rd){text_python}", {"real": real, "rd": rd}).domain)


def test_initial_state_pins_hidden_dim_at_middle() -> None:
    m = SlicerModel(_zyx())
    assert m.text == "ts.d['z'][4]"
    assert m.displayed == (1, 2)
    assert [(s.label, s.lower, s.upper, s.value) for s in m.sliders] == [("z", 0, 10, 4)]
    assert str(m.domain) == _real_domain("[real.d['z'][4]]")


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("[5, :, ::4]", "[5, :, ::4]"),
        ("[..., 3]", "[..., 3]"),
        ("ts.d['x'][10:20].stride[2]", "[real.d['x'][10:20].stride[2]]"),
        ("[:, ::2][ts.d['z'][7]]", "[:, ::2][real.d['z'][7]]"),
        ("ts.d['y', 'x'].label['a', 'b']", "[real.d['y', 'x'].label['a', 'b']]"),
    ],
)
def test_typing_gives_domain(text: str, python: str) -> None:
    m = SlicerModel(_zyx())
    assert m.set_text(text)
    assert m.error is None
    assert m.text == text
    assert str(m.domain) == _real_domain(python)


def test_moving_slider_rewrites_expression() -> None:
    m = SlicerModel(_zyx())
    m.set_slider("z", 7)
    assert m.text == "ts.d['z'][7]"
    m.set_text("[:, ::2, ::4]")
    assert m.text == "[:, ::2, ::4]"
    assert [s.value for s in m.sliders] == [7]  # position kept across edits
    m.set_slider("z", 3)
    assert m.text == "[:, ::2, ::4][ts.d['z'][3]]"
    assert str(m.domain) == _real_domain("[:, ::2, ::4][real.d['z'][3]]")
    # and the rewritten text parses back to the same transform
    t = apply_terms(ts.IndexTransform(_zyx()), parse(m.text))
    assert t == m.transform


def test_bare_dim_expression_base_is_bracketed_when_composed() -> None:
    m = SlicerModel(_zyx(), "ts.d['x'][1:5]")
    m.set_slider(0, 9)
    assert m.text == "[ts.d['x'][1:5]][ts.d['z'][9]]"
    assert m.code == "store[ts.d['x'][1:5]][ts.d['z'][9]]"


def test_edited_text_moves_sliders() -> None:
    m = SlicerModel(_zyx())
    m.set_text("[::2][ts.d['z'][3]]")
    assert [(s.label, s.lower, s.upper, s.value) for s in m.sliders] == [("z", 0, 5, 3)]


def test_error_keeps_last_valid_state() -> None:
    m = SlicerModel(_zyx())
    m.set_text("[:, 10:20]")
    before = (m.text, m.transform, m.preview_request)
    assert not m.set_text("ts.d['q'][0]")
    assert m.error is not None
    assert (m.error.start, m.error.end) == (5, 8)
    assert "labels are 'z', 'y', 'x'" in str(m.error)
    assert (m.text, m.transform, m.preview_request) == before
    assert m.set_text("[:, 10:30]")
    assert m.error is None


def test_slider_out_of_range_names_dimension() -> None:
    m = SlicerModel(_zyx())
    with pytest.raises(IndexError, match=r"dimension 0 \('z'\): index 10 is outside \[0, 10\)"):
        m.set_slider("z", 10)
    with pytest.raises(KeyError, match="no slider for dimension 'y'"):
        m.set_slider("y", 1)


def test_unlabelled_dims_and_step() -> None:
    m = SlicerModel(ts.IndexDomain(shape=[3, 4, 5, 6]))
    assert m.text == "ts.d[0, 1][1, 1]"
    m.step(0, +5)
    assert m.text == "ts.d[0, 1][2, 1]"
    m.step(1, -5)
    assert m.text == "ts.d[0, 1][2, 0]"


def test_displayed_dims_and_preview_request() -> None:
    m = SlicerModel(_zyx())
    seen: list[PreviewRequest] = []
    m.on_request(seen.append)
    m.set_displayed("x", "z")  # rows=x, cols=z, y becomes the slider
    assert m.text == "ts.d['y'][31]"
    req = m.preview_request
    assert req.domain.labels == ("x", "z")
    assert (req.rows, req.cols) == (0, 1)
    assert req.positions == (("y", 31),)
    assert seen[-1] == req and hash(seen[-1]) == hash(req)
    n = len(seen)
    m.set_text(m.text)  # same request: no new emission
    assert len(seen) == n
    m.set_slider("y", 5)
    assert len(seen) == n + 1 and seen[-1].positions == (("y", 5),)


def test_preview_request_equals_tensorstore_indexing() -> None:
    m = SlicerModel(_zyx(), "[:, 8:40:2]")
    m.set_slider("z", 2)
    rd = real.IndexDomain(labels=["z", "y", "x"], shape=[10, 64, 48])
    expect = real.IndexTransform(rd)[:, 8:40:2][real.d["z"][2]]
    assert str(m.preview_request.domain) == str(expect.domain)
    assert repr(m.preview_request.transform) == repr(expect)


# -- view -----------------------------------------------------------------------------------------------------
def test_view_syncs_both_ways() -> None:
    from tsexplore.widgets import Slicer

    s = Slicer(_zyx())
    assert s.text.value == "ts.d['z'][4]"
    assert list(s.sliders) == [0]
    s.sliders[0].value = 8
    assert s.text.value == "ts.d['z'][8]"
    s.text.value = "[:, ::2, ::4]"
    assert "[0, 32)" in s.domain_label.value and "[0, 12)" in s.domain_label.value
    s.text.value = "[:, ::2, ::4][ts.d['z'][2]]"
    assert s.sliders[0].value == 2
    s.text.value = "ts.d['q'][0]"
    assert "^^^" in s.error.value and "q" in s.error.value
    assert s.text.value == "ts.d['q'][0]"  # the user's text stays for editing
    assert "tsx-slicer" in s._dom_classes


def test_view_callback_errors_are_shown_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    from tsexplore.widgets import Slicer

    s = Slicer(_zyx())

    def boom(model: SlicerModel) -> None:
        raise RuntimeError("listener failed")

    s.model.observe(boom)
    with caplog.at_level(logging.ERROR, logger="tsexplore"):
        s.sliders[0].value = 1
    assert "RuntimeError: listener failed" in s.error.value
    assert any("listener failed" in r.getMessage() or r.exc_info for r in caplog.records)
