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
        self.estimate = w.HTML()
        self.estimate.add_class("tsx-txn-estimate")
        self.undo_button = w.Button(description="Undo last", icon="undo", disabled=True,
                                    tooltip="drop the last edit; the others are replayed from the stored data")
        self.undo_button.add_class("tsx-txn-undo")
        self.clear_button = w.Button(description="Clear", disabled=True, tooltip="drop every staged edit")
        self.clear_button.add_class("tsx-txn-clear")
        self.atomic_note = w.HTML()
        self.atomic_note.add_class("tsx-txn-atomic")
        self.confirm = w.HTML()
        self.confirm_yes = w.Button(description="Yes, abort", button_style="danger")
        self.confirm_no = w.Button(description="Keep edits")
        self.confirm_box = w.HBox([self.confirm, self.confirm_yes, self.confirm_no], layout=w.Layout(display="none"))
        self.confirm_box.add_class("tsx-txn-confirm")
        self.reapply_button = w.Button(description="Re-read & re-apply", button_style="warning",
                                       tooltip="re-read the stored data (keeping the other writer's) and re-stage")
        self.reapply_button.add_class("tsx-txn-reapply")
        self.conflict_abort = w.Button(description="Abort", button_style="danger")
        self.conflict_box = w.HBox([self.reapply_button, self.conflict_abort], layout=w.Layout(display="none"))
        self.conflict_box.add_class("tsx-txn-conflict")
        super().__init__([
            self.selection_label,
            w.HBox([self.value_text, self.stage_button]),
            self.estimate,
            self.staged,
            w.HBox([self.undo_button, self.clear_button]),
            w.HBox([self.diff_mode]), self.diff_image,
            self.atomic_note,
            w.HBox([self.commit_button, self.abort_button]),
            self.confirm_box, self.conflict_box,
            self.status, self.error, self.code_text,
        ])
        self.add_class("tsx-txn")
        show = guarded(self._show_exception)
        self.stage_button.on_click(show(lambda _b: self.stage_text(self.value_text.value)))
        self.commit_button.on_click(show(lambda _b: self.commit()))
        self.abort_button.on_click(show(lambda _b: self.request_abort()))
        self.confirm_yes.on_click(show(lambda _b: self.abort()))
        self.confirm_no.on_click(show(lambda _b: self._hide_confirm()))
        self.undo_button.on_click(show(lambda _b: self._watch(self.model.undo_last())))
        self.clear_button.on_click(show(lambda _b: self.request_abort()))
        self.reapply_button.on_click(show(lambda _b: self._watch(self.model.reapply())))
        self.conflict_abort.on_click(show(lambda _b: self.abort()))
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

    def request_abort(self) -> None:
        """Abort, asking first when more than one edit would be lost."""
        if self.model.abort_needs_confirmation:
            n = len(self.model.ops)
            self.confirm.value = f"<b>Abort {n} staged edits?</b> Storage is not touched."
            self.confirm_box.layout.display = ""
            return
        self.abort()

    def abort(self) -> None:
        self._hide_confirm()
        self.model.abort()
        self.refresh_diff()

    def _hide_confirm(self) -> None:
        self.confirm_box.layout.display = "none"

    def _watch(self, fut: Any) -> Any:
        def done(f: Any) -> None:
            if f.exception() is None:
                self._ui.run(self.refresh_diff)
            else:
                self._report(f)

        fut.add_done_callback(done)
        return fut

    def _report(self, f: Any) -> None:
        exc = f.exception()
        if exc is not None:
            self._ui.run(lambda: self._show_exception(exc))

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
        try:
            self.estimate.value = f'<span class="tsx-note">staging here {html.escape(str(m.estimate()))}</span>'
        except Exception as e:  # a selection the grid cannot estimate: say so, staging still works
            self.estimate.value = f'<span class="tsx-note">no estimate: {html.escape(str(e))}</span>'
        if m.ops:
            items = []
            for op in m.ops:
                body = "".join(
                    f"<tr><td>{html.escape(c.key)}</td><td>{html.escape(c.kind)}</td><td>{c.nbytes:,} B</td></tr>"
                    for c in op.chunks[:50]
                )
                more = f"<div>… {len(op.chunks) - 50} more chunks</div>" if len(op.chunks) > 50 else ""
                items.append(
                    f'<details class="tsx-txn-op"><summary><code>{html.escape(op.row)}</code></summary>'
                    f'<table class="tsx-table"><tr><th>key</th><th>write</th><th>staged</th></tr>{body}</table>'
                    f"{more}</details>"
                )
            n_keys = len(m.staged_chunks())
            self.staged.value = f"<b>{len(m.ops)} staged edit(s), {n_keys} key(s)</b>" + "".join(items)
        else:
            self.staged.value = '<span class="tsx-note">nothing staged</span>'
        idle = m.state in ("open", "failed")
        self.undo_button.disabled = not (m.ops and idle)
        self.clear_button.disabled = not (m.ops and idle)
        self.atomic_note.value = f'<span class="tsx-note">{html.escape(m.atomicity)}</span>'
        self.conflict_box.layout.display = "" if m.state == "conflict" else "none"
        if not m.ops:
            self._hide_confirm()
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
