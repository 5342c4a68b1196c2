"""``IndexTransform`` and ``IndexDomain``: the immutable core of the index space.

A transform maps an input domain (bounds, implicit flags, labels) to output coordinates through one
:class:`OutputIndexMap` per output dimension.  ``IndexDomain`` is a transform's domain alone.  The
validation rules, JSON form and text form follow tensorstore's ``TransformRep``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .. import status
from .dim import Dim, dim_text, quote
from .indexable import Indexable, WholeObjectOps
from .interval import (
    INF,
    fmt_box,
    fmt_interval,
    fmt_oi,
    validate_closed,
    validate_half_open,
    validate_sized,
)
from .output_map import OutputIndexMap, OutputIndexMaps, OutputIndexMethod, fmt_array
from .signatures import constructor_overloads

__all__ = ["DomainFields", "IndexDomain", "IndexTransform", "build_transform"]

# (lo, hi, implicit_lower, implicit_upper, labels)
DomainFields = tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...], tuple[bool, ...], tuple[str, ...]]


def validate_labels(labels: Sequence[str]) -> None:
    named = [x for x in labels if x]
    if len(set(named)) == len(named):
        return
    # tensorstore sorts the labels and reports every repeat (so "x" thrice is listed twice).
    ordered = sorted(named)
    dup = [b for a, b in itertools.pairwise(ordered) if a == b]
    if dup:
        raise status.invalid_argument("Dimension label(s) " + ", ".join(quote(x) for x in dup) + " not unique")


def is_explicitly_empty(f: DomainFields) -> bool:
    lo, hi, il, iu, _ = f
    return any(not a and not b and h <= low for low, h, a, b in zip(lo, hi, il, iu))


def build_transform(  # noqa: PLR0917
    rank: int,
    lo: Sequence[int] | None,
    upper: Sequence[int] | None,
    upper_form: str,
    il: Sequence[bool] | None,
    iu: Sequence[bool] | None,
    labels: Sequence[str] | None,
    maps: Sequence[OutputIndexMap] | None,
) -> IndexTransform:
    """IndexTransformBuilder: defaults, interval validation and output-map validation."""
    if lo is None:
        lo_v = [0 if (upper_form == "sized" and upper is not None) else -INF] * rank
    else:
        lo_v = list(lo)
    hi_v: list[int] = []
    if upper is None:
        hi_v = [INF + 1] * rank
        upper_form = "half_open"
    if il is None:
        il_v = [lo is None and not (upper_form == "sized" and upper is not None)] * rank
        if lo is None and upper is not None and upper_form == "sized":
            il_v = [False] * rank
    else:
        il_v = [bool(x) for x in il]
    iu_v = [upper is None] * rank if iu is None else [bool(x) for x in iu]
    labels_v = [""] * rank if labels is None else ["" if x is None else str(x) for x in labels]
    validate_labels(labels_v)
    if upper is not None:
        for i in range(rank):
            u = upper[i]
            if upper_form == "sized":
                if u == 2**63 - 1:
                    u = INF + 1 - lo_v[i]
                validate_sized(lo_v[i], u)
                hi_v.append(lo_v[i] + u)
            elif upper_form == "closed":
                validate_closed(lo_v[i], u)
                hi_v.append(u + 1)
            else:
                validate_half_open(lo_v[i], u)
                hi_v.append(u)
    else:
        for i in range(rank):
            validate_half_open(lo_v[i], hi_v[i])
    fields: DomainFields = (tuple(lo_v), tuple(hi_v), tuple(il_v), tuple(iu_v), tuple(labels_v))
    if maps is None:
        maps = [OutputIndexMap._single(i) for i in range(rank)]
    out = [_validate_map(k, m, fields) for k, m in enumerate(maps)]
    return IndexTransform._make(fields, tuple(out))


def _validate_map(k: int, m: OutputIndexMap, f: DomainFields) -> OutputIndexMap:
    lo, hi, il, iu, _ = f
    rank = len(lo)
    if m._method is OutputIndexMethod.single_input_dimension:
        if not 0 <= m._input_dimension < rank:
            raise status.invalid_argument(
                f"Input dimension {m._input_dimension} specified for output dimension {k} is outside "
                f"valid range [0, {rank})"
            )
        return OutputIndexMap._constant(m._offset) if m._stride == 0 else m
    if m._method is OutputIndexMethod.constant:
        return m
    arr = m._array
    assert arr is not None
    if arr.ndim != rank:
        raise status.invalid_argument(
            f"Index array for output dimension {k} has rank {arr.ndim} but must have rank {rank}"
        )
    ashape, astrides = arr.shape, arr.strides
    index: list[Any] = []
    sliced = False
    for d in range(rank):
        n = ashape[d]
        if n == 1:
            index.append(_ALL)
            continue
        if n != hi[d] - lo[d]:
            shape = tuple(h - low for low, h in zip(lo, hi))
            raise status.invalid_argument(
                f"Index array for output dimension {k} has shape {_fmt_shape(ashape)} which does not "
                f"match input_shape {_fmt_shape(shape)}"
            )
        if astrides[d] == 0 and n != 0:
            index.append(_ONE)
            sliced = True
            continue
        if il[d] or iu[d]:
            raise status.invalid_argument(
                f"Index array for output dimension {k} depends on input dimension {d} with implicit bounds"
            )
        if lo[d] == -INF or hi[d] == INF + 1:
            raise status.invalid_argument(
                f"Index array for output dimension {k} depends on input dimension {d} with infinite bounds"
            )
        index.append(_ALL)
    if is_explicitly_empty(f):
        return OutputIndexMap._constant(0)
    if sliced:
        arr = arr[tuple(index)]
    return OutputIndexMap._indexed(arr, m._offset, m._stride, m._range)


_ALL = slice(None)
_ONE = slice(0, 1)


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "{" + ", ".join(str(x) for x in shape) + "}"


_D = TypeVar("_D", bound="_DomainBase")


class _DomainBase:
    """Shared read-only accessors over domain fields."""

    __slots__ = ("_f",)
    _f: DomainFields

    @property
    def _rank(self) -> int:
        return len(self._f[0])

    def _dim(self, i: int) -> Dim:
        lo, hi, il, iu, lab = self._f
        return Dim._make(lo[i], hi[i], il[i], iu[i], lab[i])

    def _shape(self) -> tuple[int, ...]:
        return shape_of(self._f)

    @property
    def ndim(self) -> int:
        return self._rank

    @property
    def size(self) -> int:
        return _saturating_product(self._shape())

    @property
    def implicit_lower_bounds(self) -> tuple[bool, ...]:
        return self._f[2]

    @property
    def implicit_upper_bounds(self) -> tuple[bool, ...]:
        return self._f[3]

    # Immutable: a copy is the object itself.
    def __copy__(self: _D) -> _D:
        return self

    def __deepcopy__(self: _D, memo: dict[int, Any]) -> _D:
        return self


def _saturating_product(shape: Sequence[int]) -> int:
    """tensorstore's ProductOfExtents: an overflowing product saturates at the int64 maximum."""
    if 0 in shape:
        return 0
    n = 1
    for x in shape:
        n = min(n * x, 2**63 - 1)
    return n


def domain_text(f: DomainFields) -> str:
    return "{ " + ", ".join(dim_text(*d) for d in zip(*f)) + " }"


def _bound_json(x: int) -> Any:
    if x == -INF:
        return "-inf"
    if x == INF + 1:
        return "+inf"
    return x


def domain_json(f: DomainFields, transform: bool) -> dict[str, Any]:
    lo, hi, il, iu, lab = f
    p = "input_" if transform else ""
    j: dict[str, Any] = {}
    rank = len(lo)
    all_il = all(il[i] and lo[i] == -INF for i in range(rank))
    all_iu = all(iu[i] and hi[i] == INF + 1 for i in range(rank))
    if not all_iu:
        j[p + "exclusive_max"] = [[_bound_json(hi[i])] if iu[i] else _bound_json(hi[i]) for i in range(rank)]
    if not all_il:
        j[p + "inclusive_min"] = [[_bound_json(lo[i])] if il[i] else _bound_json(lo[i]) for i in range(rank)]
    if any(lab):
        j[p + "labels"] = list(lab)
    if not j:
        j[p + "rank"] = rank
    return dict(sorted(j.items()))


class IndexDomain(_DomainBase, WholeObjectOps):
    """Domain of an index space: per dimension bounds, implicit flags and a label."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .construct import domain_from_args

        with constructor_overloads("IndexDomain", args, kwargs):
            self._f = domain_from_args(args, dict(kwargs))

    @classmethod
    def _make(cls, f: DomainFields) -> IndexDomain:
        d = cls.__new__(cls)
        d._f = f
        return d

    # -- properties -------------------------------------------------------------------------------------
    @property
    def rank(self) -> int:
        return self._rank

    def __len__(self) -> int:
        return self._rank

    @property
    def origin(self) -> tuple[int, ...]:
        return self._f[0]

    inclusive_min = origin

    @property
    def exclusive_max(self) -> tuple[int, ...]:
        return self._f[1]

    @property
    def inclusive_max(self) -> tuple[int, ...]:
        return tuple(h - 1 for h in self._f[1])

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape()

    @property
    def labels(self) -> tuple[str, ...]:
        return self._f[4]

    @property
    def index_exp(self) -> tuple[slice, ...]:
        lo, hi = self._f[0], self._f[1]
        if any(-INF < x < 0 for x in lo):
            raise status.invalid_argument(f"Cannot convert domain {self} with negative bounds to index expression")
        return tuple(slice(None if a == -INF else a, None if b == INF + 1 else b) for a, b in zip(lo, hi))

    @property
    def T(self) -> IndexDomain:
        return IndexDomain._make(tuple(tuple(reversed(x)) for x in self._f))  # type: ignore[arg-type]

    def __iter__(self) -> Any:
        return iter([self._dim(i) for i in range(self._rank)])

    def __getitem__(self, key: Any) -> Any:
        from .construct import domain_getitem

        return domain_getitem(self, key)

    def hull(self, other: IndexDomain) -> IndexDomain:
        return _combine(self, other, "hull")

    def intersect(self, other: IndexDomain) -> IndexDomain:
        return _combine(self, other, "intersect")

    def to_json(self) -> dict[str, Any]:
        return domain_json(self._f, False)

    def transpose(self, axes: Any = None) -> IndexDomain:
        return IndexTransform._make(self._f, ())._transpose(axes).domain

    def _ts_transform(self) -> IndexTransform:
        return IndexTransform._make(self._f, ())

    def _ts_with_transform(self, t: IndexTransform) -> IndexDomain:
        return t.domain

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..display import index_domain_bundle

        return index_domain_bundle(self)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            raise AttributeError(f"'tensorstore.IndexDomain' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return domain_text(self._f)

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndexDomain):
            return NotImplemented
        return self._f == other._f

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (IndexDomain._make, (self._f,))


def _combine(a: IndexDomain, b: IndexDomain, how: str) -> IndexDomain:
    from .interval import oi_hull, oi_intersect

    if a._rank != b._rank:
        raise status.invalid_argument(f"Cannot {how} index domain {a} with index domain {b}: Ranks do not match")
    lo, hi, il, iu, lab = [], [], [], [], []
    fn = oi_hull if how == "hull" else oi_intersect
    for i in range(a._rank):
        da, db = a._dim(i), b._dim(i)
        r = fn(da._oi(), db._oi())
        la, lb = da.label, db.label
        if la and lb and la != lb:
            raise status.invalid_argument(
                f"Cannot {how} index domain {a} with index domain {b}: Mismatch in dimension {i}: "
                "Dimension labels do not match"
            )
        lo.append(r[0])
        hi.append(r[1])
        il.append(r[2])
        iu.append(r[3])
        lab.append(la or lb)
    return IndexDomain._make((tuple(lo), tuple(hi), tuple(il), tuple(iu), tuple(lab)))


class IndexTransform(_DomainBase, Indexable):
    """Maps an input index domain to output coordinates."""

    __slots__ = ("_maps",)
    _maps: tuple[OutputIndexMap, ...]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .construct import transform_from_args

        with constructor_overloads("IndexTransform", args, kwargs):
            t = transform_from_args(args, dict(kwargs))
        self._f, self._maps = t._f, t._maps

    @classmethod
    def _make(cls, f: DomainFields, maps: tuple[OutputIndexMap, ...]) -> IndexTransform:
        t = cls.__new__(cls)
        t._f = f
        t._maps = maps
        return t

    # -- properties -------------------------------------------------------------------------------------
    @property
    def input_rank(self) -> int:
        return self._rank

    @property
    def output_rank(self) -> int:
        return len(self._maps)

    @property
    def domain(self) -> IndexDomain:
        return IndexDomain._make(self._f)

    @property
    def input_origin(self) -> tuple[int, ...]:
        return self._f[0]

    input_inclusive_min = input_origin
    origin = input_origin

    @property
    def input_exclusive_max(self) -> tuple[int, ...]:
        return self._f[1]

    @property
    def input_inclusive_max(self) -> tuple[int, ...]:
        return tuple(h - 1 for h in self._f[1])

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self._shape()

    shape = input_shape

    @property
    def input_labels(self) -> tuple[str, ...]:
        return self._f[4]

    @property
    def output(self) -> OutputIndexMaps:
        return OutputIndexMaps(self._maps)

    def to_json(self) -> dict[str, Any]:
        j = domain_json(self._f, True)
        all_identity = len(self._maps) == self._rank
        out: list[dict[str, Any]] = []
        for k, m in enumerate(self._maps):
            o: dict[str, Any] = {}
            if m._offset != 0:
                o["offset"] = m._offset
                all_identity = False
            if m._method != OutputIndexMethod.constant and m._stride != 1:
                o["stride"] = m._stride
                all_identity = False
            if m._method == OutputIndexMethod.constant:
                all_identity = False
            elif m._method == OutputIndexMethod.single_input_dimension:
                o["input_dimension"] = m._input_dimension
                if m._input_dimension != k:
                    all_identity = False
            else:
                all_identity = False
                assert m._array is not None
                o["index_array"] = m._array.tolist()
                lo, hi = m._range
                if (
                    (lo, hi) != (-INF, INF + 1)
                    and m._array.size
                    and (int(m._array.min()) < lo or int(m._array.max()) >= hi)
                ):
                    o["index_array_bounds"] = [_bound_json(lo), _bound_json(hi - 1 if hi != INF + 1 else hi)]
            out.append(dict(sorted(o.items())))
        if not all_identity:
            j["output"] = out
        return dict(sorted(j.items()))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..display import index_transform_bundle

        return index_transform_bundle(self)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            raise AttributeError(f"'tensorstore.IndexTransform' object has no attribute '{name}'")

    def __repr__(self) -> str:
        lo, hi, il, iu, lab = self._f
        lines = [f"Rank {self._rank} -> {len(self._maps)} index space transform:", "  Input domain:"]
        for i in range(self._rank):
            s = f"    {i}: {fmt_oi(lo[i], hi[i], il[i], iu[i])}"
            if lab[i]:
                s += f" {quote(lab[i])}"
            lines.append(s)
        lines.append("  Output index maps:")
        for k, m in enumerate(self._maps):
            if m._method == OutputIndexMethod.constant:
                lines.append(f"    out[{k}] = {m._offset}")
            elif m._method == OutputIndexMethod.single_input_dimension:
                lines.append(f"    out[{k}] = {m._offset} + {m._stride} * in[{m._input_dimension}]")
            else:
                assert m._array is not None
                lines.append(
                    f"    out[{k}] = {m._offset} + {m._stride} * bounded({fmt_interval(*m._range)}, "
                    "array(in)), where array ="
                )
                lines.append(f"      {fmt_array(m._array)}")
        return "\n".join(lines) + "\n"

    __str__ = __repr__

    def _oneline(self) -> str:
        """Text of a ``[transform='...']`` status annotation (absl ``CHexEscape``d, one line)."""
        return payload_escape(repr(self).replace("\n", " "))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndexTransform):
            return NotImplemented
        return self._f == other._f and self._maps == other._maps

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (IndexTransform._make, (self._f, self._maps))

    def __call__(self, indices: Any) -> tuple[int, ...]:
        vec = [int(x.__index__()) for x in indices]
        if len(vec) != self._rank:
            raise status.invalid_argument(
                f"input indices vector of length {len(vec)} cannot be used with index transform with input "
                f"rank {self._rank}"
            )
        lo, hi, il, iu, _ = self._f
        for i, x in enumerate(vec):
            e_lo, e_hi = (-INF if il[i] else lo[i]), (INF + 1 if iu[i] else hi[i])
            if not e_lo <= x < e_hi:
                raise status.out_of_range(
                    f"Index {x} is not contained in the domain {fmt_oi(lo[i], hi[i], il[i], iu[i])} for input "
                    f"dimension {i}"
                )
        out = []
        for m in self._maps:
            if m._method == OutputIndexMethod.constant:
                out.append(m._offset)
            elif m._method == OutputIndexMethod.single_input_dimension:
                out.append(m._offset + m._stride * vec[m._input_dimension])
            else:
                assert m._array is not None
                pos = tuple(0 if m._array.shape[d] == 1 else vec[d] - lo[d] for d in range(self._rank))
                v = int(m._array[pos])
                if not m._range[0] <= v < m._range[1]:
                    raise status.out_of_range(
                        f"Computing index for output dimension {len(out)}: Checking result of index array output "
                        f"index map: Index {v} is outside valid range {fmt_interval(*m._range)}"
                    )
                out.append(m._offset + m._stride * v)
        return tuple(out)

    # -- indexing ---------------------------------------------------------------------------------------
    def _ts_transform(self) -> IndexTransform:
        return self

    def _ts_with_transform(self, t: IndexTransform) -> IndexTransform:
        return t

    def _transpose(self, axes: Any) -> IndexTransform:
        from .ops import transpose_axes

        return transpose_axes(self, axes)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\"}


def payload_escape(text: str) -> str:
    """absl ``CHexEscape`` of UTF-8 text, as used when a status prints its payloads."""
    out = []
    for b in text.encode():
        ch = chr(b)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\x{b:02x}")
        else:
            out.append(ch)
    return "".join(out)


def box_text(f: DomainFields) -> str:
    return fmt_box(f[0], f[1])


def shape_of(f: DomainFields) -> tuple[int, ...]:
    return tuple(h - low for low, h in zip(f[0], f[1]))
