"""Multiscale pyramids: find the levels (OME-Zarr 0.4/0.5, neuroglancer_precomputed ``info``), pick the one that
fills the view, and map a view transform given in base-level indices onto that level.

Discovery reads metadata only (``zarr.json`` / ``.zattrs`` / ``info``), never chunks.  A plain array is a one-level
pyramid; the preview then adds a virtual ``ts.downsample`` on top (EXPLORER 3, "Level of detail").
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LOD_MARGIN",
    "MIN_VIEW_PX",
    "Level",
    "LevelRead",
    "Pyramid",
    "choose_level",
    "displayed_extent",
    "level_read",
    "open_pyramid",
    "pyramid_from_store",
    "read_cost",
]

LOD_MARGIN = 1.1  # neuroglancer's filterVisibleSources margin
MIN_VIEW_PX = 64  # never pick a level that shows fewer pixels than this (when the data has them)


@dataclass(frozen=True)
class Level:
    """One resolution: ``factors[j]`` = how many base-level indices of dim ``j`` one voxel here spans."""

    index: int
    path: str
    store: Any
    factors: tuple[float, ...]
    scale: tuple[float, ...] | None = None
    translation: tuple[float, ...] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.store.shape)

    def describe(self) -> str:
        f = "\u00d7".join(f"{x:g}" for x in self.factors)
        return f"{self.index} ({f})"


@dataclass(frozen=True)
class Pyramid:
    """Levels finest first, plus what the metadata says about axes, units, labels and contrast."""

    levels: tuple[Level, ...]
    kind: str
    name: str = ""
    axes: tuple[str, ...] = ()
    units: tuple[str | None, ...] = ()
    labels: bool = False
    window: tuple[float, float] | None = None
    channel_axis: int | None = None
    source: str = ""
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def base(self) -> Any:
        return self.levels[0].store

    @property
    def virtual(self) -> bool:
        """True when there is no stored pyramid (levels are made with ``ts.downsample``)."""
        return len(self.levels) == 1

    def describe(self) -> str:
        what = "labels" if self.labels else "image"
        n = len(self.levels)
        return f"{self.kind} {what} · {n} level{'s' if n != 1 else ''}"


# ---------------------------------------------------------------------------------------------------------------
# discovery


def pyramid_from_store(store: Any, *, labels: bool = False) -> Pyramid:
    """A one-level pyramid around an open TensorStore (no I/O)."""
    rank = store.rank
    units = store.dimension_units
    unit_names = tuple(None if u is None else str(u) for u in units) if units is not None else (None,) * rank
    return Pyramid(
        levels=(Level(0, "", store, (1.0,) * rank),),
        kind="array",
        axes=tuple(store.domain.labels),
        units=unit_names,
        labels=labels,
    )


async def _read_json(kv: Any, key: str) -> Any:
    r = await kv.read(key)
    if r.state != "value":
        return None
    try:
        return json.loads(bytes(r.value))
    except ValueError as e:
        raise ValueError(f"{key} under {kv.path!r} is not valid JSON: {e}") from None


def _factors(scales: list[list[float]], name: str) -> list[tuple[float, ...]]:
    base = scales[0]
    out = []
    for k, s in enumerate(scales):
        if len(s) != len(base):
            raise ValueError(f"{name}: dataset {k} scale has {len(s)} entries, dataset 0 has {len(base)}")
        f = tuple((x / b) if b else 1.0 for x, b in zip(s, base))
        out.append(tuple(round(x) if abs(x - round(x)) < 1e-6 else x for x in f))
    return out


def _ome_scale(ds: dict[str, Any], rank: int) -> tuple[list[float], list[float] | None]:
    scale: list[float] = [1.0] * rank
    shift: list[float] | None = None
    for t in ds.get("coordinateTransformations", []):
        if t.get("type") == "scale" and "scale" in t:
            scale = [float(x) for x in t["scale"]]
        elif t.get("type") == "translation" and "translation" in t:
            shift = [float(x) for x in t["translation"]]
    return scale, shift


async def _open_ome(kv: Any, ome: dict[str, Any], driver: str, version: str, source: str) -> Pyramid:
    import tsexplore as ts

    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales:
        raise ValueError(f"OME-Zarr group {source!r}: 'multiscales' must be a non-empty list")
    ms = multiscales[0]
    axes_json = ms.get("axes", [])
    axes = tuple(a["name"] if isinstance(a, dict) else str(a) for a in axes_json)
    units = tuple(a.get("unit") if isinstance(a, dict) else None for a in axes_json)
    channel_axis = next(
        (i for i, a in enumerate(axes_json) if isinstance(a, dict) and a.get("type") == "channel"), None
    )
    datasets = ms.get("datasets", [])
    if not datasets:
        raise ValueError(f"OME-Zarr group {source!r}: multiscales[0] has no datasets")
    rank = len(axes) if axes else None
    stores = []
    for ds in datasets:
        path = str(ds["path"]).strip("/")
        stores.append(ts.open({"driver": driver}, kvstore=kv / (path + "/")))
    opened = [await s for s in stores]
    rank = rank or opened[0].rank
    scales = [_ome_scale(ds, rank) for ds in datasets]
    factors = _factors([s for s, _ in scales], f"OME-Zarr group {source!r}")
    levels = tuple(
        Level(k, str(ds["path"]), st, factors[k], tuple(scales[k][0]), _tuple(scales[k][1]))
        for k, (ds, st) in enumerate(zip(datasets, opened))
    )
    window = None
    omero = ome.get("omero")
    if isinstance(omero, dict) and omero.get("channels"):
        w = omero["channels"][0].get("window") or {}
        if "start" in w and "end" in w:
            window = (float(w["start"]), float(w["end"]))
    return Pyramid(
        levels=levels,
        kind=f"OME-Zarr {version}",
        name=str(ms.get("name", "")),
        axes=axes,
        units=units,
        labels="image-label" in ome,
        window=window,
        channel_axis=channel_axis,
        source=source,
        attributes=ome,
    )


def _tuple(x: list[float] | None) -> tuple[float, ...] | None:
    return None if x is None else tuple(x)


async def _open_precomputed(kv: Any, info: dict[str, Any], source: str) -> Pyramid:
    import tsexplore as ts

    scales = info.get("scales") or []
    if not scales:
        raise ValueError(f"neuroglancer_precomputed {source!r}: info has no scales")
    res = [[float(x) for x in s["resolution"]] + [1.0] for s in scales]  # x y z channel
    factors = _factors(res, f"neuroglancer_precomputed {source!r}")
    opened = []
    for k in range(len(scales)):
        opened.append(await ts.open({"driver": "neuroglancer_precomputed", "scale_index": k}, kvstore=kv))
    levels = tuple(
        Level(k, str(s.get("key", k)), st, factors[k], tuple(res[k])) for k, (s, st) in enumerate(zip(scales, opened))
    )
    return Pyramid(
        levels=levels,
        kind="neuroglancer_precomputed",
        axes=("x", "y", "z", "channel"),
        units=("nm", "nm", "nm", None),
        labels=info.get("type") == "segmentation",
        channel_axis=3,
        source=source,
        attributes=info,
    )


def _kvstore_spec(source: Any) -> Any:
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "://" not in source):
        return {"driver": "file", "path": os.path.abspath(os.fspath(source)).rstrip("/") + "/"}
    if isinstance(source, str):
        return source.rstrip("/") + "/"
    return source


async def _discover(source: Any) -> Pyramid:
    import tsexplore as ts

    if isinstance(source, Pyramid):
        return source
    if isinstance(source, ts.TensorStore):
        return pyramid_from_store(source)
    kv = source if isinstance(source, ts.KvStore) else await ts.KvStore.open(_kvstore_spec(source))
    if not kv.path.endswith("/") and kv.path:
        kv = kv + "/"
    where = kv.url if hasattr(kv, "url") else str(kv.path)
    z3 = await _read_json(kv, "zarr.json")
    if isinstance(z3, dict):
        if z3.get("node_type") == "array":
            return pyramid_from_store(await ts.open({"driver": "zarr3"}, kvstore=kv))
        attrs = z3.get("attributes") or {}
        ome = attrs.get("ome") if isinstance(attrs.get("ome"), dict) else None
        if ome is not None and "multiscales" in ome:
            return await _open_ome(kv, ome, "zarr3", str(ome.get("version", "0.5")), where)
        if "multiscales" in attrs:  # pre-0.5 layout written into zarr v3
            return await _open_ome(kv, attrs, "zarr3", "0.4", where)
        raise ValueError(f"zarr group {where!r} has no OME 'multiscales' metadata to preview")
    zattrs = await _read_json(kv, ".zattrs")
    if isinstance(zattrs, dict) and "multiscales" in zattrs:
        version = str(zattrs["multiscales"][0].get("version", "0.4")) if zattrs["multiscales"] else "0.4"
        return await _open_ome(kv, zattrs, "zarr", version, where)
    if await _read_json(kv, ".zarray") is not None:
        return pyramid_from_store(await ts.open({"driver": "zarr"}, kvstore=kv))
    info = await _read_json(kv, "info")
    if isinstance(info, dict) and "scales" in info:
        return await _open_precomputed(kv, info, where)
    raise ValueError(f"no zarr.json, .zattrs, .zarray or precomputed info found at {where!r}")


def open_pyramid(source: Any) -> Any:
    """``Future[Pyramid]`` for a path, URL, ``KvStore``, ``TensorStore`` or ``Pyramid`` (metadata reads only)."""
    from ..future import spawn

    return spawn(_discover(source))


# ---------------------------------------------------------------------------------------------------------------
# level of detail


def _single_input(transform: Any) -> list[tuple[int | None, int, int]] | None:
    """Per output dim ``(input_dim | None, offset, stride)``; None when any map uses an index array."""
    out: list[tuple[int | None, int, int]] = []
    for m in transform.output:
        if m.index_array is not None:
            return None
        if m.input_dimension is None:
            out.append((None, int(m.offset), 0))
        else:
            out.append((int(m.input_dimension), int(m.offset), int(m.stride)))
    return out


def displayed_extent(transform: Any, rows: int, cols: int) -> tuple[tuple[int, int], tuple[float, float]]:
    """``((out_row_dim, out_col_dim), (E_rows, E_cols))``: the base dims shown and the view's extent in base
    indices (count times |stride|).  Dims reached through index arrays count with stride 1."""
    maps = _single_input(transform)
    dom = transform.domain
    n = (dom.shape[rows], dom.shape[cols])
    if maps is None:
        return (-1, -1), (float(n[0]), float(n[1]))
    dims = []
    ext = []
    for i, count in ((rows, n[0]), (cols, n[1])):
        j = next((j for j, (inp, _, _) in enumerate(maps) if inp == i), -1)
        dims.append(j)
        ext.append(float(count * (abs(maps[j][2]) if j >= 0 else 1)))
    return (dims[0], dims[1]), (ext[0], ext[1])


def choose_level(  # noqa: PLR0917
    pyramid: Pyramid, transform: Any, rows: int, cols: int, view_px: tuple[int, int], target: float = 1.0
) -> tuple[int, float]:
    """``(level, f)``: the coarsest level whose voxels are no larger than ``LOD_MARGIN * target * f`` base
    indices on both displayed dims, where ``f = max(E_rows / P_rows, E_cols / P_cols)`` (so the image still
    fills the view), and which keeps at least ``MIN_VIEW_PX`` pixels per displayed dim.  Hidden dims never count.
    """
    (jr, jc), (er, ec) = displayed_extent(transform, rows, cols)
    f = max(er / max(1, view_px[0]), ec / max(1, view_px[1]))
    if jr < 0 or jc < 0:
        return 0, f
    limit = LOD_MARGIN * target * f
    for lvl in reversed(pyramid.levels):
        dr, dc = lvl.factors[jr], lvl.factors[jc]
        if dr > limit or dc > limit:
            continue
        if er / dr < min(MIN_VIEW_PX, er) or ec / dc < min(MIN_VIEW_PX, ec):
            continue
        return lvl.index, f
    return 0, f


@dataclass(frozen=True)
class LevelRead:
    """What to read at a level: a NumPy-style ``index`` on the level store (``None``: the request transform itself,
    level 0 only), the role of each dimension it keeps ('rows', 'cols', 'channel'), and an extra virtual
    downsample of the (rows, cols) dims."""

    level: int
    index: tuple[Any, ...] | None
    roles: tuple[str, ...]
    extra_factors: tuple[int, int] = (1, 1)

    @property
    def shown_dims(self) -> tuple[int, int]:
        """The base dims shown as (rows, cols) (-1 when read through the request transform)."""
        if self.index is None:
            return (-1, -1)
        kept = [j for j, x in enumerate(self.index) if not isinstance(x, int)]
        return kept[self.roles.index("rows")], kept[self.roles.index("cols")]

    def index_text(self) -> str:
        if self.index is None:
            return "[request.transform]"
        return "[" + ", ".join(_fmt(x) for x in self.index) + "]"


def _fmt(x: Any) -> str:
    if isinstance(x, slice):
        step = "" if x.step in (None, 1) else f":{x.step}"
        return f"{'' if x.start is None else x.start}:{'' if x.stop is None else x.stop}{step}"
    return str(x)


def _floordiv(a: int, d: float) -> int:
    return math.floor(a / d)


def level_read(  # noqa: PLR0917
    level: Level,
    transform: Any,
    rows: int,
    cols: int,
    extra: tuple[int, int] = (1, 1),
    channel_dim: int | None = None,
) -> LevelRead:
    """Map ``transform`` (view -> base indices) onto ``level``: pinned dims become ``index // factor``, shown dims
    slices over the covered range with the stride divided by the factor (at least 1).  ``channel_dim`` (a base
    dim) is read whole, for RGB."""
    maps = _single_input(transform)
    if maps is None or any(sum(1 for m in maps if m[0] == i) != 1 for i in (rows, cols)):
        if level.index != 0 or channel_dim is not None:
            raise ValueError("this view uses index arrays or a diagonal; it can only be shown at level 0")
        roles = ["", ""]
        roles[rows], roles[cols] = "rows", "cols"
        return LevelRead(0, None, tuple(roles), extra)
    dom = transform.domain
    index: list[Any] = []
    roles = []
    for j, (inp, off, stride) in enumerate(maps):
        d = level.factors[j] if j < len(level.factors) else 1.0
        if j == channel_dim:
            index.append(slice(None))
            roles.append("channel")
            continue
        if inp is None:
            index.append(_floordiv(off, d))
            continue
        lo, hi = dom[inp].inclusive_min, dom[inp].exclusive_max
        first, last = off + stride * lo, off + stride * (hi - 1)
        a, b = _floordiv(first, d), _floordiv(last, d)
        step = max(1, round(abs(stride) / d))
        index.append(slice(a, b + 1, step) if stride >= 0 else slice(a, b - 1, -step))
        roles.append("rows" if inp == rows else "cols")
    return LevelRead(level.index, tuple(index), tuple(roles), extra)


def factors_text(factors: Sequence[float]) -> str:
    return "\u00d7".join(f"{x:g}" for x in factors)


def read_cost(store: Any, index: tuple[Any, ...] | None) -> tuple[int, int] | None:
    """``(chunks, decoded bytes)`` that reading ``store[index]`` touches, from the read chunk grid alone (no I/O).

    An array without a chunk grid counts as one chunk; ``None`` when ``index`` is not a plain int/slice tuple.
    """
    import numpy as np

    if index is None or len(index) != store.rank:
        return None
    layout = store.chunk_layout
    shape = layout.read_chunk.shape
    origin = layout.grid_origin
    dom = store.domain
    chunks, nbytes = 1, int(np.dtype(store.dtype.numpy_dtype).itemsize)
    for j, x in enumerate(index):
        lo, hi = int(dom[j].inclusive_min), int(dom[j].exclusive_max)
        c = None if shape is None or shape[j] is None else int(shape[j])
        o = 0 if origin is None or origin[j] is None else int(origin[j])
        if isinstance(x, int):
            idx = np.array([x], np.int64)
        elif isinstance(x, slice):
            idx = _slice_indices(x, lo, hi)
        else:
            return None
        idx = idx[(idx >= lo) & (idx < hi)]
        if idx.size == 0:
            return 0, 0
        if c is None or c <= 0:  # no grid: the whole dimension is one chunk
            nbytes *= hi - lo
            continue
        cells = np.unique((idx - o) // c)
        chunks *= int(cells.size)
        starts = np.maximum(cells * c + o, lo)
        stops = np.minimum((cells + 1) * c + o, hi)
        nbytes *= int((stops - starts).sum())
    return chunks, nbytes


def _slice_indices(x: slice, lo: int, hi: int) -> Any:
    import numpy as np

    step = 1 if x.step is None else int(x.step)
    if step > 0:
        start = lo if x.start is None else int(x.start)
        stop = hi if x.stop is None else int(x.stop)
    else:
        start = hi - 1 if x.start is None else int(x.start)
        stop = lo - 1 if x.stop is None else int(x.stop)
    return np.arange(start, stop, step, dtype=np.int64)
