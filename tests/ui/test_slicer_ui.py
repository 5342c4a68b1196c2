"""Real JupyterLab + headless chromium: the Slicer responds to typing and to the keyboard; the tour runs clean."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from .conftest import ARTIFACTS, Lab

pytestmark = pytest.mark.ui

ERROR_OUTPUT = '[data-mime-type="application/vnd.jupyter.error"]'


def _run_all(page: Any, lab: Lab, rel: str, timeout_s: float = 45) -> None:
    """Open a notebook, wait for its kernel, run all cells and wait until no cell is pending."""
    page.goto(lab.notebook_url(rel))
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.isEnabled('notebook:run-all-cells')")
    page.get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=60_000)
    deadline = time.monotonic() + timeout_s
    prompts: list[str] = []
    next_try = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() > next_try and not any("*" in p for p in prompts):
            # a run requested while the kernel connection is still settling can be dropped: ask again
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            next_try = time.monotonic() + 8
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        if prompts and all(re.search(r"\[\d+\]", p) for p in prompts):
            return
        time.sleep(0.25)
    page.screenshot(path=str(ARTIFACTS / "run-all-timeout.png"))
    raise AssertionError(f"cells still running after {timeout_s}s: {prompts}")


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
