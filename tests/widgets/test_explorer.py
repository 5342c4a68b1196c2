"""Explorer composition: inputs it accepts, slicer -> transaction selection, and code that reproduces the view."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import tensorstore as real_ts

import tsexplore as ts
from tsexplore.widgets.explorer import Explorer


def _make(tmp_path: Path) -> dict[str, Any]:
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path) + "/a/"}}
    ref = real_ts.open(spec, create=True, dtype="uint16", shape=[4, 32, 48],
                       domain=real_ts.IndexDomain(labels=["z", "y", "x"], shape=[4, 32, 48]),
                       chunk_layout=real_ts.ChunkLayout(chunk_shape=[1, 16, 16])).result()
    ref[...] = np.arange(4 * 32 * 48, dtype=np.uint16).reshape(4, 32, 48)
    return spec


def _wait(pred: Any, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_explorer_from_spec_code_reproduces_view(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    ex = Explorer(spec)
    ex.slicer.text.value = "[3, 4:20]"
    assert ex.slicer.model.error is None
    ns: dict[str, Any] = {}
    exec(ex.code, ns)
    ref = real_ts.open(spec).result()[3, 4:20]
    assert ns["view"].domain.shape == tuple(ref.domain.shape)
    np.testing.assert_array_equal(ns["view"].read().result(), ref.read().result())
    # the transaction panel's selection follows the slicer
    assert ex.transaction.model.selection_text == "[3, 4:20]"
    assert ex.transaction.model.selection.domain.shape == (16, 48)
    ex.close()


def test_explorer_on_a_directory_browses_and_opens(tmp_path: Path) -> None:
    _make(tmp_path)
    ex = Explorer(tmp_path)
    assert ex.browser is not None and ex.store is None
    _wait(lambda: ex.browser.model.root.loaded and not ex.browser.model.root.loading)
    ex.browser.model.select("a/")
    ex.browser.open_selected()
    _wait(lambda: ex.store is not None)
    assert ex.store.domain.labels == ("z", "y", "x")
    assert "ts.open({'driver': 'zarr3'" in ex.code
    ex.close()


def test_explorer_rejects_unknown_inputs() -> None:
    try:
        Explorer(3.5)
    except TypeError as e:
        assert "Explorer cannot open float" in str(e)
    else:
        raise AssertionError("no TypeError")
    assert ts is not None
