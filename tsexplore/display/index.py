"""Reprs for the index space: Dim, IndexDomain, IndexTransform ("explain" rows) and DimExpression.

Everything here reads public attributes only, so the same domain table serves TensorStore, Spec and Schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._html import bundle, esc, kv_table, section, table

TIMES = " \u00d7 "

__all__ = [
    "dim_bundle",
    "dim_expression_bundle",
    "domain_section",
    "domain_summary",
    "domain_table",
    "explain_rows",
    "index_domain_bundle",
    "index_transform_bundle",
    "interval_text",
]

_INF = (1 << 62) - 1


def _bound(x: int, lower: bool) -> str:
    if lower and x <= -_INF:
        return "-inf"
    if not lower and x >= _INF:
        return "+inf"
    return str(x)


def interval_text(dim: Any) -> str:
    """``[0, 10*)``: tensorstore's interval notation, ``*`` marking an implicit (resizable) bound."""
    lo = _bound(dim.inclusive_min, True) + ("*" if dim.implicit_lower else "")
    hi = _bound(dim.exclusive_max, False) + ("*" if dim.implicit_upper else "")
    return f"[{lo}, {hi})"


def _size_text(dim: Any) -> str:
    return f"{dim.size:,}" if dim.finite else "∞"


def _implicit_text(dim: Any) -> str:
    flags = [name for name, on in (("lower", dim.implicit_lower), ("upper", dim.implicit_upper)) if on]
    return " and ".join(flags) + " implicit" if flags else ""


def _unit_text(unit: Any) -> str:
    return "" if unit is None else str(unit)


def domain_table(domain: Any, units: Sequence[Any] | None = None) -> str:
    """Label, ``[min, max)``, size, implicit flags (in words, not only ``*``) and unit per dimension."""
    rows = []
    for i in range(domain.rank):
        dim = domain[i]
        unit = units[i] if units is not None and i < len(units) else None
        rows.append(
            [
                esc(i),
                esc(repr(dim.label)) if dim.label else "",
                esc(interval_text(dim)),
                esc(_size_text(dim)),
                esc(_implicit_text(dim)),
                esc(_unit_text(unit)) if units is not None else "",
            ]
        )
    header = ["dim", "label", "bounds", "size", "implicit", "unit" if units is not None else ""]
    return table(header, rows)


def domain_summary(domain: Any) -> str:
    """One line: ``z 274 x y 8192 x x 8192`` (sizes, labels where present)."""
    parts = []
    for i in range(domain.rank):
        dim = domain[i]
        size = f"{dim.size}" if dim.finite else "∞"
        parts.append(f"{dim.label} {size}" if dim.label else size)
    return TIMES.join(parts) if parts else "rank 0"


def domain_section(domain: Any, units: Sequence[Any] | None = None, title: str = "Domain") -> str:
    return section(title, domain_table(domain, units), count=domain.rank)


def _in_name(t: Any, i: int | None) -> str:
    if i is None:
        return "?"
    label = t.input_labels[i] if i < len(t.input_labels) else ""
    return f"in[{label!r}]" if label else f"in[{i}]"


def _affine(offset: int, stride: int, var: str) -> str:
    if stride == 0:
        return str(offset)
    term = var if stride == 1 else (f"-{var}" if stride == -1 else f"{stride}·{var}")
    if offset == 0:
        return term
    if term.startswith("-"):
        return f"{offset} - {term[1:]}"
    return f"{offset} + {term}"


def explain_rows(t: Any) -> list[str]:
    """``out[0] = 100 + 2·in['x']`` per output dimension; index arrays summarised, never printed whole."""
    rows = []
    for k in range(t.output_rank):
        m = t.output[k]
        method = int(m.method)
        if method == 0:
            rhs = str(m.offset)
        elif method == 1:
            rhs = _affine(m.offset, m.stride, _in_name(t, m.input_dimension))
        else:
            arr = m.index_array
            if arr is None or arr.size == 0:
                what = "array[in] (empty)"
            else:
                what = f"array[in] (shape {tuple(arr.shape)}, values {int(arr.min())}…{int(arr.max())})"
            rhs = _affine(m.offset, m.stride, what)
        rows.append(f"out[{k}] = {rhs}")
    return rows


def dim_bundle(dim: Any) -> dict[str, str]:
    items = [
        ("label", esc(repr(dim.label)) if dim.label else "(none)"),
        ("bounds", esc(interval_text(dim))),
        ("size", esc(_size_text(dim))),
        ("implicit", esc(_implicit_text(dim) or "no")),
    ]
    return bundle(repr(dim), "Dim", str(dim), [section("Interval", kv_table(items))])


def index_domain_bundle(domain: Any) -> dict[str, str]:
    return bundle(repr(domain), "IndexDomain", f"rank {domain.rank} · {domain_summary(domain)}",
                  [domain_section(domain)])


def index_transform_bundle(t: Any) -> dict[str, str]:
    rows = explain_rows(t)
    maps = table(["output", "maps to"], [[esc(r.split(" = ", 1)[0]), esc(r.split(" = ", 1)[1])] for r in rows])
    sub = f"rank {t.input_rank} → {t.output_rank} · {domain_summary(t.domain)}"
    return bundle(
        repr(t),
        "IndexTransform",
        sub,
        [domain_section(t.domain, title="Input domain"), section("Output index maps", maps, count=len(rows))],
    )


def dim_expression_bundle(expr: Any) -> dict[str, str]:
    text = f"ts.{expr!r}"
    body = f'<code class="tsx-code">{esc(text)}</code>'
    return bundle(text, "DimExpression", "", [section("Expression", body)])
