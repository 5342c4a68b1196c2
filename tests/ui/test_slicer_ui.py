"""Real JupyterLab + headless chromium: the Slicer responds to typing and to the keyboard; the tour runs clean."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest

from .conftest import ARTIFACTS, Lab

pytestmark = pytest.mark.ui

ERROR_OUTPUT = '[data-mime-type="application/vnd.jupyter.error"]'


_CELL_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.model || !w.sessionContext) return null;
  const cells = w.content.model.cells, counts = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i); if (c.type === 'code') counts.push(c.executionCount);
  }
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return {counts: counts, status: k ? k.status : null};
}"""


def _no_windowing(lab: Lab) -> None:
    """Render every cell (JupyterLab 4 windowing detaches off-screen cells, hiding their widgets from tests)."""
    body = json.dumps({"raw": json.dumps({"windowingMode": "none"})}).encode()
    req = urllib.request.Request(
        f"{lab.url}/lab/api/settings/@jupyterlab/notebook-extension:tracker?token={lab.token}",
        data=body, method="PUT", headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status in (200, 204), r.status


def _run_all(page: Any, lab: Lab, rel: str, timeout_s: float = 45) -> None:
    """Open a notebook, wait for its kernel, run all cells once and wait until every code cell has run.

    Reads execution counts from the notebook *model*: JupyterLab 4 renders only the cells in view, so prompts
    of off-screen cells are empty in the DOM.
    """
    _no_windowing(lab)
    page.goto(lab.notebook_url(rel))
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.isEnabled('notebook:run-all-cells')")
    page.get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=60_000)
    deadline = time.monotonic() + timeout_s
    state: Any = None
    next_try = 0.0
    while time.monotonic() < deadline:
        state = page.evaluate(_CELL_STATE)
        counts = state["counts"] if state else []
        if time.monotonic() > next_try and counts and all(c is None for c in counts) and (
            state["status"] == "idle"
        ):
            # a run requested while the kernel connection is still settling can be dropped: ask again
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            next_try = time.monotonic() + 8
        elif counts and all(c is not None for c in counts) and state["status"] == "idle":
            time.sleep(0.5)  # let the last widget messages render
            return
        time.sleep(0.25)
    page.screenshot(path=str(ARTIFACTS / "run-all-timeout.png"))
    raise AssertionError(f"cells still running after {timeout_s}s: {state}")


def _write_slicer_notebook(lab: Lab) -> str:
    sources = [
        "import tsexplore as ts\nfrom tsexplore.widgets import Slicer",
        "s = Slicer(ts.IndexDomain(labels=['z', 'y', 'x'], shape=[10, 64, 48]))\ns",
    ]
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
        for src in sources
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}
    rel = "notebooks/ui_slicer.ipynb"
    (lab.root / rel).write_text(json.dumps(nb))
    return rel


def test_slicer_types_and_slides(page: Any, lab: Lab) -> None:
    _run_all(page, lab, _write_slicer_notebook(lab))
    text = page.locator(".tsx-slicer-text input")
    text.wait_for()
    assert text.input_value() == "ts.d['z'][4]"
    domain = page.locator(".tsx-slicer-domain")
    page.screenshot(path=str(ARTIFACTS / "slicer-initial.png"))

    # keyboard on the focused slider steps by 1 and rewrites the expression
    handle = page.locator(".tsx-slicer-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.tsx-slicer-text input').value === \"ts.d['z'][5]\"", timeout=10_000
    )
    page.screenshot(path=str(ARTIFACTS / "slicer-slider-moved.png"))

    # typing an expression + Enter updates the domain label
    text.fill("[5, :, ::4]")
    text.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.tsx-slicer-domain').innerText.includes('[0, 12)')", timeout=10_000
    )
    assert '"y": [0, 64)' in domain.inner_text()
    page.screenshot(path=str(ARTIFACTS / "slicer-typed.png"))

    # a bad label shows an inline error naming it, and the domain stays
    text.fill("ts.d['q'][0]")
    text.press("Enter")
    err = page.locator(".tsx-slicer-error")
    page.wait_for_function(
        "() => document.querySelector('.tsx-slicer-error').innerText.includes('Label \"q\"')", timeout=10_000
    )
    assert "^^^" in err.inner_text()
    assert "[0, 12)" in domain.inner_text()
    page.screenshot(path=str(ARTIFACTS / "slicer-error.png"))
    assert page.locator(ERROR_OUTPUT).count() == 0


def test_tour_notebook_runs_clean(page: Any, lab: Lab) -> None:
    _run_all(page, lab, "notebooks/tour.ipynb", timeout_s=120)
    page.screenshot(path=str(ARTIFACTS / "tour.png"), full_page=True)
    assert page.locator(ERROR_OUTPUT).count() == 0
    body = page.locator(".jp-Notebook").inner_text()
    assert "Error displaying widget" not in body
