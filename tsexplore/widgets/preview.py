"""``Preview``: a thin ipywidgets view over :class:`PreviewModel` (image, status, colormap, contrast, level).

Results arrive on worker threads; widget traits are only set on the kernel's thread.  The view remembers the
asyncio loop running when it was built (ipykernel runs cells inside one) and hands updates to it with
``loop.call_soon_threadsafe``; with no running loop (scripts, tests) it sets them directly.  Every callback is
wrapped: an exception shows in the error line and is logged to ``logging.getLogger('tsexplore')``.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import threading
import time
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
        self.cancel_button = w.Button(description="Cancel", tooltip="stop the running read",
                                      layout=w.Layout(display="none"))
        self.cancel_button.add_class("tsx-preview-cancel")
        self.load_anyway = w.Button(description="Load anyway", button_style="warning", layout=w.Layout(display="none"),
                                    tooltip="no pyramid: read every chunk of this view and downsample it")
        self.load_anyway.add_class("tsx-preview-load-anyway")
        self.channel_rows: list[tuple[Any, Any, Any]] = []
        rows = []
        for i, ch in enumerate(self.model.channels):
            vis = w.Checkbox(value=ch.visible, description=f"{ch.coord} {ch.color}", indent=False,
                             layout=w.Layout(width="9em"))
            lim = w.FloatRangeSlider(value=(lo, hi), min=lo, max=hi, step=(hi - lo) / 1000 or 1.0,
                                     continuous_update=False, readout_format=".4g", layout=w.Layout(width="60%"))
            auto = w.Button(description="Auto", tooltip=f"recompute channel {ch.coord}'s limits",
                            layout=w.Layout(width="5em"))
            for x in (vis, lim, auto):
                x.add_class(f"tsx-preview-channel-{i}")
            rows.append(w.HBox([vis, lim, auto]))
            self.channel_rows.append((vis, lim, auto))
        self.auto_all = w.Button(description="Auto all", tooltip="recompute every channel's limits")
        self.auto_all.add_class("tsx-preview-auto-all")
        self.channels_box = w.VBox([*rows, self.auto_all] if rows else [])
        self.channels_box.add_class("tsx-preview-channels")
        self._timer: threading.Timer | None = None
        controls = w.HBox([self.colormap, self.level, self.auto])
        super().__init__([self.image, w.HBox([self.progress, self.cancel_button]), self.status, self.load_anyway,
                          self.error, controls, self.contrast, self.channels_box, self.decisions])
        self.add_class("tsx-preview")

        show = guarded(self._show_exception)
        self.colormap.observe(show(self._on_colormap), names="value")
        self.contrast.observe(show(self._on_contrast), names="value")
        self.level.observe(show(self._on_level), names="value")
        self.auto.on_click(show(lambda _b: self.model.autoscale()))
        self.cancel_button.on_click(show(lambda _b: self.model.cancel()))
        self.load_anyway.on_click(show(lambda _b: self.model.load_anyway()))
        self.auto_all.on_click(show(lambda _b: self.model.auto_all()))
        for i, (vis, lim, auto) in enumerate(self.channel_rows):
            vis.observe(show(functools.partial(self._on_channel_visible, i)), names="value")
            lim.observe(show(functools.partial(self._on_channel_limits, i)), names="value")
            auto.on_click(show(functools.partial(lambda k, _b: self.model.auto_channel(k), i)))
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

    def _on_channel_visible(self, i: int, change: dict[str, Any]) -> None:
        if not self._syncing:
            try:
                self.model.set_channel(i, visible=bool(change["new"]))
            except ValueError:
                self._syncing = True
                try:
                    self.channel_rows[i][0].value = change["old"]  # refused (more than 6): undo the tick
                finally:
                    self._syncing = False
                raise

    def _on_channel_limits(self, i: int, change: dict[str, Any]) -> None:
        if not self._syncing:
            lo, hi = change["new"]
            self.model.set_channel(i, limits=(float(lo), float(hi)))

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
            waited = time.perf_counter() - m.started_at
            slow = m.status == "loading" and waited > _PROGRESS_AFTER_S
            self.progress.layout.display = "" if slow else "none"
            self.cancel_button.layout.display = "" if slow else "none"
            self.progress.value = int(m.progress * 100)
            if m.status == "loading" and not slow:
                self._recheck_after(_PROGRESS_AFTER_S - waited + 0.01)
            self.load_anyway.layout.display = "" if m.status == "guarded" else "none"
            if fr is not None and fr.channels:
                shown = {c: lim for c, _col, lim in fr.channels}
                for ch, (vis, lim_w, _a) in zip(m.channels, self.channel_rows):
                    vis.value = ch.visible
                    vis.description = f"{ch.coord} {ch.color if ch.visible else 'off'}"
                    got = shown.get(ch.coord)
                    if got is not None:
                        lim_w.min, lim_w.max = min(got.lo, lim_w.min), max(got.hi, lim_w.max)
                        lim_w.value = (got.lo, got.hi)
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

    def _recheck_after(self, delay: float) -> None:
        """Re-apply once the 300 ms mark passes, so a slow read shows its progress bar and Cancel."""
        if self._timer is not None and self._timer.is_alive():
            return
        t = threading.Timer(max(0.0, delay), lambda: self._in_kernel(guarded(self._show_exception)(self._apply)))
        t.daemon = True
        self._timer = t
        t.start()

    @property
    def code(self) -> str:
        return self.model.code

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for child in (self.image, self.status, self.error, self.progress, self.colormap, self.contrast, self.auto,
                      self.level, self.decisions, self.cancel_button, self.load_anyway, self.auto_all,
                      self.channels_box, *(x for row in self.channel_rows for x in row)):
            child.close()
        super().close()
