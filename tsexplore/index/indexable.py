"""The indexing protocol shared by IndexTransform, IndexDomain, and later TensorStore and Spec.

A class provides ``_ts_transform()`` (its current transform) and ``_ts_with_transform(t)`` (a copy
bound to ``t``); :class:`Indexable` then supplies NumPy indexing, ``oindex``/``vindex``, ``ts.d``
application, ``T``, ``transpose`` and the whole-object ``translate_*``/``label``/``mark_bounds_implicit``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import status
from .dimsel import RangeSpec

if TYPE_CHECKING:
    from .dim_expression import _Subscript
    from .transform import IndexDomain, IndexTransform

__all__ = ["Indexable", "align_domain", "apply_index", "_op_helper"]


def align_domain(t: IndexTransform, other: IndexDomain) -> IndexTransform:
    """``t[domain]``: slice by another domain, matching dimensions by label or position."""
    from .dim_expression import DimExpression, DimSelection

    labels = t._f[4]
    olabels = other.labels
    if not any(olabels) or not any(labels):
        if t._rank != other.rank:
            raise status.invalid_argument(f"Cannot align domain {other} with transform of rank {t._rank}")
        dims: list[Any] = list(range(t._rank))
    else:
        dims = []
        unl_self = [i for i, x in enumerate(labels) if not x]
        j = 0
        for lab in olabels:
            if lab:
                dims.append(lab)
            else:
                if j >= len(unl_self):
                    raise status.invalid_argument(f"Cannot align domain {other} with {t.domain}")
                dims.append(unl_self[j])
                j += 1
        if not all(olabels) and t._rank != other.rank:
            raise status.invalid_argument(f"Cannot align domain {other} with {t.domain}")
    expr: DimExpression = DimSelection(dims, ())
    sl = tuple(slice(a, b) for a, b in zip(other.inclusive_min, other.exclusive_max))
    from .interval import INF

    sl = tuple(slice(None if s.start == -INF else s.start, None if s.stop == INF + 1 else s.stop) for s in sl)
    expr = expr[sl] if sl else expr
    out = expr._apply(t, False) if sl else t
    if not any(labels) and any(olabels):
        from .ops import label

        out, _ = label(out, list(range(out._rank)), list(olabels))
    return out


def apply_index(
    t: IndexTransform, key: Any, domain_only: bool = False, mode: str = "default"
) -> IndexTransform:
    """Apply any ``obj[key]`` form to a transform (raises IndexError like tensorstore)."""
    from .compose import compose
    from .dim_expression import DimExpression
    from .numpy_indexing import parse_indexing, to_transform_direct
    from .transform import IndexDomain, IndexTransform

    with status.indexing_errors():
        if mode == "default":
            if isinstance(key, DimExpression):
                return key._apply(t, domain_only)
            if isinstance(key, IndexTransform):
                return compose(t, key, domain_only)
            if isinstance(key, IndexDomain):
                return align_domain(t, key)
            if isinstance(key, tuple) and any(
                isinstance(k, (DimExpression, IndexTransform, IndexDomain)) for k in key
            ):
                raise status.invalid_argument(
                    "Only integers, slices (`:`), ellipsis (`...`), tensorstore.newaxis (`None`) and integer "
                    "or boolean arrays are valid indices"
                )
        spec = parse_indexing(key, mode, "direct")
        return compose(t, to_transform_direct(spec, t._f), domain_only)


class _Indexer:
    __slots__ = ("_mode", "_name", "_obj")

    def __init__(self, obj: Any, mode: str, name: str) -> None:
        self._obj, self._mode, self._name = obj, mode, name

    def __getitem__(self, key: Any) -> Any:
        t = self._obj._ts_transform()
        return self._obj._ts_with_transform(apply_index(t, key, mode=self._mode))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._obj._ts_with_transform(apply_index(self._obj._ts_transform(), key, mode=self._mode))[...] = (
            value
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"'tensorstore.{self._name}' object is not callable")


def _op_helper(obj: Any, name: str) -> _Subscript:
    """Whole-object operation such as ``obj.translate_to[...]`` (= ``obj[ts.d[:].translate_to[...]]``)."""
    from .dim_expression import DimSelection, _Subscript
    from .transform import IndexDomain

    expr = DimSelection([RangeSpec(None, None, 1)], ())
    sub: _Subscript = getattr(expr, name)
    cls = sub._name

    def apply(key: Any) -> Any:
        e = sub[key]
        t = obj._ts_transform()
        domain_only = isinstance(obj, IndexDomain)
        return obj._ts_with_transform(apply_index(t, e, domain_only=domain_only))

    return _Subscript(cls, apply)


class Indexable:
    """Mixin: NumPy-style and ``ts.d`` indexing over ``_ts_transform``/``_ts_with_transform``."""

    __slots__ = ()

    def _ts_transform(self) -> IndexTransform:
        raise NotImplementedError

    def _ts_with_transform(self, t: IndexTransform) -> Any:
        raise NotImplementedError

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
        with status.indexing_errors():
            return self._ts_with_transform(self._ts_transform()._transpose(axes))

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
