"""Composition of transforms and propagation of bounds (tensorstore's compose_transforms/propagate_bounds).

``compose(b_to_c, a_to_b)`` is the single primitive behind NumPy indexing, ``ts.d`` operations and
``t1[t2]``: every view change builds a small transform and composes it onto the existing one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import status
from .evaluate import gather_index_array
from .interval import (
    INF,
    INF_SIZE,
    OIInterval,
    affine_domain,
    check_contains,
    contains_interval,
    effective,
    fmt_interval,
    fmt_oi,
    intersect,
    intersect_preferring_explicit,
)
from .output_map import OutputIndexMap, OutputIndexMethod
from .transform import DomainFields, IndexTransform, box_text, is_explicitly_empty

__all__ = ["compose", "compose_indexing", "propagate_bounds"]

_ARRAY = OutputIndexMethod.array
_CONSTANT = OutputIndexMethod.constant
_SINGLE = OutputIndexMethod.single_input_dimension


def propagate_bounds(b: DomainFields, a_to_b: IndexTransform) -> DomainFields:
    """Domain of ``a`` implied by ``b``'s bounds through ``a_to_b`` (checks explicit bounds)."""
    try:
        return _propagate(b, a_to_b)
    except status.StatusError as e:
        raise e.annotate(f"[transform='{a_to_b._oneline()}'] [domain='{box_text(b)}']") from None


def _propagate(b: DomainFields, a_to_b: IndexTransform) -> DomainFields:
    alo, ahi, ail, aiu, alab = a_to_b._f
    blo, bhi, bil, biu, _ = b
    a_rank = len(alo)
    # ``None``: nothing propagated yet (intersecting with the all-implicit infinite interval is a no-op).
    inferred: list[OIInterval | None] = [None] * a_rank
    domain_empty = False
    for d in range(a_rank):
        if ahi[d] <= alo[d] and not ail[d] and not aiu[d]:
            domain_empty = True
            break
    il, iu = list(ail), list(aiu)
    for b_dim, m in enumerate(a_to_b._maps):
        method = m._method
        if method is _ARRAY:
            continue
        stride = m._stride
        if method is _CONSTANT or stride == 0:
            if not domain_empty:
                e_lo = -INF if bil[b_dim] else blo[b_dim]
                e_hi = INF + 1 if biu[b_dim] else bhi[b_dim]
                try:
                    check_contains(e_lo, e_hi, m._offset)
                except status.StatusError as e:
                    raise e.prefixed(f"Checking bounds of constant output index map for dimension {b_dim}") from None
            continue
        a_dim = m._input_dimension
        l_imp, u_imp = bil[b_dim], biu[b_dim]
        try:
            p_lo, p_hi = affine_domain(blo[b_dim], bhi[b_dim], m._offset, stride)
        except status.StatusError as e:
            raise e.prefixed(f"Propagating bounds from dimension {b_dim} to input dimension {a_dim}") from None
        # oi_affine_domain: a negative stride swaps the implicit flags.
        p: OIInterval = (p_lo, p_hi, l_imp, u_imp) if stride > 0 else (p_lo, p_hi, u_imp, l_imp)
        prev = inferred[a_dim]
        inferred[a_dim] = p if prev is None else intersect_preferring_explicit(p, prev)
        # Implicit flags: explicit wherever a single_input_dimension map sees an explicit bound of b.
        if method is _SINGLE:
            if stride < 0:
                l_imp, u_imp = u_imp, l_imp
            if not l_imp:
                il[a_dim] = False
            if not u_imp:
                iu[a_dim] = False
    lo, hi = list(alo), list(ahi)
    for d in range(a_rank):
        inf_d = inferred[d]
        if inf_d is None:
            continue
        i_lo, i_hi, i_il, i_iu = inf_d
        c_lo = i_lo if ail[d] else alo[d]
        c_hi_incl = max(c_lo - 1, (i_hi - 1) if aiu[d] else (ahi[d] - 1))
        e_lo = -INF if i_il else i_lo
        e_hi = INF + 1 if i_iu else i_hi
        if not domain_empty and not contains_interval(e_lo, e_hi, c_lo, c_hi_incl + 1):
            msg = f"Propagated bounds {fmt_oi(i_lo, i_hi, i_il, i_iu)}"
            if i_hi - i_lo != INF_SIZE:
                msg += f", with size={i_hi - i_lo}, "
            msg += f"for dimension {d} are incompatible with existing bounds {fmt_interval(c_lo, c_hi_incl + 1)}"
            if c_hi_incl + 1 - c_lo != INF_SIZE:
                msg += f", with size={c_hi_incl + 1 - c_lo}"
            raise status.out_of_range(msg + ".")
        lo[d], hi[d] = c_lo, c_hi_incl + 1
    return (tuple(lo), tuple(hi), tuple(il), tuple(iu), alab)


def _is_singleton(arr: np.ndarray[Any, Any], shape: tuple[int, ...]) -> bool:
    return all(n == 1 or m == 1 for n, m in zip(arr.shape, shape))


def _to_constant(value: int, rng: tuple[int, int], offset: int, stride: int) -> OutputIndexMap:
    check_contains(rng[0], rng[1], value)
    return OutputIndexMap._constant(offset + stride * value)


def compose(b_to_c: IndexTransform, a_to_b: IndexTransform, domain_only: bool = False) -> IndexTransform:
    """``a_to_c = b_to_c ∘ a_to_b`` with tensorstore's bound checks and index-array normalisation."""
    if a_to_b.output_rank != b_to_c._rank:
        e = status.invalid_argument(
            f"Rank {b_to_c._rank} -> {b_to_c.output_rank} transform cannot be composed with rank "
            f"{a_to_b._rank} -> {a_to_b.output_rank} transform."
        )
        raise e.annotate(f"[transform='{a_to_b._oneline()}'] [left_transform='{b_to_c._oneline()}']")
    f = propagate_bounds(b_to_c._f, a_to_b)
    if domain_only:
        return IndexTransform._make(f, ())
    try:
        maps = _compose_maps(b_to_c, a_to_b, f)
    except status.StatusError as e:
        raise e.annotate(f"[transform='{a_to_b._oneline()}'] [left_transform='{b_to_c._oneline()}']") from None
    return IndexTransform._make(f, tuple(maps))


def compose_indexing(b_to_c: IndexTransform, a_to_b: IndexTransform, domain_only: bool) -> IndexTransform:
    """Compose a transform built by a ``ts.d`` indexing operation: tensorstore builds it unlabeled
    (as its error annotations show) and gives the result the labels afterwards."""
    labels = a_to_b._f[4]
    if not any(labels):
        return compose(b_to_c, a_to_b, domain_only)
    lo, hi, il, iu, _ = a_to_b._f
    bare = IndexTransform._make((lo, hi, il, iu, ("",) * len(lo)), a_to_b._maps)
    r = compose(b_to_c, bare, domain_only)
    return IndexTransform._make((*r._f[:4], labels), r._maps)


def _compose_maps(b_to_c: IndexTransform, a_to_b: IndexTransform, f: DomainFields) -> list[OutputIndexMap]:
    a_shape: tuple[int, ...] = ()
    empty: bool | None = None  # computed on the first index-array map
    out: list[OutputIndexMap] = []
    blo, bhi, bil, biu, _ = b_to_c._f
    ab_maps = a_to_b._maps
    constant = OutputIndexMap._constant
    for bc in b_to_c._maps:
        method = bc._method
        if method is _CONSTANT or bc._stride == 0:
            out.append(constant(bc._offset))
            continue
        if method is _SINGLE:
            b_dim = bc._input_dimension
            ab = ab_maps[b_dim]
            offset = bc._offset + ab._offset * bc._stride
            ab_method = ab._method
            if ab_method is _CONSTANT or ab._stride == 0:
                out.append(constant(offset))
                continue
            stride = ab._stride * bc._stride
            if ab_method is _SINGLE:
                out.append(OutputIndexMap._single(ab._input_dimension, offset, stride))
                continue
            if empty is None:
                empty = is_explicitly_empty(f)
                a_shape = tuple(h - low for low, h in zip(f[0], f[1]))
            if empty:
                out.append(constant(0))
                continue
            e_lo, e_hi = effective((blo[b_dim], bhi[b_dim], bil[b_dim], biu[b_dim]))
            rng = intersect(ab._range, affine_domain(e_lo, e_hi, ab._offset, ab._stride))
            arr = ab._array
            assert arr is not None
            if _is_singleton(arr, a_shape):
                out.append(_to_constant(int(arr.flat[0]), rng, offset, stride))
            else:
                # ``arr`` belongs to a transform, so it is already frozen: share it, as tensorstore does.
                out.append(OutputIndexMap._make(_ARRAY, offset, stride, -1, arr, rng))
            continue
        # array -> anything: evaluate b_to_c's index array through a_to_b over the new domain.
        if empty is None:
            empty = is_explicitly_empty(f)
            a_shape = tuple(h - low for low, h in zip(f[0], f[1]))
        if empty:
            out.append(constant(0))
            continue
        assert bc._array is not None
        new_arr, keep = gather_index_array(bc._array, b_to_c._f, a_to_b, f)
        if _is_singleton(new_arr, a_shape):
            out.append(_to_constant(int(new_arr.flat[0]), bc._range, bc._offset, bc._stride))
        else:
            out.append(OutputIndexMap._indexed(new_arr, bc._offset, bc._stride, bc._range, keep))
    return out
