"""Evaluate a transform against an in-memory NumPy array: the one data path of the index space.

``read_array`` gathers ``array`` (whose element ``[0, ...]`` has coordinates ``origin``) at every
input position of a transform; ``write_array`` scatters into it.  Strided single-input maps become
NumPy basic slicing (views, no per-element work); index-array maps use advanced indexing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import status
from .interval import INF, affine_domain, fmt_interval, intersect
from .output_map import OutputIndexMap, OutputIndexMethod
from .transform import DomainFields, IndexTransform

__all__ = ["gather_index_array", "read_array", "restrict_output", "write_array"]

Array = np.ndarray[Any, Any]


def _check_finite(f: DomainFields) -> tuple[int, ...]:
    lo, hi = f[0], f[1]
    for i in range(len(lo)):
        if lo[i] == -INF or hi[i] == INF + 1:
            raise status.invalid_argument(
                f"Cannot read/write with unbounded input dimension {i}: {fmt_interval(lo[i], hi[i])}"
            )
    return tuple(h - low for low, h in zip(lo, hi))


def _out_of_range(d: int, value: int, lo: int, hi: int, what: str) -> status.StatusError:
    return status.out_of_range(
        f"{what} for output dimension {d}: Index {value} is outside valid range {fmt_interval(lo, hi)}"
    )


def _check_empty(maps: Sequence[OutputIndexMap], f: DomainFields, origin: Sequence[int], shape: Sequence[int]) -> None:
    """Bounds of an empty domain's maps are still checked per input dimension, as tensorstore does."""
    for d, m in enumerate(maps):
        a_lo, a_hi = origin[d], origin[d] + shape[d]
        if m._method == OutputIndexMethod.constant:
            if not a_lo <= m._offset < a_hi:
                raise _out_of_range(d, m._offset, a_lo, a_hi, "Checking bounds of constant output index map")
        elif m._method == OutputIndexMethod.single_input_dimension:
            lo, hi = f[0][m._input_dimension], f[1][m._input_dimension]
            if hi > lo:
                for v in (m._offset + m._stride * lo, m._offset + m._stride * (hi - 1)):
                    if not a_lo <= v < a_hi:
                        raise _out_of_range(d, v, a_lo, a_hi, "Checking bounds of output index map")


def _plan(
    maps: Sequence[OutputIndexMap],
    f: DomainFields,
    origin: Sequence[int],
    shape: Sequence[int],
    bcast: Sequence[bool] | None = None,
) -> tuple[bool, list[Any]]:
    """Per output dimension, the NumPy index (int / slice / int array) and whether basic slicing works."""
    lo, hi = f[0], f[1]
    n = len(lo)
    in_shape = tuple(h - low for low, h in zip(lo, hi))
    basic = True
    used: set[int] = set()
    terms: list[Any] = []
    for d, m in enumerate(maps):
        if bcast is not None and bcast[d]:
            terms.append(0)
            continue
        a_lo, a_hi = origin[d], origin[d] + shape[d]
        if m._method == OutputIndexMethod.constant:
            if not a_lo <= m._offset < a_hi:
                raise _out_of_range(d, m._offset, a_lo, a_hi, "Checking bounds of constant output index map")
            terms.append(m._offset - a_lo)
        elif m._method == OutputIndexMethod.single_input_dimension:
            i = m._input_dimension
            cnt = in_shape[i]
            first = m._offset + m._stride * lo[i]
            last = first + m._stride * (cnt - 1)
            if cnt > 0:
                for v in (first, last):
                    if not a_lo <= v < a_hi:
                        raise _out_of_range(d, v, a_lo, a_hi, "Checking bounds of output index map")
            if i in used:
                basic = False
            used.add(i)
            terms.append(("single", i, first - a_lo, m._stride, cnt))
        else:
            arr = m._array
            assert arr is not None
            basic = False
            if arr.size:
                rng = intersect(m._range, affine_domain(a_lo, a_hi, m._offset, m._stride))
                bad = (arr < rng[0]) | (arr >= rng[1])
                if bad.any():
                    v = int(arr[bad].flat[0])
                    raise _out_of_range(d, v, rng[0], rng[1], "In index array map")
            terms.append(("array", m._offset - a_lo + m._stride * arr))
    if not basic:
        out: list[Any] = []
        for t in terms:
            if isinstance(t, int):
                out.append(t)
            elif t[0] == "single":
                _, i, start, step, cnt = t
                shp = [1] * n
                shp[i] = cnt
                out.append((start + step * np.arange(cnt, dtype=np.intp)).reshape(shp))
            else:
                out.append(t[1].astype(np.intp, copy=False))
        return False, out
    return True, terms


def _basic_view(array: Array, terms: list[Any], n: int) -> tuple[Array, list[int]]:
    """Basic-slicing view of ``array`` with axes reordered to input order (missing inputs size 1)."""
    index: list[Any] = []
    axis_input: list[int] = []
    for t in terms:
        if isinstance(t, int):
            index.append(t)
            continue
        _, i, start, step, cnt = t
        if cnt == 0:
            index.append(slice(0, 0))
        else:
            stop = start + step * cnt
            index.append(slice(start, stop if stop >= 0 else None, step))
        axis_input.append(i)
    view = array[tuple(index)]
    order = sorted(range(len(axis_input)), key=lambda k: axis_input[k])
    view = view.transpose(order)
    present = sorted(axis_input)
    shape = [1] * n
    for k, i in enumerate(present):
        shape[i] = view.shape[k]
    return view.reshape(shape) if len(present) != n else view, present


def read_array(transform: IndexTransform, array: Array, origin: Sequence[int] | None = None) -> Array:
    """Values of ``array`` at every input position of ``transform`` (C order, shape = domain shape)."""
    array = np.asarray(array)
    if origin is None:
        origin = (0,) * array.ndim
    shape = _check_finite(transform._f)
    if array.ndim != transform.output_rank:
        raise status.invalid_argument(
            f"Array of rank {array.ndim} cannot be indexed by transform with output rank {transform.output_rank}"
        )
    if 0 in shape:
        _check_empty(transform._maps, transform._f, origin, array.shape)
        return np.empty(shape, dtype=array.dtype)
    basic, terms = _plan(transform._maps, transform._f, origin, array.shape)
    n = len(shape)
    if basic:
        view, _ = _basic_view(array, terms, n)
        out = np.empty(shape, dtype=array.dtype)
        np.copyto(out, view)
        return out
    if not terms:
        return np.array(np.broadcast_to(array, shape))
    got = array[tuple(terms)]
    got = got.reshape((1,) * (n - got.ndim) + got.shape) if got.ndim < n else got
    return np.ascontiguousarray(np.broadcast_to(got, shape))


def write_array(transform: IndexTransform, array: Array, origin: Sequence[int] | None, source: Any) -> None:
    """Assign ``source`` (broadcast to the domain shape) into ``array`` through ``transform``."""
    if origin is None:
        origin = (0,) * array.ndim
    shape = _check_finite(transform._f)
    src = np.asarray(source)
    if src.ndim > len(shape):
        raise status.invalid_argument(f"Cannot broadcast array of shape {src.shape} to {shape}")
    src = np.broadcast_to(src, shape)
    if 0 in shape:
        _check_empty(transform._maps, transform._f, origin, array.shape)
        return
    basic, terms = _plan(transform._maps, transform._f, origin, array.shape)
    n = len(shape)
    if basic:
        view, present = _basic_view(array, terms, n)
        take = tuple(slice(None) if i in present else slice(-1, None) for i in range(n))
        view[...] = src[take]
        return
    if not terms:
        array[...] = src.reshape(-1)[-1] if src.size else array
        return
    array[tuple(np.broadcast_arrays(*[np.asarray(t) for t in terms]))] = src if n else src[()]


def gather_index_array(
    b_array: Array, b_f: DomainFields, a_to_b: IndexTransform, a_f: DomainFields
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], list[bool] | None]:
    """``b_array`` (an index array over domain ``b_f``) read through ``a_to_b`` on domain ``a_f``.

    Input dimensions of ``a`` that do not affect the result are kept at size 1 (tensorstore's
    ``skip_repeated_elements``), so the result is already in normalised index-array form.
    Also returns the dependence to keep: tensorstore only re-strides ``b_array`` when no index array of
    ``a_to_b`` is involved (so a dimension sliced to one element stays dependent), and otherwise
    allocates a new array (None: it depends only on its dimensions of extent > 1).
    """
    n = len(a_f[0])
    bcast = [s == 0 for s in b_array.strides]
    depends = [False] * n
    fresh = False
    for d, m in enumerate(a_to_b._maps):
        if bcast[d]:
            continue
        if m._method == OutputIndexMethod.single_input_dimension:
            depends[m._input_dimension] = True
        elif m._method == OutputIndexMethod.array:
            assert m._array is not None
            fresh = True
            for i in range(n):
                if m._array.strides[i] != 0:
                    depends[i] = True
    keep = None if fresh else depends
    lo, hi = a_f[0], a_f[1]
    new_hi = tuple(hi[i] if depends[i] else lo[i] + 1 for i in range(n))
    # Index arrays of a_to_b are restricted to size 1 along the dropped dimensions too.
    maps: list[OutputIndexMap] = []
    for m in a_to_b._maps:
        if m._method == OutputIndexMethod.array:
            assert m._array is not None
            sl = tuple(slice(None) if depends[i] else slice(0, 1) for i in range(n))
            maps.append(OutputIndexMap._indexed(m._array[sl], m._offset, m._stride, m._range))
        else:
            maps.append(m)
    f2: DomainFields = (lo, new_hi, a_f[2], a_f[3], a_f[4])
    b_lo = b_f[0]
    full_shape = tuple(1 if bcast[d] else b_array.shape[d] for d in range(b_array.ndim))
    shape = tuple(h - low for low, h in zip(lo, new_hi))
    if 0 in shape:
        return np.zeros(shape, dtype=np.int64), keep
    basic, terms = _plan(maps, f2, b_lo, full_shape, bcast)
    if basic:
        view, _ = _basic_view(b_array, terms, n)
        return np.array(np.broadcast_to(view, shape), dtype=np.int64), keep
    got = b_array[tuple(terms)] if terms else b_array
    got = got.reshape((1,) * (n - got.ndim) + got.shape) if got.ndim < n else got
    return np.array(np.broadcast_to(got, shape), dtype=np.int64), keep


def restrict_output(transform: IndexTransform, box_lo: Sequence[int], box_hi: Sequence[int]) -> IndexTransform:
    """The part of ``transform`` whose outputs fall in the box ``[box_lo, box_hi)`` (for chunk planning).

    Only single-input/constant maps restrict the input domain; index-array maps are kept whole.
    Raises OUT_OF_RANGE if a constant output lies outside the box.
    """
    from .compose import propagate_bounds

    n = len(box_lo)
    box: DomainFields = (tuple(box_lo), tuple(box_hi), (False,) * n, (False,) * n, ("",) * n)
    lo, hi, il, iu, lab = transform._f
    # Make the transform's own bounds implicit so that they are intersected, not checked.
    loose = IndexTransform._make((lo, hi, (True,) * len(lo), (True,) * len(lo), lab), transform._maps)
    f = propagate_bounds(box, loose)
    new_lo = tuple(max(a, b) for a, b in zip(f[0], lo))
    new_hi = tuple(max(low, min(a, b)) for low, a, b in zip(new_lo, f[1], hi))
    maps = []
    for m in transform._maps:
        if m._method == OutputIndexMethod.array:
            assert m._array is not None
            sl = tuple(
                slice(None) if m._array.shape[i] == 1 else slice(new_lo[i] - lo[i], new_hi[i] - lo[i])
                for i in range(len(lo))
            )
            maps.append(OutputIndexMap._indexed(m._array[sl], m._offset, m._stride, m._range))
        else:
            maps.append(m)
    return IndexTransform._make((new_lo, new_hi, il, iu, lab), tuple(maps))
