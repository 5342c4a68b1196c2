"""Real JupyterLab + chromium: repr toggles (click, Tab+Space), dark-theme contrast, corrupt chunk, Code tab rerun."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from .conftest import ARTIFACTS, Lab
from .test_slicer_ui import ERROR_OUTPUT, _run_all

pytestmark = pytest.mark.ui

_SOURCES = [
    "import os, pathlib\nimport numpy as np\nimport tsexplore as ts\nfrom tsexplore.widgets import Explorer",
    "root = pathlib.Path(os.environ['TSEXPLORE_DATA_DIR']) / 'ui_repr'\n"
    "spec = {'driver': 'zarr3', 'kvstore': {'driver': 'file', 'path': f'{root}/a/'}}\n"
    "store = ts.open(spec, create=True, delete_existing=True, dtype='uint16',\n"
    "                domain=ts.IndexDomain(labels=['z', 'y', 'x'], shape=[4, 64, 64]),\n"
    "                chunk_layout=ts.ChunkLayout(chunk_shape=[1, 32, 32])).result()\n"
    "store[...] = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(4, 64, 64)\n"
    "store",
    "ok = Explorer(store, text=\"[:, 8:40, ::4][ts.d['z'][1]]\", view_px=128)\nok",
    "(root / 'a' / 'c' / '2' / '0' / '0').write_bytes(b'not a chunk')\n"
    "bad = Explorer(store, text=\"ts.d['z'][2]\", view_px=128)\nbad",
]

# relative luminance contrast (WCAG 2), text colour blended over the first opaque background up the tree
_CONTRAST = """(el) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  let bg = [255, 255, 255, 1];
  for (let n = el; n; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor); if (c[3] > 0.99) { bg = c; break; }
  }
  const fg = parse(getComputedStyle(el).color);
  const mix = [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (rgb) => { const l = rgb.map(lin);
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
  const a = lum(mix), b = lum(bg.slice(0, 3));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def _write(lab: Lab) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
             for s in _SOURCES]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}
    rel = "notebooks/ui_repr.ipynb"
    (lab.root / rel).write_text(json.dumps(nb))
    return rel


def _run_new_cell(page: Any, code: str) -> str:
    """Append a cell with ``code``, run it, and return its output text."""
    page.evaluate(
        """async (code) => {
          const app = window.jupyterapp, nb = app.shell.currentWidget.content;
          nb.activeCellIndex = nb.model.cells.length - 1;
          await app.commands.execute('notebook:insert-cell-below');
          nb.activeCell.model.sharedModel.setSource(code);
          await app.commands.execute('notebook:run-cell');
        }""",
        code,
    )
    cell = page.locator(".jp-Notebook .jp-CodeCell").last
    out = cell.locator(".jp-OutputArea-output")
    out.first.wait_for(timeout=20_000)
    return str(out.first.inner_text())


def _contrasts(page: Any, wrap: Any) -> dict[str, float]:
    out = {}
    for what in (".tsx-type", ".tsx-sub", "label", "th", "td"):
        el = wrap.locator(what).first
        out[what] = float(el.evaluate(_CONTRAST))
    return out


def _set_theme(page: Any, theme: str, light: bool) -> None:
    page.evaluate(f"() => window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === '{str(light).lower()}'", timeout=20_000)
    time.sleep(0.5)  # theme CSS variables settle


def test_repr_toggles_theme_contrast_corrupt_chunk_and_code_rerun(page: Any, lab: Lab) -> None:
    _run_all(page, lab, _write(lab), timeout_s=90)
    assert page.locator(ERROR_OUTPUT).count() == 0

    # -- the TensorStore repr: sections toggle by click and by Tab + Space ---------------------------------------
    wrap = page.locator(".tsx-wrap").first
    wrap.scroll_into_view_if_needed()
    assert wrap.is_visible()
    sections = wrap.locator(".tsx-section")
    assert sections.count() >= 3
    first, second = sections.nth(0), sections.nth(1)
    assert first.evaluate("e => getComputedStyle(e).listStyleType") == "none"  # no stray bullets in JupyterLab
    body = first.locator(".tsx-body").first
    was = body.is_visible()
    first.locator("label").first.click()
    page.wait_for_function("([el, was]) => (el.offsetParent !== null) !== was", arg=[body.element_handle(), was])
    assert body.is_visible() != was
    page.screenshot(path=str(ARTIFACTS / "repr-click-toggled.png"))
    body2 = second.locator(".tsx-body").first
    was2 = body2.is_visible()
    first.locator("input.tsx-toggle").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == second.locator("input.tsx-toggle").get_attribute("id")
    page.keyboard.press("Space")
    page.wait_for_function("([el, was]) => (el.offsetParent !== null) !== was", arg=[body2.element_handle(), was2])
    page.screenshot(path=str(ARTIFACTS / "repr-keyboard-toggled.png"))

    # -- contrast >= 4.5:1 in JupyterLab Light and Dark ----------------------------------------------------------
    light = _contrasts(page, wrap)
    assert min(light.values()) >= 4.5, light
    try:
        _set_theme(page, "JupyterLab Dark", light=False)
        wrap.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "repr-dark.png"))
        dark = _contrasts(page, wrap)
        assert min(dark.values()) >= 4.5, dark
    finally:
        _set_theme(page, "JupyterLab Light", light=True)

    # -- a corrupt chunk: an error box naming the key; the kernel lives ---------------------------------------
    bad = page.locator(".tsx-explorer").nth(1)
    bad.scroll_into_view_if_needed()
    box = bad.locator(".tsx-explorer-error .tsx-error-box")
    box.wait_for(timeout=20_000)
    assert "c/2/0/0" in box.inner_text()
    bad.locator(".tsx-explorer-error summary").click()  # the traceback opens under "details"
    assert "Traceback" in bad.locator(".tsx-explorer-error details").inner_text()
    page.screenshot(path=str(ARTIFACTS / "explorer-corrupt-chunk.png"))
    assert _run_new_cell(page, "print('alive', 1 + 1)").strip() == "alive 2"

    # -- the Code tab's text, run in a new cell, gives the domain the slicer shows --------------------------------
    ok = page.locator(".tsx-explorer").first
    ok.scroll_into_view_if_needed()
    ok.get_by_role("tab", name="Code").click()
    code = ok.locator(".tsx-explorer-code textarea").input_value()
    assert "view = store[" in code, code
    shown = ok.locator(".tsx-slicer-domain .tsx-code").inner_text()
    printed = _run_new_cell(page, code + "\nprint(view.domain)").strip()
    assert shown.replace("\u2192", "").strip() == printed, (shown, printed)
    assert re.search(r'"y": \[8, 40\)', printed)
    page.screenshot(path=str(ARTIFACTS / "explorer-code-rerun.png"))

    assert page.locator(ERROR_OUTPUT).count() == 0
    assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
