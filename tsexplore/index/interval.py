"""Index arithmetic shared by the index space: infinity, intervals, strided slices, affine bounds.

Ports tensorstore's ``index_interval.cc`` so bounds, implicit flags and error texts match exactly.
An interval is ``(inclusive_min, exclusive_max)``; ``-INF``/``INF + 1`` stand for unbounded ends.
"""

from __future__ import annotations

from .. import status

__all__ = [
    "INF",
    "INF_SIZE",
    "MAX_RANK",
    "OIInterval",
    "affine_domain",
    "affine_range",
    "ceil_div",
    "check_contains",
    "extract_strided_slice",
    "floor_div",
    "fmt_box",
    "fmt_interval",
    "fmt_oi",
    "intersect",
    "intersect_preferring_explicit",
    "is_finite_index",
    "is_valid_index",
]

INF = 2**62 - 1  # kInfIndex
INF_SIZE = 2**63 - 1  # kInfSize
MAX_RANK = 32
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# (inclusive_min, exclusive_max, implicit_lower, implicit_upper)
OIInterval = tuple[int, int, bool, bool]


def is_finite_index(x: int) -> bool:
    return -INF < x < INF


def is_valid_index(x: int) -> bool:
    return -INF <= x <= INF


def ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def floor_div(a: int, b: int) -> int:
    return a // b


def fmt_interval(lo: int, hi: int) -> str:
    """tensorstore's ``IndexInterval`` text: ``[0, 5)``, ``(-inf, +inf)``."""
    left = "(-inf" if lo == -INF else f"[{lo}"
    right = "+inf)" if hi - 1 == INF else f"{hi})"
    return f"{left}, {right}"


def fmt_oi(lo: int, hi: int, il: bool, iu: bool) -> str:
    """``OptionallyImplicitIndexInterval`` text: ``[0*, 5)``."""
    left = "(-inf" if lo == -INF else f"[{lo}"
    right = "+inf" if hi - 1 == INF else f"{hi}"
    return f"{left}{'*' if il else ''}, {right}{'*' if iu else ''})"


def fmt_box(lo: tuple[int, ...], hi: tuple[int, ...]) -> str:
    origin = ", ".join(str(x) for x in lo)
    shape = ", ".join(str(size(a, b)) for a, b in zip(lo, hi))
    return f"{{origin={{{origin}}}, shape={{{shape}}}}}"


def size(lo: int, hi: int) -> int:
    return hi - lo


def effective(iv: OIInterval) -> tuple[int, int]:
    lo, hi, il, iu = iv
    return (-INF if il else lo, INF + 1 if iu else hi)


def contains(lo: int, hi: int, x: int) -> bool:
    return lo <= x < hi


def contains_interval(olo: int, ohi: int, ilo: int, ihi: int) -> bool:
    """Whether ``[ilo, ihi)`` is inside ``[olo, ohi)`` (an empty interval only needs its min inside)."""
    if ihi <= ilo:
        return True
    return olo <= ilo and ihi <= ohi


def check_contains(lo: int, hi: int, x: int) -> None:
    if not (is_finite_index(x) and contains(lo, hi, x)):
        raise status.out_of_range(f"Index {x} is outside valid range {fmt_interval(lo, hi)}")


def intersect(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    lo = max(a[0], b[0])
    hi = min(a[1], b[1])
    return (lo, max(lo, hi))


def hull(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    if a[1] <= a[0]:
        return b
    if b[1] <= b[0]:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))


def oi_hull(a: OIInterval, b: OIInterval) -> OIInterval:
    lo, hi = hull((a[0], a[1]), (b[0], b[1]))
    return _merge_flags(a, b, lo, hi)


def oi_intersect(a: OIInterval, b: OIInterval) -> OIInterval:
    lo, hi = intersect((a[0], a[1]), (b[0], b[1]))
    # Flags follow the bound that won before an empty result is clamped to ``[lo, lo)``.
    _, _, il, iu = _merge_flags(a, b, lo, min(a[1], b[1]))
    return (lo, hi, il, iu)


def _merge_flags(a: OIInterval, b: OIInterval, lo: int, hi: int) -> OIInterval:
    il = (a[2] and b[2]) if a[0] == b[0] else (a[2] if lo == a[0] else b[2])
    iu = (a[3] and b[3]) if a[1] == b[1] else (a[3] if a[1] == hi else b[3])
    return (lo, hi, il, iu)


def intersect_preferring_explicit(a: OIInterval, b: OIInterval) -> OIInterval:
    ea, eb = effective(a), effective(b)
    lo = max(a[0], b[0]) if a[2] == b[2] else max(ea[0], eb[0])
    hi_incl = min(a[1] - 1, b[1] - 1) if a[3] == b[3] else min(ea[1] - 1, eb[1] - 1)
    return (lo, max(lo - 1, hi_incl) + 1, a[2] and b[2], a[3] and b[3])


def affine_domain(lo: int, hi: int, offset: int, divisor: int) -> tuple[int, int]:
    """Input interval whose image under ``offset + divisor * x`` lies in ``[lo, hi)`` (GetAffineTransformDomain)."""
    if divisor == 1 and offset == 0 and -INF <= lo < INF and -INF < hi - 1 <= INF and hi >= lo:
        return (lo, hi)  # the identity on a valid interval (the common case; same result as below)
    if divisor == 0:
        raise status.invalid_argument("Divisor (stride) must be non-zero")
    if lo == -INF and hi == INF + 1:
        return (lo, hi)
    empty = hi <= lo
    ok = True
    if divisor < 0:
        d = -divisor
        off = -offset
        lower = -(hi - 1)
        upper = -lo
        if empty:
            lower -= 1
            upper -= 1
    else:
        d = divisor
        off = offset
        lower = lo
        upper = hi - 1
    if lower == -INF:
        rlo = -INF
    else:
        rlo = ceil_div(lower - off, d)
        if not is_finite_index(rlo) or not _fits(lower - off):
            ok = False
    rhi = rlo
    if ok:
        if empty:
            rhi = rlo
        elif upper == INF:
            rhi = INF + 1
        else:
            ru = floor_div(upper - off, d)
            if not is_finite_index(ru) or not _fits(upper - off):
                ok = False
            rhi = ru + 1
    if not ok:
        raise status.invalid_argument(
            f"Integer overflow propagating range {fmt_interval(lo, hi)} through inverse affine transform "
            f"with offset {offset} and multiplier {divisor}"
        )
    return (rlo, max(rlo, rhi))


def oi_affine_domain(iv: OIInterval, offset: int, divisor: int) -> OIInterval:
    lo, hi = affine_domain(iv[0], iv[1], offset, divisor)
    il, iu = iv[2], iv[3]
    if divisor < 0:
        il, iu = iu, il
    return (lo, hi, il, iu)


def affine_range(lo: int, hi: int, offset: int, multiplier: int) -> tuple[int, int]:
    """Image of ``[lo, hi)`` under ``offset + multiplier * x`` (GetAffineTransformRange)."""

    def tb(b: int) -> int | None:
        if b in (-INF, INF):
            return -b if multiplier < 0 else b
        v = b * multiplier + offset
        if not _fits(b * multiplier) or not is_finite_index(v):
            return None
        return v

    a = tb(lo)
    b = tb(hi - 1)
    if a is None or b is None:
        raise status.invalid_argument(
            f"Integer overflow computing affine transform of domain {fmt_interval(lo, hi)} with offset "
            f"{offset} and multiplier {multiplier}"
        )
    if hi <= lo:
        return (a, a)
    if multiplier == 0:
        return (a, a + 1)
    if multiplier < 0:
        a, b = b, a
    return (a, b + 1)


def _fits(x: int) -> bool:
    return INT64_MIN <= x <= INT64_MAX


def validate_closed(lo: int, hi_incl: int) -> None:
    if not (-INF <= lo < INF and -INF < hi_incl <= INF and hi_incl >= lo - 1):
        raise status.invalid_argument(f"({lo}, {hi_incl}) do not specify a valid closed index interval")


def validate_half_open(lo: int, hi: int) -> None:
    if not (-INF <= lo < INF and -INF < hi - 1 <= INF and hi >= lo):
        raise status.invalid_argument(f"({lo}, {hi}) do not specify a valid half-open index interval")


def validate_sized(lo: int, n: int) -> None:
    if not (is_valid_index(lo) and lo != INF and n >= 0 and (n == INF_SIZE or -INF < lo + n - 1 <= INF)):
        raise status.invalid_argument(f"({lo}, {n}) do not specify a valid sized index interval")


def extract_strided_slice(orig: OIInterval, start: int | None, stop: int | None, stride: int) -> tuple[OIInterval, int]:
    """Half-open strided slice of ``orig`` (ExtractStridedSlice); returns (new interval, adjusted start)."""
    lo, hi, il, iu = orig
    c_lo = -INF if il else lo
    c_hi = INF if iu else hi - 1
    if stride in (0, INT64_MIN):
        raise status.invalid_argument(f"Invalid stride {stride}")
    if start is None:
        start = lo if stride > 0 else hi - 1
    else:
        if not is_valid_index(start):
            raise status.invalid_argument(f"Invalid start index {start}")
        il = False
    if stop is None:
        inclusive_stop = hi - 1 if stride > 0 else lo
    else:
        iu = False
        if not is_finite_index(stop):
            inclusive_stop = stop
        else:
            inclusive_stop = stop + (-1 if stride > 0 else 1)
    if abs(stride) != 1 and not is_finite_index(start):
        raise status.invalid_argument(f"Slicing with non-unit stride of {stride} requires a finite start index")
    if stride > 0:
        amin, amax = start, inclusive_stop
    else:
        amin, amax = inclusive_stop, start
        il, iu = iu, il
    validate_closed(amin, amax)
    if not contains_interval(c_lo, c_hi + 1, amin, amax + 1):
        raise status.out_of_range(
            f"Slice interval {fmt_interval(amin, amax + 1)} is not contained within domain "
            f"{fmt_interval(c_lo, c_hi + 1)}"
        )
    new_start = _trunc_div(start, stride)
    if abs(inclusive_stop) == INF:
        new_size = INF + 1 - new_start
    else:
        new_size = ceil_div(amax - amin + 1, abs(stride))
    return (new_start, new_start + new_size, il, iu), start


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q
