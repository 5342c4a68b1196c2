"""The Preview's plain-Python model: a PreviewRequest + view size -> level, read, contrast, colours, PNG bytes.

Pipeline (EXPLORER 3): request -> frozen :class:`RenderPlan` (no I/O) -> one read on the engine's I/O loop as a
``ts.Future`` (a newer request cancels the stale one; stale results are dropped by generation) -> normalise, LUT
and PNG in the CPU pool -> :class:`Frame`.  Contrast or colormap changes re-render the cached plane without
reading.  Listeners are called on whichever thread finished the work; views marshal to their own thread.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from . import colormap as cm
from .pyramid import (
    LevelRead,
    Pyramid,
    choose_level,
    level_read,
    open_pyramid,
    pyramid_from_store,
    read_cost,
)
from .slicer_model import PreviewRequest

__all__ = ["CHANNEL_COLORS", "MAX_ACTIVE_CHANNELS", "Channel", "Decision", "Frame", "PreviewModel", "RenderPlan",
           "channel_colors"]

log = logging.getLogger("tsexplore")

_CHANNEL_LABELS = {"c", "ch", "channel", "channels", "band", "wavelength"}
_MAX_CHANNELS = 16
_SAMPLE_PLANE_LIMIT = 64 * 2**20  # sample level 0 (never a mean level) when its plane is at most this many values
MAX_ACTIVE_CHANNELS = 6  # vizarr's composite limit: additive blending stops being readable beyond it (viv PR #335)
#: composite colours by number of active channels (EXPLORER 2.5; vizarr's order)
CHANNEL_COLORS: dict[str, tuple[int, int, int]] = {
    "gray": (255, 255, 255), "cyan": (0, 255, 255), "yellow": (255, 255, 0), "magenta": (255, 0, 255),
    "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
}
_GUARD_BYTES = 256 * 2**20  # no pyramid: a frame decoding more than this waits for "Load anyway"
_PLANE_CACHE_BYTES = 256 * 2**20
_RESAMPLE_BYTES = 8 * 2**20  # no pyramid: above this, auto limits sample the frame, not level 0 again


def channel_colors(n: int) -> list[str]:
    """Colour names for ``n`` active channels: 1 gray; 2 magenta/green; up to 6 cyan, yellow, magenta, red, green,
    blue."""
    if n <= 1:
        return ["gray"][:n]
    if n == 2:
        return ["magenta", "green"]
    return ["cyan", "yellow", "magenta", "red", "green", "blue"][: min(n, MAX_ACTIVE_CHANNELS)]


@dataclass
class Channel:
    """One channel of a composite: its coordinate on the channel axis, visibility, colour and pinned limits."""

    coord: int
    visible: bool
    color: str
    limits: cm.Limits | None = None  # pinned by the user; None = auto


@dataclass(frozen=True)
class Decision:
    """A display choice made for the user, why, and how to change it (nothing is guessed silently)."""

    name: str
    value: Any
    reason: str


@dataclass(frozen=True)
class RenderPlan:
    """Everything a frame depends on, resolved before any I/O."""

    request: PreviewRequest
    view_px: tuple[int, int]
    level: int
    f: float
    read: LevelRead
    mode: str  # 'intensity' | 'labels' | 'rgb'
    method: str  # downsample method for ``read.extra_factors``
    generation: int = field(default=0, compare=False)
    cost: tuple[int, int] | None = field(default=None, compare=False)  # (chunks, decoded bytes) of the read

    @property
    def read_key(self) -> tuple[Any, ...]:
        """What the decoded plane depends on (not the contrast or colormap): the plane cache's key."""
        return (self.level, self.read.index_text(), self.read.roles, self.read.extra_factors, self.method,
                self.request.transform if self.read.index is None else None)


@dataclass(frozen=True)
class Frame:
    """A rendered frame: PNG bytes plus what the status line reports."""

    png: bytes
    shape: tuple[int, ...]
    dtype: str
    plan: RenderPlan
    limits: cm.Limits | None
    colormap: str
    read_ms: float
    render_ms: float
    nan_fraction: float
    generation: int
    cached: bool = False  # the plane came from the decoded-plane cache (no read)
    channels: tuple[tuple[int, str, cm.Limits], ...] = ()  # composite: (coord, colour, limits) per shown channel


def _as_px(view_px: int | tuple[int, int], hidpi: bool) -> tuple[int, int]:
    px = (view_px, view_px) if isinstance(view_px, int) else (int(view_px[0]), int(view_px[1]))
    if px[0] < 1 or px[1] < 1:
        raise ValueError(f"view size must be positive, got {px}")
    k = 2 if hidpi else 1
    return (px[0] * k, px[1] * k)


class PreviewModel:
    """State and logic of the multiscale preview; see the module docstring.  No widget library is imported.

    ``source`` is a :class:`Pyramid` or a TensorStore (use :meth:`open` for paths and URLs).  ``view_px`` is the
    viewport in logical pixels, doubled when ``hidpi``.  ``labels``/``rgb``/``channel_axis`` override what the
    metadata suggests; every choice is listed in :attr:`decisions`.
    """

    def __init__(
        self,
        source: Any,
        *,
        view_px: int | tuple[int, int] = 768,
        hidpi: bool = False,
        labels: bool | None = None,
        rgb: bool | None = None,
        channel_axis: int | str | None = None,
        colormap: str | None = None,
        target: float = 1.0,
        level: int | None = None,
        label_method: str = "mode",
        percentiles: tuple[float, float] = (0.5, 99.5),
        nan_color: tuple[int, int, int] = cm.DEFAULT_NAN_COLOR,
        progress_bands: int = 4,
    ) -> None:
        self.pyramid: Pyramid = source if isinstance(source, Pyramid) else pyramid_from_store(source)
        self._view_px_arg = view_px
        self.hidpi = hidpi
        self.view_px = _as_px(view_px, hidpi)
        self.target = float(target)
        self.level_override = level
        if label_method not in ("mode", "stride"):
            raise ValueError(f"label_method must be 'mode' or 'stride', not {label_method!r}")
        self.label_method = label_method
        self.percentiles = percentiles
        self.nan_color = nan_color
        self.progress_bands = max(1, int(progress_bands))
        self._user_colormap = colormap
        self.colormap = colormap or "gray"
        if colormap is not None:
            cm.lut(colormap)  # fail early on a bad name
        self._user = {"labels": labels, "rgb": rgb, "channel_axis": channel_axis}
        self.decisions: list[Decision] = []
        self.labels = False
        self.rgb = False
        self.channel_axis: int | None = None
        self._decide()

        self.request: PreviewRequest | None = None
        self.plan: RenderPlan | None = None
        self.frame: Frame | None = None
        self.status = "idle"  # idle | loading | done | error | cancelled
        self.progress = 0.0
        self.error: BaseException | None = None
        self.limits: cm.Limits | None = None
        self._auto_limits: dict[Any, cm.Limits] = {}
        self._pinned_limits: cm.Limits | None = None
        self.generation = 0
        self._future: Any = None
        self._plane: tuple[Any, npt.NDArray[Any], float] | None = None  # (read_key, data, read_ms) last shown
        # decoded planes by (read_key, channel): contrast/colormap/channel-visibility changes never re-read
        self._planes: OrderedDict[Any, tuple[npt.NDArray[Any], float]] = OrderedDict()
        self.plane_cache_bytes = _PLANE_CACHE_BYTES
        self.plane_reads = 0  # planes read from the store (cache misses)
        self.plane_hits = 0
        self.guard_bytes = _GUARD_BYTES
        self._load_anyway = False
        self.guard_message = ""
        self._lock = threading.RLock()
        self._listeners: list[Callable[[PreviewModel, str], None]] = []
        self.started_at = 0.0

    @classmethod
    def open(cls, source: Any, **kwargs: Any) -> Any:
        """``Future[PreviewModel]`` for a path, URL, KvStore, TensorStore or Pyramid (metadata reads only)."""
        return open_pyramid(source).then(lambda p: cls(p, **kwargs))

    # -- decisions ------------------------------------------------------------------------------------------
    def _base_dim(self, dim: int | str) -> int:
        labels = list(self.pyramid.base.domain.labels)
        if isinstance(dim, str):
            if labels.count(dim) != 1:
                raise ValueError(f"channel_axis {dim!r} is not one of the labels {labels}")
            return labels.index(dim)
        rank = len(labels)
        if not -rank <= dim < rank:
            raise ValueError(f"channel_axis {dim} is outside a rank-{rank} array")
        return dim % rank

    def _decide(self) -> None:
        p, base = self.pyramid, self.pyramid.base
        dec: list[Decision] = []
        user_labels = self._user["labels"]
        if user_labels is not None:
            self.labels = bool(user_labels)
            dec.append(Decision("labels", self.labels, "set by you"))
        elif p.labels:
            self.labels = True
            dec.append(Decision("labels", True, f"{p.kind} metadata marks a segmentation; set labels=False to undo"))
        else:
            self.labels = False
            dec.append(Decision("labels", False, "no label metadata; set labels=True to colour ids by hash"))
        if self.labels and np.dtype(base.dtype.numpy_dtype).kind not in "biu":
            raise ValueError(f"labels=True needs integer ids, but the array's dtype is {base.dtype.name}")

        user_ch = self._user["channel_axis"]
        labels = list(base.domain.labels)
        if user_ch is not None:
            self.channel_axis = self._base_dim(user_ch)
            dec.append(Decision("channel_axis", self.channel_axis, "set by you"))
        elif p.channel_axis is not None:
            self.channel_axis = p.channel_axis
            dec.append(Decision("channel_axis", p.channel_axis, f"{p.kind} axis of type 'channel'"))
        else:
            hint = [
                i
                for i, lab in enumerate(labels)
                if lab.lower() in _CHANNEL_LABELS and base.domain[i].size <= _MAX_CHANNELS
            ]
            self.channel_axis = hint[0] if len(hint) == 1 else None
            why = (
                f"dimension label {labels[hint[0]]!r} with ≤ {_MAX_CHANNELS} entries"
                if self.channel_axis is not None
                else "no channel metadata or c/ch/channel label (never guessed from size)"
            )
            dec.append(Decision("channel_axis", self.channel_axis, why))

        user_rgb = self._user["rgb"]
        last = base.rank - 1
        if user_rgb is not None:
            self.rgb = bool(user_rgb)
            if self.rgb:
                if self.channel_axis is None:
                    self.channel_axis = last
                if base.domain[self.channel_axis].size not in (3, 4):
                    raise ValueError(
                        f"rgb=True needs 3 or 4 entries along the channel dimension {self.channel_axis}, "
                        f"found {base.domain[self.channel_axis].size}"
                    )
            dec.append(Decision("rgb", self.rgb, "set by you"))
        else:
            dt = np.dtype(base.dtype.numpy_dtype)
            last_label = labels[last].lower() if labels else ""
            big = base.rank >= 3 and all(base.domain[i].size >= 32 for i in range(last - 2, last))
            self.rgb = bool(
                not self.labels
                and dt == np.uint8
                and base.rank >= 3
                and base.domain[last].size in (3, 4)
                and last_label in ("", "c", "rgb", "rgba")
                and big
            )
            if self.rgb:
                self.channel_axis = last
                why = "uint8 with a last dimension of 3/4 (unlabelled or c/rgb) and ≥ 32 px; set rgb=False to undo"
            else:
                why = "needs uint8, a last dim of 3/4 labelled '', c or rgb, and displayed dims ≥ 32"
            dec.append(Decision("rgb", self.rgb, why))
        self.decisions = dec
        self._init_channels()

    def _init_channels(self) -> None:
        """Composite channels: the first 6 are active, coloured by how many are active (beyond 6, off)."""
        self.channels: list[Channel] = []
        if self.channel_axis is None or self.rgb or self.labels:
            return
        dim = self.pyramid.base.domain[self.channel_axis]
        n = int(dim.size)
        names = channel_colors(min(n, MAX_ACTIVE_CHANNELS))
        for i in range(n):
            active = i < MAX_ACTIVE_CHANNELS
            self.channels.append(Channel(int(dim.inclusive_min) + i, active, names[i] if active else "gray"))

    @property
    def mode(self) -> str:
        if self.labels:
            return "labels"
        if self.rgb:
            return "rgb"
        return "composite" if self.channels else "intensity"

    @property
    def visible_channels(self) -> list[Channel]:
        return [c for c in self.channels if c.visible]

    # -- observers ------------------------------------------------------------------------------------------
    def observe(self, callback: Callable[[PreviewModel, str], None]) -> None:
        """``callback(model, what)`` after each change; ``what`` is 'loading', 'progress', 'frame', 'error',
        'cancelled' or 'settings'.  It may run on a worker thread."""
        self._listeners.append(callback)

    def _notify(self, what: str) -> None:
        for cb in list(self._listeners):
            try:
                cb(self, what)
            except Exception:
                log.exception("tsexplore Preview: listener %r failed on %r", cb, what)

    # -- planning (pure) ------------------------------------------------------------------------------------
    def plan_for(self, request: PreviewRequest, generation: int = 0) -> RenderPlan:
        """The level and read for ``request`` at the current view size; no I/O."""
        if request.rows is None or request.cols is None:
            raise ValueError(
                f"the preview needs 2 displayed dimensions; the view {request.domain} has {request.domain.rank}"
            )
        t, r, c = request.transform, request.rows, request.cols
        n_levels = len(self.pyramid.levels)
        k, f = choose_level(self.pyramid, t, r, c, self.view_px, self.target)
        if self.level_override is not None:
            if not 0 <= self.level_override < n_levels:
                raise ValueError(f"level {self.level_override} does not exist; levels are 0..{n_levels - 1}")
            k = self.level_override
        lvl = self.pyramid.levels[k]
        rd = level_read(lvl, t, r, c, channel_dim=self.channel_axis if self.rgb else None)
        # what the level still lacks, by a virtual downsample (a one-level pyramid gets all of it here)
        extra = (1, 1)
        if rd.index is None:
            extra = (max(1, math.floor(self.target * f)),) * 2
        elif self.level_override is None:
            jr, jc = rd.shown_dims
            d_r, d_c = lvl.factors[jr], lvl.factors[jc]
            extra = (max(1, math.floor(self.target * f / d_r)), max(1, math.floor(self.target * f / d_c)))
        rd = replace(rd, extra_factors=extra)
        mode = self.mode
        ch = self.channel_axis
        if mode == "composite" and (rd.index is None or ch is None or not isinstance(rd.index[ch], int)):
            mode = "intensity"  # the channel axis is displayed (or read through index arrays): one plane
        if self.labels:
            method = self.label_method
        elif self.rgb or np.dtype(self.pyramid.base.dtype.numpy_dtype) == np.bool_:
            method = "stride" if self.rgb else "mode"  # bools stay two-valued
        else:
            method = "mean"
        cost = None
        if rd.index is not None:
            index = list(rd.index)
            vis = self.visible_channels
            if mode == "composite" and ch is not None and vis:
                d = lvl.factors[ch]
                index[ch] = slice(_floordiv(min(c.coord for c in vis), d), _floordiv(max(c.coord for c in vis), d) + 1)
            cost = read_cost(lvl.store, tuple(index))
        return RenderPlan(request, self.view_px, k, f, rd, mode, method, generation, cost)

    def view_for(self, plan: RenderPlan, channel: int | None = None) -> Any:
        """The lazy TensorStore view the plan reads (rows, cols[, channel]); ``channel`` (a coordinate on the
        channel axis) replaces the request's channel position, for composites."""
        import tsexplore as ts

        lvl = self.pyramid.levels[plan.level]
        rd = plan.read
        if rd.index is None:
            v = lvl.store[plan.request.transform]
        else:
            index = list(rd.index)
            if channel is not None and self.channel_axis is not None:
                index[self.channel_axis] = _floordiv(channel, lvl.factors[self.channel_axis])
            v = lvl.store[tuple(index)]
        if rd.extra_factors != (1, 1):
            by_role = {"rows": rd.extra_factors[0], "cols": rd.extra_factors[1], "channel": 1}
            v = ts.downsample(v, [by_role[role] for role in rd.roles], plan.method)
        return v

    @property
    def code(self) -> str:
        """Python that reads what the preview shows (``level`` is the opened level store)."""
        if self.plan is None:
            return "# no request yet"
        p = self.plan
        lvl = self.pyramid.levels[p.level]
        lines = [f"# level {p.level} of {self.pyramid.describe()}"]
        if lvl.path:
            where = self.pyramid.source.rstrip("/") + "/" + lvl.path.strip("/") + "/"
            driver = lvl.store.spec().to_json().get("driver", "zarr3")
            lines.append(f"level = ts.open({{'driver': {driver!r}, 'kvstore': {where!r}}}).result()")
        else:
            lines.append("level = store")
        expr = "level" + p.read.index_text()
        if p.read.extra_factors != (1, 1):
            expr = f"ts.downsample({expr}, {list(p.read.extra_factors)}, {p.method!r})"
        lines.append(f"plane = {expr}.read().result()")
        return "\n".join(lines)

    # -- changes --------------------------------------------------------------------------------------------
    def bind(self, slicer: Any) -> None:
        """Follow a SlicerModel: every new PreviewRequest starts a read."""
        slicer.on_request(self.set_request)
        self.set_request(slicer.preview_request)

    def set_request(self, request: PreviewRequest) -> Any:
        """Show ``request``: plan, cancel any stale read, start the new one.  Returns its ``Future[Frame]``."""
        with self._lock:
            self.request = request
            return self._start()

    def set_view_px(self, view_px: int | tuple[int, int], hidpi: bool | None = None) -> Any:
        with self._lock:
            if hidpi is not None:
                self.hidpi = hidpi
            self._view_px_arg = view_px
            self.view_px = _as_px(view_px, self.hidpi)
            return self._start()

    def set_target(self, target: float) -> Any:
        with self._lock:
            if not target > 0:
                raise ValueError(f"resolution target must be > 0, got {target}")
            self.target = float(target)
            return self._start()

    def set_level(self, level: int | None) -> Any:
        """Force a pyramid level (``None`` = automatic)."""
        with self._lock:
            n = len(self.pyramid.levels)
            if level is not None and not 0 <= level < n:
                raise ValueError(f"level {level} does not exist; levels are 0..{n - 1}")
            self.level_override = level
            return self._start()

    def set_display(
        self, *, labels: bool | None = None, rgb: bool | None = None, channel_axis: int | str | None = None
    ) -> Any:
        """Change the labels / RGB / channel decisions explicitly (None keeps the current user choice)."""
        with self._lock:
            for k, v in (("labels", labels), ("rgb", rgb), ("channel_axis", channel_axis)):
                if v is not None:
                    self._user[k] = v
            self._decide()
            self._auto_limits.clear()
            return self._start()

    def set_colormap(self, name: str) -> Any:
        cm.lut(name)
        with self._lock:
            self._user_colormap = name
            self.colormap = name
            return self._rerender()

    def set_limits(self, lo: float, hi: float) -> Any:
        """Pin contrast limits (kept across slices and levels until :meth:`autoscale`)."""
        if not hi > lo:
            raise ValueError(f"contrast limits need lo < hi, got [{lo}, {hi}]")
        with self._lock:
            self._pinned_limits = cm.Limits(float(lo), float(hi), "manual")
            return self._rerender()

    def autoscale(self) -> Any:
        """Drop pinned limits and recompute them from a fresh sample of the current plane."""
        with self._lock:
            self._pinned_limits = None
            self._auto_limits.clear()
            return self._rerender()

    # -- channels -------------------------------------------------------------------------------------------
    def _channel(self, i: int) -> Channel:
        if not self.channels:
            raise ValueError("this view has no channel axis; pass channel_axis=... to split channels")
        if not 0 <= i < len(self.channels):
            raise ValueError(f"channel {i} does not exist; channels are 0..{len(self.channels) - 1}")
        return self.channels[i]

    def set_channel(self, i: int, *, visible: bool | None = None, limits: tuple[float, float] | None = None) -> Any:
        """Show/hide channel ``i`` (at most 6 at once) or pin its limits; only newly visible channels are read."""
        with self._lock:
            c = self._channel(i)
            if limits is not None:
                lo, hi = float(limits[0]), float(limits[1])
                if not hi > lo:
                    raise ValueError(f"contrast limits of channel {i} need lo < hi, got [{lo}, {hi}]")
                c.limits = cm.Limits(lo, hi, "manual")
            if visible is not None and visible != c.visible:
                if visible and len(self.visible_channels) >= MAX_ACTIVE_CHANNELS:
                    raise ValueError(f"at most {MAX_ACTIVE_CHANNELS} channels show at once; hide one before "
                                     f"showing channel {i}")
                c.visible = bool(visible)
                vis = self.visible_channels
                for c2, name in zip(vis, channel_colors(len(vis))):
                    c2.color = name
            return self._start() if visible is not None else self._rerender()

    def auto_channel(self, i: int) -> Any:
        """Drop channel ``i``'s pinned limits and recompute them from a sample."""
        with self._lock:
            c = self._channel(i)
            c.limits = None
            self._auto_limits.pop(("channel", c.coord), None)
            return self._rerender()

    def auto_all(self) -> Any:
        """Recompute the limits of every channel (and the shared limits) from fresh samples."""
        with self._lock:
            for c in self.channels:
                c.limits = None
            self._pinned_limits = None
            self._auto_limits.clear()
            return self._rerender()

    # -- cost guard and caches ------------------------------------------------------------------------------
    def load_anyway(self) -> Any:
        """Read views past the no-pyramid cost guard from now on."""
        with self._lock:
            self._load_anyway = True
            return self._start()

    def invalidate(self) -> None:
        """Forget decoded planes and auto limits (call after the data changed, e.g. a commit)."""
        with self._lock:
            self._planes.clear()
            self._plane = None
            self._auto_limits.clear()

    def _cache_get(self, key: Any) -> tuple[npt.NDArray[Any], float] | None:
        with self._lock:
            got = self._planes.get(key)
            if got is not None:
                self._planes.move_to_end(key)
                self.plane_hits += 1
            return got

    def _cache_put(self, key: Any, data: npt.NDArray[Any], read_ms: float) -> None:
        with self._lock:
            self._planes[key] = (data, read_ms)
            self._planes.move_to_end(key)
            total = sum(int(d.nbytes) for d, _ in self._planes.values())
            while total > self.plane_cache_bytes and len(self._planes) > 1:
                _k, (d, _t) = self._planes.popitem(last=False)
                total -= int(d.nbytes)

    def cancel(self) -> None:
        with self._lock:
            if self._future is not None:
                self._future.cancel()

    def wait(self, timeout: float | None = 30.0) -> Frame | None:
        """Block until the current request is rendered (tests, scripts); returns the frame."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            fut = self._future
            if fut is None:
                return self.frame
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                fut.result(timeout=left)
            except asyncio.CancelledError:
                if fut is self._future:
                    raise
            if fut is self._future:  # not superseded while we waited
                return self.frame

    # -- the pipeline ---------------------------------------------------------------------------------------
    def _start(self) -> Any:
        from ..future import spawn

        if self.request is None:
            return None
        self.generation += 1
        gen = self.generation
        try:
            plan = self.plan_for(self.request, gen)
        except Exception as e:
            self._fail(e, gen)
            raise
        old = self._future
        self.plan = plan
        if self._guarded(plan):
            if old is not None and not old.done():
                old.cancel()
            self._future = None
            self.status = "guarded"
            self._notify("guarded")
            return None
        self.guard_message = ""
        self.status, self.progress, self.started_at = "loading", 0.0, time.perf_counter()
        fut = spawn(self._run(plan))
        self._future = fut
        if old is not None and not old.done():
            old.cancel()
        self._notify("loading")
        return fut

    def _rerender(self) -> Any:
        from ..future import spawn

        if self.request is None or self.plan is None:
            self._notify("settings")
            return None
        self.generation += 1
        plan = replace(self.plan, generation=self.generation)
        old = self._future
        self.plan = plan
        fut = spawn(self._run(plan))
        self._future = fut
        if old is not None and not old.done():
            old.cancel()
        self._notify("settings")
        return fut

    def _stale(self, gen: int) -> bool:
        return gen != self.generation

    def _guarded(self, plan: RenderPlan) -> bool:
        """No pyramid and a frame that decodes more than ``guard_bytes``: wait for :meth:`load_anyway`."""
        if self._load_anyway or not self.pyramid.virtual or plan.cost is None or plan.cost[1] <= self.guard_bytes:
            return False
        keys = [(plan.read_key, c.coord) for c in self.visible_channels] if plan.mode == "composite" else \
            [(plan.read_key, None)]
        if all(k in self._planes for k in keys):
            return False
        chunks, nbytes = plan.cost
        plural = "s" if chunks != 1 else ""
        self.guard_message = f"no pyramid: this view decodes {chunks:,} chunk{plural}, {_size(nbytes)}"
        return True

    async def _run(self, plan: RenderPlan) -> Frame | None:
        from ..future import run_blocking

        gen = plan.generation
        try:
            coords: list[int | None] = [c.coord for c in self.visible_channels] if plan.mode == "composite" else [None]
            if len(coords) == 1:
                got = [await self._plane_for(plan, coords[0])]
            else:
                got = list(await asyncio.gather(*(self._plane_for(plan, c) for c in coords)))
            data = got[0][0] if got else np.zeros((0, 0), np.float32)
            read_ms = max((g[1] for g in got), default=0.0)
            cached = all(g[2] for g in got)
            if got:
                self._plane = (plan.read_key, data, read_ms)
            if self._stale(gen):
                return None
            t1 = time.perf_counter()
            channels: tuple[tuple[int, str, cm.Limits], ...] = ()
            if plan.mode == "composite":
                lims = [await self._limits(plan, g[0], c) for g, c in zip(got, coords)]
                vis = self.visible_channels
                channels = tuple((c.coord, c.color, lim) for c, lim in zip(vis, lims) if lim is not None)
                if self._stale(gen):
                    return None
                png, nan_frac = await run_blocking(_render_composite, [g[0] for g in got], channels)
                limits, cmap = None, f"composite · {len(channels)} channel{'s' if len(channels) != 1 else ''}"
            else:
                limits = await self._limits(plan, data)
                if self._stale(gen):
                    return None
                png, nan_frac, cmap = await run_blocking(self._render, data, plan, limits)
            frame = Frame(
                png,
                tuple(data.shape),
                str(data.dtype),
                plan,
                limits,
                cmap,
                read_ms,
                (time.perf_counter() - t1) * 1e3,
                nan_frac,
                gen,
                cached,
                channels,
            )
        except asyncio.CancelledError:
            with self._lock:
                if not self._stale(gen):
                    self.status = "cancelled"
                    self._notify("cancelled")
            raise
        except Exception as e:
            self._fail(e, gen)
            raise
        with self._lock:
            if self._stale(gen):
                return None
            self.frame, self.limits, self.status, self.progress, self.error = frame, limits, "done", 1.0, None
        self._notify("frame")
        return frame

    def _fail(self, exc: BaseException, gen: int) -> None:
        with self._lock:
            if self._stale(gen):
                return
            self.status, self.error = "error", exc
        log.error("tsexplore Preview: %s: %s", type(exc).__name__, exc, exc_info=exc)
        self._notify("error")

    async def _plane_for(self, plan: RenderPlan, channel: int | None) -> tuple[npt.NDArray[Any], float, bool]:
        """``(plane, read ms, from cache)``: the decoded plane of one channel, read only on a cache miss."""
        key = (plan.read_key, channel)
        got = self._cache_get(key)
        if got is not None:
            return got[0], got[1], True
        t0 = time.perf_counter()
        data = _to_display_order(await self._read(plan, channel), plan.read.roles)
        read_ms = (time.perf_counter() - t0) * 1e3
        with self._lock:
            self.plane_reads += 1
        self._cache_put(key, data, read_ms)
        return data, read_ms, False

    async def _read(self, plan: RenderPlan, channel: int | None = None) -> npt.NDArray[Any]:
        """Read the plane in row bands so slow reads report progress; cancellation propagates to each band."""
        import tsexplore as ts

        v = self.view_for(plan, channel)
        rows = v.domain[0]
        n = self.progress_bands if rows.size * v.domain[1].size >= 512 * 512 else 1
        n = max(1, min(n, rows.size))
        if n == 1:
            out = await v.read()
            self._set_progress(plan.generation, 1.0)
            return np.asarray(out)
        edges = np.linspace(rows.inclusive_min, rows.exclusive_max, n + 1).astype(np.int64)
        done = [0]

        async def band(a: int, b: int) -> npt.NDArray[Any]:
            arr = await v[ts.d[0][a:b]].read()
            done[0] += 1
            self._set_progress(plan.generation, done[0] / n)
            return np.asarray(arr)

        parts = await asyncio.gather(*(band(int(a), int(b)) for a, b in itertools.pairwise(edges)))
        return np.concatenate(parts, axis=0)

    def _set_progress(self, gen: int, value: float) -> None:
        with self._lock:
            if self._stale(gen):
                return
            self.progress = value
        self._notify("progress")

    async def _limits(self, plan: RenderPlan, data: npt.NDArray[Any], channel: int | None = None) -> cm.Limits | None:
        from ..future import run_blocking

        if plan.mode == "labels":
            return None
        if channel is not None:
            pinned = next((c.limits for c in self.channels if c.coord == channel), None)
            if pinned is not None:
                return pinned
        if self._pinned_limits is not None:
            return self._pinned_limits
        dt = np.dtype(data.dtype)
        if plan.mode == "rgb" and dt == np.uint8:
            return cm.Limits(0.0, 255.0, "uint8 RGB as stored")
        if self.pyramid.window is not None and dt.kind in "uif":
            lo, hi = self.pyramid.window
            return cm.Limits(lo, hi, "omero window")
        key = ("channel", channel) if channel is not None else self._stats_key(plan)
        got = self._auto_limits.get(key)
        if got is not None:
            return got
        sample = await self._sample(plan, data, channel)
        lo_p, hi_p = self.percentiles
        limits = await run_blocking(cm.auto_limits, sample, lo_p, hi_p)
        self._auto_limits[key] = limits
        return limits

    def _stats_key(self, plan: RenderPlan) -> Any:
        """Auto limits run once per (array, channel): pinned to the data so moving through z never restyles."""
        ch = self.channel_axis
        if ch is None or self.rgb:
            return ("all",)
        maps = plan.request.transform.output
        return ("channel", int(maps[ch].offset)) if maps[ch].input_dimension is None else ("all",)

    async def _sample(self, plan: RenderPlan, data: npt.NDArray[Any], channel: int | None = None) -> npt.NDArray[Any]:
        """≤ 65,536 values by stride from level 0 of the shown plane (mean levels narrow the tails); falls back to
        the frame itself when level 0's plane is too large or not reachable."""
        import tsexplore as ts

        if plan.level == 0 and plan.read.extra_factors == (1, 1):
            return cm.sample_values(data)
        if self.pyramid.virtual and plan.cost is not None and plan.cost[1] > _RESAMPLE_BYTES:
            return cm.sample_values(data)  # a strided level-0 sample would decode every chunk a second time
        try:
            rd = level_read(self.pyramid.levels[0], plan.request.transform, plan.request.rows or 0,
                            plan.request.cols or 1)
        except ValueError:
            return cm.sample_values(data)
        if channel is not None and rd.index is not None and self.channel_axis is not None:
            rd = replace(rd, index=tuple(channel if j == self.channel_axis else x for j, x in enumerate(rd.index)))
        v = self.pyramid.levels[0].store[plan.request.transform if rd.index is None else rd.index]
        size = int(np.prod(v.shape)) if v.rank else 1
        if size > _SAMPLE_PLANE_LIMIT:
            return cm.sample_values(data)
        step = max(1, math.ceil(math.sqrt(size / 65_536)))
        if step > 1:
            v = ts.downsample(v, [step] * v.rank, "stride")
        return np.asarray(await v.read()).reshape(-1)

    def _render(self, data: npt.NDArray[Any], plan: RenderPlan, limits: cm.Limits | None) -> tuple[bytes, float, str]:
        nan_frac = float(np.isnan(data).mean()) if np.dtype(data.dtype).kind in "fc" else 0.0
        if plan.mode == "labels":
            return cm.render_labels(data), 0.0, "labels (hash)"
        assert limits is not None
        if plan.mode == "rgb":
            return cm.render_rgb(data, limits), nan_frac, "rgb"
        cmap = self._user_colormap or ("RdBu_r" if limits.lo < 0 < limits.hi else "gray")
        self.colormap = cmap
        return cm.render_intensity(data, limits, cmap, self.nan_color), nan_frac, cmap

    @property
    def plane(self) -> npt.NDArray[Any] | None:
        """The last plane read, in (rows, cols[, channel]) order (before colormapping)."""
        return None if self._plane is None else self._plane[1]

    # -- text ------------------------------------------------------------------------------------------------
    @property
    def status_text(self) -> str:
        """E.g. "level 2/5 (4x) · 16 chunks, 12 cached, 3.9 MiB · auto p0.5-99.5 · NaN 0 % · 38 ms"."""
        if self.status == "error" and self.error is not None:
            return f"error: {type(self.error).__name__}: {self.error}"
        parts = []
        plan = self.plan
        fr = self.frame
        if plan is not None:
            lvl = self.pyramid.levels[plan.level]
            jr, jc = plan.read.shown_dims
            fac = (lvl.factors[jr], lvl.factors[jc]) if jr >= 0 else (1.0, 1.0)
            fac_text = f"{fac[0]:g}\u00d7" if fac[0] == fac[1] else f"{fac[0]:g}\u00d7{fac[1]:g}"
            level = f"level {plan.level}/{len(self.pyramid.levels)} ({fac_text})"
            if self.level_override is not None:
                level += " fixed"
            parts.append(level)
            if plan.read.extra_factors != (1, 1):
                fr_, fc_ = plan.read.extra_factors
                parts.append(f"virtual {fr_}\u00d7{fc_} {plan.method}")
            if plan.cost is not None:
                chunks, nbytes = plan.cost
                cached = chunks if fr is not None and fr.plan.read_key == plan.read_key and fr.cached else 0
                parts.append(f"{chunks:,} chunk{'s' if chunks != 1 else ''}, {cached:,} cached, {_size(nbytes)}")
        if self.status == "guarded":
            parts.append(self.guard_message + " · Load anyway?")
            return " · ".join(parts)
        if self.status == "loading":
            parts.append(f"loading {self.progress:.0%}")
        if fr is not None:
            if fr.channels:
                parts.append(" + ".join(f"{c} {col} [{lim.lo:.4g}, {lim.hi:.4g}]" for c, col, lim in fr.channels))
            elif fr.limits is not None:
                parts.append(fr.limits.how)
            if fr.colormap not in ("gray",) and not fr.channels:
                parts.append(fr.colormap)
            if np.dtype(fr.dtype).kind in "fc":
                parts.append(f"NaN {_pct(fr.nan_fraction)} %")
            parts.append(f"{fr.read_ms + fr.render_ms:.0f} ms")
        return " · ".join(parts)


def _pct(x: float) -> str:
    v = 100.0 * x
    return "0" if v == 0 else f"{v:.1f}".rstrip("0").rstrip(".") if v >= 0.1 else "< 0.1"


def _size(n: int) -> str:
    x = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if x < 1024 or unit == "TiB":
            return f"{int(x)} B" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1024
    return f"{n} B"


def _floordiv(a: int, d: float) -> int:
    return math.floor(a / d)


def _render_composite(
    planes: list[npt.NDArray[Any]], channels: tuple[tuple[int, str, cm.Limits], ...]
) -> tuple[bytes, float]:
    """Additive blend: each channel scaled by its limits to [0, 1] times its colour; NaN adds nothing."""
    if not planes:
        return cm.encode_rgba(np.zeros((1, 1, 3), np.uint8)), 0.0
    h, w = planes[0].shape[:2]
    acc = np.zeros((h, w, 3), np.float32)
    nan = 0.0
    for data, (_c, color, lim) in zip(planes, channels):
        x = np.abs(data) if np.iscomplexobj(data) else data
        x = x.astype(np.float32, copy=False)
        span = lim.hi - lim.lo if lim.hi > lim.lo else 1.0
        t = (x - np.float32(lim.lo)) * np.float32(1.0 / span)
        np.clip(t, 0, 1, out=t)
        bad = np.isnan(t)
        if bad.any():
            nan += float(bad.mean())
            t[bad] = 0
        acc += t[..., None] * (np.asarray(CHANNEL_COLORS[color], np.float32) / 255)
    np.clip(acc, 0, 1, out=acc)
    return cm.encode_rgba((acc * 255 + 0.5).astype(np.uint8)), nan / max(1, len(planes))


def _to_display_order(data: npt.NDArray[Any], roles: tuple[str, ...]) -> npt.NDArray[Any]:
    """Axes as (rows, cols[, channel])."""
    order = [roles.index(r) for r in ("rows", "cols", "channel") if r in roles]
    return data if order == list(range(data.ndim)) else np.ascontiguousarray(data.transpose(order))
