"""The Slicer's plain-Python model: expression text ⇄ transform ⇄ sliders, with no widgets involved.

The text is split into a *base* (every term but a trailing slider term) and an optional slider term
``ts.d['z', 't'][118, 3]`` that pins the dimensions not on screen.  Sliders live in the base result's index space;
moving one rewrites only the slider term, so the text always reproduces the view.  A bad text keeps the last
valid state and records an :class:`ExpressionError` with the span to underline.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import index as _index
from .expression import Expression, ExpressionError, Term, apply_terms, parse

__all__ = ["PreviewRequest", "SingleFlight", "SliderState", "SlicerModel", "StoreInfo"]

log = logging.getLogger("tsexplore")

_SLIDER_LIMIT = 2**31 - 1
_FIRST_DIM_LABELS = {"t", "time", "c", "ch", "channel", "channels"}
TIME_LABELS = frozenset({"t", "time", "frame", "frames"})
_UNIT_TEXT = {"um": "\u00b5m", "us": "\u00b5s"}


@dataclass(frozen=True)
class StoreInfo:
    """Metadata the readouts and the cost line need; read from the store's schema, never from its data."""

    units: tuple[Any, ...] | None = None  # ts.Unit or None per base dimension
    chunk_shape: tuple[int, ...] | None = None
    grid_origin: tuple[int, ...] | None = None
    itemsize: int | None = None

    @classmethod
    def of(cls, store: Any) -> StoreInfo:
        """From a TensorStore (anything missing stays None)."""
        units = chunk = origin = None
        itemsize = None
        try:
            units = tuple(store.dimension_units)
        except Exception:  # no units recorded: readouts say "px"
            units = None
        try:
            layout = store.chunk_layout
            shape = layout.read_chunk.shape
            if shape is not None and all(x is not None and int(x) > 0 for x in shape):
                chunk = tuple(int(x) for x in shape)
                go = layout.grid_origin
                origin = tuple(int(x) if x is not None else 0 for x in go) if go is not None else (0,) * len(chunk)
        except Exception:  # an unchunked or virtual store: no chunk counts
            chunk = origin = None
        try:
            itemsize = int(np.dtype(store.dtype.numpy_dtype).itemsize)
        except Exception:
            itemsize = None
        return cls(units, chunk, origin, itemsize)


class SingleFlight:
    """One request in flight and one pending slot that newer requests replace (EXPLORER 3).

    ``deliver(request)`` may return a Future-like (``add_done_callback``); the next request goes out only once
    it settles, so a slider dragged through 20 positions starts at most two reads: the first and the newest.
    """

    def __init__(self, deliver: Callable[[Any], Any]) -> None:
        self._deliver = deliver
        self._lock = threading.Lock()
        self._busy = False
        self._pending: Any = None
        self._has_pending = False
        self.sent = 0
        self.dropped = 0

    def push(self, request: Any) -> None:
        with self._lock:
            if self._busy:
                if self._has_pending:
                    self.dropped += 1
                self._pending, self._has_pending = request, True
                return
            self._busy = True
        self._send(request, raise_errors=True)

    def _send(self, request: Any, raise_errors: bool) -> None:
        self.sent += 1
        try:
            result = self._deliver(request)
        except Exception:
            self._settled()
            if raise_errors:
                raise
            log.exception("tsexplore Slicer: delivering %r failed", request)
            return
        if hasattr(result, "add_done_callback"):
            result.add_done_callback(lambda _f: self._settled())
        else:
            self._settled()

    def _settled(self) -> None:
        with self._lock:
            if not self._has_pending:
                self._busy = False
                return
            request, self._pending, self._has_pending = self._pending, None, False
        self._send(request, raise_errors=False)

    @property
    def pending(self) -> Any:
        return self._pending if self._has_pending else None

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing pending."""
        with self._lock:
            return not self._busy and not self._has_pending


def unit_text(unit: Any) -> str:
    """'µm' for ts.Unit(…, 'um'); '' for no unit."""
    base = str(getattr(unit, "base_unit", "") or "")
    return _UNIT_TEXT.get(base, base)


def _fmt_value(v: float) -> str:
    return f"{v:.4g}" if v != int(v) or abs(v) >= 1e6 else str(int(v))


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def chunk_count(transform: Any, chunk_shape: Sequence[int], grid_origin: Sequence[int]) -> tuple[int, bool]:
    """Chunks a read of ``transform`` touches (exact for strided views; index arrays give an upper bound).

    Returns ``(count, exact)``; metadata only.
    """
    dom = transform.domain
    if any(d.size == 0 for d in dom):
        return 0, True
    total, exact = 1, True
    for o, m in enumerate(transform.output):
        c, g = int(chunk_shape[o]), int(grid_origin[o])
        if m.index_array is not None:
            arr = m.offset + m.stride * np.asarray(m.index_array, dtype=np.int64)
            n = int(np.unique((arr - g) // c).size)
            exact = False if arr.ndim and sum(s > 1 for s in arr.shape) > 1 else exact
        elif m.input_dimension is None:
            n = 1
        else:
            d = dom[m.input_dimension]
            a = m.offset + m.stride * d.inclusive_min
            b = m.offset + m.stride * (d.exclusive_max - 1)
            lo, hi = min(a, b), max(a, b)
            n = d.size if abs(m.stride) >= c else (hi - g) // c - (lo - g) // c + 1
        total *= n
    return total, exact


@dataclass(frozen=True)
class SliderState:
    """One hidden dimension: ``dim`` indexes the base result domain; ``value`` lies in ``[lower, upper)``."""

    dim: int
    label: str
    lower: int
    upper: int
    value: int

    @property
    def name(self) -> str:
        return self.label or f"dim {self.dim}"


@dataclass(frozen=True, eq=False)
class PreviewRequest:
    """What the preview must show: a frozen value resolved before any I/O (ndv's pattern).

    ``transform`` maps the 2-d (or lower-rank) view onto the base index space; ``rows``/``cols`` index its
    domain (``None`` when the view has fewer dimensions).  Equal requests compare equal and hash alike.
    """

    text: str
    transform: Any
    rows: int | None
    cols: int | None
    positions: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    @property
    def domain(self) -> Any:
        return self.transform.domain

    def _key(self) -> tuple[Any, ...]:
        return (self.text, repr(self.transform), self.rows, self.cols, self.positions)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PreviewRequest) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def _quote(label: str) -> str:
    return repr(label)


def slider_term_text(sliders: list[SliderState]) -> str:
    """``ts.d['z', 't'][118, 3]`` (dims without a label are named by index)."""
    sel = ", ".join(_quote(s.label) if s.label else str(s.dim) for s in sliders)
    vals = ", ".join(str(s.value) for s in sliders)
    return f"ts.d[{sel}][{vals}]"


def _resolve(domain: Any, dim: str | int) -> int | None:
    labels = list(domain.labels)
    if isinstance(dim, str):
        return labels.index(dim) if dim and labels.count(dim) == 1 else None
    rank = domain.rank
    return dim + rank if -rank <= dim < 0 else (dim if 0 <= dim < rank else None)


def default_displayed(domain: Any) -> tuple[int, ...]:
    """'y'/'x' labels when present, else the last two dimensions (EXPLORER 2.4)."""
    labels = list(domain.labels)
    if "y" in labels and "x" in labels and labels.count("y") == labels.count("x") == 1:
        return (labels.index("y"), labels.index("x"))
    rank = domain.rank
    return tuple(range(max(0, rank - 2), rank))


def _bounds(dim: Any) -> tuple[int, int]:
    lo = max(dim.inclusive_min, -_SLIDER_LIMIT)
    hi = min(dim.exclusive_max, _SLIDER_LIMIT)
    return lo, max(hi, lo + 1)


def _default_position(dim: Any) -> int:
    lo, hi = _bounds(dim)
    if dim.label.lower() in _FIRST_DIM_LABELS:
        return lo
    return lo + (hi - lo - 1) // 2


class SlicerModel:
    """Expression text, the transform it gives, and per-dimension slider positions, kept in sync both ways."""

    def __init__(
        self,
        base: Any,
        text: str = "",
        *,
        displayed: tuple[str | int, str | int] | None = None,
        info: StoreInfo | None = None,
    ) -> None:
        if isinstance(base, _index.IndexDomain):
            base = _index.IndexTransform(base)
        if not isinstance(base, _index.IndexTransform):
            # a TensorStore: its own index space (``store[request.transform]`` reads the view), plus metadata
            if hasattr(base, "chunk_layout"):
                info = info or StoreInfo.of(base)
                base = _index.IndexTransform(base.domain)
            else:
                base = base.transform if hasattr(base, "transform") else _index.IndexTransform(base.domain)
        self.base_transform: Any = base
        self.info = info or StoreInfo()
        self._listeners: list[Callable[[SlicerModel], None]] = []
        self._request_listeners: list[Callable[[PreviewRequest], None]] = []
        self.gates: list[SingleFlight] = []
        self._displayed_pref = displayed
        self.error: ExpressionError | None = None
        self.generation = 0
        self._last_request: PreviewRequest | None = None
        self.text = ""
        self.expression = Expression("")
        self.view_transform: Any = base
        self.transform: Any = base
        self.displayed: tuple[int, ...] = ()
        self.sliders: list[SliderState] = []
        self._base_text = ""
        self._memory: dict[str, int] = {}
        if not self._update(text, keep_positions={}):
            raise self.error if self.error is not None else ValueError(text)
        if not text:
            self._rewrite()
        self._emit()

    # -- observers ------------------------------------------------------------------------------------------
    def observe(self, callback: Callable[[SlicerModel], None]) -> None:
        """Call ``callback(model)`` after every change (text, slider, displayed dims, error)."""
        self._listeners.append(callback)

    def on_request(self, callback: Callable[[PreviewRequest], Any]) -> None:
        """Call ``callback(request)`` whenever the preview request changes, single-flight.

        If ``callback`` returns a Future, newer requests wait in one pending slot (newest wins) until it settles:
        sliders stay ``continuous_update=True`` while reads never pile up (EXPLORER 3).
        """
        gate = SingleFlight(callback)
        self.gates.append(gate)
        self._request_listeners.append(gate.push)

    def _emit(self) -> None:
        self.generation += 1
        for cb in list(self._listeners):
            cb(self)
        req = self.preview_request
        if req != self._last_request:
            self._last_request = req
            for rcb in list(self._request_listeners):
                rcb(req)

    # -- derived --------------------------------------------------------------------------------------------
    @property
    def domain(self) -> Any:
        """The domain of ``store[<text>]``: what the expression as typed gives."""
        return self.transform.domain

    @property
    def view_domain(self) -> Any:
        """The domain the sliders and displayed dims refer to (the text without its slider term)."""
        return self.view_transform.domain

    def base_index(self, dim: str | int, value: int | None = None) -> tuple[int, int] | None:
        """``(base dimension, base index)`` of slider ``dim`` at ``value`` (default: its position)."""
        s = self.sliders[self._slider_index(dim)]
        v = s.value if value is None else value
        for o, m in enumerate(self.view_transform.output):
            if m.index_array is None and m.input_dimension == s.dim:
                return o, int(m.offset + m.stride * v)
        return None

    def physical(self, dim: str | int, value: int | None = None) -> tuple[float, str]:
        """Physical coordinate of a slider position from ``dimension_units``: ``(4.72, 'µm')``, else ``(i, 'px')``."""
        s = self.sliders[self._slider_index(dim)]
        where = self.base_index(dim, value)
        v = s.value if value is None else value
        units = self.info.units
        if where is None or units is None or where[0] >= len(units) or units[where[0]] is None:
            return float(v if where is None else where[1]), "px"
        o, idx = where
        unit = units[o]
        text = unit_text(unit)
        if not text:
            return float(idx), "px"
        return float(unit.multiplier) * idx, text

    def readout(self, dim: str | int) -> str:
        """"z 118/274 · 4.72 µm": position, extent and physical value (vizarr #41, napari PR #8900)."""
        s = self.sliders[self._slider_index(dim)]
        value, unit = self.physical(dim)
        extent = s.upper - s.lower
        pos = s.value - s.lower
        return f"{s.name} {pos}/{extent} \u00b7 {_fmt_value(value)} {unit}"

    @property
    def result_line(self) -> str:
        """"→ y [0, 8192) x x ::4 → 8192 x 2048 · 16 chunks, 64 MiB": what the text selects and what it costs.

        Describes what the preview reads at full resolution (the text with the sliders' positions pinned); the
        bytes are the decoded size of the chunks touched, from the chunk layout only (no I/O).
        """
        t = self.preview_request.transform
        dom = t.domain
        parts = []
        for k in range(dom.rank):
            d = dom[k]
            name = d.label or f"dim {k}"
            maps = [(o, m) for o, m in enumerate(t.output) if m.index_array is None and m.input_dimension == k]
            if not maps:
                parts.append(f"{name} [{d.inclusive_min}, {d.exclusive_max})")
                continue
            o, m = maps[0]
            a = m.offset + m.stride * d.inclusive_min
            b = m.offset + m.stride * d.exclusive_max
            if m.stride == 1:
                parts.append(f"{name} [{a}, {b})")
                continue
            base = self.base_transform.domain[o] if o < self.base_transform.domain.rank else None
            full = base is not None and m.stride > 0 and a == base.inclusive_min and b >= base.exclusive_max
            parts.append(f"{name} ::{m.stride}" if full else f"{name} {a}:{b}:{m.stride}")
        sel = " \u00d7 ".join(parts) if parts else "a scalar"
        shape = " \u00d7 ".join(str(x) for x in dom.shape) if dom.rank else "1 element"
        line = f"\u2192 {sel} \u2192 {shape}"
        info = self.info
        if info.chunk_shape is not None and len(info.chunk_shape) == t.output_rank:
            n, exact = chunk_count(t, info.chunk_shape, info.grid_origin or (0,) * t.output_rank)
            bound = "" if exact else "\u2264 "
            line += f" \u00b7 {bound}{n:,} chunk{'s' if n != 1 else ''}"
            if info.itemsize is not None:
                line += f", {_fmt_bytes(n * math.prod(info.chunk_shape) * info.itemsize)}"
        elif info.itemsize is not None:
            line += f" \u00b7 {_fmt_bytes(math.prod(dom.shape) * info.itemsize)}"
        return line

    @property
    def code(self) -> str:
        """Python that reproduces the view: ``store[...]``."""
        if not self.expression.terms:
            return "store"
        out = "store"
        for t in self.expression.terms:
            out += f"[{t.text}]" if t.kind == "dimexpr" and not t.text.startswith("[") else t.text
        return out

    @property
    def preview_request(self) -> PreviewRequest:
        hidden = list(self.sliders)
        t = self.view_transform
        positions = tuple((s.name, s.value) for s in hidden)
        if hidden:
            t = t[_index.d[tuple(s.dim for s in hidden)][tuple(s.value for s in hidden)]]
        rows = cols = None
        if len(self.displayed) == 2:
            # after pinning, the displayed dims keep their relative order; move the rows dim first
            r, c = self.displayed
            if r > c:
                t = t[_index.d[1, 0].transpose[0, 1]]
            rows, cols = 0, 1
        elif len(self.displayed) == 1:
            cols = 0
        return PreviewRequest(self.text, t, rows, cols, positions)

    # -- changes --------------------------------------------------------------------------------------------
    def set_text(self, text: str) -> bool:
        """Parse and apply ``text``; on error keep the last valid state and set :attr:`error`. Returns success."""
        keep = {s.label: s.value for s in self.sliders if s.label}
        ok = self._update(text, keep_positions=keep)
        self._emit()
        return ok

    def set_slider(self, dim: str | int, value: int) -> None:
        """Move the slider of hidden dimension ``dim`` (label or index in :attr:`view_domain`) to ``value``."""
        k = self._slider_index(dim)
        s = self.sliders[k]
        if not s.lower <= value < s.upper:
            raise IndexError(
                f"dimension {s.dim} ({s.label!r}): index {value} is outside [{s.lower}, {s.upper})"
                if s.label
                else f"dimension {s.dim}: index {value} is outside [{s.lower}, {s.upper})"
            )
        self.sliders[k] = SliderState(s.dim, s.label, s.lower, s.upper, int(value))
        self._rewrite()
        self._emit()

    def step(self, dim: str | int, delta: int) -> None:
        """Move a slider by ``delta``, clamped to its range (the ``<``/``>`` buttons)."""
        s = self.sliders[self._slider_index(dim)]
        self.set_slider(dim, min(max(s.value + delta, s.lower), s.upper - 1))

    def set_displayed(self, rows: str | int, cols: str | int) -> None:
        """Choose the two displayed dims (label or index in :attr:`view_domain`); re-picking swaps them."""
        r, c = _resolve(self.view_domain, rows), _resolve(self.view_domain, cols)
        if r is None or c is None or r == c:
            raise ValueError(f"cannot display dims {rows!r} and {cols!r} of {self.view_domain}")
        self._displayed_pref = (self.view_domain.labels[r] or r, self.view_domain.labels[c] or c)
        keep = {s.label: s.value for s in self.sliders if s.label}
        self._place(keep, pins={})
        self._rewrite()
        self._emit()

    def pick_displayed(self, which: str, dim: str | int) -> None:
        """Set the ``'rows'`` or ``'cols'`` dim; picking the one the other axis shows swaps them (h5web)."""
        if which not in ("rows", "cols"):
            raise ValueError(f"which must be 'rows' or 'cols', not {which!r}")
        k = _resolve(self.view_domain, dim)
        if k is None:
            raise ValueError(f"no dimension {dim!r} in {self.view_domain}")
        if len(self.displayed) != 2:
            raise ValueError(f"the view {self.view_domain} has fewer than 2 dimensions to display")
        r, c = self.displayed
        if which == "rows":
            r, c = (k, r) if k == c else (k, c)
        else:
            r, c = (c, k) if k == r else (r, k)
        self.set_displayed(r, c)

    def _slider_index(self, dim: str | int) -> int:
        for k, s in enumerate(self.sliders):
            if dim == s.dim if isinstance(dim, int) else dim == s.label:
                return k
        names = ", ".join(repr(s.label) if s.label else str(s.dim) for s in self.sliders) or "none"
        raise KeyError(f"no slider for dimension {dim!r}; sliders: {names}")

    def _rewrite(self) -> None:
        """Text = base text + the canonical slider term (only when there are sliders)."""
        base = self._base_text.strip()
        if not self.sliders:
            text = base
        else:
            term = slider_term_text(self.sliders)
            if not base:
                text = term
            else:
                terms = self.expression.terms[: len(self.expression.terms) - (1 if self._has_slider_term else 0)]
                if len(terms) == 1 and terms[0].kind == "dimexpr" and not terms[0].text.startswith("["):
                    base = f"[{base}]"
                text = f"{base}[{term}]"
        self._update(text, keep_positions={})

    def _update(self, text: str, keep_positions: dict[str, int]) -> bool:
        try:
            expr = parse(text)
            full = apply_terms(self.base_transform, expr)
            slider_term = self._slider_term(expr)
            n_base = len(expr.terms) - (1 if slider_term is not None else 0)
            view = apply_terms(self.base_transform, expr, n_base) if slider_term is not None else full
        except ExpressionError as e:
            self.error = e
            return False
        self.error = None
        self.text, self.expression, self.transform, self.view_transform = text, expr, full, view
        self._has_slider_term = slider_term is not None
        self._base_text = text[: slider_term.start] if slider_term is not None else text
        pins: dict[int, int] = {}
        if slider_term is not None and slider_term.pins is not None:
            for dim, value in slider_term.pins:
                k = _resolve(view.domain, dim)
                assert k is not None
                pins[k] = value
        self._place(keep_positions, pins)
        return True

    def _slider_term(self, expr: Expression) -> Term | None:
        """The trailing ``ts.d[..][ints]`` term, if it pins only dimensions that are not displayed."""
        if not expr.terms or expr.terms[-1].pins is None:
            return None
        last = expr.terms[-1]
        assert last.pins is not None
        try:
            view = apply_terms(self.base_transform, expr, len(expr.terms) - 1)
        except ExpressionError:
            return None
        dims = [_resolve(view.domain, d) for d, _ in last.pins]
        if any(k is None for k in dims) or len(set(dims)) != len(dims):
            return None
        shown = self._displayed_for(view.domain)
        return None if any(k in shown for k in dims) else last

    def _displayed_for(self, domain: Any) -> tuple[int, ...]:
        if self._displayed_pref is not None and domain.rank >= 2:
            r, c = (_resolve(domain, x) for x in self._displayed_pref)
            if r is not None and c is not None and r != c:
                return (r, c)
        return default_displayed(domain)

    def _place(self, keep: dict[str, int], pins: dict[int, int]) -> None:
        keep = {**self._memory, **keep}
        dom = self.view_transform.domain
        self.displayed = self._displayed_for(dom)
        sliders = []
        for k in range(dom.rank):
            if k in self.displayed:
                continue
            dim = dom[k]
            lo, hi = _bounds(dim)
            if k in pins:
                v = pins[k]
            elif dim.label and dim.label in keep and lo <= keep[dim.label] < hi:
                v = keep[dim.label]
            else:
                v = _default_position(dim)
            sliders.append(SliderState(k, dim.label, lo, hi, v))
        self.sliders = sliders
        self._memory.update({s.label: s.value for s in sliders if s.label})
