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

from .slicer_model import TIME_LABELS, PreviewRequest, SlicerModel, SliderState

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


class _DimRow:
    """The controls of one hidden dimension: ``<`` IntSlider ``>`` IntText readout [Play]."""

    def __init__(self, owner: Slicer, s: SliderState, time_like: bool) -> None:
        show = guarded(owner._show_exception)
        self.dim = s.dim
        self.slider = w.IntSlider(
            value=s.value, min=s.lower, max=s.upper - 1, description=s.name, continuous_update=True,
            readout=False, tooltip=f"position along {s.name} (arrow keys step by 1)",
            layout=w.Layout(flex="1 1 auto", min_width="160px"),
        )
        self.slider.add_class("tsx-slicer-slider")
        self.slider.add_class(f"tsx-slicer-slider-{s.dim}")
        self.prev = w.Button(description="<", tooltip=f"{s.name} \u2212 1", layout=w.Layout(width="32px"))
        self.prev.add_class("tsx-slicer-prev")
        self.next = w.Button(description=">", tooltip=f"{s.name} + 1", layout=w.Layout(width="32px"))
        self.next.add_class("tsx-slicer-next")
        self.number = w.IntText(value=s.value, description="", continuous_update=False,
                                tooltip=f"type a {s.name} index and press Enter", layout=w.Layout(width="90px"))
        self.number.add_class("tsx-slicer-number")
        self.readout = w.HTML()
        self.readout.add_class("tsx-slicer-readout")
        self.play: w.Play | None = None
        kids: list[w.Widget] = [self.prev, self.slider, self.next, self.number, self.readout]
        if time_like:
            self.play = w.Play(value=s.value, min=s.lower, max=s.upper - 1, interval=250,
                               description=f"play {s.name}", tooltip=f"play along {s.name}")
            self.play.add_class("tsx-slicer-play")
            self.play.observe(show(functools.partial(owner._on_slider, s.dim)), names="value")
            kids.insert(0, self.play)
        self.box = w.HBox(kids, layout=w.Layout(width="100%", align_items="center"))
        self.box.add_class("tsx-slicer-row")
        self.slider.observe(show(functools.partial(owner._on_slider, s.dim)), names="value")
        self.number.observe(show(functools.partial(owner._on_slider, s.dim)), names="value")
        self.prev.on_click(show(lambda _b: owner.model.step(s.dim, -1)))
        self.next.on_click(show(lambda _b: owner.model.step(s.dim, 1)))

    def key(self) -> tuple[int, str, int, int]:
        sl = self.slider
        return (self.dim, sl.description, sl.min, sl.max + 1)

    def show(self, model: SlicerModel, s: SliderState) -> None:
        for x in (self.slider, self.number, self.play):
            if x is not None and x.value != s.value:
                x.value = s.value
        self.readout.value = f'<span class="tsx-code">{html.escape(model.readout(s.dim))}</span>'

    def widgets(self) -> list[w.Widget]:
        return [x for x in (self.box, self.play, self.prev, self.slider, self.next, self.number, self.readout)
                if x is not None]


def _dim_options(model: SlicerModel) -> list[tuple[str, int]]:
    dom = model.view_domain
    return [(dom[k].label or f"dim {k}", k) for k in range(dom.rank)]


class Slicer(w.VBox):  # type: ignore[misc]
    """Expression box, per-dimension controls, rows/cols pickers and the live result line over a SlicerModel.

    ``base`` is an IndexDomain, IndexTransform or TensorStore (a store also gives units and chunk costs).
    """

    def __init__(self, base: Any, text: str = "", **kwargs: Any) -> None:
        self.model = base if isinstance(base, SlicerModel) else SlicerModel(base, text, **kwargs)
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
        self.result = w.HTML(value="")
        self.result.add_class("tsx-slicer-result")
        self.rows = w.Dropdown(description="rows", tooltip="dimension shown down the image",
                               layout=w.Layout(width="200px"))
        self.rows.add_class("tsx-slicer-rows")
        self.cols = w.Dropdown(description="cols", tooltip="dimension shown across the image",
                               layout=w.Layout(width="200px"))
        self.cols.add_class("tsx-slicer-cols")
        self.axes = w.HBox([self.rows, self.cols])
        self.axes.add_class("tsx-slicer-axes")
        self.slider_box = w.VBox()
        self.slider_box.add_class("tsx-slicer-sliders")
        self.rows_by_dim: dict[int, _DimRow] = {}
        self._syncing = False
        self.requests: list[PreviewRequest] = []
        super().__init__([self.text, self.error, self.axes, self.slider_box, self.result, self.domain_label])
        self.add_class("tsx-slicer")

        show = guarded(self._show_exception)
        self._on_text = show(self._on_text_impl)
        self.text.observe(self._on_text, names="value")
        self.rows.observe(show(functools.partial(self._on_axis, "rows")), names="value")
        self.cols.observe(show(functools.partial(self._on_axis, "cols")), names="value")
        self.model.observe(show(self._refresh))
        self.model.on_request(self.requests.append)
        self._refresh(self.model)

    @property
    def sliders(self) -> dict[int, w.IntSlider]:
        """The IntSlider of each hidden dimension (by index in the view domain)."""
        return {d: r.slider for d, r in self.rows_by_dim.items()}

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

    def _on_axis(self, which: str, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        self.model.pick_displayed(which, int(change["new"]))

    def _refresh(self, model: SlicerModel) -> None:
        self._syncing = True
        try:
            if model.error is None:
                self.text.value = model.text
            self.error.value = _error_html(model)
            opts = _dim_options(model)
            if list(self.rows.options) != opts:
                self.rows.options = opts
                self.cols.options = opts
            two = len(model.displayed) == 2
            self.axes.layout.display = "" if two else "none"
            if two:
                self.rows.value, self.cols.value = model.displayed
            wanted = [(s.dim, s.name, s.lower, s.upper) for s in model.sliders]
            if wanted != [r.key() for r in self.rows_by_dim.values()]:
                for old in self.rows_by_dim.values():
                    for x in old.widgets():  # with their layouts and styles: open models bloat saved notebooks
                        for part in (getattr(x, "layout", None), getattr(x, "style", None), x):
                            if isinstance(part, w.Widget):
                                part.close()
                self.rows_by_dim = {
                    s.dim: _DimRow(self, s, s.label.lower() in TIME_LABELS) for s in model.sliders
                }
                self.slider_box.children = tuple(r.box for r in self.rows_by_dim.values())
            for s in model.sliders:
                self.rows_by_dim[s.dim].show(model, s)
            self.domain_label.value = _domain_html(model)
            self.result.value = f'<span class="tsx-code">{html.escape(model.result_line)}</span>'
        finally:
            self._syncing = False
