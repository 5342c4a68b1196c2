"""``TransactionPanel``: stage a value on the current selection, see the staged keys and a before/after diff,
then Commit or Abort.  A thin ipywidgets view over :class:`TransactionPanelModel`; errors show in red and go to
``logging.getLogger('tsexplore')``.
"""

from __future__ import annotations

import html
import io
from typing import Any

import ipywidgets as w
import numpy as np

from ._async import UiLoop
from .slicer import guarded
from .transaction_panel_model import TransactionPanelModel, parse_value

__all__ = ["TransactionPanel", "diff_png"]

_MAX_PX = 512


def _plane(a: Any) -> np.ndarray[Any, Any]:
    arr = np.asarray(a)
    while arr.ndim > 2:
        arr = arr[0]
    if arr.ndim < 2:
        arr = arr.reshape(1, -1)
    step = max(1, -(-max(arr.shape) // _MAX_PX))
    return arr[::step, ::step]


def diff_png(before: Any, after: Any, mode: str) -> bytes:
    """PNG of ``before``, ``after`` (shared gray limits) or ``difference`` (red = increased, blue = decreased)."""
    from PIL import Image

    b = _plane(before).astype(np.float64)
    a = _plane(after).astype(np.float64)
    if mode == "difference":
        d = np.nan_to_num(a - b)
        m = float(np.abs(d).max()) or 1.0
        t = np.clip(d / m, -1, 1)
        rgb = np.empty((*d.shape, 3), np.uint8)
        rgb[..., 0] = (255 * np.where(t > 0, 1, 1 + t)).astype(np.uint8)
        rgb[..., 1] = (255 * (1 - np.abs(t))).astype(np.uint8)
        rgb[..., 2] = (255 * np.where(t < 0, 1, 1 - t)).astype(np.uint8)
        img = Image.fromarray(rgb, "RGB")
    else:
        src = a if mode == "after" else b
        both = np.concatenate([b.ravel(), a.ravel()])
        both = both[np.isfinite(both)]
        lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        g = np.clip((np.nan_to_num(src) - lo) / ((hi - lo) or 1.0), 0, 1)
        img = Image.fromarray((g * 255).astype(np.uint8), "L")
    if max(img.size) < 256:  # small planes: enlarge so single pixels are visible
        k = max(1, 256 // max(img.size))
        img = img.resize((img.size[0] * k, img.size[1] * k), Image.Resampling.NEAREST)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()


class TransactionPanel(w.VBox):  # type: ignore[misc]
    """Stage → inspect → diff → Commit / Abort, on ``store`` with a fresh ``ts.Transaction`` each round."""

    def __init__(self, store: Any, *, repeatable_read: bool = False, atomic: bool = False,
                 store_name: str = "store", namespace: dict[str, Any] | None = None) -> None:
        self.model = TransactionPanelModel(store, repeatable_read=repeatable_read, atomic=atomic,
                                           store_name=store_name)
        self.namespace = namespace if namespace is not None else _user_ns()
        self._ui = UiLoop()
        self._before: Any = None
        self._after: Any = None
        self.selection_label = w.HTML()
        self.selection_label.add_class("tsx-txn-selection")
        self.value_text = w.Text(value="0", description="value", continuous_update=False,
                                 tooltip="a number, nan, fill, or the name of a notebook variable")
        self.value_text.add_class("tsx-txn-value")
        self.stage_button = w.Button(description="Stage", tooltip="write the value to the selection, staged only")
        self.stage_button.add_class("tsx-txn-stage")
        self.commit_button = w.Button(description="Commit", button_style="success", disabled=True,
                                      tooltip="write every staged key to storage")
        self.commit_button.add_class("tsx-txn-commit")
        self.abort_button = w.Button(description="Abort", button_style="danger",
                                     tooltip="drop every staged edit; storage is not touched")
        self.abort_button.add_class("tsx-txn-abort")
        self.staged = w.HTML()
        self.staged.add_class("tsx-txn-staged")
        self.diff_mode = w.ToggleButtons(options=["before", "after", "difference"], value="after",
                                         tooltips=["read without the transaction", "read through it", "after - before"])
        self.diff_image = w.Image(format="png", layout=w.Layout(max_width="320px"))
        self.diff_image.add_class("tsx-txn-diff")
        self.status = w.HTML()
        self.status.add_class("tsx-txn-status")
        self.error = w.HTML()
        self.error.add_class("tsx-txn-error")
        self.code_text = w.Textarea(rows=4, layout=w.Layout(width="100%"))
        self.code_text.add_class("tsx-txn-code")
        atomic_note = "atomic: yes" if atomic else "atomic: no (keys are committed one by one)"
        super().__init__([
            self.selection_label,
            w.HBox([self.value_text, self.stage_button]),
            self.staged,
            w.HBox([self.diff_mode]), self.diff_image,
            w.HBox([self.commit_button, self.abort_button]),
            w.HTML(f'<span class="tsx-note">{html.escape(atomic_note)}</span>'),
            self.status, self.error, self.code_text,
        ])
        self.add_class("tsx-txn")
        show = guarded(self._show_exception)
        self.stage_button.on_click(show(lambda _b: self.stage_text(self.value_text.value)))
        self.commit_button.on_click(show(lambda _b: self.commit()))
        self.abort_button.on_click(show(lambda _b: self.abort()))
        self.diff_mode.observe(show(lambda _c: self._paint()), names="value")
        self.model.observe(lambda _m: self._ui.run(show(self._refresh)))
        self._refresh()

    # -- actions ----------------------------------------------------------------------------------------------
    def set_selection(self, expression: str, index: Any = None) -> None:
        self.model.set_selection(expression, index)

    def stage_text(self, text: str) -> Any:
        value = parse_value(text, self.model.store, self.namespace)
        fut = self.model.stage(value, value_text=text.strip())
        fut.add_done_callback(self._after_stage)
        return fut

    def commit(self) -> Any:
        fut = self.model.commit()
        fut.add_done_callback(lambda f: self._ui.run(self.refresh_diff))
        return fut

    def abort(self) -> None:
        self.model.abort()
        self.refresh_diff()

    def refresh_diff(self) -> None:
        """Re-read before/after for the selection (one read each) and repaint."""
        def got(f: Any) -> None:
            exc = f.exception()
            if exc is not None:
                self._ui.run(lambda: self._show_exception(exc))
                return
            self._before, self._after = f.result()
            self._ui.run(guarded(self._show_exception)(self._paint))

        self.model.diff().add_done_callback(got)

    # -- callbacks --------------------------------------------------------------------------------------------
    def _after_stage(self, f: Any) -> None:
        if f.exception() is None:
            self._ui.run(self.refresh_diff)

    def _show_exception(self, e: BaseException) -> None:
        self.error.value = (f'<pre class="tsx-error" style="white-space:pre-wrap;color:var(--jp-error-color1,#b71c1c)">'
                            f"{html.escape(type(e).__name__)}: {html.escape(str(e))}</pre>")

    def _paint(self) -> None:
        if self._before is not None and self._after is not None:
            self.diff_image.value = diff_png(self._before, self._after, str(self.diff_mode.value))

    def _refresh(self) -> None:
        m = self.model
        sel = m.selection_text or "..."
        self.selection_label.value = f'selection: <code>{html.escape(m.store_name)}[{html.escape(sel)}]</code>'
        rows = m.staged_chunks()
        if rows:
            body = "".join(
                f"<tr><td>{html.escape(r.key)}</td><td>{r.writes}</td><td>{r.nbytes:,} B</td></tr>" for r in rows[:50]
            )
            more = f"<div>… {len(rows) - 50} more keys</div>" if len(rows) > 50 else ""
            self.staged.value = (
                f"<b>{len(m.ops)} staged edit(s), {len(rows)} key(s)</b>"
                f'<table class="tsx-table"><tr><th>key</th><th>writes</th><th>bytes</th></tr>{body}</table>{more}'
            )
        else:
            self.staged.value = '<span class="tsx-note">nothing staged</span>'
        self.commit_button.disabled = not m.can_commit
        self.status.value = html.escape(m.message)
        if m.error:
            self.error.value = (f'<pre class="tsx-error" style="white-space:pre-wrap;'
                                f'color:var(--jp-error-color1,#b71c1c)">{html.escape(m.error)}</pre>')
        else:
            self.error.value = ""
        self.code_text.value = m.code


def _user_ns() -> dict[str, Any]:
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:
        return {}
    ns = getattr(ip, "user_ns", None)
    return ns if isinstance(ns, dict) else {}
