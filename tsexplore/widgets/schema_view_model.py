"""SchemaView's plain-Python model: what an array *is*, from metadata alone (no data read, EXPLORER 2.3).

Works for anything with TensorStore's schema attributes: ``TensorStore``, ``Spec``, ``Schema``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DimRow", "SchemaViewModel"]

TIMES = " \u00d7 "


@dataclass(frozen=True)
class DimRow:
    """One dimension of the domain: label, ``[lower, upper)``, implicit flags and unit."""

    index: int
    label: str
    lower: int
    upper: int
    implicit_lower: bool
    implicit_upper: bool
    unit: str

    @property
    def interval(self) -> str:
        lo = f"{self.lower}{'*' if self.implicit_lower else ''}"
        hi = f"{self.upper}{'*' if self.implicit_upper else ''}"
        return f"[{lo}, {hi})"


def _get(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name)
    except Exception:
        return None


class SchemaViewModel:
    """Domain, dtype, chunk layout, codecs, fill value, units and spec JSON of one object."""

    def __init__(self, obj: Any, *, minimal_spec: bool = True) -> None:
        self.obj = obj
        self.minimal_spec = minimal_spec

    def set_object(self, obj: Any) -> None:
        self.obj = obj

    @property
    def dims(self) -> list[DimRow]:
        dom = _get(self.obj, "domain")
        if dom is None:
            return []
        units = _get(self.obj, "dimension_units") or [None] * dom.rank
        out = []
        for i in range(dom.rank):
            d = dom[i]
            u = units[i] if i < len(units) else None
            if u is not None and getattr(u, "base_unit", None) == "" and getattr(u, "multiplier", None) == 1:
                u = None  # dimensionless: no unit known
            out.append(DimRow(i, d.label, d.inclusive_min, d.exclusive_max, d.implicit_lower, d.implicit_upper,
                              str(u) if u is not None else ""))
        return out

    @property
    def dtype(self) -> str | None:
        dt = _get(self.obj, "dtype")
        return None if dt is None else str(dt.name)

    @property
    def fill_value(self) -> Any:
        fv = _get(self.obj, "fill_value")
        if fv is None:
            return None
        arr = np.asarray(fv)
        flat = arr.reshape(-1)
        if flat.size and np.unique(flat).size == 1:  # uniform (np.unique folds NaNs)
            return flat[0].item()
        return arr.tolist()

    @property
    def chunk_shape(self) -> tuple[int, ...] | None:
        """The write (storage) chunk shape, e.g. the shard shape of a sharded zarr3 array."""
        layout = _get(self.obj, "chunk_layout")
        shape = _get(_get(layout, "write_chunk"), "shape") if layout is not None else None
        return None if shape is None or any(x is None for x in shape) else tuple(int(x) for x in shape)

    @property
    def read_chunk_shape(self) -> tuple[int, ...] | None:
        layout = _get(self.obj, "chunk_layout")
        shape = _get(_get(layout, "read_chunk"), "shape") if layout is not None else None
        return None if shape is None or any(x is None for x in shape) else tuple(int(x) for x in shape)

    @property
    def codecs(self) -> Any:
        c = _get(self.obj, "codec")
        return None if c is None else c.to_json()

    @property
    def units(self) -> list[str]:
        return [d.unit for d in self.dims]

    def slice_costs(self) -> list[tuple[str, int]]:
        """Per dimension: chunks read by a slice at one index of it (the teaching line of EXPLORER 2.3)."""
        chunk = self.read_chunk_shape or self.chunk_shape
        dims = self.dims
        if chunk is None or len(chunk) != len(dims) or any(d.upper >= 2**62 or d.lower <= -(2**62) for d in dims):
            return []
        counts = [max(1, -(-(d.upper - d.lower) // max(1, c))) for d, c in zip(dims, chunk)]
        return [(d.label or f"dim {d.index}", math.prod(c for j, c in enumerate(counts) if j != d.index))
                for d in dims]

    def warnings(self) -> list[str]:
        """Plain-words warnings, e.g. chunks that make orthogonal slices expensive."""
        out = []
        costs = self.slice_costs()
        if costs:
            worst = max(costs, key=lambda x: x[1])
            best = min(costs, key=lambda x: x[1])
            if worst[1] >= 64 and worst[1] >= 8 * best[1]:
                chunk = self.read_chunk_shape or self.chunk_shape
                shape = TIMES.join(map(str, chunk or ()))
                out.append(
                    f"chunks are {shape}, so a slice at one {worst[0]} index reads "
                    f"{worst[1]:,} chunks (one at {best[0]} reads {best[1]:,})"
                )
        return out

    def spec_json(self, *, minimal_spec: bool | None = None) -> dict[str, Any] | None:
        ms = self.minimal_spec if minimal_spec is None else minimal_spec
        spec = self.obj
        if hasattr(spec, "spec") and callable(spec.spec):
            spec = spec.spec(minimal_spec=ms)
        if hasattr(spec, "to_json"):
            out: dict[str, Any] = spec.to_json()
            return out
        return None

    @property
    def spec_text(self) -> str:
        j = self.spec_json()
        return "" if j is None else json.dumps(j, indent=2, default=str)

    @property
    def code(self) -> str:
        if hasattr(self.obj, "spec"):
            return f"store.spec(minimal_spec={self.minimal_spec}).to_json()"
        return "spec.to_json()"
