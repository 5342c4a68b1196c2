"""Where a transform's output maps land: per-map coordinate arrays and the bounding box they span.

Adapter drivers (stack, virtual_chunked, downsample) use these to route a request to layers, chunks
or base regions without evaluating the transform element by element.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .output_map import OutputIndexMethod
from .transform import IndexDomain, IndexTransform

__all__ = ["output_bounding_box", "output_coordinates"]


def output_coordinates(domain: IndexDomain, m: Any) -> np.ndarray[Any, Any]:
    """The output coordinates of map ``m`` over ``domain``, broadcastable to ``domain.shape``."""
    rank = domain.rank
    if m.method == OutputIndexMethod.constant:
        return np.asarray(m.offset, dtype=np.int64).reshape((1,) * rank)
    if m.method == OutputIndexMethod.single_input_dimension:
        i = m.input_dimension
        shape = [1] * rank
        shape[i] = domain.shape[i]
        x = np.arange(domain.inclusive_min[i], domain.exclusive_max[i], dtype=np.int64).reshape(shape)
        return m.offset + m.stride * x  # type: ignore[no-any-return]
    return m.offset + m.stride * np.asarray(m.index_array, dtype=np.int64)  # type: ignore[no-any-return]


def output_bounding_box(transform: IndexTransform) -> tuple[list[int], list[int]]:
    """``(inclusive_min, exclusive_max)`` of the output positions ``transform`` touches."""
    dom = transform.domain
    lo: list[int] = []
    hi: list[int] = []
    for m in transform.output:
        if m.method == OutputIndexMethod.constant:
            a = b = m.offset
        elif m.method == OutputIndexMethod.single_input_dimension:
            i = m.input_dimension
            assert i is not None and m.stride is not None
            x0 = m.offset + m.stride * dom.inclusive_min[i]
            x1 = m.offset + m.stride * (dom.exclusive_max[i] - 1)
            a, b = min(x0, x1), max(x0, x1)
        else:
            assert m.index_array is not None and m.stride is not None
            vals = m.offset + m.stride * np.asarray(m.index_array)
            a, b = int(vals.min()), int(vals.max())
        lo.append(int(a))
        hi.append(int(b) + 1)
    return lo, hi
