"""Pure NumPy downsampling kernels with tensorstore's exact reduction semantics.

No I/O and no index transforms here: :func:`downsample_array` turns a base region into the output
blocks that cover it.  Output index ``i`` of a dimension with factor ``f`` aggregates base positions
``[i*f, (i+1)*f)`` (absolute multiples of ``f``), intersected with what exists.  Each dimension is
split into at most three segments of uniform block width (a partial first block, the full blocks, a
partial last block), so every segment combination is one ``reshape`` + reduction over a regular
block shape: no masks and no Python loop per element.

Semantics copied from tensorstore 0.1.86 (``downsample_nditerable.cc``):

* ``mean``: integers and ``bool`` accumulate in 64 bits (128 in tensorstore for 64-bit integers; we
  use Python integers when a 64-bit sum could overflow) and round half to even; ``float16``,
  ``bfloat16`` and ``float32`` accumulate in ``float32``; ``float64``/complex in their own type.
* ``min``/``max``: NaN never wins (``std::min``/``std::max`` with an infinite start value), so a
  block of only NaNs gives ``+inf``/``-inf``; types without infinity start (and stay) at NaN.
* ``median``: the lower middle element of an even count; ``mode``: the most frequent value, ties
  going to the smallest (complex numbers ordered by (real, imag)).  For ``bool`` both equal ``mean``.
* ``sum`` (tsexplore extension E2, alias ``add``): the block sum, accumulated like ``mean`` and cast
  back to the base dtype, so integer sums wrap around on overflow.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import status

__all__ = [
    "DOWNSAMPLE_METHODS",
    "EXTENSION_METHODS",
    "check_method_supports",
    "downsample_array",
    "downsampled_bounds",
    "parse_method",
    "reduce_blocks",
]

Array = np.ndarray[Any, Any]

#: tensorstore's methods, in the order its error message lists them.
DOWNSAMPLE_METHODS: tuple[str, ...] = ("stride", "mean", "min", "max", "median", "mode")
#: tsexplore-only spellings (extension E2) -> canonical method.
EXTENSION_METHODS: dict[str, str] = {"sum": "sum", "add": "sum"}


def parse_method(value: Any, *, missing: bool = False) -> str:
    """Canonical method name; tensorstore's error for anything else (``sum``/``add`` are ours)."""
    expected = "Expected one of " + ", ".join(f'"{m}"' for m in DOWNSAMPLE_METHODS)
    if missing:
        raise status.invalid_argument(f"{expected}, but member is missing")
    if isinstance(value, str):
        if value in DOWNSAMPLE_METHODS:
            return value
        if value in EXTENSION_METHODS:
            return EXTENSION_METHODS[value]
    import json

    try:
        shown = json.dumps(value)
    except TypeError:
        shown = repr(value)
    raise status.invalid_argument(f"{expected}, but received: {shown}")


# -- dtype support -------------------------------------------------------------------------------------
_ORDERED_KINDS = "biuf"  # bool, signed, unsigned, float (ml_dtypes floats report kind 'V')


def _is_ml_float(dt: np.dtype[Any]) -> bool:
    return dt.kind == "V" and dt.name.startswith(("float", "bfloat"))


def _is_ml_int(dt: np.dtype[Any]) -> bool:
    return dt.kind == "V" and dt.name.startswith(("int", "uint"))


def _ordered(dt: np.dtype[Any]) -> bool:
    return dt.kind in _ORDERED_KINDS or _is_ml_float(dt) or _is_ml_int(dt)


def _numeric(dt: np.dtype[Any]) -> bool:
    return _ordered(dt) or dt.kind == "c"


def check_method_supports(method: str, dtype_name: str, dt: np.dtype[Any]) -> None:
    """Raise tensorstore's error when ``method`` cannot reduce elements of this dtype."""
    if method in ("stride", "mode"):
        ok = True
    elif method in ("mean", "sum"):
        ok = _numeric(dt) and dtype_name not in ("char", "byte")
    else:  # min, max, median
        ok = _ordered(dt) and dtype_name not in ("char", "byte")
    if not ok:
        raise status.invalid_argument(f'Downsample method "{method}" does not support data type "{dtype_name}"')


# -- geometry --------------------------------------------------------------------------------------------
def downsampled_bounds(lo: int, hi: int, factor: int, method: str) -> tuple[int, int]:
    """The downsampled half-open interval of base ``[lo, hi)`` (infinite bounds stay infinite).

    Block methods cover every block that holds an element: ``[floor(lo/f), ceil(hi/f))``.  ``stride``
    keeps only the positions that are multiples of ``f``: ``[ceil(lo/f), floor((hi-1)/f) + 1)``.
    """
    from ..index.interval import INF

    if method == "stride":
        new_lo = lo if lo <= -INF else -((-lo) // factor)
        new_hi = hi if hi >= INF else (hi - 1) // factor + 1
    else:
        new_lo = lo if lo <= -INF else lo // factor
        new_hi = hi if hi >= INF else -((-hi) // factor)
    if hi <= lo:  # an empty interval stays empty
        return new_lo, new_lo
    return new_lo, max(new_hi, new_lo)


def _segments(start: int, stop: int, factor: int) -> list[tuple[int, int, int, int]]:
    """Split base ``[start, stop)`` into ``(src_begin, src_end, n_blocks, width)`` runs, relative to start."""
    if factor == 1 or stop <= start:
        return [(0, stop - start, stop - start, 1)]
    first = start // factor
    last = -((-stop) // factor) - 1
    if first == last:
        return [(0, stop - start, 1, stop - start)]
    out: list[tuple[int, int, int, int]] = []
    head_end = (first + 1) * factor
    tail_begin = last * factor
    mid_begin = head_end
    if head_end - start < factor:
        out.append((0, head_end - start, 1, head_end - start))
    else:
        mid_begin = start
    mid_end = tail_begin if stop - tail_begin < factor else stop
    if mid_end > mid_begin:
        out.append((mid_begin - start, mid_end - start, (mid_end - mid_begin) // factor, factor))
    if mid_end < stop:
        out.append((tail_begin - start, stop - start, 1, stop - tail_begin))
    return out


# -- reductions ----------------------------------------------------------------------------------------
def _blocks(x: Array, widths: Sequence[int]) -> Array:
    """View ``x`` as ``(n0, w0, n1, w1, ...)``."""
    shape: list[int] = []
    for n, w in zip(x.shape, widths, strict=True):
        shape += [n // w, w]
    return x.reshape(shape)


def _block_axes(rank: int) -> tuple[int, ...]:
    return tuple(range(1, 2 * rank, 2))


def _gathered(x: Array, widths: Sequence[int]) -> Array:
    """``(n0, n1, ..., W)``: every block's elements along the last axis."""
    rank = x.ndim
    b = _blocks(x, widths)
    order = list(range(0, 2 * rank, 2)) + list(range(1, 2 * rank, 2))
    counts = [x.shape[i] // widths[i] for i in range(rank)]
    return np.ascontiguousarray(b.transpose(order)).reshape([*counts, int(np.prod(widths))])


def _accumulator(dt: np.dtype[Any]) -> np.dtype[Any]:
    if dt.kind in {"b", "i"} or _is_ml_int(dt):
        return np.dtype(np.int64)
    if dt.kind == "u":
        return np.dtype(np.uint64)
    if dt.kind == "c":
        return dt
    if dt == np.float64:
        return dt
    return np.dtype(np.float32)


def _is_integral(dt: np.dtype[Any]) -> bool:
    return dt.kind in "biu" or _is_ml_int(dt)


@functools.lru_cache(maxsize=256)
def _narrow_accumulator(dt: np.dtype[Any], count: int, acc: np.dtype[Any]) -> np.dtype[Any]:
    """The narrowest integer type that cannot overflow summing ``count`` elements of ``dt`` (speed; cached)."""
    if dt.kind not in "biu" or dt.itemsize > 4:
        return acc
    info = np.iinfo(np.uint8 if dt.kind == "b" else dt)
    lo, hi = int(info.min) * count, int(info.max) * count
    for cand in (np.uint16, np.uint32) if lo >= 0 else (np.int16, np.int32):
        ci = np.iinfo(cand)
        if ci.min <= lo and hi <= ci.max:
            return np.dtype(cand)
    return acc


def _block_sum(x: Array, widths: Sequence[int], acc: np.dtype[Any]) -> Array:
    """Per-block sums in ``acc``; 64-bit integer sums that could overflow use Python integers."""
    count = int(np.prod(widths))
    if x.dtype.kind in "iu" and x.dtype.itemsize == 8 and x.size:
        peak = max(abs(int(x.max())), abs(int(x.min())))
        limit = (1 << 64) - 1 if x.dtype.kind == "u" else (1 << 63) - 1
        if peak * count > limit:
            obj = _blocks(x.astype(object), widths)
            return np.asarray(obj.sum(axis=_block_axes(x.ndim)), dtype=object)
    work_acc = _narrow_accumulator(x.dtype, count, acc)
    if x.dtype == np.uint8 and x.ndim and widths[-1] == 8 and x.shape[-1] % 8 == 0 and work_acc == np.uint16:
        return _uint8_sum8(x, widths)
    if _is_ml_float(x.dtype) or _is_ml_int(x.dtype):
        x = x.astype(work_acc)
    b = _blocks(x, widths)
    # Outermost block axis first: each step adds whole contiguous rows (vectorised), shrinking the
    # data before the innermost (short, strided) axis is summed.
    for k, axis in enumerate(_block_axes(x.ndim)):
        b = b.sum(axis=axis - k, dtype=work_acc)
    return b


def _uint8_sum8(x: Array, widths: Sequence[int]) -> Array:
    """Block sums of ``uint8`` data whose innermost factor is 8 (the common 8x8 pyramid step).

    The outer block axes are summed as whole rows in ``uint16``; each run of 8 sums along the last
    axis is then two ``uint64`` words of four 16-bit lanes, folded with one multiply (the lane sum
    lands in the top 16 bits), instead of a slow strided reduction over a length-8 axis.
    """
    b = _blocks(x, widths)
    axes = _block_axes(x.ndim)
    for k, axis in enumerate(axes[:-1]):
        b = b.sum(axis=axis - k, dtype=np.uint16)
    b = np.ascontiguousarray(b, dtype=np.uint16)  # (..., n/8, 8)
    words = b.view(np.uint64)  # (..., n/8, 2): four 16-bit lanes each
    lanes = (words * np.uint64(0x0001000100010001)) >> np.uint64(48)
    return (lanes[..., 0] + lanes[..., 1]).astype(np.uint32)


def _reduce_axes(b: Array, rank: int, ufunc: np.ufunc) -> Array:
    for k, axis in enumerate(_block_axes(rank)):
        b = ufunc.reduce(b, axis=axis - k)
    return b


def _round_div(total: Array, count: int) -> Array:
    """``total / count`` rounded to nearest, ties to even (tensorstore's integer mean)."""
    if count == 1:
        return total
    if total.dtype != object and total.dtype.itemsize <= 4:
        # |total| < 2**32: the float64 quotient is exact enough that rint's ties-to-even is exact.
        return np.rint(total / np.float64(count)).astype(np.int64)
    if total.dtype == object or total.dtype.kind == "u":
        neg = None if total.dtype.kind == "u" else total < 0
        mag = total if neg is None else np.where(neg, -total, total)
    else:
        neg = total < 0
        mag = np.abs(total)
    q = mag // count
    r = mag - q * count
    up = (r * 2 + (q & 1)) > count
    res = q + up.astype(q.dtype) if q.dtype != object else q + up
    if neg is not None:
        res = np.where(neg, -res, res)
    return np.asarray(res)


def _mean(x: Array, widths: Sequence[int], *, divide: bool = True) -> Array:
    dt = x.dtype
    count = int(np.prod(widths))
    total = _block_sum(x, widths, _accumulator(dt))
    if _is_integral(dt):
        res = _round_div(total, count) if divide else total
        if dt.kind == "b":
            return np.asarray(res != 0)
        if res.dtype == object:
            # wrap like a C++ cast from a wider integer
            bits = dt.itemsize * 8
            mod = np.asarray(res % (1 << bits), dtype=object)
            if dt.kind == "i":
                mod = np.where(mod >= (1 << (bits - 1)), mod - (1 << bits), mod)
            return np.asarray(mod.astype(np.uint64 if dt.kind == "u" else np.int64)).astype(dt)
        return np.asarray(res).astype(dt)
    if divide:
        total = total / total.dtype.type(count)
    return np.asarray(total).astype(dt)


def _nan_start(dt: np.dtype[Any]) -> bool:
    """True for float types without infinity: tensorstore's min/max start (and stay) at NaN."""
    if not _is_ml_float(dt):
        return False
    with np.errstate(all="ignore"):
        v = np.array(np.inf, dtype=np.float32).astype(dt).astype(np.float32)
    return bool(np.isnan(v))


def _extreme(x: Array, widths: Sequence[int], which: str) -> Array:
    dt = x.dtype
    work = x
    if _is_ml_float(dt):
        if _nan_start(dt):
            shape = [n // w for n, w in zip(x.shape, widths, strict=True)]
            return np.full(shape, np.nan, dtype=np.float32).astype(dt)
        work = x.astype(np.float32)
    b = _blocks(work, widths)
    if work.dtype.kind == "f":
        # fmin/fmax skip NaN; only an all-NaN block stays NaN, and tensorstore gives its start value.
        res = _reduce_axes(b, x.ndim, np.fmin if which == "min" else np.fmax)
        res = np.where(np.isnan(res), res.dtype.type(np.inf if which == "min" else -np.inf), res)
    else:
        res = _reduce_axes(b, x.ndim, np.minimum if which == "min" else np.maximum)
    return np.asarray(res).astype(dt)


def _sortable(x: Array) -> tuple[Array, Callable[[Array], Array]]:
    """A NumPy-sortable stand-in for ``x`` and the function mapping results back."""
    dt = x.dtype
    if _is_ml_float(dt) or _is_ml_int(dt):
        wide = x.astype(np.float64 if _is_ml_float(dt) else np.int64)
        return wide, lambda r: r.astype(dt)
    return x, lambda r: r


def _median(x: Array, widths: Sequence[int]) -> Array:
    work, back = _sortable(x)
    g = _gathered(work, widths)
    k = (g.shape[-1] - 1) // 2
    part = np.partition(g, k, axis=-1) if g.dtype != object else np.sort(g, axis=-1)
    return back(np.ascontiguousarray(part[..., k]))


def _mode(x: Array, widths: Sequence[int]) -> Array:
    work, back = _sortable(x)
    if work.dtype == object:
        work = _json_sort_keys(work)
    g = _gathered(work, widths)
    lead = g.shape[:-1]
    k = g.shape[-1]
    flat = np.sort(g.reshape(-1, k), axis=-1)
    if k == 1:
        picked = flat[:, 0]
    else:
        same = flat[:, 1:] == flat[:, :-1]
        pos = np.arange(k)
        starts = np.where(np.concatenate([np.zeros((flat.shape[0], 1), bool), same], axis=1), 0, pos)
        starts = np.maximum.accumulate(starts, axis=1)
        runs = pos - starts  # run length - 1 at each position
        best = np.argmax(runs, axis=1)  # first position reaching the longest run: smallest tied value
        picked = flat[np.arange(flat.shape[0]), best]
    out = picked.reshape(lead)
    if x.dtype == object:
        return _from_sort_keys(out, x)
    return back(out)


def _json_sort_keys(x: Array) -> Array:
    """Object elements (ustring / json) as comparable keys: strings compare directly."""
    if all(isinstance(v, str) for v in x.flat):
        return x
    import json

    keys = np.empty(x.shape, dtype=object)
    keys.flat[:] = [json.dumps(v, sort_keys=True) for v in x.flat]
    return keys


def _from_sort_keys(out: Array, x: Array) -> Array:
    if out.size == 0 or all(isinstance(v, str) for v in x.flat):
        return out
    import json

    res = np.empty(out.shape, dtype=object)
    res.flat[:] = [json.loads(v) for v in out.flat]
    return res


def _stride_blocks(x: Array, widths: Sequence[int]) -> Array:
    return np.ascontiguousarray(_blocks(x, widths)[tuple(slice(None) if i % 2 == 0 else 0 for i in range(2 * x.ndim))])


def _reduce(x: Array, widths: Sequence[int], method: str) -> Array:
    """One output element per ``widths`` block of ``x`` (``x``'s shape a multiple of ``widths``)."""
    if method == "mean" or (method in ("median", "mode") and x.dtype.kind == "b"):
        return _mean(x, widths)
    if method == "sum":
        return _mean(x, widths, divide=False)
    if method in ("min", "max"):
        return _extreme(x, widths, method)
    if method == "median":
        return _median(x, widths)
    if method == "mode":
        return _mode(x, widths)
    if method == "stride":
        return _stride_blocks(x, widths)
    raise ValueError(f"unknown downsample method {method!r}")


#: Reduce whole blocks only (every extent a multiple of its width): no edge segment handling.
reduce_blocks = _reduce


def downsample_array(source: Array, source_origin: Sequence[int], factors: Sequence[int], method: str) -> Array:
    """Downsample the base region ``source`` (whose first element is at ``source_origin``).

    The result holds one element per block touched: its first element is output index
    ``floor(source_origin / factor)`` in each dimension.  Blocks cut by the region's edges aggregate
    only the elements inside it, so the caller passes exactly the requested blocks intersected with
    the base domain.  (``stride`` is normally a pure index transform; here it takes each block's
    first element present.)
    """
    rank = source.ndim
    if len(source_origin) != rank or len(factors) != rank:
        raise ValueError("source_origin and factors must match the source rank")
    per_dim = [
        _segments(int(o), int(o) + n, int(f)) for o, n, f in zip(source_origin, source.shape, factors, strict=True)
    ]
    out_shape = [sum(s[2] for s in segs) for segs in per_dim]
    out: Array | None = None
    if rank == 0:
        return np.array(source, copy=True)
    if source.size == 0:
        return np.zeros(out_shape, dtype=source.dtype)
    out_starts = [list(itertools.accumulate([s[2] for s in segs], initial=0)) for segs in per_dim]
    for combo in itertools.product(*[range(len(segs)) for segs in per_dim]):
        src_sel = tuple(slice(per_dim[d][c][0], per_dim[d][c][1]) for d, c in enumerate(combo))
        widths = [per_dim[d][c][3] for d, c in enumerate(combo)]
        piece = _reduce(source[src_sel], widths, method)
        if out is None:
            out = np.empty(out_shape, dtype=piece.dtype if source.dtype == object else source.dtype)
        out_sel = tuple(slice(out_starts[d][c], out_starts[d][c] + per_dim[d][c][2]) for d, c in enumerate(combo))
        out[out_sel] = piece
    if out is None:  # an empty region
        out = np.empty(out_shape, dtype=source.dtype)
    return out
