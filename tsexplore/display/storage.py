"""Section builders and bundles for array-level objects: TensorStore, Spec, Schema, ChunkLayout, Transaction.

Written against the documented tensorstore attributes (``.domain``, ``.dtype``, ``.chunk_layout``, ``.codec``,
``.fill_value``, ``.dimension_units``, ``.to_json()``, ``.spec()``), so any object offering them renders.
Metadata only: nothing here lists keys, reads chunks or waits on a future.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._html import ROW_CAP, bundle, cap_string, esc, fmt_bytes, json_block, kv_table, redact, section, table
from .index import domain_section, domain_summary
from .safe import Safe, safe

TIMES = " \u00d7 "

__all__ = [
    "chunk_counts",
    "chunk_grid_section",
    "chunk_grid_svg",
    "chunk_layout_bundle",
    "codec_section",
    "codec_spec_bundle",
    "fill_value_text",
    "json_section",
    "schema_bundle",
    "schema_sections",
    "spec_bundle",
    "tensorstore_bundle",
    "transaction_bundle",
]

_SVG_MAX_LINES = 50
_SVG_PX = 160


def json_section(title: str, value: Any, *, open: bool = False) -> str:
    """Collapsed, capped, redacted JSON."""
    return section(title, json_block(value), open=open)


def _finite_bounds(domain: Any) -> list[tuple[int, int]] | None:
    out = []
    for i in range(domain.rank):
        dim = domain[i]
        if not dim.finite:
            return None
        out.append((dim.inclusive_min, dim.exclusive_max))
    return out


def chunk_counts(
    bounds: Sequence[tuple[int, int]], chunk_shape: Sequence[int], grid_origin: Sequence[int] | None = None
) -> list[int]:
    """Chunks each dimension's ``[lo, hi)`` touches on a grid of ``chunk_shape`` anchored at ``grid_origin``."""
    out = []
    for i, ((lo, hi), c) in enumerate(zip(bounds, chunk_shape)):
        g = grid_origin[i] if grid_origin is not None else 0
        if hi <= lo:
            out.append(0)
        elif not c or c <= 0:
            out.append(1)
        else:
            out.append((hi - 1 - g) // c - (lo - g) // c + 1)
    return out


def chunk_grid_svg(counts: Sequence[int], labels: Sequence[str] = ("", "")) -> str:
    """SVG of a 2-d chunk grid (rows by cols), at most 50 lines per axis (dask's repr grew to MBs: dask #6670)."""
    rows, cols = counts
    if rows <= 0 or cols <= 0:
        return ""
    aspect = max(0.25, min(4.0, rows / cols))
    w = _SVG_PX if aspect <= 1 else max(40, round(_SVG_PX / aspect))
    h = _SVG_PX if aspect >= 1 else max(40, round(_SVG_PX * aspect))
    lines = []
    for n, vertical in ((cols, True), (rows, False)):
        step = max(1, math.ceil(n / _SVG_MAX_LINES))
        for k in range(step, n, step):
            if vertical:
                x = round(w * k / n, 1)
                lines.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{h}"/>')
            else:
                y = round(h * k / n, 1)
                lines.append(f'<line x1="0" y1="{y}" x2="{w}" y2="{y}"/>')
    title = f"{rows}{TIMES}{cols} chunks" + (f" ({labels[0]}{TIMES}{labels[1]})" if any(labels) else "")
    return (
        f'<svg class="tsx-grid" role="img" aria-label="{esc(title)}" width="{w + 2}" height="{h + 2}">'
        f"<title>{esc(title)}</title>"
        f'<g transform="translate(1,1)"><rect width="{w}" height="{h}"/>{"".join(lines)}</g></svg>'
    )


def _shape(grid: Any) -> tuple[int, ...] | None:
    shape = getattr(grid, "shape", None)
    if shape is None:
        return None
    return tuple(int(x) if x is not None else 0 for x in shape)


def chunk_grid_section(layout: Any, domain: Any = None, dtype: Any = None) -> str:
    """Chunk and shard shapes, chunk counts, a teaching line on slice cost, and an SVG of the last two dims."""
    write = safe(lambda: _shape(layout.write_chunk))
    read = safe(lambda: _shape(layout.read_chunk))
    origin = safe(lambda: layout.grid_origin)
    items: list[tuple[str, str]] = []
    wshape = write.value if write.ok else None
    rshape = read.value if read.ok else None
    if wshape:
        items.append(("write chunk", esc(TIMES.join(map(str, wshape)))))
    if rshape and rshape != wshape:
        items.append(("read chunk (inner)", esc(TIMES.join(map(str, rshape)))))
    inner = safe(lambda: layout.inner_order)
    if inner.ok and inner.value is not None:
        items.append(("inner order", esc(list(inner.value))))
    svg = ""
    bounds = _finite_bounds(domain) if domain is not None else None
    if wshape and bounds is not None and len(bounds) == len(wshape):
        g = origin.value if origin.ok and origin.value is not None else None
        g = [0 if x is None else int(x) for x in g] if g is not None else None
        counts = chunk_counts(bounds, wshape, g)
        total = math.prod(counts)
        items.append(("chunks", esc(f"{TIMES.join(map(str, counts))} = {total:,}")))
        if dtype is not None and all(wshape):
            itemsize = safe(lambda: np.dtype(dtype.numpy_dtype).itemsize)
            if itemsize.ok:
                items.append(("chunk size", esc(fmt_bytes(math.prod(wshape) * itemsize.value) + " decoded")))
        if len(counts) >= 2:
            labels = [domain[i].label for i in range(domain.rank)]
            lines = []
            for i, lab in enumerate(labels):
                touched = math.prod(c for j, c in enumerate(counts) if j != i)
                name = repr(lab) if lab else f"dim {i}"
                lines.append(f"a slice at one {name} index reads {touched:,} chunk{'s' if touched != 1 else ''}")
            items.append(("slice cost", "<br>".join(esc(x) for x in lines[:8])))
            svg = chunk_grid_svg(counts[-2:], labels[-2:])
    if not items:
        return section("Chunking", '<span class="tsx-note">no chunk layout constraints</span>')
    return section("Chunking", kv_table(items) + svg)


def _codec_rows(codec_json: Any) -> list[list[str]]:
    rows: list[list[str]] = []
    if not isinstance(codec_json, dict):
        return rows
    chain = codec_json.get("codecs")
    if isinstance(chain, list):
        for i, c in enumerate(chain):
            name = c.get("name", "?") if isinstance(c, dict) else str(c)
            conf = c.get("configuration", {}) if isinstance(c, dict) else {}
            if name == "sharding_indexed" and isinstance(conf, dict):
                inner = [x.get("name", "?") for x in conf.get("codecs", []) if isinstance(x, dict)]
                conf_text = f"chunk_shape {conf.get('chunk_shape')}, inner: {' → '.join(inner)}"
            else:
                conf_text = ", ".join(f"{k}={v}" for k, v in conf.items()) if isinstance(conf, dict) else ""
            rows.append([esc(i), esc(name), esc(cap_string(conf_text))])
        return rows
    for key in ("filters", "compressor", "compression"):
        val = codec_json.get(key)
        if val is None:
            continue
        for v in val if isinstance(val, list) else [val]:
            if isinstance(v, dict):
                name = v.get("id", v.get("type", "?"))
                conf_text = ", ".join(f"{k}={x}" for k, x in v.items() if k not in ("id", "type"))
            else:
                name, conf_text = str(v), ""
            rows.append([esc(len(rows)), esc(f"{key}: {name}"), esc(cap_string(conf_text))])
    return rows


def codec_section(codec: Any) -> str:
    """The codec pipeline in order (zarr3 ``codecs``; zarr v2 filters then compressor; n5 compression)."""
    j = safe(lambda: None if codec is None else codec.to_json())
    if not j.ok:
        return section("Codecs", j.html())
    rows = _codec_rows(j.value)
    if not rows:
        body = '<span class="tsx-note">none specified</span>' if not j.value else json_block(j.value)
        return section("Codecs", body)
    return section("Codecs", table(["#", "codec", "configuration"], rows), count=len(rows))


def fill_value_text(fill: Any) -> str:
    if fill is None:
        return "unspecified"
    arr = np.asarray(fill)
    if arr.ndim == 0:
        return repr(arr.item())
    flat = arr.reshape(-1)
    if flat.size and bool(np.all(flat == flat[0])):
        return f"{flat[0].item()!r} (broadcast over {arr.shape})"
    return cap_string(np.array2string(arr, threshold=20, edgeitems=2))


def _units(obj: Any) -> Safe:
    return safe(lambda: getattr(obj, "dimension_units", None))


def schema_sections(obj: Any) -> list[str]:
    """Domain (with units), data type and fill value, chunking, codecs: shared by TensorStore, Spec, Schema."""
    out = []
    domain = safe(lambda: obj.domain)
    units = _units(obj)
    dtype = safe(lambda: obj.dtype)
    unit_list = units.value if units.ok and units.value is not None else None
    if not domain.ok:
        out.append(section("Domain", domain.html()))
    elif domain.value is not None:
        out.append(domain_section(domain.value, unit_list))
    fill = safe(lambda: obj.fill_value)
    items = [
        ("dtype", esc(dtype.value.name) if dtype.ok and dtype.value is not None else "unspecified"),
        ("fill value", esc(fill_value_text(fill.value)) if fill.ok else fill.html()),
    ]
    out.append(section("Data type", kv_table(items)))
    layout = safe(lambda: obj.chunk_layout)
    if not layout.ok:
        out.append(section("Chunking", layout.html()))
    elif layout.value is not None:
        out.append(chunk_grid_section(layout.value, domain.value if domain.ok else None,
                                      dtype.value if dtype.ok else None))
    codec = safe(lambda: obj.codec)
    out.append(codec_section(codec.value) if codec.ok else section("Codecs", codec.html()))
    return out


def _total_bytes(domain: Any, dtype: Any) -> str:
    if domain is None or dtype is None:
        return ""
    bounds = _finite_bounds(domain)
    itemsize = safe(lambda: np.dtype(dtype.numpy_dtype).itemsize)
    if bounds is None or not itemsize.ok or np.dtype(dtype.numpy_dtype).kind == "O":
        return ""
    return fmt_bytes(math.prod(hi - lo for lo, hi in bounds) * itemsize.value)


def _header(obj: Any, spec_json: Any) -> str:
    parts: list[str] = []
    if isinstance(spec_json, dict):
        parts.append(str(spec_json.get("driver", "")))
    dtype = safe(lambda: obj.dtype)
    if dtype.ok and dtype.value is not None:
        parts.append(dtype.value.name)
    domain = safe(lambda: obj.domain)
    if domain.ok and domain.value is not None:
        parts.append(domain_summary(domain.value))
        size = _total_bytes(domain.value, dtype.value if dtype.ok else None)
        if size:
            parts.append(size)
    kv = spec_json.get("kvstore") if isinstance(spec_json, dict) else None
    if isinstance(kv, dict):
        parts.append(f"{kv.get('driver', '')}://{kv.get('path', '')}")
    elif isinstance(kv, str):
        parts.append(kv)
    return " · ".join(str(redact(p)) for p in parts if p)


def tensorstore_bundle(store: Any) -> dict[str, str]:
    spec = safe(lambda: store.spec(minimal_spec=False).to_json())
    sections = schema_sections(store)
    txn = safe(lambda: store.transaction)
    if txn.ok and txn.value is not None:
        sections.append(section("Transaction", esc(_transaction_state(txn.value))))
    if spec.ok:
        sections.append(json_section("Spec JSON", spec.value))
    text = safe(lambda: repr(store))
    return bundle(text.value if text.ok else f"TensorStore(<{text.error}>)", "TensorStore",
                  _header(store, spec.value if spec.ok else None), sections)


def spec_bundle(spec: Any) -> dict[str, str]:
    j = safe(lambda: spec.to_json())  # noqa: PLW0108
    sections = schema_sections(spec)
    if j.ok:
        sections.append(json_section("JSON", j.value, open=True))
    text = safe(lambda: repr(spec))
    return bundle(text.value if text.ok else f"Spec(<{text.error}>)", "Spec",
                  _header(spec, j.value if j.ok else None), sections)


def schema_bundle(schema: Any) -> dict[str, str]:
    j = safe(lambda: schema.to_json())  # noqa: PLW0108
    sections = schema_sections(schema)
    if j.ok:
        sections.append(json_section("JSON", j.value))
    text = safe(lambda: repr(schema))
    return bundle(text.value if text.ok else f"Schema(<{text.error}>)", "Schema", _header(schema, None), sections)


def chunk_layout_bundle(layout: Any) -> dict[str, str]:
    j = safe(lambda: layout.to_json())  # noqa: PLW0108
    rank = safe(lambda: layout.rank)
    sections = [chunk_grid_section(layout)]
    if j.ok:
        sections.append(json_section("JSON", j.value, open=True))
    text = safe(lambda: repr(layout))
    return bundle(text.value if text.ok else "ChunkLayout(<unavailable>)", "ChunkLayout",
                  f"rank {rank.value}" if rank.ok and rank.value is not None else "", sections)


def _transaction_state(txn: Any) -> str:
    flags = []
    for name in ("atomic", "open", "commit_started", "aborted"):
        v = safe(functools.partial(getattr, txn, name))
        if v.ok and isinstance(v.value, bool):
            flags.append(f"{name}={v.value}")
    return ", ".join(flags) if flags else "transaction"


def _staged_nbytes(key: Any) -> int:
    return sum(int(m.nbytes) for m in key.mutations)


def transaction_bundle(txn: Any) -> dict[str, str]:
    """State flags plus the staged keys (from ``txn.staged()``, held in memory: no I/O)."""
    state = _transaction_state(txn)
    staged = safe(lambda: list(txn.staged()))
    sections = [section("State", esc(state))]
    text = f"Transaction({state})"
    if staged.ok:
        rows = []
        for k in staged.value[:ROW_CAP]:
            d = safe(k.describe)
            n = safe(functools.partial(_staged_nbytes, k))
            rows.append([esc(cap_string(str(d.value if d.ok else k.key))), esc(fmt_bytes(n.value) if n.ok else "?")])
        body = table(["key", "staged bytes"], rows) if rows else '<span class="tsx-note">nothing staged</span>'
        sections.append(section("Staged", body, count=len(staged.value)))
        text = f"Transaction({state}, {len(staged.value)} staged keys)"
    return bundle(text, "Transaction", state, sections)


def codec_spec_bundle(codec: Any) -> dict[str, str]:
    """A CodecSpec: its pipeline table and JSON (metadata only)."""
    j = safe(lambda: codec.to_json())  # noqa: PLW0108
    driver = j.value.get("driver", "") if j.ok and isinstance(j.value, dict) else ""
    sections = [codec_section(codec)]
    if j.ok:
        sections.append(json_section("JSON", j.value))
    text = safe(lambda: repr(codec))
    return bundle(text.value if text.ok else "CodecSpec(<unavailable>)", "CodecSpec", str(driver), sections)
