"""``Explorer``: browser | preview over slicer | schema / transaction / code tabs, on one store (EXPLORER 2.7).

``Explorer(obj)`` takes a TensorStore, Spec, spec dict, URL (``file:///…|zarr3:``), KvStore, local path or
OME-Zarr group.  Arrays open at once (metadata only); a kvstore shows the browser, and Open there (or an OME-Zarr
multiscale group) swaps the array in.  Every action is mirrored as tsexplore code in :attr:`code` and the Code tab.
"""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as w

from ._async import UiLoop, log
from .browser import KvStoreBrowser
from .schema_view import SchemaView
from .slicer import Slicer, guarded
from .transaction_panel import TransactionPanel, diff_png

__all__ = ["Explorer", "PlanePreview"]


class PlanePreview(w.VBox):  # type: ignore[misc]
    """Stand-in preview (one strided read of the displayed plane, gray PNG) used only if ``Preview`` is absent."""

    def __init__(self, store: Any, slicer: Any) -> None:
        self.store = store
        self.image = w.Image(format="png", layout=w.Layout(max_width="512px"))
        self.image.add_class("tsx-preview-image")
        self.status = w.HTML()
        self.status.add_class("tsx-preview-status")
        super().__init__([self.image, self.status])
        self.add_class("tsx-preview")
        self._ui = UiLoop()
        self._generation = 0
        slicer.model.on_request(self.show)
        self.show(slicer.model.preview_request)

    def show(self, req: Any) -> None:
        self._generation += 1
        gen = self._generation
        view = self.store[req.transform]
        step = max(1, -(-max(view.shape or (1,)) // 512))
        if step > 1 and view.rank:
            view = view[tuple(slice(None, None, step) for _ in range(view.rank))]

        def done(f: Any) -> None:
            if gen != self._generation or f.cancelled():
                return  # stale: a newer request replaced this one
            exc = f.exception()
            if exc is not None:
                self._ui.run(lambda: setattr(self.status, "value", html.escape(f"{type(exc).__name__}: {exc}")))
                return
            png = diff_png(f.result(), f.result(), "before")

            def paint() -> None:
                self.image.value = png
                self.status.value = f"plane {view.shape}, stride {step}"

            self._ui.run(paint)

        view.read().add_done_callback(done)


def _resolve(obj: Any) -> tuple[Any, Any, str]:
    """``(store or None, kvstore-ish or None, code)`` for anything ``Explorer`` accepts."""
    import tsexplore as ts

    if isinstance(obj, ts.TensorStore):
        return obj, None, "store = ...  # the TensorStore passed to Explorer"
    if isinstance(obj, ts.KvStore):
        return None, obj, "kv = ...  # the KvStore passed to Explorer"
    if isinstance(obj, (ts.Spec, dict)):
        spec = obj.to_json() if isinstance(obj, ts.Spec) else obj
        return ts.open(obj).result(), None, f"store = ts.open({spec!r}).result()"
    if isinstance(obj, os.PathLike) or (isinstance(obj, str) and "://" not in obj and "|" not in obj):
        path = os.path.abspath(os.fspath(obj)).rstrip("/") + "/"
        return None, f"file://{path}", ""
    if isinstance(obj, str) and "|" in obj:
        return ts.open(obj).result(), None, f"store = ts.open({obj!r}).result()"
    if isinstance(obj, str):
        return None, obj, ""
    raise TypeError(f"Explorer cannot open {type(obj).__name__}: give a TensorStore, Spec, dict, URL, KvStore or path")


class Explorer(w.VBox):  # type: ignore[misc]
    """One array (or a kvstore to browse): browser | preview + slicer | schema, transaction, code, log."""

    def __init__(self, obj: Any, *, text: str = "", repeatable_read: bool = False, store_name: str = "store",
                 view_px: int = 512, **preview_kwargs: Any) -> None:
        self._ui = UiLoop()
        self.store_name = store_name
        self.repeatable_read = repeatable_read
        self._preview_kwargs = dict(preview_kwargs, view_px=view_px)
        self._initial_text = text
        self.store: Any = None
        self.pyramid: Any = None
        self.slicer: Any = None
        self.preview: Any = None
        self.schema: Any = None
        self.transaction: Any = None
        self._open_code = ""
        self.error = w.HTML()
        self.error.add_class("tsx-explorer-error")
        self.code_area = w.Textarea(rows=8, layout=w.Layout(width="100%"))
        self.code_area.add_class("tsx-explorer-code")
        self.log_area = w.HTML()
        self.center = w.VBox(layout=w.Layout(flex="1 1 auto", min_width="360px"))
        self.center.add_class("tsx-explorer-center")
        self.tabs = w.Tab(layout=w.Layout(flex="1 1 auto", min_width="320px"))
        self.tabs.add_class("tsx-explorer-tabs")
        store, kv, code = _resolve(obj)
        self.browser = KvStoreBrowser(kv, rows=10) if kv is not None else None
        left = [self.browser] if self.browser is not None else []
        body = w.HBox([*left, self.center, self.tabs], layout=w.Layout(flex_flow="row wrap", width="100%"))
        super().__init__([body, self.error])
        self.add_class("tsx-explorer")
        if self.browser is not None:
            self.browser.add_class("tsx-explorer-browser")
            self.browser.layout.width = "320px"
            self.browser.on_open(self.set_store)
            self.browser.model.observe(lambda m: self._ui.run(guarded(self._show_exception)(self._auto_open)))
        if store is not None:
            self.set_store(store, code)
        else:
            self._refresh_code()

    # -- composition ------------------------------------------------------------------------------------------
    def _auto_open(self) -> None:
        """A browsed root that is itself an array or an OME-Zarr image opens without a click."""
        if self.store is not None or self.browser is None:
            return
        root = self.browser.model.root
        if not root.loaded or root.loading:
            return
        if root.is_array:
            self.browser.open_selected()
        elif "OME-Zarr" in root.badge:
            self.open_pyramid(self.browser.model.kvstore)

    def open_pyramid(self, source: Any) -> Any:
        """Open an OME-Zarr multiscale group: level 0 drives slicer, schema and transactions; Preview uses all."""
        try:
            from .pyramid import open_pyramid
        except ImportError:
            return None
        fut = open_pyramid(source)

        def done(f: Any) -> None:
            exc = f.exception()
            if exc is not None:
                self._ui.run(lambda: self._show_exception(exc))
                return
            pyr = f.result()
            kv = self.browser.model.kvstore_json(self.browser.model.root) if self.browser is not None else source
            code = (f"from tsexplore.widgets.pyramid import open_pyramid\n"
                    f"pyramid = open_pyramid({kv!r}).result()\n{self.store_name} = pyramid.base")
            self._ui.run(guarded(self._show_exception)(lambda: self.set_store(pyr.base, code, pyramid=pyr)))

        fut.add_done_callback(done)
        return fut

    def set_store(self, store: Any, code: str = "", *, pyramid: Any = None) -> None:
        """Show ``store``: new slicer, preview, schema and transaction panel (closing the old ones)."""
        for old in (self.slicer, self.preview, self.schema, self.transaction):
            if old is not None:
                old.close()
        self.store, self.pyramid = store, pyramid
        self._open_code = code
        self.slicer = Slicer(store.domain, self._initial_text)
        self.preview = self._make_preview(store, pyramid)
        self.schema = SchemaView(store)
        self.transaction = TransactionPanel(store, repeatable_read=self.repeatable_read, store_name=self.store_name)
        self.center.children = (self.preview, self.slicer)
        self.tabs.children = (self.schema, self.transaction, w.VBox([self.code_area]), self.log_area)
        for i, name in enumerate(("Schema", "Transaction", "Code", "Log")):
            self.tabs.set_title(i, name)
        self.slicer.model.observe(lambda _m: self._on_slice())
        self.transaction.model.observe(lambda _m: self._ui.run(self._refresh_code))
        self._on_slice()

    def _make_preview(self, store: Any, pyramid: Any) -> Any:
        try:
            from .preview import Preview
        except ImportError:
            return PlanePreview(store, self.slicer)
        return Preview(pyramid if pyramid is not None else store, self.slicer.model, **self._preview_kwargs)

    def _on_slice(self) -> None:
        m = self.slicer.model
        if m.error is None:
            self.transaction.set_selection(self._selection_suffix(), m.transform)
        self._refresh_code()

    def _selection_suffix(self) -> str:
        code: str = self.slicer.model.code
        return code[len("store"):] if code.startswith("store") else code

    # -- code / state -----------------------------------------------------------------------------------------
    @property
    def code(self) -> str:
        """The statements behind the current view and staged edits, runnable in a fresh namespace."""
        lines = ["import tsexplore as ts"]
        if self.browser is not None and self.store is None:
            lines.append(self.browser.code)
        if self._open_code:
            lines.append(self._open_code)
        if self.slicer is not None:
            lines.append(f"view = {self.store_name}{self._selection_suffix()}")
        if self.transaction is not None and self.transaction.model.ops:
            lines.append(self.transaction.model.code)
        return "\n".join(lines)

    def _refresh_code(self) -> None:
        self.code_area.value = self.code
        if self.transaction is not None:
            hist = self.transaction.model.history[-10:]
            self.log_area.value = "<br>".join(html.escape(x) for x in hist)

    def _show_exception(self, e: BaseException) -> None:
        log.error("tsexplore Explorer: %s: %s", type(e).__name__, e)
        self.error.value = (f'<pre class="tsx-error" style="white-space:pre-wrap;color:var(--jp-error-color1,#b71c1c)">'
                            f"{html.escape(type(e).__name__)}: {html.escape(str(e))}</pre>")

    def close(self) -> None:
        for name in ("slicer", "preview", "schema", "transaction", "browser"):
            child = getattr(self, name, None)
            if child is not None:
                child.close()
        super().close()
