"""The indexing protocol shared by IndexTransform, IndexDomain, and later TensorStore and Spec.

A class provides ``_ts_transform()`` (its current transform) and ``_ts_with_transform(t)`` (a copy
bound to ``t``); :class:`Indexable` then supplies NumPy indexing, ``oindex``/``vindex``, ``ts.d``
application, ``T``, ``transpose`` and the whole-object ``translate_*``/``label``/``mark_bounds_implicit``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import status
from .dim import dim_text
from .dimsel import RangeSpec, normalize_label
from .interval import contains_interval, effective
from .output_map import OutputIndexMap, OutputIndexMethod

if TYPE_CHECKING:
    from .compose import compose
    from .dim_expression import DimExpression, DimSelection, _Subscript
    from .numpy_indexing import parse_indexing, to_transform_direct
    from .transform import IndexDomain, IndexTransform, is_explicitly_empty

__all__ = ["Indexable", "WholeObjectOps", "_op_helper", "align_domain", "apply_index", "bind_late_imports"]


def bind_late_imports() -> None:
    """Bind the names of modules that import this one (an import cycle) once the package has loaded.

    Function-level imports cost about a microsecond each, and indexing runs on every read.
    """
    from . import compose as c
    from . import dim_expression as de
    from . import numpy_indexing as ni
    from . import transform as tr

    globals().update(
        compose=c.compose,
        DimExpression=de.DimExpression,
        DimSelection=de.DimSelection,
        _Subscript=de._Subscript,
        parse_indexing=ni.parse_indexing,
        to_transform_direct=ni.to_transform_direct,
        IndexDomain=tr.IndexDomain,
        IndexTransform=tr.IndexTransform,
        is_explicitly_empty=tr.is_explicitly_empty,
    )


def align_domain(t: IndexTransform, other: IndexDomain) -> IndexTransform:
    """``t[domain]``: slice by another domain, matching dimensions by label or position (in place)."""
    slice_rank, input_rank = other.rank, t._rank
    dlabels = other.labels
    lo, hi = list(t._f[0]), list(t._f[1])
    il, iu, tlabels = list(t._f[2]), list(t._f[3]), list(t._f[4])
    d_unlabeled = not any(dlabels)
    dims: list[int] = []
    if d_unlabeled or not any(tlabels):
        if slice_rank != input_rank:
            raise status.invalid_argument(
                f"Rank of index domain ({slice_rank}) must match rank of slice target ({input_rank}) when the "
                "index domain or slice target is unlabeled"
            )
        dims = list(range(slice_rank))
        if not d_unlabeled:
            tlabels[:slice_rank] = dlabels
    else:
        nxt = 0
        for lab in dlabels:
            if lab:
                dims.append(normalize_label(lab, t._f[4]))
                continue
            while True:
                if nxt == input_rank:
                    raise status.invalid_argument(
                        "Number of unlabeled dimensions in index domain exceeds number of unlabeled dimensions "
                        "in slice target"
                    )
                nxt += 1
                if not tlabels[nxt - 1]:
                    dims.append(nxt - 1)
                    break
        if nxt != 0 and input_rank != slice_rank:
            raise status.invalid_argument(
                f"Rank ({slice_rank}) of index domain containing unlabeled dimensions must equal slice target "
                f"rank ({input_rank})"
            )
    old_lo = t._f[0]
    for i, j in enumerate(dims):
        e_lo, e_hi = effective((lo[j], hi[j], il[j], iu[j]))
        n_lo, n_hi = other.inclusive_min[i], other.exclusive_max[i]
        if not contains_interval(e_lo, e_hi, n_lo, n_hi):
            raise status.out_of_range(
                f"Cannot slice target dimension {j} {{{dim_text(lo[j], hi[j], il[j], iu[j], tlabels[j])}}} "
                f"with index domain dimension {i} {{{dim_text(*other._dim(i)._oi(), other.labels[i])}}}"
            )
        lo[j], hi[j], il[j], iu[j] = n_lo, n_hi, False, False
    f = (tuple(lo), tuple(hi), tuple(il), tuple(iu), tuple(tlabels))
    empty = is_explicitly_empty(f)
    maps = []
    for m in t._maps:
        if m._method == OutputIndexMethod.array and empty:
            maps.append(OutputIndexMap._constant(0))
        elif m._method == OutputIndexMethod.array:
            assert m._array is not None
            sl = tuple(
                slice(None) if m._array.shape[d] == 1 else slice(lo[d] - old_lo[d], hi[d] - old_lo[d])
                for d in range(input_rank)
            )
            maps.append(OutputIndexMap._indexed(m._array[sl], m._offset, m._stride, m._range))
        else:
            maps.append(m)
    return IndexTransform._make(f, tuple(maps))


def apply_index(t: IndexTransform, key: Any, domain_only: bool = False, mode: str = "default") -> IndexTransform:
    """Apply any ``obj[key]`` form to a transform (raises IndexError like tensorstore)."""
    # status.indexing_errors() inlined: a generator context manager costs more than the common case.
    try:
        if mode == "default":
            if isinstance(key, DimExpression):
                return key._apply(t, domain_only)
            if isinstance(key, IndexTransform):
                return compose(t, key, domain_only)
            if isinstance(key, IndexDomain):
                return align_domain(t, key)
            if isinstance(key, tuple) and any(isinstance(k, (DimExpression, IndexTransform, IndexDomain)) for k in key):
                raise status.invalid_argument(
                    "Only integers, slices (`:`), ellipsis (`...`), tensorstore.newaxis (`None`) and integer "
                    "or boolean arrays are valid indices"
                )
        spec = parse_indexing(key, mode, "direct")
        return compose(t, to_transform_direct(spec, t._f), domain_only)
    except status.StatusError as e:
        if e.code in ("INVALID_ARGUMENT", "OUT_OF_RANGE"):
            raise IndexError(str(e)) from None
        raise


class _Indexer:
    __slots__ = ("_mode", "_name", "_obj")

    def __init__(self, obj: Any, mode: str, name: str) -> None:
        self._obj, self._mode, self._name = obj, mode, name

    def __getitem__(self, key: Any) -> Any:
        t = self._obj._ts_transform()
        return self._obj._ts_with_transform(apply_index(t, key, mode=self._mode))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._obj._ts_with_transform(apply_index(self._obj._ts_transform(), key, mode=self._mode))[...] = value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"'tensorstore.{self._name}' object is not callable")


def _op_helper(obj: Any, name: str) -> _Subscript:
    """Whole-object operation such as ``obj.translate_to[...]`` (= ``obj[ts.d[:].translate_to[...]]``)."""
    expr = DimSelection([RangeSpec(None, None, 1)], ())
    sub: _Subscript = getattr(expr, name)
    cls = sub._name

    def apply(key: Any) -> Any:
        # Whole-object operations raise ValueError (not IndexError) in tensorstore.
        e = sub[key]
        t = obj._ts_transform()
        return obj._ts_with_transform(e._apply(t, isinstance(obj, IndexDomain)))

    return _Subscript(cls, apply)


class WholeObjectOps:
    """Mixin: the whole-object ``translate_*``/``label``/``mark_bounds_implicit`` (IndexDomain has only these)."""

    __slots__ = ()

    def _ts_transform(self) -> IndexTransform:
        raise NotImplementedError

    def _ts_with_transform(self, t: IndexTransform) -> Any:
        raise NotImplementedError

    @property
    def translate_to(self) -> _Subscript:
        return _op_helper(self, "translate_to")

    @property
    def translate_by(self) -> _Subscript:
        return _op_helper(self, "translate_by")

    @property
    def translate_backward_by(self) -> _Subscript:
        return _op_helper(self, "translate_backward_by")

    @property
    def label(self) -> _Subscript:
        return _op_helper(self, "label")

    @property
    def mark_bounds_implicit(self) -> _Subscript:
        return _op_helper(self, "mark_bounds_implicit")


class Indexable(WholeObjectOps):
    """Mixin: NumPy-style and ``ts.d`` indexing over ``_ts_transform``/``_ts_with_transform``."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        return self._ts_with_transform(apply_index(self._ts_transform(), key))

    @property
    def oindex(self) -> _Indexer:
        return _Indexer(self, "oindex", "_Oindex")

    @property
    def vindex(self) -> _Indexer:
        return _Indexer(self, "vindex", "_Vindex")

    @property
    def T(self) -> Any:
        return self._ts_with_transform(self._ts_transform()._transpose(None))

    def transpose(self, axes: Any = None) -> Any:
        return self._ts_with_transform(self._ts_transform()._transpose(axes))
