"""``ts.d`` dimension expressions: a selection followed by chained, subscripted operations."""

from __future__ import annotations

from typing import Any

from .. import status
from . import ops
from .compose import compose_indexing
from .dimsel import DimSpec, RangeSpec, get_dimensions, parse_dim_specs
from .numpy_indexing import IndexingSpec, parse_indexing, spec_repr, to_transform_chained, to_transform_dims
from .output_map import OutputIndexMap, OutputIndexMethod
from .transform import IndexTransform, is_explicitly_empty, payload_escape

__all__ = ["DimExpression", "DimSelection", "d"]

_MODE_PREFIX = {"default": "", "oindex": ".oindex", "vindex": ".vindex"}


def _sel_repr(specs: list[DimSpec]) -> str:
    if not specs:
        return "()"
    out = []
    for s in specs:
        if isinstance(s, str):
            out.append("'" + payload_escape(s) + "'")
        else:
            out.append(repr(s) if isinstance(s, RangeSpec) else str(s))
    return ",".join(out)


def _vec(key: Any) -> list[int | None]:
    items = key if isinstance(key, (tuple, list)) else (key,)
    return [None if x is None else int(x.__index__()) for x in items]


def _vec_repr(vals: list[int | None], scalar: bool) -> str:
    text = ",".join("None" if v is None else str(v) for v in vals)
    if not scalar and len(vals) == 1:
        text += ","
    return "()" if not scalar and not vals else text


class _Op:
    """One operation in the chain: ``apply(transform, dims, domain_only) -> (transform, dims)``."""

    def __init__(self, kind: str, arg: Any, text: str) -> None:
        self.kind, self.arg, self.text = kind, arg, text

    def apply(self, t: IndexTransform, dims: list[int], domain_only: bool) -> tuple[IndexTransform, list[int]]:
        k, a = self.kind, self.arg
        if k == "index":
            new, dims = to_transform_chained(a, t._f, dims)
            return compose_indexing(t, new, domain_only), dims
        if k in ("to", "by", "backward_by"):
            return ops.translate(t, dims, a, k, domain_only)
        if k == "stride":
            return ops.stride(t, dims, a, domain_only)
        if k == "label":
            return ops.label(t, dims, a)
        if k == "transpose":
            return ops.transpose_to(t, dims, a)
        if k == "diagonal":
            return ops.diagonal(t, dims, domain_only)
        if k == "mark":
            return ops.mark_implicit(t, dims, a[0], a[1])
        raise AssertionError(k)


class DimExpression:
    """A chain of operations applied to selected dimensions (``ts.d[...]...``)."""

    __slots__ = ("_ops", "_sel")

    def __init__(self, sel: list[DimSpec], ops: tuple[_Op, ...]) -> None:
        self._sel = sel
        self._ops = ops

    def _then(self, op: _Op) -> DimExpression:
        return DimExpression(self._sel, (*self._ops, op))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..display import dim_expression_bundle

        return dim_expression_bundle(self)

    def __repr__(self) -> str:
        return f"d[{_sel_repr(self._sel)}]" + "".join(op.text for op in self._ops)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DimExpression):
            return NotImplemented
        return repr(self) == repr(other)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (DimExpression, (self._sel, self._ops))

    # -- operations -------------------------------------------------------------------------------------
    def _index(self, key: Any, mode: str) -> DimExpression:
        try:  # status.indexing_errors(), inlined
            spec = parse_indexing(key, mode, "initial" if not self._ops else "chained")
        except status.StatusError as e:
            if e.code in ("INVALID_ARGUMENT", "OUT_OF_RANGE"):
                raise IndexError(str(e)) from None
            raise
        prefix = _MODE_PREFIX[mode]
        return self._then(_Op("index", spec, f"{prefix}[{spec_repr(spec)}]"))

    def __getitem__(self, key: Any) -> DimExpression:
        return self._index(key, "default")

    @property
    def oindex(self) -> _Subscript:
        return _Subscript("_Oindex", lambda k: self._index(k, "oindex"))

    @property
    def vindex(self) -> _Subscript:
        return _Subscript("_Vindex", lambda k: self._index(k, "vindex"))

    def _translate(self, kind: str, cls: str) -> _Subscript:
        def make(key: Any) -> DimExpression:
            vals = _vec(key)
            scalar = not isinstance(key, (tuple, list))
            return self._then(_Op(kind, vals, f".translate_{kind}[{_vec_repr(vals, scalar)}]"))

        return _Subscript(cls, make)

    @property
    def translate_to(self) -> _Subscript:
        return self._translate("to", "_TranslateTo")

    @property
    def translate_by(self) -> _Subscript:
        return self._translate("by", "_TranslateBy")

    @property
    def translate_backward_by(self) -> _Subscript:
        return self._translate("backward_by", "_TranslateBackwardBy")

    @property
    def stride(self) -> _Subscript:
        def make(key: Any) -> DimExpression:
            vals = _vec(key)
            scalar = not isinstance(key, (tuple, list))
            return self._then(_Op("stride", vals, f".stride[{_vec_repr(vals, scalar)}]"))

        return _Subscript("_Stride", make)

    @property
    def label(self) -> _Subscript:
        def make(key: Any) -> DimExpression:
            labels = [key] if isinstance(key, str) else list(key)
            for x in labels:
                if not isinstance(x, str):
                    raise TypeError("__getitem__(): incompatible function arguments")
            text = ",".join("'" + payload_escape(x) + "'" for x in labels)
            return self._then(_Op("label", labels, f".label[{text}]"))

        return _Subscript("_Label", make)

    @property
    def transpose(self) -> _Subscript:
        def make(key: Any) -> DimExpression:
            specs = parse_dim_specs(key)
            return self._then(_Op("transpose", specs, f".transpose[{_sel_repr(specs)}]"))

        return _Subscript("_Transpose", make)

    @property
    def diagonal(self) -> DimExpression:
        return self._then(_Op("diagonal", None, ".diagonal"))

    @property
    def mark_bounds_implicit(self) -> _Subscript:
        def make(key: Any) -> DimExpression:
            if isinstance(key, slice):
                lower, upper = key.start, key.stop
            else:
                lower = upper = key
            for v in (lower, upper):
                if v is not None and not isinstance(v, bool):
                    raise TypeError("__getitem__(): incompatible function arguments")

            def fb(v: bool | None) -> str:
                return "" if v is None else str(v)

            text = fb(lower) if (lower == upper and lower is not None) else f"{fb(lower)}:{fb(upper)}"
            return self._then(_Op("mark", (lower, upper), f".mark_bounds_implicit[{text}]"))

        return _Subscript("_MarkBoundsImplicit", make)

    # -- application ------------------------------------------------------------------------------------
    def _apply(self, t: IndexTransform, domain_only: bool) -> IndexTransform:
        if not self._ops:
            raise status.invalid_argument("Must specify at least one operation in dimension expression")
        ops = list(self._ops)
        first = ops[0]
        if first.kind == "index":
            assert isinstance(first.arg, IndexingSpec)
            new, dims = to_transform_dims(first.arg, t._f, list(self._sel))
            t = compose_indexing(t, new, domain_only)
            ops = ops[1:]
        else:
            dims = get_dimensions(t._f[4], self._sel)
        for op in ops:
            t, dims = op.apply(t, dims, domain_only)
        return _normalize_empty(t)


def _normalize_empty(t: IndexTransform) -> IndexTransform:
    """An explicitly empty domain has no index-array maps (tensorstore makes them constant 0)."""
    if not t._maps or not is_explicitly_empty(t._f):
        return t
    maps = tuple(OutputIndexMap._constant(0) if m._method == OutputIndexMethod.array else m for m in t._maps)
    return IndexTransform._make(t._f, maps)


class DimSelection(DimExpression):
    """``ts.d[...]``: a dimension selection with no operations yet."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DimSelection):
            raise TypeError(
                "__eq__(): incompatible function arguments. The following argument types are supported:\n"
                "    1. (self: tensorstore.DimSelection, other: tensorstore.DimSelection) -> bool\n\n"
                f"Invoked with: {self!r}, {other!r}"
            )
        return self._sel == other._sel

    __hash__ = None

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"'tensorstore.DimSelection' object has no attribute '{name}'")


class _Subscript:
    """Helper returned by subscript-only operations; calling it raises tensorstore's TypeError."""

    __slots__ = ("_fn", "_name")

    def __init__(self, name: str, fn: Any) -> None:
        self._name, self._fn = name, fn

    def __getitem__(self, key: Any) -> Any:
        return self._fn(key)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"'tensorstore.{self._name}' object is not callable")


class _D:
    """The ``ts.d`` entry point."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> DimSelection:
        return DimSelection(parse_dim_specs(key), ())

    def __repr__(self) -> str:
        return "d"


d = _D()
