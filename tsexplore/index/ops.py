"""Dimension-expression operations: translate, stride, label, transpose, diagonal, implicit marks.

Each takes ``(transform, dims)`` and returns ``(new transform, new dims)``.  Operations that move
coordinates are written as a small transform composed onto the input, so index arrays and bound
checks follow the one composition path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import status
from .dimsel import DimSpec, RangeSpec, normalize_index, normalize_label, normalize_range, parse_dim_specs
from .interval import INF, check_contains, fmt_interval, is_finite_index, oi_affine_domain
from .output_map import OutputIndexMap, OutputIndexMethod, dependence
from .transform import DomainFields, IndexTransform, is_explicitly_empty, validate_labels

__all__ = [
    "diagonal",
    "label",
    "mark_implicit",
    "permute",
    "stride",
    "translate",
    "transpose_axes",
    "transpose_to",
]

Result = tuple[IndexTransform, list[int]]


def _vector(values: Sequence[int | None], n: int, what: str) -> list[int | None]:
    if len(values) == 1 and n != 1:
        return list(values) * n
    if len(values) != n:
        raise status.invalid_argument(f"Number of dimensions ({n}) does not match number of {what} ({len(values)})")
    return list(values)


def _shift(lo: int, hi: int, offset: int) -> tuple[int, int]:
    new_lo = lo
    new_hi = hi
    if lo != -INF:
        new_lo = lo + offset
        if not is_finite_index(new_lo):
            raise status.invalid_argument(f"{lo} + {offset} is outside valid range {fmt_interval(-INF + 1, INF)}")
    if hi != INF + 1:
        new_hi_incl = hi - 1 + offset
        if not is_finite_index(new_hi_incl):
            raise status.invalid_argument(f"{hi - 1} + {offset} is outside valid range {fmt_interval(-INF + 1, INF)}")
        new_hi = new_hi_incl + 1
    return new_lo, new_hi


def translate(t: IndexTransform, dims: list[int], values: Sequence[int | None], kind: str, domain_only: bool) -> Result:
    vals = _vector(values, len(dims), "indices")
    lo, hi = list(t._f[0]), list(t._f[1])
    il, iu, lab = t._f[2], t._f[3], t._f[4]
    shifts = [0] * t._rank
    for d, v in zip(dims, vals):
        if v is None:
            continue
        if kind == "to":
            if not is_finite_index(v):
                raise status.out_of_range(f"Origin {v} is outside valid range {fmt_interval(-INF + 1, INF)}")
            if lo[d] == -INF:
                raise status.invalid_argument(f"Interval {fmt_interval(lo[d], hi[d])} is not bounded below")
            off = v - lo[d]
        elif kind == "by":
            off = v
        else:
            off = -v
        lo[d], hi[d] = _shift(lo[d], hi[d], off)
        shifts[d] = off
    f: DomainFields = (tuple(lo), tuple(hi), il, iu, lab)
    if domain_only:
        return IndexTransform._make(f, ()), dims
    # In place, as tensorstore does: index arrays are stored relative to the domain origin, so only
    # single_input_dimension offsets change (no composition, hence no index-array normalisation).
    maps = []
    for k, m in enumerate(t._maps):
        if m._method == OutputIndexMethod.single_input_dimension and shifts[m._input_dimension]:
            if not -(2**63) <= m._offset - m._stride * shifts[m._input_dimension] < 2**63:
                raise status.invalid_argument(f"Integer overflow computing output offset for dimension {k}.")
            maps.append(
                OutputIndexMap._single(
                    m._input_dimension, m._offset - m._stride * shifts[m._input_dimension], m._stride
                )
            )
        else:
            maps.append(m)
    return IndexTransform._make(f, tuple(maps)), dims


def stride(t: IndexTransform, dims: list[int], values: Sequence[int | None], domain_only: bool) -> Result:
    vals = _vector(values, len(dims), "indices")
    lo, hi = list(t._f[0]), list(t._f[1])
    il, iu, lab = list(t._f[2]), list(t._f[3]), t._f[4]
    strides = [1] * t._rank
    for d, s in zip(dims, vals):
        if s is None:
            continue
        if s == 0:
            raise status.invalid_argument(f"Applying stride to input dimension {d}: Stride must be non-zero")
        lo[d], hi[d], il[d], iu[d] = oi_affine_domain((lo[d], hi[d], il[d], iu[d]), 0, s)
        strides[d] = s
    f: DomainFields = (tuple(lo), tuple(hi), tuple(il), tuple(iu), lab)
    if domain_only:
        return IndexTransform._make(f, ()), dims
    # In place, as tensorstore does (no composition annotations on errors).
    old_lo = t._f[0]
    shape = [h - low for low, h in zip(lo, hi)]
    empty = is_explicitly_empty(f)
    maps = []
    for m in t._maps:
        if m._method == OutputIndexMethod.single_input_dimension:
            maps.append(OutputIndexMap._single(m._input_dimension, m._offset, m._stride * strides[m._input_dimension]))
        elif m._method == OutputIndexMethod.array:
            arr = m._array
            assert arr is not None
            if empty:
                maps.append(OutputIndexMap._constant(0))
                continue
            for d in range(t._rank):
                if strides[d] != 1 and arr.shape[d] != 1:
                    pos = lo[d] * strides[d] - old_lo[d] + strides[d] * np.arange(shape[d])
                    arr = np.take(arr, pos, axis=d)
            if all(arr.shape[d] == 1 or shape[d] == 1 for d in range(t._rank)):
                value = int(arr.flat[0])
                check_contains(m._range[0], m._range[1], value)
                maps.append(OutputIndexMap._constant(m._offset + m._stride * value))
            else:
                maps.append(OutputIndexMap._indexed(arr, m._offset, m._stride, m._range))
        else:
            maps.append(m)
    return IndexTransform._make(f, tuple(maps)), dims


def label(t: IndexTransform, dims: list[int], labels: Sequence[str]) -> Result:
    if len(labels) != len(dims):
        raise status.invalid_argument(
            f"Number of dimensions ({len(dims)}) does not match number of labels ({len(labels)})."
        )
    lab = list(t._f[4])
    for d, x in zip(dims, labels):
        lab[d] = x
    validate_labels(lab)
    return IndexTransform._make((t._f[0], t._f[1], t._f[2], t._f[3], tuple(lab)), t._maps), dims


def mark_implicit(t: IndexTransform, dims: list[int], lower: bool | None, upper: bool | None) -> Result:
    il, iu = list(t._f[2]), list(t._f[3])
    for implicit in (False, True):
        if lower != implicit and upper != implicit:  # noqa: PLR1714
            continue
        if implicit:
            # tensorstore checks output maps in order, each against the selected dimensions in selection order.
            for k, m in enumerate(t._maps):
                if m._method == OutputIndexMethod.array and m._array is not None:
                    for d in dims:
                        if m._array.strides[d] != 0:
                            raise status.invalid_argument(
                                f"Cannot mark input dimension {d} as having implicit bounds because it indexes "
                                f"the index array map for output dimension {k}"
                            )
        for d in dims:
            if lower == implicit:
                il[d] = implicit
            if upper == implicit:
                iu[d] = implicit
    f = (t._f[0], t._f[1], tuple(il), tuple(iu), t._f[4])
    return IndexTransform._make(f, t._maps), dims


def permute(t: IndexTransform, perm: Sequence[int]) -> IndexTransform:
    """New input dimension ``j`` is old dimension ``perm[j]``."""
    inv = [0] * len(perm)
    for j, p in enumerate(perm):
        inv[p] = j
    f = tuple(tuple(x[p] for p in perm) for x in t._f)
    maps = []
    for m in t._maps:
        if m._method == OutputIndexMethod.single_input_dimension:
            maps.append(OutputIndexMap._single(inv[m._input_dimension], m._offset, m._stride))
        elif m._method == OutputIndexMethod.array:
            assert m._array is not None
            arr = np.transpose(m._array, perm)
            maps.append(OutputIndexMap._indexed(arr, m._offset, m._stride, m._range, dependence(arr)))
        else:
            maps.append(m)
    return IndexTransform._make(f, tuple(maps))  # type: ignore[arg-type]


def transpose_to(t: IndexTransform, dims: list[int], targets: Sequence[DimSpec]) -> Result:
    rank = t._rank
    if not dims and len(targets) == 1 and isinstance(targets[0], int):
        return t, dims  # nothing to move: tensorstore does not check the target
    if len(targets) == 1 and isinstance(targets[0], int):
        target = targets[0]
        # Move the selected dimensions, in order, to consecutive positions starting at target.
        n = len(dims)
        start = normalize_index(target, rank - n + 1)
        target_dims: list[int] = list(range(start, start + n))
    else:
        target_dims = []
        for s in targets:
            if isinstance(s, str):
                raise status.invalid_argument("Target dimensions cannot be specified by label")
            if isinstance(s, RangeSpec):
                target_dims.extend(normalize_range(s, rank))
            else:
                target_dims.append(s)
    if len(dims) != len(target_dims):
        raise status.invalid_argument(
            f"Number of selected dimensions ({len(dims)}) must equal number of target dimensions ({len(target_dims)})"
        )
    perm = [-1] * rank
    seen = [False] * rank
    new_dims = []
    for orig, tgt in zip(dims, target_dims):
        tgt = normalize_index(tgt, rank)  # noqa: PLW2901
        if perm[tgt] != -1:
            raise status.invalid_argument(f"Target dimension {tgt} occurs more than once")
        seen[orig] = True
        perm[tgt] = orig
        new_dims.append(tgt)
    k = 0
    for orig in range(rank):
        if seen[orig]:
            continue
        while perm[k] != -1:
            k += 1
        perm[k] = orig
    return permute(t, perm), new_dims


def diagonal(t: IndexTransform, dims: list[int], domain_only: bool) -> Result:
    """Replace ``dims`` by one new dimension 0 (their diagonal); done in place like tensorstore."""
    rank = t._rank
    lo, hi, il, iu, lab = t._f
    d_lo, d_hi = -INF, INF + 1
    d_il, d_iu = True, True
    for d in dims:
        d_lo, d_hi = max(d_lo, lo[d]), max(max(d_lo, lo[d]), min(d_hi, hi[d]))  # noqa: PLW3301
        d_il = d_il and il[d]
        d_iu = d_iu and iu[d]
    rest = [d for d in range(rank) if d not in dims]
    f: DomainFields = (
        (d_lo, *(lo[d] for d in rest)),
        (d_hi, *(hi[d] for d in rest)),
        (d_il, *(il[d] for d in rest)),
        (d_iu, *(iu[d] for d in rest)),
        ("", *(lab[d] for d in rest)),
    )
    if domain_only:
        return IndexTransform._make(f, ()), [0]
    new_dim = [0] * rank
    for k, d in enumerate(rest):
        new_dim[d] = k + 1
    n = d_hi - d_lo
    maps = []
    for m in t._maps:
        if m._method == OutputIndexMethod.single_input_dimension:
            maps.append(OutputIndexMap._single(new_dim[m._input_dimension], m._offset, m._stride))
        elif m._method == OutputIndexMethod.array:
            arr = m._array
            assert arr is not None
            moved = np.moveaxis(arr, dims, list(range(len(dims))))
            if all(arr.shape[d] == 1 for d in dims):
                diag = moved.reshape((1, *moved.shape[len(dims) :]))
            else:
                idx = tuple(
                    np.zeros(n, dtype=np.intp) if arr.shape[d] == 1 else np.arange(d_lo - lo[d], d_hi - lo[d])
                    for d in dims
                )
                diag = moved[idx]
            dep = dependence(arr)
            keep = [any(dep[d] for d in dims), *(dep[d] for d in rest)]
            maps.append(OutputIndexMap._indexed(diag, m._offset, m._stride, m._range, keep))
        else:
            maps.append(m)
    if is_explicitly_empty(f):
        maps = [OutputIndexMap._constant(0) if m._method == OutputIndexMethod.array else m for m in maps]
    return IndexTransform._make(f, tuple(maps)), [0]


def transpose_axes(t: IndexTransform, axes: Any) -> IndexTransform:
    """``obj.transpose(axes)`` (NumPy-style; labels allowed) and ``obj.T`` when ``axes`` is None."""
    rank = t._rank
    if axes is None:
        return permute(t, list(range(rank - 1, -1, -1)))
    specs = parse_dim_specs(axes)
    dims: list[int] = []
    for s in specs:
        if isinstance(s, str):
            dims.append(normalize_label(s, t._f[4]))
        elif isinstance(s, RangeSpec):
            dims.extend(normalize_range(s, rank))
        else:
            dims.append(normalize_index(s, rank))
    if sorted(dims) != list(range(rank)):
        raise status.invalid_argument(
            f"Source dimension list {{{', '.join(map(str, dims))}}} is not a valid dimension permutation for "
            f"rank {rank}"
        )
    return permute(t, dims)
