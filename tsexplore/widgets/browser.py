"""``KvStoreBrowser``: a thin ipywidgets view over :class:`KvStoreBrowserModel`.

A flattened ``Select`` with indented labels (native listbox keys work), Expand / Collapse / Open buttons acting on
the selection, a breadcrumb, the selected path and the code that opens it in read-only text boxes (select and
copy; a real clipboard button needs the lab extension).  Standard ipywidgets only.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ._async import UiLoop, log
from .browser_model import BrowserNode, KvStoreBrowserModel
from .slicer import guarded

__all__ = ["KvStoreBrowser"]


def _error_html(text: str) -> str:
    return f'<pre class="tsx-error" style="margin:0;color:var(--jp-error-color1,#b71c1c)">{html.escape(text)}</pre>'


class KvStoreBrowser(w.VBox):  # type: ignore[misc]
    """Browse a KvStore (or URL) lazily; ``on_open(cb)`` hears ``cb(store, code)`` when an array is opened."""

    def __init__(self, kvstore: Any, *, page_size: int = 500, rows: int = 14, expand_root: bool = True) -> None:
        self.model = KvStoreBrowserModel(kvstore, page_size=page_size)
        self._ui = UiLoop()
        self._rows: list[tuple[BrowserNode | None, str]] = []
        self._open_listeners: list[Callable[[Any, str], None]] = []
        self.crumb = w.HTML()
        self.crumb.add_class("tsx-browser-crumb")
        self.tree = w.Select(options=[], rows=rows, layout=w.Layout(width="100%"),
                             tooltip="keys of the kvstore; pick a row then Expand / Open")
        self.tree.add_class("tsx-browser-tree")
        self.expand_button = w.Button(description="Expand", tooltip="list this prefix / page on", icon="folder-open")
        self.collapse_button = w.Button(description="Collapse", tooltip="hide this prefix's rows")
        self.open_button = w.Button(description="Open", tooltip="open the selected array", button_style="primary")
        self.details_button = w.Button(description="Details", tooltip="peek 4 KiB of a key / read a shard index")
        for b, cls in ((self.expand_button, "expand"), (self.collapse_button, "collapse"),
                       (self.open_button, "open"), (self.details_button, "details")):
            b.add_class(f"tsx-browser-{cls}")
        self.path_text = w.Text(description="path", disabled=False, layout=w.Layout(width="100%"))
        self.path_text.add_class("tsx-browser-path")
        self.code_text = w.Textarea(description="code", rows=2, layout=w.Layout(width="100%"))
        self.code_text.add_class("tsx-browser-code")
        self.details = w.HTML()
        self.details.add_class("tsx-browser-details")
        self.error = w.HTML()
        self.error.add_class("tsx-browser-error")
        self.filter_text = w.Text(placeholder="filter keys (Enter)", continuous_update=False,
                                  layout=w.Layout(width="100%"), tooltip="keep keys containing this text; restarts")
        self.filter_text.add_class("tsx-browser-filter")
        self.occupancy = w.Image(format="png", layout=w.Layout(display="none", max_width="200px"))
        self.occupancy.add_class("tsx-browser-occupancy")
        buttons = w.HBox([self.expand_button, self.collapse_button, self.open_button, self.details_button])
        super().__init__([self.crumb, self.filter_text, self.tree, buttons, self.path_text, self.code_text,
                          self.details, self.occupancy, self.error])
        self.add_class("tsx-browser")

        show = guarded(self._show_exception)
        self.tree.observe(show(self._on_select), names="value")
        self.expand_button.on_click(show(lambda _b: self.expand_selected()))
        self.collapse_button.on_click(show(lambda _b: self.collapse_selected()))
        self.open_button.on_click(show(lambda _b: self.open_selected()))
        self.details_button.on_click(show(lambda _b: self.details_selected()))
        self.filter_text.observe(show(self._on_filter), names="value")
        self.model.observe(lambda _m: self._ui.run(show(self._refresh)))
        self._refresh()
        if expand_root:
            self.model.expand("")

    # -- public -----------------------------------------------------------------------------------------------
    def on_open(self, callback: Callable[[Any, str], None]) -> None:
        """``callback(store, code)`` after Open succeeds."""
        self._open_listeners.append(callback)

    @property
    def code(self) -> str:
        return self.model.code()

    # -- actions ----------------------------------------------------------------------------------------------
    def _current(self) -> tuple[BrowserNode | None, str]:
        i = self.tree.value
        if not isinstance(i, int) or not 0 <= i < len(self._rows):
            return self.model.selected, ""
        row: tuple[BrowserNode | None, str] = self._rows[i]
        return row

    def expand_selected(self) -> None:
        node, label = self._current()
        if node is None:
            return
        if "more — show next" in label:
            self.model.more(node)
        else:
            self.model.expand(node).add_done_callback(self._report)

    def collapse_selected(self) -> None:
        node, _ = self._current()
        if node is not None:
            self.model.collapse(node)

    def open_selected(self) -> None:
        node, _ = self._current()
        if node is None:
            return
        code = self.model.code(node)
        fut = self.model.open(node)

        def done(f: Any) -> None:
            exc = f.exception()
            if exc is not None:
                log.error("tsexplore KvStoreBrowser: opening %r failed: %s", node.path, exc)
                self._ui.run(lambda: self._show_exception(exc))
                return
            store = f.result()
            for cb in list(self._open_listeners):
                self._ui.run(functools.partial(guarded(self._show_exception)(cb), store, code))

        fut.add_done_callback(done)

    def details_selected(self) -> None:
        node, _ = self._current()
        if node is not None and node.kind == "chunks":
            self._fill_occupancy(node)
            return
        if node is None or node.kind != "key":
            return
        par = node.parent
        if par is not None and par.kind == "chunks" and par.parent is not None and self.model.shard_index(par.parent):
            self.model.occupancy(node).add_done_callback(self._report)
        else:
            self.model.peek_key(node).add_done_callback(self._report)

    def _on_filter(self, change: dict[str, Any]) -> None:
        self.model.set_filter(str(change["new"])).add_done_callback(self._report)

    def _fill_occupancy(self, node: BrowserNode) -> None:
        """One page of chunk keys per UI turn, repainting the occupancy image in between."""
        done = self.model.fill_occupancy(node)
        self.occupancy.value = self.model.occupancy_png(node)
        self.occupancy.layout.display = ""
        if not done:
            self._ui.run(guarded(self._show_exception)(functools.partial(self._fill_occupancy, node)))

    # -- callbacks --------------------------------------------------------------------------------------------
    def _report(self, fut: Any) -> None:
        exc = fut.exception()
        if exc is not None:
            self._ui.run(lambda: self._show_exception(exc))

    def _show_exception(self, e: BaseException) -> None:
        self.error.value = _error_html(f"{type(e).__name__}: {e}")

    def _on_select(self, change: dict[str, Any]) -> None:
        node, _ = self._current()
        if node is not None and node is not self.model.selected:
            self.model.select(node)

    def _refresh(self) -> None:
        m = self.model
        self._rows = m.rows()
        options = [(label, i) for i, (_n, label) in enumerate(self._rows)]
        sel = m.selected
        value = next((i for i, (n, label) in enumerate(self._rows) if n is sel and "more — show" not in label), None)
        if [o[0] for o in self.tree.options] != [o[0] for o in options]:
            self.tree.options = options
        if value is not None and self.tree.value != value:
            self.tree.value = value
        self.crumb.value = (
            '<span class="tsx-crumb">'
            + " / ".join(html.escape(p.rstrip("/")) for p in m.breadcrumb())
            + "</span>"
        )
        self.path_text.value = sel.path
        self.code_text.value = m.code(sel)
        self.details.value = self._details_html(sel)
        self.error.value = _error_html("\n".join(m.errors[-3:])) if m.errors else ""

    def _details_html(self, n: BrowserNode) -> str:
        parts = []
        if n.badge:
            parts.append(f"<b>{html.escape(n.badge)}</b>")
        if n.occupancy is not None:
            parts.append(f"shard: {n.occupancy[0]}/{n.occupancy[1]} inner chunks stored")
        if n.peek is not None:
            text = n.peek[:512].decode("utf-8", "replace") if _is_text(n.peek) else n.peek[:64].hex(" ")
            parts.append(f'<pre class="tsx-peek" style="max-height:8em;overflow:auto">{html.escape(text)}</pre>')
        return "<br>".join(parts)


def _is_text(data: bytes) -> bool:
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
