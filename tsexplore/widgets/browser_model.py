"""The KvStore browser's plain-Python model: a lazy tree of key prefixes, recognised by marker keys alone.

A directory node is listed only when expanded, and its children are shown a page at a time ("… N more").
Array roots (zarr ``zarr.json``/``.zarray``, n5 ``attributes.json``, precomputed ``info``) get a badge read from
their small metadata key; their chunk keys collapse into one "chunks" node (EXPLORER 2.2).  Shard occupancy of
sharded zarr3 arrays reads only the shard index, and only when asked.  Nothing reads array data.

Known limit: ``KvStore.list`` has no delimiter, so expanding a prefix lists the keys below it recursively (once;
sub-directories reuse that listing).  Rows are capped; the listing itself is not.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..future import Future
from ._async import after

__all__ = ["MARKERS", "BrowserNode", "KvStoreBrowserModel", "count_text", "recognise"]

#: marker key -> format it announces (checked in this order)
MARKERS: dict[str, str] = {
    "zarr.json": "zarr3",
    ".zarray": "zarr",
    ".zgroup": "zarr",
    "attributes.json": "n5",
    "info": "neuroglancer_precomputed",
    "manifest.ocdbt": "ocdbt",
    "_METADATA": "orbax",
    "_sharding": "orbax",
}
_META_KEYS = {"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata", "attributes.json", "info"}
_READ_MARKERS = ("zarr.json", ".zarray", ".zgroup", ".zattrs", "attributes.json", "info")
_PEEK = 4096
_NO = 2**64 - 1
TIMES = "\u00d7"


@dataclass
class BrowserNode:
    """One row of the tree: a directory prefix, a key, the collapsed chunk keys of an array, or a shard."""

    path: str  # relative to the browsed kvstore; directories end in "/"
    name: str
    kind: str  # "dir" | "key" | "chunks"
    depth: int
    parent: BrowserNode | None = None
    expanded: bool = False
    loaded: bool = False
    loading: bool = False
    children: list[BrowserNode] = field(default_factory=list)
    shown: int = 0
    format: str | None = None  # zarr3 / zarr / n5 / neuroglancer_precomputed / ocdbt / orbax
    node_type: str | None = None  # "array" / "group" / ...
    badge: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)  # marker name -> parsed JSON
    size: int | None = None  # bytes, when known (small metadata keys, peeks)
    size_exact: bool = True
    count: int = 0  # keys below (directories and chunk nodes)
    count_exact: bool = True  # False: the listing was capped, ``count`` is a lower bound
    occupancy_grid: Any = None  # chunks nodes: numpy uint8 grid (1 = stored), filled page by page
    occupancy_done: int = 0  # chunk keys placed on the grid so far
    keys: list[str] = field(default_factory=list)  # for "chunks": the chunk keys (relative to the array)
    occupancy: tuple[int, int] | None = None  # shards: (inner chunks present, inner chunks per shard)
    peek: bytes | None = None
    error: str | None = None
    pending: list[str] | None = None  # keys below this dir, from the parent's listing (not yet built)

    @property
    def is_array(self) -> bool:
        return self.node_type == "array"

    @property
    def hidden(self) -> int:
        return max(0, len(self.children) - self.shown)


def _shape(x: Any) -> str:
    return TIMES.join(str(v) for v in x)


def _ngff(attrs: Any) -> dict[str, Any] | None:
    if not isinstance(attrs, dict):
        return None
    ome = attrs.get("ome") if isinstance(attrs.get("ome"), dict) else attrs
    return ome if isinstance(ome, dict) and ("multiscales" in ome or "labels" in ome or "plate" in ome) else None


def recognise(meta: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """``(format, node_type, badge)`` from the parsed marker keys of one prefix (``{"zarr.json": {...}}``)."""
    z3 = meta.get("zarr.json")
    if isinstance(z3, dict):
        kind = str(z3.get("node_type", "?"))
        if kind == "array":
            sharded = any(isinstance(c, dict) and c.get("name") == "sharding_indexed" for c in z3.get("codecs", []))
            badge = f"zarr3 array · {z3.get('data_type')} · {_shape(z3.get('shape', []))}"
            return "zarr3", "array", badge + (" · sharded" if sharded else "")
        ngff = _ngff(z3.get("attributes"))
        return "zarr3", kind, _ngff_badge(ngff) or f"zarr3 {kind}"
    if isinstance(meta.get(".zarray"), dict):
        za = meta[".zarray"]
        return "zarr", "array", f"zarr array · {za.get('dtype')} · {_shape(za.get('shape', []))}"
    if ".zgroup" in meta:
        return "zarr", "group", _ngff_badge(_ngff(meta.get(".zattrs"))) or "zarr group"
    n5 = meta.get("attributes.json")
    if isinstance(n5, dict):
        if "dimensions" in n5:
            return "n5", "array", f"n5 array · {n5.get('dataType')} · {_shape(n5.get('dimensions', []))}"
        return "n5", "group", "n5 group"
    info = meta.get("info")
    if isinstance(info, dict) and "scales" in info:
        return ("neuroglancer_precomputed", "array",
                f"precomputed {info.get('type', '')} · {info.get('data_type', '')} · {len(info['scales'])} scales")
    if "manifest.ocdbt" in meta:
        return "ocdbt", "database", "OCDBT database"
    if "_METADATA" in meta or "_sharding" in meta or "ocdbt.process_" in meta:
        return "orbax", "checkpoint", "Orbax checkpoint"
    return None, None, ""


def _ngff_badge(ngff: dict[str, Any] | None) -> str:
    if ngff is None:
        return ""
    ms = ngff.get("multiscales")
    if isinstance(ms, list) and ms and isinstance(ms[0], dict):
        n = len(ms[0].get("datasets", []))
        what = "OME-Zarr label image" if "image-label" in ngff else "OME-Zarr image"
        return f"{what} · {n} level{'s' if n != 1 else ''}"
    if "labels" in ngff:
        return f"OME-Zarr labels · {len(ngff['labels'])}"
    plate = ngff.get("plate")
    if isinstance(plate, dict):
        return f"OME-Zarr plate · {len(plate.get('wells', []))} wells"
    return ""


def _driver_of(fmt: str | None) -> str | None:
    return fmt if fmt in ("zarr3", "zarr", "n5", "neuroglancer_precomputed") else None


def _successor(prefix: bytes) -> bytes:
    p = bytearray(prefix)
    while p and p[-1] == 0xFF:
        p.pop()
    if not p:
        return b""
    p[-1] += 1
    return bytes(p)


class KvStoreBrowserModel:
    """Lazy prefix tree over a KvStore (or URL / spec).  All I/O returns Futures; listeners hear every change."""

    def __init__(self, kvstore: Any, *, page_size: int = 500, max_keys: int = 1_000_000) -> None:
        import tsexplore as ts

        if not isinstance(kvstore, ts.KvStore):
            kvstore = ts.KvStore.open(kvstore).result()  # opening reads nothing
        self.kvstore: Any = kvstore
        self.page_size = int(page_size)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[KvStoreBrowserModel], None]] = []
        url = self._safe_url()
        self.root = BrowserNode("", url or "(kvstore)", "dir", 0)
        self.selected: BrowserNode = self.root
        self.list_calls = 0
        self.read_calls = 0
        self.errors: list[str] = []
        self.filter = ""
        self.max_keys = int(max_keys)  # keys kept per listing; beyond it counts read "≥ N"

    def _safe_url(self) -> str:
        try:
            return str(self.kvstore.url)
        except Exception:
            return ""

    # -- observers --------------------------------------------------------------------------------------------
    def observe(self, callback: Callable[[KvStoreBrowserModel], None]) -> None:
        self._listeners.append(callback)

    def _emit(self) -> None:
        for cb in list(self._listeners):
            cb(self)

    # -- lookup -----------------------------------------------------------------------------------------------
    def find(self, path: str) -> BrowserNode:
        """The loaded node at ``path`` (``""`` is the root); KeyError names the path if it is not loaded."""
        stack = [self.root]
        while stack:
            n = stack.pop()
            if n.path == path:
                return n
            stack.extend(n.children)
        raise KeyError(f"no loaded node {path!r} in the browser (expand its parent first)")

    def _node(self, node: BrowserNode | str) -> BrowserNode:
        return self.find(node) if isinstance(node, str) else node

    def rows(self) -> list[tuple[BrowserNode | None, str]]:
        """The visible rows, flattened depth first: ``(node, label)``; ``(parent, "… more")`` rows page on."""
        out: list[tuple[BrowserNode | None, str]] = []

        def walk(n: BrowserNode) -> None:
            out.append((n, self.label(n)))
            if not n.expanded:
                return
            for c in n.children[: n.shown]:
                walk(c)
            if n.hidden:
                nxt = min(self.page_size, n.hidden)
                out.append((n, f"{'  ' * (n.depth + 1)}… {n.hidden:,} more — show next {nxt:,}"))

        walk(self.root)
        return out

    def label(self, n: BrowserNode) -> str:
        pad = "  " * n.depth
        if n.kind in {"dir", "chunks"}:
            mark = "▾" if n.expanded else "▸"
            text = f"{pad}{mark} {n.name}"
        else:
            text = f"{pad}  {n.name}"
        extra = []
        if n.badge:
            extra.append(n.badge)
        if n.kind == "dir" and not n.badge and (n.loaded or n.pending is not None):
            extra.append(count_text(n.count, n.count_exact) + " keys")
        if n.size is not None:
            extra.append(_fmt_size(n.size) if n.size_exact else "≥ " + _fmt_size(n.size))
        if n.occupancy is not None:
            extra.append(f"{n.occupancy[0]}/{n.occupancy[1]} inner chunks")
        if n.loading:
            extra.append("loading…")
        if n.error:
            extra.append("error: " + n.error)
        return text + ("".join(" · " + e for e in extra))

    # -- actions ----------------------------------------------------------------------------------------------
    def select(self, node: BrowserNode | str) -> BrowserNode:
        self.selected = self._node(node)
        self._emit()
        return self.selected

    def collapse(self, node: BrowserNode | str) -> None:
        n = self._node(node)
        n.expanded = False
        self._emit()

    def set_filter(self, text: str) -> Future[BrowserNode]:
        """Keep only keys containing ``text`` (marker keys always stay, so badges survive) and restart the listing
        from the root; an empty text shows everything."""
        self.filter = text.strip()
        self.root = BrowserNode("", self.root.name, "dir", 0)
        self.selected = self.root
        return self.expand("")

    def more(self, node: BrowserNode | str) -> None:
        """Show the next page of a node's children."""
        n = self._node(node)
        n.shown = min(len(n.children), n.shown + self.page_size)
        self._emit()

    def expand(self, node: BrowserNode | str = "") -> Future[BrowserNode]:
        """List a directory (once) or open a chunk node; the Future completes when the rows are ready."""
        n = self._node(node)
        if n.kind == "key":
            return Future(n)
        n.expanded = True
        if n.loaded or n.kind == "chunks":
            if n.kind == "chunks" and not n.loaded:
                self._fill_chunks(n)
            self._emit()
            return Future(n)
        n.loading = True
        n.error = None
        self._emit()
        if n.pending is not None:  # the parent's listing already holds these keys
            self._build(n, n.pending)
            n.pending = None
            return self._read_markers(n)
        prefix = n.path.encode()
        with self._lock:
            self.list_calls += 1
        import tsexplore as ts

        listing = self.kvstore.list(ts.KvStore.KeyRange(prefix, _successor(prefix)))
        return self._chain(after(listing, lambda keys, exc: self._listed(n, keys, exc)))

    def _chain(self, fut: Future[Future[BrowserNode]]) -> Future[BrowserNode]:
        out: Future[BrowserNode] = Future.pending()

        def inner(f: Future[Future[BrowserNode]]) -> None:
            exc = f.exception()
            if exc is not None:
                out._set(None, exc)
                return
            f.result().add_done_callback(lambda g: out._set(g.result() if g.exception() is None else None,
                                                            g.exception()))

        fut.add_done_callback(inner)
        return out

    def _fail(self, n: BrowserNode, what: str, exc: BaseException) -> None:
        from ._async import log

        msg = f"{what} {n.path or n.name!r}: {type(exc).__name__}: {exc}"
        n.error = str(exc)
        n.loading = False
        self.errors.append(msg)
        log.error("tsexplore KvStoreBrowser: %s", msg)
        self._emit()

    def _listed(self, n: BrowserNode, keys: list[bytes] | None, exc: BaseException | None) -> Future[BrowserNode]:
        if exc is not None or keys is None:
            self._fail(n, "listing", exc or RuntimeError("no keys"))
            return Future(n)
        rel = sorted(k.decode("utf-8", "surrogateescape")[len(n.path):] for k in keys)
        if self.filter:
            rel = _filtered(rel, self.filter)
        exact = len(rel) <= self.max_keys
        if not exact:
            rel = rel[: self.max_keys]
        self._build(n, rel)
        if not exact:
            n.count_exact = False
            for c in n.children:
                if c.kind == "dir" and c.name == rel[-1].partition("/")[0] + "/":
                    c.count_exact = False  # the cap cut this one
        return self._read_markers(n)

    def _build(self, n: BrowserNode, rel: list[str]) -> None:
        """Group ``rel`` (keys below ``n``) into child dirs and keys; collapse chunk keys of arrays."""
        n.count = len(rel)
        n.loaded = True
        direct = {k for k in rel if "/" not in k}
        found = {m: f for m, f in MARKERS.items() if m in direct}
        n.format = next(iter(found.values()), None)
        if n.format is None and any(k.startswith("ocdbt.process_") for k in rel):
            n.format = "orbax"  # an Orbax checkpoint's per-process OCDBT trees (orbax #924)
        dirs: dict[str, list[str]] = {}
        files: list[str] = []
        for k in rel:
            head, sep, tail = k.partition("/")
            if sep:
                dirs.setdefault(head + "/", []).append(tail)
            else:
                files.append(k)
        children: list[BrowserNode] = []
        for name, sub in dirs.items():
            c = BrowserNode(n.path + name, name, "dir", n.depth + 1, n)
            c.count = len(sub)
            c.pending = sub
            sub_direct = {s for s in sub if "/" not in s}
            c.format = next((f for m, f in MARKERS.items() if m in sub_direct), None)
            if c.format is None and any(x.startswith("ocdbt.process_") for x in sub):
                c.format = "orbax"
            children.append(c)
        for name in files:
            children.append(BrowserNode(n.path + name, name, "key", n.depth + 1, n))
        n.children = children
        n.shown = min(len(children), self.page_size)

    def _read_markers(self, n: BrowserNode) -> Future[BrowserNode]:
        """Read the small marker keys of ``n`` and of its shown child dirs, then badge them (all concurrently)."""
        targets = [n] + [c for c in n.children[: n.shown] if c.kind == "dir" and c.format is not None]
        reads: list[tuple[BrowserNode, str, Future[Any]]] = []
        for t in targets:
            present = _direct_keys(t)
            for m in _READ_MARKERS:
                if m in present:
                    with self._lock:
                        self.read_calls += 1
                    reads.append((t, m, self.kvstore.read(t.path + m)))
        out: Future[BrowserNode] = Future.pending()
        remaining = [len(reads)]
        lock = threading.Lock()

        def finish() -> None:
            for t in targets:
                self._classify(t)
            n.loading = False
            self._emit()
            out._set(n, None)

        if not reads:
            finish()
            return out

        def one(t: BrowserNode, m: str, res: Any, exc: BaseException | None) -> None:
            if exc is not None:
                t.error = f"reading {t.path + m}: {exc}"
            elif res is not None and res.state == "value":
                t.metadata[m] = _parse_json(bytes(res.value))
                for c in t.children:
                    if c.path == t.path + m:
                        c.size = len(res.value)
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                finish()

        for t, m, fut in reads:
            after(fut, functools.partial(one, t, m))
        return out

    def _classify(self, t: BrowserNode) -> None:
        fmt, node_type, badge = recognise(t.metadata)
        if fmt is None and t.format in ("ocdbt", "orbax"):
            fmt, node_type, badge = recognise({k: {} for k, f in MARKERS.items() if f == t.format})
        t.format, t.node_type, t.badge = fmt, node_type, badge
        if t.is_array and t.loaded:
            self._collapse_chunks(t)

    def _collapse_chunks(self, t: BrowserNode) -> None:
        """Replace the chunk keys below an array node by one "chunks" node (EXPLORER 2.2)."""
        meta = [c for c in t.children if c.kind == "key" and c.name in _META_KEYS]
        rel = sorted(_all_keys(t) - {c.name for c in meta})
        grid = self._grid(t)
        total = math.prod(grid) if grid else None
        name = f"chunks: {len(rel):,} key{'s' if len(rel) != 1 else ''}"
        if grid:
            name += f", grid {_shape(grid)}" + (f" ({len(rel) / total:.0%} stored)" if total else "")
        if self.shard_index(t) is not None:
            name = name.replace("chunks:", "shards:").replace(" key", " shard key")
        ch = BrowserNode(t.path + "#chunks", name, "chunks", t.depth + 1, t)
        ch.keys = rel
        ch.count = len(rel)
        t.children = [*meta, ch]
        t.shown = len(t.children)

    def _fill_chunks(self, ch: BrowserNode) -> None:
        arr = ch.parent
        assert arr is not None
        kids = [BrowserNode(arr.path + k, k, "key", ch.depth + 1, ch) for k in ch.keys]
        ch.children = kids
        ch.shown = min(len(kids), self.page_size)
        ch.loaded = True

    def _grid(self, t: BrowserNode) -> list[int] | None:
        try:
            z3 = t.metadata.get("zarr.json")
            if isinstance(z3, dict):
                shape, chunk = z3["shape"], z3["chunk_grid"]["configuration"]["chunk_shape"]
            elif isinstance(t.metadata.get(".zarray"), dict):
                shape, chunk = t.metadata[".zarray"]["shape"], t.metadata[".zarray"]["chunks"]
            elif isinstance(t.metadata.get("attributes.json"), dict):
                a = t.metadata["attributes.json"]
                shape, chunk = a["dimensions"], a["blockSize"]
            else:
                return None
            return [max(1, -(-int(s) // int(c))) for s, c in zip(shape, chunk)]
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None

    # -- chunk occupancy --------------------------------------------------------------------------------------
    def _key_parser(self, arr: BrowserNode) -> Callable[[str], list[str] | None] | None:
        """Split a chunk key (relative to the array) into its grid indices, per the array's key encoding."""
        z3 = arr.metadata.get("zarr.json")
        if isinstance(z3, dict):
            enc = z3.get("chunk_key_encoding") or {}
            name = enc.get("name", "default") if isinstance(enc, dict) else "default"
            conf = enc.get("configuration", {}) if isinstance(enc, dict) else {}
            sep = str(conf.get("separator", "/" if name == "default" else "."))
            if name == "default":
                return lambda k: k.split(sep)[1:] if k.startswith("c" + sep) else None
            return lambda k: k.split(sep)
        za = arr.metadata.get(".zarray")
        if isinstance(za, dict):
            sep2 = str(za.get("dimension_separator", "."))
            return lambda k: k.split(sep2)
        if isinstance(arr.metadata.get("attributes.json"), dict):
            return lambda k: k.split("/")
        return None

    def fill_occupancy(self, node: BrowserNode | str, pages: int | None = 1) -> bool:
        """Place the next ``pages`` pages of chunk keys on the node's present/missing grid (all when ``None``);
        True once every key is placed.  No I/O: the keys come from the listing."""
        ch = self._node(node)
        arr = ch.parent
        if ch.kind != "chunks" or arr is None:
            raise ValueError(f"{ch.path or ch.name!r} is not the chunk node of an array")
        grid = self._grid(arr)
        parse = self._key_parser(arr)
        if grid is None or parse is None:
            raise ValueError(f"no chunk grid or key encoding known for {arr.path!r}")
        if self.shard_index(arr) is not None:  # keys are shards: the grid of shards
            z3 = arr.metadata["zarr.json"]
            grid = [max(1, -(-int(s) // int(c))) for s, c in
                    zip(z3["shape"], z3["chunk_grid"]["configuration"]["chunk_shape"])]
        if ch.occupancy_grid is None:
            ch.occupancy_grid = np.zeros(grid, np.uint8)
        stop = len(ch.keys) if pages is None else min(len(ch.keys), ch.occupancy_done + pages * self.page_size)
        cells = []
        for k in ch.keys[ch.occupancy_done: stop]:
            parts = parse(k)
            if parts is not None and len(parts) == len(grid) and all(p.isdigit() for p in parts):
                cells.append([int(p) for p in parts])
        if cells:
            idx = np.asarray(cells, np.int64)
            ok = (idx < np.asarray(grid)).all(axis=1)
            ch.occupancy_grid[tuple(idx[ok].T)] = 1
        ch.occupancy_done = stop
        self._emit()
        return stop >= len(ch.keys)

    def occupancy_png(self, node: BrowserNode | str, px: int = 192) -> bytes:
        """The grid projected on its last two dims as a small PNG: the fraction of chunks stored along the other
        dims, from dark (none) to bright (all); a missing cell is dark gray, never black-on-black."""
        import io

        from PIL import Image

        ch = self._node(node)
        g = ch.occupancy_grid
        if g is None:
            raise ValueError(f"no occupancy yet for {ch.path!r}; call fill_occupancy first")
        g2 = g.reshape(1, 1) if g.ndim == 0 else (g.reshape(1, -1) if g.ndim == 1 else g)
        frac = g2.reshape(-1, *g2.shape[-2:]).mean(axis=0)
        img8 = np.where(frac > 0, 96 + (frac * 159).round(), 40).astype(np.uint8)
        im = Image.fromarray(np.ascontiguousarray(img8), "L")
        k = max(1, px // max(im.size))
        if k > 1:
            im = im.resize((im.size[0] * k, im.size[1] * k), Image.Resampling.NEAREST)
        buf = io.BytesIO()
        im.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    # -- sharded zarr3 ----------------------------------------------------------------------------------------
    def shard_index(self, arr: BrowserNode) -> tuple[int, int, bool, str] | None:
        """``(inner chunks per shard, index bytes, index at end, numpy dtype)`` for a sharded zarr3 array."""
        z3 = arr.metadata.get("zarr.json")
        if not isinstance(z3, dict):
            return None
        codecs = z3.get("codecs", [])
        if not codecs or not isinstance(codecs[0], dict) or codecs[0].get("name") != "sharding_indexed":
            return None
        conf = codecs[0].get("configuration", {})
        try:
            shard = z3["chunk_grid"]["configuration"]["chunk_shape"]
            inner = conf["chunk_shape"]
            n = math.prod(int(s) // int(i) for s, i in zip(shard, inner))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None
        idx = conf.get("index_codecs", [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}])
        names = [c.get("name") for c in idx if isinstance(c, dict)]
        endian = next((c.get("configuration", {}).get("endian", "little") for c in idx
                       if isinstance(c, dict) and c.get("name") == "bytes"), "little")
        nbytes = 16 * n + (4 if "crc32c" in names else 0)
        return n, nbytes, conf.get("index_location", "end") == "end", ("<u8" if endian == "little" else ">u8")

    def occupancy(self, node: BrowserNode | str) -> Future[tuple[int, int]]:
        """Inner chunks present in one shard, from its index alone (a suffix/prefix byte-range read)."""
        n = self._node(node)
        arr = n.parent.parent if n.parent is not None and n.parent.kind == "chunks" else None
        info = self.shard_index(arr) if arr is not None else None
        if info is None:
            return _failed(ValueError(f"{n.path!r} is not a shard of a sharded zarr3 array"))
        count, nbytes, at_end, dt = info
        with self._lock:
            self.read_calls += 1
        fut = self.kvstore.read(n.path, byte_range=slice(-nbytes, None) if at_end else slice(0, nbytes))

        def done(res: Any, exc: BaseException | None) -> tuple[int, int]:
            if exc is not None:
                self._fail(n, "reading the shard index of", exc)
                raise exc
            if res.state != "value":
                err = KeyError(f"shard {n.path!r} is not stored")
                self._fail(n, "reading the shard index of", err)
                raise err
            entries = np.frombuffer(bytes(res.value)[: 16 * count], dtype=dt).reshape(count, 2)
            present = int(np.count_nonzero(~((entries[:, 0] == _NO) & (entries[:, 1] == _NO))))
            n.occupancy = (present, count)
            self._emit()
            return n.occupancy

        return after(fut, done)

    def peek_key(self, node: BrowserNode | str) -> Future[bytes]:
        """The first 4 KiB of a key (never the whole value; a shorter value is read whole after OUT_OF_RANGE)."""
        n = self._node(node)
        with self._lock:
            self.read_calls += 1
        out: Future[bytes] = Future.pending()

        def settle(res: Any, exc: BaseException | None, exact: bool) -> None:
            if exc is not None:
                self._fail(n, "reading", exc)
                out._set(None, exc)
                return
            data = bytes(res.value) if res.state == "value" else b""
            n.peek, n.size, n.size_exact = data, len(data), exact
            self._emit()
            out._set(data, None)

        def first(res: Any, exc: BaseException | None) -> None:
            if exc is not None and "OUT_OF_RANGE" in str(exc):  # shorter than the peek: small, read it whole
                with self._lock:
                    self.read_calls += 1
                after(self.kvstore.read(n.path), lambda r, e: settle(r, e, True))
                return
            settle(res, exc, False)

        after(self.kvstore.read(n.path, byte_range=slice(0, _PEEK)), first)
        return out

    # -- code -------------------------------------------------------------------------------------------------
    def kvstore_json(self, node: BrowserNode | str) -> dict[str, Any]:
        n = self._node(node)
        j = dict((self.kvstore / n.path).spec().to_json()) if n.path else dict(self.kvstore.spec().to_json())
        j.pop("context", None)
        return j

    def open_spec(self, node: BrowserNode | str) -> dict[str, Any] | None:
        """The TensorStore spec that opens an array node (``None`` for anything else)."""
        n = self._node(node)
        driver = _driver_of(n.format)
        if driver is None or not n.is_array:
            return None
        return {"driver": driver, "kvstore": self.kvstore_json(n)}

    def code(self, node: BrowserNode | str | None = None) -> str:
        """Python that opens the node: ``ts.open(spec)`` for arrays, ``ts.KvStore.open`` / a key read otherwise."""
        n = self.selected if node is None else self._node(node)
        spec = self.open_spec(n)
        if spec is not None:
            return f"store = ts.open({spec!r}).result()"
        if n.kind == "key":
            kv = self.kvstore_json(n.parent) if n.parent is not None and n.parent.kind == "dir" else None
            if kv is not None:
                return f"kv = ts.KvStore.open({kv!r}).result()\nvalue = kv[{n.name!r}]"
            return f"kv = ts.KvStore.open({self.kvstore_json(self.root)!r}).result()\nvalue = kv[{n.path!r}]"
        target = n.parent if n.kind == "chunks" and n.parent is not None else n
        if target.format == "ocdbt":
            return f"kv = ts.KvStore.open({{'driver': 'ocdbt', 'base': {self.kvstore_json(target)!r}}}).result()"
        return f"kv = ts.KvStore.open({self.kvstore_json(target)!r}).result()"

    def open(self, node: BrowserNode | str | None = None) -> Future[Any]:
        """Open an array node as a TensorStore (metadata read only)."""
        import tsexplore as ts

        n = self.selected if node is None else self._node(node)
        spec = self.open_spec(n)
        if spec is None:
            return _failed(ValueError(f"{n.path or n.name!r} is not an array root this browser can open"))
        return ts.open(spec)  # type: ignore[no-any-return]

    def breadcrumb(self, node: BrowserNode | None = None) -> list[str]:
        n = self.selected if node is None else node
        parts = []
        cur: BrowserNode | None = n
        while cur is not None:
            parts.append(cur.name)
            cur = cur.parent
        return parts[::-1]


def _filtered(rel: list[str], text: str) -> list[str]:
    """Keys containing ``text``, plus the marker keys of the directories above them (so they keep their badges)."""
    hits = [k for k in rel if text in k]
    dirs = {""}
    for k in hits:
        parts = k.split("/")[:-1]
        dirs.update("/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1))
    keep = set(hits)
    for k in rel:
        head, _, name = k.rpartition("/")
        if (name in _META_KEYS or name in MARKERS) and (head + "/" if head else "") in dirs:
            keep.add(k)
    return [k for k in rel if k in keep]


def count_text(n: int, exact: bool) -> str:
    """``"98,512"`` when known, ``"≥ 1,000"`` while it is only a lower bound."""
    return f"{n:,}" if exact else f"\u2265 {n:,}"


def _direct_keys(n: BrowserNode) -> set[str]:
    if n.pending is not None:
        return {s for s in n.pending if "/" not in s}
    return {c.name for c in n.children if c.kind == "key"}


def _all_keys(n: BrowserNode) -> set[str]:
    out: set[str] = set()
    for c in n.children:
        if c.kind == "key":
            out.add(c.path[len(n.path):])
        elif c.kind == "dir" and c.pending is not None:
            out.update(c.name + s for s in c.pending)
    return out


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}


def _fmt_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _failed(exc: BaseException) -> Future[Any]:
    f: Future[Any] = Future.pending()
    f._set(None, exc)
    return f
