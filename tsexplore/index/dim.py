"""``ts.Dim``: one interval with optionally implicit bounds and a label (IndexDomainDimension)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import status
from .interval import (
    INF,
    INF_SIZE,
    fmt_oi,
    oi_hull,
    oi_intersect,
    validate_closed,
    validate_half_open,
    validate_sized,
)
from .signatures import constructor_overloads

__all__ = ["Dim", "dim_text", "quote"]

_MISSING: Any = object()


def quote(label: str) -> str:
    """tensorstore's ``QuoteString``: double quotes, C escapes."""
    out = []
    for ch in label:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def dim_text(lo: int, hi: int, il: bool, iu: bool, label: str) -> str:
    """One dimension as tensorstore prints it inside a domain: ``"x": [0, 5*)``."""
    text = fmt_oi(lo, hi, il, iu)
    return f"{quote(label)}: {text}" if label else text


def _index(x: Any, name: str) -> int:
    try:
        return int(x.__index__())
    except AttributeError:
        raise TypeError(f"__init__(): incompatible function arguments ({name}={x!r})") from None


# pybind11 overloads of ``Dim.__init__``: (positional parameters, keyword-only parameters, kinds).
_DIM_OVERLOADS: list[tuple[list[str], list[str], dict[str, str]]] = [
    (
        ["label"],
        ["implicit_lower", "implicit_upper"],
        {"label": "str?", "implicit_lower": "bool", "implicit_upper": "bool"},
    ),
    (
        ["size", "label"],
        ["inclusive_min", "implicit_lower", "implicit_upper"],
        {"size": "int?", "label": "str?", "inclusive_min": "int?", "implicit_lower": "bool", "implicit_upper": "bool?"},
    ),
    (
        ["inclusive_min", "exclusive_max"],
        ["label", "implicit_lower", "implicit_upper"],
        {
            "inclusive_min": "int?",
            "exclusive_max": "int?",
            "label": "str?",
            "implicit_lower": "bool?",
            "implicit_upper": "bool?",
        },
    ),
    (
        [],
        ["inclusive_min", "inclusive_max", "label", "implicit_lower", "implicit_upper"],
        {
            "inclusive_min": "int?",
            "inclusive_max": "int?",
            "label": "str?",
            "implicit_lower": "bool?",
            "implicit_upper": "bool?",
        },
    ),
]
_REQUIRED = {"size"}


def _accepts(kind: str, v: Any, convert: bool) -> bool:
    if v is None:
        return kind.endswith("?") or (kind == "bool" and convert)
    if kind.startswith("str"):
        return isinstance(v, str)
    if kind.startswith("int"):
        return not isinstance(v, float) and hasattr(v, "__index__")
    if isinstance(v, (bool, np.bool_)):
        return True
    return convert and hasattr(v, "__bool__") and not isinstance(v, str)


def _resolve(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """pybind11 overload resolution: a strict pass over all overloads, then a converting pass."""
    for convert in (False, True):
        for which, (pos, kwonly, kinds) in enumerate(_DIM_OVERLOADS):
            if len(args) > len(pos):
                continue
            bound = dict(zip(pos, args))
            if any(k in bound or (k not in pos and k not in kwonly) for k in kwargs):
                continue
            bound.update(kwargs)
            if any(r in pos and r not in bound for r in _REQUIRED):
                continue
            if all(_accepts(kinds[k], v, convert) for k, v in bound.items()):
                return which, bound
    raise TypeError("__init__(): incompatible constructor arguments")


def _flag(p: dict[str, Any], name: str, default: bool, which: int = 2) -> bool:
    v = p.get(name)
    if v is None and name in p and _DIM_OVERLOADS[which][2][name] == "bool":
        return False  # pybind11 converts None to False for a plain ``bool`` parameter
    return default if v is None else bool(v)


class Dim:
    """1-d index interval with implicit-bound flags and a label."""

    __slots__ = ("_hi", "_il", "_iu", "_label", "_lo")

    _lo: int
    _hi: int
    _il: bool
    _iu: bool
    _label: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with constructor_overloads("Dim", args, kwargs):
            self._init(*args, **kwargs)

    def _init(self, *args: Any, **kwargs: Any) -> None:
        which, p = _resolve(args, kwargs)
        label = p.get("label")
        if which == 0:
            self._set(-INF, INF + 1, _flag(p, "implicit_lower", True, 0), _flag(p, "implicit_upper", True, 0), label)
        elif which == 1:
            size, mn = p["size"], p.get("inclusive_min")
            lo = 0 if mn is None else int(mn.__index__())
            if size is None:
                validate_half_open(lo, INF + 1)
                hi = INF + 1
            else:
                n = int(size.__index__())
                validate_sized(lo, n)
                hi = INF + 1 if n == INF_SIZE else lo + n
            self._set(lo, hi, _flag(p, "implicit_lower", False, 1), _flag(p, "implicit_upper", size is None, 1), label)
        else:
            mn = p.get("inclusive_min")
            lo = -INF if mn is None else int(mn.__index__())
            if which == 2:
                mx = p.get("exclusive_max")
                hi = INF + 1 if mx is None else int(mx.__index__())
                validate_half_open(lo, hi)
            else:
                mx = p.get("inclusive_max")
                hi_incl = INF if mx is None else int(mx.__index__())
                validate_closed(lo, hi_incl)
                hi = hi_incl + 1
            self._set(lo, hi, _flag(p, "implicit_lower", mn is None), _flag(p, "implicit_upper", mx is None), label)

    def _set(self, lo: int, hi: int, il: bool, iu: bool, label: str | None) -> None:
        self._lo, self._hi, self._il, self._iu = lo, hi, il, iu
        self._label = "" if label is None else str(label)

    @classmethod
    def _make(cls, lo: int, hi: int, il: bool, iu: bool, label: str) -> Dim:
        d = cls.__new__(cls)
        d._set(lo, hi, il, iu, label)
        return d

    # -- properties -------------------------------------------------------------------------------------
    @property
    def inclusive_min(self) -> int:
        return self._lo

    @property
    def exclusive_min(self) -> int:
        return self._lo - 1

    @property
    def inclusive_max(self) -> int:
        return self._hi - 1

    @property
    def exclusive_max(self) -> int:
        return self._hi

    @property
    def size(self) -> int:
        return self._hi - self._lo

    @property
    def empty(self) -> bool:
        return self._hi <= self._lo

    @property
    def finite(self) -> bool:
        return self._lo != -INF and self._hi != INF + 1

    @property
    def implicit_lower(self) -> bool:
        return self._il

    @implicit_lower.setter
    def implicit_lower(self, v: bool) -> None:
        self._il = bool(v)

    @property
    def implicit_upper(self) -> bool:
        return self._iu

    @implicit_upper.setter
    def implicit_upper(self, v: bool) -> None:
        self._iu = bool(v)

    @property
    def label(self) -> str:
        return self._label

    @label.setter
    def label(self, v: str) -> None:
        self._label = str(v)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        if not self.finite:
            raise status.invalid_argument("Cannot iterate over infinite interval")
        return iter(range(self._lo, self._hi))

    def __contains__(self, other: Any) -> bool:
        if isinstance(other, Dim):
            return other.empty or (self._lo <= other._lo and other._hi <= self._hi)
        x = int(other)
        return -INF < x < INF and self._lo <= x < self._hi  # +-inf are not indices (IsFiniteIndex)

    def _oi(self) -> tuple[int, int, bool, bool]:
        return (self._lo, self._hi, self._il, self._iu)

    def intersect(self, other: Dim) -> Dim:
        return Dim._make(*oi_intersect(self._oi(), other._oi()), _merge_label(self._label, other._label))

    def hull(self, other: Dim) -> Dim:
        return Dim._make(*oi_hull(self._oi(), other._oi()), _merge_label(self._label, other._label))

    # -- text -------------------------------------------------------------------------------------------
    def __str__(self) -> str:
        return dim_text(*self._oi(), self._label)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..display import dim_bundle

        return dim_bundle(self)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            raise AttributeError(f"'tensorstore.Dim' object has no attribute '{name}'")

        def __getitem__(self, key: Any) -> Any:
            raise TypeError("'tensorstore.Dim' object is not subscriptable")

    def __repr__(self) -> str:
        parts = []
        if self._lo != -INF:
            parts.append(f"inclusive_min={self._lo}")
            if self._il:
                parts.append("implicit_lower=True")
        elif not self._il:
            parts.append("implicit_lower=False")
        if self._hi - 1 != INF:
            parts.append(f"exclusive_max={self._hi}")
            if self._iu:
                parts.append("implicit_upper=True")
        elif not self._iu:
            parts.append("implicit_upper=False")
        if self._label:
            parts.append(f"label={quote(self._label)}")
        return "Dim(" + ", ".join(parts) + ")"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dim):
            return NotImplemented
        return self._oi() == other._oi() and self._label == other._label

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Dim:
        return Dim._make(*self._oi(), self._label)

    def __deepcopy__(self, memo: dict[int, Any]) -> Dim:
        return self.__copy__()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Dim._make, (*self._oi(), self._label))


def _merge_label(a: str, b: str) -> str:
    if not a:
        return b
    if not b or a == b:
        return a
    raise status.invalid_argument("Dimension labels do not match")
