"""Probe instead of hover: ``z=118, y=4000, x=4100`` or ``y=18.2um`` gives raw values and the 3x3 neighbourhood.

Core ipywidgets ``Image`` has no pointer events (EXPLORER 2.5), so the user types a point.  The text is parsed by a
small regular grammar (never ``eval``ed); physical coordinates convert through ``dimension_units``.  The read is one
box (3x3 on the displayed dims x every channel), started on the engine's I/O loop and returned as a Future.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ProbeError", "ProbeResult", "parse_probe", "probe", "probe_index"]

_ITEM = re.compile(
    r"\s*(?P<name>[A-Za-z_][A-Za-z_0-9]*|\d+)\s*=\s*"
    r"(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z\u00b5\u03bc]+)?\s*$"
)
# SI scale of the units a coordinate may be typed in ("um" and "µm" alike)
_SCALE = {
    "km": 1e3, "m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "nm": 1e-9, "pm": 1e-12, "angstrom": 1e-10,
    "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "min": 60.0, "h": 3600.0,
}


def _norm_unit(u: str) -> str:
    return u.replace("\u00b5", "u").replace("\u03bc", "u")


class ProbeError(ValueError):
    """A probe text error naming the item (and its column) at fault."""

    def __init__(self, message: str, text: str = "", start: int = 0) -> None:
        super().__init__(message + (f" (column {start + 1})" if text else ""))
        self.text, self.start = text, start


def _index_of(value: float, unit: str, dim: int, label: str, *, units: Sequence[Any] | None, item: str) -> int:
    if not unit:
        if value != int(value):
            raise ProbeError(f"{item!r}: index {value} is not an integer; add a unit (e.g. 'um') for a coordinate")
        return int(value)
    du = units[dim] if units is not None and dim < len(units) else None
    base = _norm_unit(str(getattr(du, "base_unit", "") or ""))
    if du is None or not base:
        raise ProbeError(f"{item!r}: dimension {label!r} has no unit; give an index instead")
    mult = float(du.multiplier)
    u = _norm_unit(unit)
    if u == base:
        per_index = mult
        value_si = value
    elif u in _SCALE and base in _SCALE:
        if (u in ("s", "ms", "us", "ns", "min", "h")) != (base in ("s", "ms", "us", "ns", "min", "h")):
            raise ProbeError(f"{item!r}: unit {unit!r} does not convert to {base!r} (dimension {label!r})")
        per_index, value_si = mult * _SCALE[base], value * _SCALE[u]
    else:
        raise ProbeError(f"{item!r}: unit {unit!r} does not convert to {base!r} (dimension {label!r})")
    return int(np.floor(value_si / per_index + 0.5))


def parse_probe(text: str, domain: Any, units: Sequence[Any] | None = None) -> dict[int, int]:
    """``{dimension: index}`` for ``'z=118, y=4000'`` or ``'y=18.2um'`` over ``domain``; raises ProbeError."""
    labels = list(domain.labels)
    out: dict[int, int] = {}
    pos = 0
    for raw in text.split(","):
        start = pos + len(raw) - len(raw.lstrip())
        pos += len(raw) + 1
        if not raw.strip():
            continue
        m = _ITEM.match(raw)
        if m is None:
            raise ProbeError(f"cannot read {raw.strip()!r}: write label=index or label=value+unit", text, start)
        name, item = m.group("name"), raw.strip()
        if name.isdigit():
            k = int(name)
            if k >= domain.rank:
                raise ProbeError(f"{item!r}: no dimension {k} in a rank-{domain.rank} domain", text, start)
        elif labels.count(name) == 1:
            k = labels.index(name)
        else:
            known = ", ".join(repr(x) for x in labels if x) or "none"
            raise ProbeError(f"{item!r}: no dimension {name!r}; labels are {known}", text, start)
        if k in out:
            raise ProbeError(f"{item!r}: dimension {name!r} given twice", text, start)
        d = domain[k]
        idx = _index_of(float(m.group("num")), m.group("unit") or "", k, d.label or str(k), units=units, item=item)
        if not d.inclusive_min <= idx < d.exclusive_max:
            raise ProbeError(
                f"{item!r}: index {idx} is outside [{d.inclusive_min}, {d.exclusive_max}) of dimension "
                f"{d.label or k!r}", text, start)
        out[k] = idx
    if not out:
        raise ProbeError("type a point such as 'z=118, y=4000, x=4100' or 'y=18.2um'")
    return out


def probe_index(
    domain: Any, point: Mapping[int, int], rows: int, cols: int, channel_axis: int | None = None
) -> tuple[Any, ...]:
    """The box to read: 3x3 (clipped) on ``rows``/``cols``, all of ``channel_axis``, the point elsewhere."""
    idx: list[Any] = []
    for k in range(domain.rank):
        d = domain[k]
        if k in (rows, cols):
            if k not in point:
                name = d.label or str(k)
                raise ProbeError(f"the probe needs {name!r} (a displayed dimension)")
            p = point[k]
            idx.append(slice(max(d.inclusive_min, p - 1), min(d.exclusive_max, p + 2)))
        elif k == channel_axis and k not in point:
            idx.append(slice(d.inclusive_min, d.exclusive_max))
        elif k in point:
            idx.append(point[k])
        else:
            raise ProbeError(f"the probe needs a position for dimension {d.label or k!r}")
    return tuple(idx)


@dataclass(frozen=True)
class ProbeResult:
    """Raw values at ``point`` (one per channel) and its neighbourhood as (rows, cols[, channel])."""

    point: tuple[tuple[str, int], ...]
    values: npt.NDArray[Any]
    neighbourhood: npt.NDArray[Any]
    origin: tuple[int, int]  # base index of neighbourhood[0, 0]
    code: str

    def text(self) -> str:
        where = ", ".join(f"{n}={v}" for n, v in self.point)
        vals = np.array2string(np.asarray(self.values), separator=", ")
        hood = self.neighbourhood
        if hood.ndim == 3:
            hood = np.moveaxis(hood, 2, 0)
        return f"{where}: {vals}\n3\u00d73 from {self.origin}:\n{np.array2string(hood, separator=', ')}"


def probe(
    store: Any, point: Mapping[int, int], rows: int, cols: int, channel_axis: int | None = None, *,
    store_name: str = "store",
) -> Any:
    """``Future[ProbeResult]``: one read of the 3x3 (x channels) box around ``point`` in ``store``'s index space."""
    dom = store.domain
    idx = probe_index(dom, point, rows, cols, channel_axis)
    kept = [k for k, x in enumerate(idx) if isinstance(x, slice)]
    order = [kept.index(k) for k in (rows, cols, channel_axis) if k is not None and k in kept]
    r0, c0 = idx[rows].start, idx[cols].start
    centre = (point[rows] - r0, point[cols] - c0)
    labels = [dom[k].label or str(k) for k in range(dom.rank)]
    where = tuple((labels[k], v) for k, v in sorted(point.items()))
    code = f"box = {store_name}[{_index_text(idx)}].read().result()"

    def finish(data: Any) -> ProbeResult:
        arr = np.asarray(data).transpose(order)
        return ProbeResult(where, arr[centre], arr, (r0, c0), code)

    return store[idx].read().then(finish)


def _index_text(idx: Sequence[Any]) -> str:
    return ", ".join(f"{x.start}:{x.stop}" if isinstance(x, slice) else str(x) for x in idx)
