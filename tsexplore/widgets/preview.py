"""``Preview``: a thin ipywidgets view over :class:`PreviewModel` (image, status, colormap, contrast, level).

Results arrive on worker threads; widget traits are only set on the kernel's thread.  The view remembers the
asyncio loop running when it was built (ipykernel runs cells inside one) and hands updates to it with
``loop.call_soon_threadsafe``; with no running loop (scripts, tests) it sets them directly.  Every callback is
wrapped: an exception shows in the error line and is logged to ``logging.getLogger('tsexplore')``.
"""

from __future__ import annotations

import asyncio
import html
import logging
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import numpy as np

from . import colormap as cm
from .preview_model import PreviewModel
from .slicer import guarded

__all__ = ["Preview"]

log = logging.getLogger("tsexplore")

_PROGRESS_AFTER_S = 0.3  # EXPLORER 2.5: the progress bar appears only past 300 ms


def _limit_range(model: PreviewModel) -> tuple[float, float]:
    """Contrast slider bounds: omero window min/max, else the dtype's range (floats: the current limits, widened)."""
    dt = np.dtype(model.pyramid.base.dtype.numpy_dtype)
    attrs = model.pyramid.attributes.get("omero") if model.pyramid.attributes else None
    if isinstance(attrs, dict) and attrs.get("channels"):
        win = attrs["channels"][0].get("window") or {}
        if "min" in win and "max" in win:
            return float(win["min"]), float(win["max"])
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return float(info.min), float(info.max)
    if dt == np.bool_:
        return 0.0, 1.0
    lim = model.limits
    if lim is not None:
        span = max(lim.hi - lim.lo, 1e-12)
        return lim.lo - span, lim.hi + span
    return 0.0, 1.0


class Preview(w.VBox):  # type: ignore[misc]
    """Image (PNG bytes) + status line + colormap, contrast and level controls over a :class:`PreviewModel`.

    ``Preview(source, slicer=None, **model_kwargs)``: ``source`` is a PreviewModel, Pyramid or TensorStore;
    ``slicer`` (a SlicerModel or a Slicer view) drives the requests.
    """

    def __init__(self, source: Any, slicer: Any = None, **kwargs: Any) -> None:
        self.model = source if isinstance(source, PreviewModel) else PreviewModel(source, **kwargs)
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._thread = threading.get_ident()
        self._syncing = False
        px = self.model.view_px[1] // (2 if self.model.hidpi else 1)
        self.image = w.Image(format="png", value=b"", layout=w.Layout(width=f"{px}px", max_width="100%"))
        self.image.add_class("tsx-preview-image")
        self.status = w.HTML(value="")
        self.status.add_class("tsx-preview-status")
        self.error = w.HTML(value="")
        self.error.add_class("tsx-preview-error")
        self.progress = w.IntProgress(value=0, min=0, max=100, description="loading", layout=w.Layout(display="none"))
        self.progress.add_class("tsx-preview-progress")
        self.colormap = w.Dropdown(
            options=list(cm.COLORMAPS), value=self.model.colormap if self.model.colormap in cm.COLORMAPS else "gray",
            description="colormap", tooltip="colormap for intensity data",
        )
        self.colormap.add_class("tsx-preview-colormap")
        lo, hi = _limit_range(self.model)
        self.contrast = w.FloatRangeSlider(
            value=(lo, hi), min=lo, max=hi, step=(hi - lo) / 1000 or 1.0, description="contrast",
            continuous_update=False, readout_format=".4g", tooltip="contrast limits (drag to pin; Auto to recompute)",
            layout=w.Layout(width="100%"),
        )
        self.contrast.add_class("tsx-preview-contrast")
        self.auto = w.Button(description="Auto", tooltip="recompute contrast from a sample (p0.5 to p99.5)")
        self.auto.add_class("tsx-preview-auto")
        levels = [("auto", -1)] + [(f"level {lv.describe()}", lv.index) for lv in self.model.pyramid.levels]
        self.level = w.Dropdown(options=levels, value=-1 if self.model.level_override is None else
                                self.model.level_override, description="level", tooltip="pyramid level")
        self.level.add_class("tsx-preview-level")
        self.decisions = w.HTML(value=self._decisions_html())
        self.decisions.add_class("tsx-preview-decisions")
        controls = w.HBox([self.colormap, self.level, self.auto])
        super().__init__([self.image, self.progress, self.status, self.error, controls, self.contrast,
                          self.decisions])
        self.add_class("tsx-preview")

        show = guarded(self._show_exception)
        self.colormap.observe(show(self._on_colormap), names="value")
        self.contrast.observe(show(self._on_contrast), names="value")
        self.level.observe(show(self._on_level), names="value")
        self.auto.on_click(show(lambda _b: self.model.autoscale()))
        self.model.observe(self._on_model)
        self._apply()
        if slicer is not None:
            self.bind(slicer)

    # -- binding --------------------------------------------------------------------------------------------
    def bind(self, slicer: Any) -> None:
        """Follow a SlicerModel (or a Slicer view's ``.model``)."""
        model = getattr(slicer, "model", slicer)
        guarded(self._show_exception)(self.model.bind)(model)

    # -- marshalling ----------------------------------------------------------------------------------------
    def _in_kernel(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the kernel's thread: directly when already there, else via its running asyncio loop."""
        loop = self._loop
        if threading.get_ident() == self._thread or loop is None or loop.is_closed() or not loop.is_running():
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def _on_model(self, model: PreviewModel, what: str) -> None:
        self._in_kernel(guarded(self._show_exception)(self._apply))

    # -- callbacks ------------------------------------------------------------------------------------------
    def _show_exception(self, e: BaseException) -> None:
        self.error.value = (
            '<pre class="tsx-error" style="margin:0;color:var(--jp-error-color1,#b71c1c)">'
            f"{html.escape(type(e).__name__)}: {html.escape(str(e))}</pre>"
        )

    def _on_colormap(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.model.set_colormap(str(change["new"]))

    def _on_contrast(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            lo, hi = change["new"]
            self.model.set_limits(float(lo), float(hi))

    def _on_level(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            k = int(change["new"])
            self.model.set_level(None if k < 0 else k)

    def _decisions_html(self) -> str:
        rows = "".join(
            f"<li><b>{html.escape(d.name)}</b> = {html.escape(repr(d.value))}: {html.escape(d.reason)}</li>"
            for d in self.model.decisions
        )
        return f'<details class="tsx-preview-why"><summary>display choices</summary><ul>{rows}</ul></details>'

    def _apply(self) -> None:
        """Copy the model's state into the widgets (kernel thread only)."""
        m = self.model
        self._syncing = True
        try:
            fr = m.frame
            if fr is not None and self.image.value is not fr.png:
                self.image.value = fr.png
            self.status.value = f'<span class="tsx-preview-status-text">{html.escape(m.status_text)}</span>'
            if m.status == "error" and m.error is not None:
                self._show_exception(m.error)  # the last good image stays
            elif m.status == "done":
                self.error.value = ""
            import time

            slow = m.status == "loading" and time.perf_counter() - m.started_at > _PROGRESS_AFTER_S
            self.progress.layout.display = "" if slow else "none"
            self.progress.value = int(m.progress * 100)
            if fr is not None and fr.limits is not None:
                lo, hi = fr.limits.lo, fr.limits.hi
                if lo < self.contrast.min or hi > self.contrast.max:
                    self.contrast.min, self.contrast.max = min(lo, self.contrast.min), max(hi, self.contrast.max)
                self.contrast.value = (max(lo, self.contrast.min), min(hi, self.contrast.max))
            self.contrast.disabled = m.mode == "labels"
            self.colormap.disabled = m.mode != "intensity"
            if m.colormap in cm.COLORMAPS and self.colormap.value != m.colormap:
                self.colormap.value = m.colormap
            self.decisions.value = self._decisions_html()
        finally:
            self._syncing = False

    @property
    def code(self) -> str:
        return self.model.code

    def close(self) -> None:
        for child in (self.image, self.status, self.error, self.progress, self.colormap, self.contrast, self.auto,
                      self.level, self.decisions):
            child.close()
        super().close()
