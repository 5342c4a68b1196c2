"""``Slicer``: a thin ipywidgets view over :class:`SlicerModel` (expression box, error line, sliders, domain).

Standard ipywidgets only.  Every callback runs through :func:`guarded`, which shows an unexpected exception in
the widget's error line and logs it to ``logging.getLogger('tsexplore')``; nothing fails silently.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .slicer_model import PreviewRequest, SlicerModel, SliderState

__all__ = ["Slicer", "guarded"]

log = logging.getLogger("tsexplore")


def guarded(show: Callable[[BaseException], None]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator for widget callbacks: exceptions are shown via ``show`` and logged with their traceback."""

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                fn(*args, **kwargs)
            except Exception as e:
                log.exception("tsexplore Slicer: %s failed", getattr(fn, "__name__", type(fn).__name__))
                show(e)

        return run

    return deco


def _domain_html(model: SlicerModel) -> str:
    dom = model.domain
    shape = " \u00d7 ".join(str(x) for x in dom.shape) if dom.rank else "scalar"
    req = model.preview_request
    return (
        f'<span class="tsx-code">→ {html.escape(str(dom))}</span>'
        f' <span class="tsx-note">({html.escape(shape)}; view {html.escape(str(req.domain))})</span>'
    )


def _error_html(model: SlicerModel) -> str:
    e = model.error
    if e is None:
        return ""
    return (
        f'<pre class="tsx-error" style="margin:0;color:var(--jp-error-color1,#b71c1c)">'
        f"{html.escape(e.caret())}\n{html.escape(str(e))}</pre>"
    )


class Slicer(w.VBox):  # type: ignore[misc]
    """Expression box + per-dimension sliders for an IndexDomain, IndexTransform or anything with ``.domain``."""

    def __init__(self, base: Any, text: str = "", **kwargs: Any) -> None:
        self.model = SlicerModel(base, text, **kwargs)
        self.text = w.Text(
            value=self.model.text,
            description="expression",
            continuous_update=False,
            placeholder="[5, :, ::4]  or  ts.d['z'][10]",
            layout=w.Layout(width="100%"),
            tooltip="NumPy-style index or ts.d dimension expression; press Enter to apply",
        )
        self.text.add_class("tsx-slicer-text")
        self.error = w.HTML(value="")
        self.error.add_class("tsx-slicer-error")
        self.domain_label = w.HTML(value="")
        self.domain_label.add_class("tsx-slicer-domain")
        self.slider_box = w.VBox()
        self.slider_box.add_class("tsx-slicer-sliders")
        self.sliders: dict[int, w.IntSlider] = {}
        self._syncing = False
        self.requests: list[PreviewRequest] = []
        super().__init__([self.text, self.error, self.slider_box, self.domain_label])
        self.add_class("tsx-slicer")

        self._on_text = guarded(self._show_exception)(self._on_text_impl)
        self.text.observe(self._on_text, names="value")
        self.model.observe(guarded(self._show_exception)(self._refresh))
        self.model.on_request(self.requests.append)
        self._refresh(self.model)

    # -- callbacks ------------------------------------------------------------------------------------------
    def _show_exception(self, e: BaseException) -> None:
        self.error.value = (
            '<pre class="tsx-error" style="margin:0;color:var(--jp-error-color1,#b71c1c)">'
            f"{html.escape(type(e).__name__)}: {html.escape(str(e))}</pre>"
        )

    def _on_text_impl(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.model.set_text(str(change["new"]))

    def _on_slider(self, dim: int, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.model.set_slider(dim, int(change["new"]))

    def _make_slider(self, s: SliderState) -> w.IntSlider:
        sl = w.IntSlider(
            value=s.value,
            min=s.lower,
            max=s.upper - 1,
            description=s.name,
            continuous_update=True,
            tooltip=f"position along {s.name}",
            layout=w.Layout(width="100%"),
        )
        sl.add_class("tsx-slicer-slider")
        sl.add_class(f"tsx-slicer-slider-{s.dim}")
        sl.observe(guarded(self._show_exception)(functools.partial(self._on_slider, s.dim)), names="value")
        return sl

    def _refresh(self, model: SlicerModel) -> None:
        self._syncing = True
        try:
            if model.error is None:
                self.text.value = model.text
            self.error.value = _error_html(model)
            wanted = [(s.dim, s.label, s.lower, s.upper) for s in model.sliders]
            have = [
                (d, sl.description if sl.description != f"dim {d}" else "", sl.min, sl.max + 1)
                for d, sl in self.sliders.items()
            ]
            if wanted != have:
                self.sliders = {s.dim: self._make_slider(s) for s in model.sliders}
                self.slider_box.children = tuple(self.sliders.values())
            for s in model.sliders:
                if self.sliders[s.dim].value != s.value:
                    self.sliders[s.dim].value = s.value
            self.domain_label.value = _domain_html(model)
        finally:
            self._syncing = False
