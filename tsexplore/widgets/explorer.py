"""``Explorer``: browser | preview over slicer | schema / transaction / code tabs, on one store (EXPLORER 2.7).

``Explorer(obj)`` takes a TensorStore, Spec, spec dict, URL (``file:///…|zarr3:``), KvStore, local path or
OME-Zarr group.  Arrays open at once (metadata only); a kvstore shows the browser, and Open there (or an OME-Zarr
multiscale group) swaps the array in.  Every action is mirrored as tsexplore code in :attr:`code` and the Code tab.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import traceback
from typing import Any

import ipywidgets as w

from ._async import UiLoop, log
from .browser import KvStoreBrowser
from .explorer_probe import ProbeResult, parse_probe, probe
from .schema_view import SchemaView
from .slicer import Slicer, guarded
from .transaction_panel import TransactionPanel, diff_png

__all__ = ["Explorer", "PlanePreview", "close_tree", "snapshot_png"]

STATE_VERSION = 1
SNAPSHOT_PX = 256
SNAPSHOT_BYTES = 60 * 1024


def close_tree(root: Any) -> int:
    """Close ``root`` and every widget reachable from it (children, layout, style, widget attributes).

    ``Box.close()`` leaves children, layouts and styles open, and every open model is saved with the notebook
    (ipywidgets #1970).  Returns how many widgets were closed.
    """
    seen: set[int] = set()
    order: list[Any] = []

    def visit(x: Any) -> None:
        if isinstance(x, (list, tuple)):
            for y in x:
                visit(y)
            return
        if isinstance(x, dict):
            for y in x.values():
                visit(y)
            return
        if not isinstance(x, w.Widget) or id(x) in seen:
            return
        seen.add(id(x))
        order.append(x)
        for name in x.keys:
            if name.startswith("_"):
                continue
            try:
                visit(getattr(x, name))
            except Exception:  # a trait that cannot be read on a half-built widget
                continue
        for v in vars(x).values():
            if isinstance(v, (w.Widget, list, tuple, dict)):
                visit(v)

    visit(root)
    n = 0
    for x in reversed(order):
        if getattr(x, "comm", None) is not None:
            n += 1
        if x is root:
            w.Widget.close(x)  # the root's own close() may be what called us
        else:
            x.close()
    return n


def snapshot_png(png: bytes, max_px: int = SNAPSHOT_PX, max_bytes: int = SNAPSHOT_BYTES) -> bytes:
    """A ≤ ``max_px`` (longest side), ≤ ``max_bytes`` PNG copy of a frame, for notebooks saved without a kernel."""
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    img.load()
    side = max_px
    while True:
        im = img.copy()
        im.thumbnail((side, side))
        if im.mode not in ("L", "P", "1"):
            im = im.convert("RGB").quantize(colors=128)
        buf = io.BytesIO()
        im.save(buf, format="PNG", optimize=True)
        out = buf.getvalue()
        if len(out) <= max_bytes or side <= 16:
            return out
        side = int(side * 0.75)


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
        spec = _spec_json(obj)
        kv = spec.get("kvstore") if isinstance(spec, dict) else None
        if spec is None or (isinstance(kv, dict) and kv.get("driver") == "memory"):
            return obj, None, "store = ...  # the TensorStore passed to Explorer (in memory: cannot be reopened)"
        return obj, None, f"store = ts.open({spec!r}).result()"
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
    """One array (or a kvstore to browse): browser | preview + slicer | schema, transaction, code, log.

    ``Explorer(obj, text=..., displayed=('y', 'x'), limits=(lo, hi), colormap=..., target=..., level=...)``;
    :attr:`state` is JSON and :meth:`from_state` restores it.
    """

    def __init__(self, obj: Any, *, text: str = "", displayed: tuple[str | int, str | int] | None = None,
                 limits: tuple[float, float] | None = None, repeatable_read: bool = False,
                 store_name: str = "store", view_px: int = 512, **preview_kwargs: Any) -> None:
        self._ui = UiLoop()
        self.store_name = store_name
        self.repeatable_read = repeatable_read
        self._preview_kwargs = dict(preview_kwargs, view_px=view_px)
        self._initial_text = text
        self._initial_displayed = displayed
        self._initial_limits = limits
        self.store: Any = None
        self.pyramid: Any = None
        self.slicer: Any = None
        self.preview: Any = None
        self.schema: Any = None
        self.transaction: Any = None
        self.last_error: BaseException | None = None
        self.last_probe: ProbeResult | None = None
        self._snapshot: bytes | None = None
        self._display_id: str | None = None
        self._auto_opened = False
        self._open_code = ""
        self._source: Any = _source_json(obj)
        self.error = w.HTML()
        self.error.add_class("tsx-explorer-error")
        self.code_area = w.Textarea(rows=8, layout=w.Layout(width="100%"))
        self.code_area.add_class("tsx-explorer-code")
        self.log_area = w.HTML()
        self.probe_text = w.Text(description="probe", continuous_update=False,
                                 placeholder="z=118, y=4000, x=4100  or  y=18.2um", layout=w.Layout(width="100%"),
                                 tooltip="raw values (all channels) and the 3x3 neighbourhood at a point; Enter")
        self.probe_text.add_class("tsx-explorer-probe")
        self.probe_out = w.HTML()
        self.probe_out.add_class("tsx-explorer-probe-result")
        self.center = w.VBox(layout=w.Layout(flex="1 1 auto", min_width="360px"))
        self.center.add_class("tsx-explorer-center")
        self.tabs = w.Tab(layout=w.Layout(flex="1 1 auto", min_width="320px"))
        self.tabs.add_class("tsx-explorer-tabs")
        store, kv, code = _resolve(obj)
        if code.startswith("store = "):
            code = store_name + code[len("store"):]
        self.browser = KvStoreBrowser(kv, rows=10) if kv is not None else None
        left = [self.browser] if self.browser is not None else []
        body = w.HBox([*left, self.center, self.tabs], layout=w.Layout(flex_flow="row wrap", width="100%"))
        super().__init__([body, self.error])
        self.add_class("tsx-explorer")
        show = guarded(self._show_exception)
        self.probe_text.observe(show(lambda ch: self.probe(str(ch["new"])) if ch["new"].strip() else None),
                                names="value")
        if self.browser is not None:
            self.browser.add_class("tsx-explorer-browser")
            self.browser.layout.width = "320px"
            self.browser.on_open(self._opened)
            self.browser.model.observe(lambda m: self._ui.run(guarded(self._show_exception)(self._auto_open)))
            self._auto_open()  # the root may have loaded before we started observing
        if store is not None:
            self.set_store(store, code)
        else:
            self._refresh_code()

    # -- composition ------------------------------------------------------------------------------------------
    def _opened(self, store: Any, code: str = "") -> None:
        """An array opened from the browser becomes the state's source."""
        self._source = _spec_json(store)
        self.set_store(store, code)

    def _auto_open(self) -> None:
        """A browsed root that is itself an array or an OME-Zarr image opens without a click."""
        if self.store is not None or self.browser is None or self._auto_opened:
            return
        root = self.browser.model.root
        if not root.loaded or root.loading:
            return
        self._auto_opened = root.is_array or "OME-Zarr" in root.badge
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
                self._ui.run(lambda: self._show_exception(exc, f"opening the pyramid {source!r}"))
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
                _cancel(old)
                close_tree(old)
        self.pyramid = pyramid
        self._open_code = code
        self.slicer = Slicer(store, self._initial_text, displayed=self._initial_displayed)
        self.preview = self._make_preview(store, pyramid)
        if self._initial_limits is not None and hasattr(self.preview, "model"):
            self.preview.model.set_limits(*self._initial_limits)
        pm = getattr(self.preview, "model", None)
        if pm is not None and hasattr(pm, "observe"):
            pm.observe(self._on_preview)
        self.schema = SchemaView(store)
        self.transaction = TransactionPanel(store, repeatable_read=self.repeatable_read, store_name=self.store_name)
        self.center.children = (self.preview, self.slicer, self.probe_text, self.probe_out)
        self.tabs.children = (self.schema, self.transaction, w.VBox([self.code_area]), self.log_area)
        for i, name in enumerate(("Schema", "Transaction", "Code", "Log")):
            self.tabs.set_title(i, name)
        # publish the store last: other threads treat ``store is not None`` as "the views are built"
        self.store = store
        self.slicer.model.observe(lambda _m: self._on_slice())
        self.transaction.model.observe(lambda _m: self._ui.run(self._refresh_code))
        self._on_slice()

    def _make_preview(self, store: Any, pyramid: Any) -> Any:
        try:
            from .preview import Preview
        except ImportError:
            return PlanePreview(store, self.slicer)
        return Preview(pyramid if pyramid is not None else store, self.slicer.model, **self._preview_kwargs)

    def _on_preview(self, model: Any, what: str) -> None:
        """Preview errors (a corrupt chunk, a failed read) also land in the Explorer's error box with details."""
        if what == "error" and model.error is not None:
            err = model.error
            self._ui.run(lambda: self._show_exception(err, "preview read"))
        elif what == "frame" and self.last_error is not None and self.error.value:
            self._ui.run(self._clear_error)

    def _clear_error(self) -> None:
        self.last_error = None
        self.error.value = ""

    def _on_slice(self) -> None:
        m = self.slicer.model
        if m.error is None:
            self.transaction.set_selection(self._selection_suffix(), m.transform)
        self._refresh_code()

    def _selection_suffix(self) -> str:
        code: str = self.slicer.model.code
        return code[len("store"):] if code.startswith("store") else code

    # -- probe ------------------------------------------------------------------------------------------------
    def probe(self, text: str) -> Any:
        """``Future[ProbeResult]`` for ``'z=118, y=4000, x=4100'`` or ``'y=18.2um'``; also shown under the image.

        Hidden dims default to the sliders' positions; the channel axis (if any) is read whole.
        """
        if self.store is None:
            raise ValueError("no array is open yet: open one in the browser first")
        m = self.slicer.model
        point = parse_probe(text, self.store.domain, m.info.units)
        rows, cols = self._displayed_base_dims()
        pm = getattr(self.preview, "model", None)
        ch = getattr(pm, "channel_axis", None)
        ch = None if ch in (rows, cols) else ch
        for sl in m.sliders:
            where = m.base_index(sl.dim)
            if where is not None and where[0] != ch:  # every channel is read unless one is named
                point.setdefault(*where)
        fut = probe(self.store, point, rows, cols, ch, store_name=self.store_name)

        def show(res: Any, exc: BaseException | None) -> None:
            if exc is not None:
                self.probe_out.value = ""
                self._show_exception(exc, f"probe {text!r}")
                return
            self.last_probe = res
            self.probe_out.value = f'<pre class="tsx-code" style="margin:0">{html.escape(res.text())}</pre>'

        self._ui.deliver(fut, show)
        return fut

    def _displayed_base_dims(self) -> tuple[int, int]:
        m = self.slicer.model
        if len(m.displayed) != 2:
            raise ValueError(f"the probe needs two displayed dimensions; the view {m.view_domain} has fewer")
        out = []
        for k in m.displayed:
            hits = [o for o, om in enumerate(m.view_transform.output)
                    if om.index_array is None and om.input_dimension == k]
            if not hits:
                raise ValueError(f"displayed dimension {k} is not a plain dimension of the store")
            out.append(hits[0])
        return out[0], out[1]

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
        if self.last_probe is not None:
            lines.append(self.last_probe.code)
        return "\n".join(lines)

    @property
    def state(self) -> dict[str, Any]:
        """JSON-able view state: source, expression, displayed dims, level/target, colormap, limits."""
        st: dict[str, Any] = {"version": STATE_VERSION, "source": self._source, "store_name": self.store_name,
                              "view_px": self._preview_kwargs.get("view_px"), "expression": self._initial_text,
                              "displayed": list(self._initial_displayed) if self._initial_displayed else None}
        if self.slicer is not None:
            m = self.slicer.model
            dom = m.view_domain
            st["expression"] = m.text
            st["displayed"] = [dom[k].label or k for k in m.displayed] if len(m.displayed) == 2 else None
        pm = getattr(self.preview, "model", None)
        if pm is not None and hasattr(pm, "target"):
            lim = pm.limits if pm.limits is not None and pm.limits.how == "manual" else None
            if lim is None and self._initial_limits is not None and pm.frame is None:
                lim = type("L", (), {"lo": self._initial_limits[0], "hi": self._initial_limits[1]})()
            st.update(level=pm.level_override, target=pm.target, colormap=getattr(pm, "_user_colormap", None),
                      limits=[float(lim.lo), float(lim.hi)] if lim is not None else None)
        else:
            kw = self._preview_kwargs
            st.update(level=kw.get("level"), target=kw.get("target", 1.0), colormap=kw.get("colormap"),
                      limits=list(self._initial_limits) if self._initial_limits else None)
        json.dumps(st)  # must stay JSON
        return st

    @classmethod
    def from_state(cls, state: dict[str, Any] | str, **kwargs: Any) -> Explorer:
        """An Explorer showing what ``state`` (from :attr:`state`, or its JSON text) describes."""
        st = json.loads(state) if isinstance(state, str) else dict(state)
        if st.get("version") != STATE_VERSION:
            raise ValueError(f"Explorer state version {st.get('version')!r} is not supported (need {STATE_VERSION})")
        src = st["source"]
        if src is None:
            raise ValueError("the state has no source (the Explorer was given an object that cannot be reopened)")
        opts: dict[str, Any] = {"text": st.get("expression") or "", "store_name": st.get("store_name", "store")}
        if st.get("displayed"):
            opts["displayed"] = tuple(st["displayed"])
        if st.get("limits"):
            opts["limits"] = tuple(st["limits"])
        for k in ("level", "colormap", "view_px"):
            if st.get(k) is not None:
                opts[k] = st[k]
        if st.get("target") not in (None, 1.0):
            opts["target"] = st["target"]
        opts.update(kwargs)
        return cls(src, **opts)

    def _refresh_code(self) -> None:
        self.code_area.value = self.code
        if self.transaction is not None:
            hist = self.transaction.model.history[-10:]
            self.log_area.value = "<br>".join(html.escape(x) for x in hist)

    def _show_exception(self, e: BaseException, where: str = "") -> None:
        """A red box: message, the object at fault, traceback under "details"; the last good image stays."""
        log.error("tsexplore Explorer: %s%s: %s", f"{where}: " if where else "", type(e).__name__, e)
        self.last_error = e
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        obj = f"<div>in: {html.escape(where)}</div>" if where else ""
        self.error.value = (
            '<div class="tsx-error-box" role="alert" style="border:1px solid var(--jp-error-color1,#b71c1c);'
            "background:var(--jp-error-color3,#ffebee);color:var(--jp-error-color0,#7f0000);padding:4px 8px;"
            'border-radius:2px;white-space:pre-wrap">'
            f"<b>{html.escape(type(e).__name__)}</b>: {html.escape(str(e))}{obj}"
            f'<details><summary>details</summary><pre style="white-space:pre-wrap;margin:0">{html.escape(tb)}'
            "</pre></details></div>"
        )

    def wait(self, timeout: float = 30.0) -> Any:
        """Block until the preview shows the slicer's current request (scripts, tests); returns the frame.

        Raises the read's error if that request failed.
        """
        import time

        deadline = time.monotonic() + timeout
        pm = getattr(self.preview, "model", None)
        if self.slicer is None or pm is None or not hasattr(pm, "wait"):
            return None
        while not all(g.idle for g in self.slicer.model.gates):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the preview did not settle within {timeout} s")
            time.sleep(0.005)
        return pm.wait(max(0.0, deadline - time.monotonic()))

    # -- saved-notebook fallback ------------------------------------------------------------------------------
    @property
    def summary(self) -> str:
        """One-line text: what is open and what is shown (the ``text/plain`` of the bundle)."""
        if self.store is None:
            return f"Explorer · browsing {self._source!r}"
        dom = self.store.domain
        dims = " \u00d7 ".join(f"{d.label or k} {d.size}" for k, d in enumerate(dom))
        dtype = getattr(self.store.dtype, "name", str(self.store.dtype))
        view = self.slicer.model.text if self.slicer is not None else ""
        return f"Explorer · {dtype} · {dims} · view {self.store_name}[{view}]" if view else (
            f"Explorer · {dtype} · {dims}")

    def snapshot(self, wait: float | None = 10.0) -> bytes | None:
        """Refresh the static ≤ 256 px, ≤ 60 KiB PNG kept in the output for notebooks opened with no kernel.

        Waits up to ``wait`` seconds for the current frame.  Only this method and :meth:`close` refresh it.
        """
        pm = getattr(self.preview, "model", None)
        png: bytes | None = None
        if pm is not None and hasattr(pm, "wait"):
            if wait:
                try:
                    self.wait(wait)
                except Exception as e:  # a failed read keeps the last good frame
                    log.info("tsexplore Explorer: snapshot without a new frame: %s", e)
            fr = pm.frame
            png = fr.png if fr is not None else None
        elif self.preview is not None:
            png = getattr(getattr(self.preview, "image", None), "value", None) or None
        self._snapshot = snapshot_png(png) if png else None
        self._update_display()
        return self._snapshot

    def _fallback(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text/plain": self.summary}
        if self._snapshot:
            out["image/png"] = base64.b64encode(self._snapshot).decode("ascii")
        return out

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = super()._repr_mimebundle_(**kwargs) or {}
        data.update(self._fallback())
        return data

    def _ipython_display_(self) -> None:
        """Display with a display id, so :meth:`snapshot` and :meth:`close` can refresh the saved output."""
        from IPython.display import display

        if self._display_id is None:
            self._display_id = os.urandom(8).hex()
        display(self._repr_mimebundle_(), raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

    def _update_display(self, with_widget: bool = True) -> None:
        if self._display_id is None:
            return
        try:
            from IPython.display import update_display

            bundle = self._repr_mimebundle_() if with_widget else self._fallback()
            update_display(bundle, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]
        except Exception as e:  # no kernel (scripts): nothing to update
            log.debug("tsexplore Explorer: display update skipped: %s", e)

    def close(self) -> None:
        """Close every child widget (and cancel reads); the output keeps the text + snapshot fallback."""
        if self.preview is not None:
            try:
                self.snapshot(wait=None)
            except Exception as e:
                log.warning("tsexplore Explorer: no snapshot at close: %s", e)
        for name in ("slicer", "preview", "schema", "transaction", "browser"):
            child = getattr(self, name, None)
            if child is not None:
                _cancel(child)
        self._update_display(with_widget=False)
        close_tree(self)


def _cancel(view: Any) -> None:
    m = getattr(view, "model", None)
    if m is not None and hasattr(m, "cancel"):
        try:
            m.cancel()
        except Exception as e:
            log.debug("tsexplore Explorer: cancel failed: %s", e)


def _spec_json(store: Any) -> Any:
    try:
        return store.spec().to_json()
    except Exception as e:
        log.info("tsexplore Explorer: no spec for the state: %s", e)
        return None


def _source_json(obj: Any) -> Any:
    """What :meth:`Explorer.from_state` reopens: a path/URL string or a spec dict (None if it cannot)."""
    import tsexplore as ts

    if isinstance(obj, ts.TensorStore):
        return _spec_json(obj)
    if isinstance(obj, ts.Spec):
        return obj.to_json()
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, str):
        return obj
    return None
