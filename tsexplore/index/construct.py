"""Python constructors of IndexDomain/IndexTransform (keywords, JSON, Dim sequences); domain subscripts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import status
from .dim import Dim
from .dim_expression import DimExpression
from .dimsel import get_dimensions, normalize_index, normalize_label, parse_dim_specs
from .indexable import align_domain, apply_index
from .interval import INF, INF_SIZE, MAX_RANK, validate_closed
from .output_map import OutputIndexMap, OutputIndexMethod
from .transform import DomainFields, IndexDomain, IndexTransform, build_transform, validate_labels

__all__ = ["domain_from_args", "domain_getitem", "transform_from_args"]


def _seq(x: Any) -> list[Any] | None:
    return None if x is None else list(x)


def _int(v: Any) -> int:
    if isinstance(v, float) or not hasattr(v, "__index__"):
        raise TypeError("__init__(): incompatible function arguments")
    return int(v.__index__())


def _ints(x: Any) -> list[int] | None:
    if x is None:
        return None
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError("__init__(): incompatible function arguments")
    return [_int(v) for v in x]


def _keyword_transform(  # noqa: PLR0917
    rank: Any, rank_name: str, p: str, kw: dict[str, Any], output: Any, output_rank: int | None
) -> IndexTransform:
    names = {
        "inclusive_min": p + "inclusive_min",
        "exclusive_max": p + "exclusive_max",
        "inclusive_max": p + "inclusive_max",
        "shape": p + "shape",
        "labels": p + "labels",
    }
    r: int | None = None
    field: str | None = None
    # pybind11 converts every argument before any validation (a bad element is a TypeError).
    for key in ("inclusive_min", "exclusive_max", "inclusive_max", "shape"):
        _ints(kw.get(key))
    if rank is not None:
        r = _int(rank)
        if not 0 <= r <= MAX_RANK:
            raise ValueError(f"Invalid {rank_name}: {r}")
        field = rank_name

    def check(n: int, name: str) -> None:
        nonlocal r, field
        if r is None:
            if n > MAX_RANK:
                raise ValueError(f"Rank specified by `{name}` ({n}) exceeds maximum rank of {MAX_RANK}")
            r, field = n, name
        elif r != n:
            raise ValueError(f"Rank specified by `{name}` ({n}) does not match rank specified by `{field}` ({r})")

    lo = _ints(kw.get("inclusive_min"))
    il = _seq(kw.get("implicit_lower_bounds"))
    iu = _seq(kw.get("implicit_upper_bounds"))
    labels = _seq(kw.get("labels"))
    if lo is not None:
        check(len(lo), names["inclusive_min"])
    if il is not None:
        check(len(il), "implicit_lower_bounds")
    upper_field: str | None = None
    upper = None
    form = "half_open"
    for key, frm in (("exclusive_max", "half_open"), ("inclusive_max", "closed"), ("shape", "sized")):
        v = _ints(kw.get(key))
        if v is None:
            continue
        if upper_field:
            raise ValueError(f"Cannot specify both `{upper_field}` and `{names[key]}`")
        upper_field = names[key]
        check(len(v), names[key])
        upper, form = v, frm
    if iu is not None:
        check(len(iu), "implicit_upper_bounds")
    if labels is not None:
        check(len(labels), names["labels"])
    if r is None:
        raise ValueError(f"Must specify `{rank_name}`")
    if output is not None:
        maps = list(output)
        for m in maps:
            if not isinstance(m, OutputIndexMap):
                raise TypeError("__init__(): incompatible function arguments")
    else:
        maps = None
    if output_rank == 0:
        maps = []
    return build_transform(r, lo, upper, form, il, iu, labels, maps)


def _jtext(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def _member(name: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except status.StatusError as e:
        raise e.prefixed(f'Error parsing object member "{name}"') from None


def _element(i: int, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except status.StatusError as e:
        raise e.prefixed(f"Error parsing value at position {i}") from None


def _jint(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63:
        return v
    raise status.invalid_argument(f"Expected 64-bit signed integer, but received: {_jtext(v)}")


def _jarray(v: Any, n: int | None) -> list[Any]:
    if not isinstance(v, list):
        raise status.invalid_argument(f"Expected array, but received: {_jtext(v)}")
    if n is not None and len(v) != n:
        raise status.invalid_argument(f"Array has length {len(v)} but should have length {n}")
    return v


def _jbound(v: Any, lower: bool) -> tuple[int, bool]:
    implicit = isinstance(v, list)
    if implicit:
        if len(v) != 1:
            raise status.invalid_argument(
                f"Expected array of size 1 indicating an implicit value, but received: {_jtext(v)}"
            )
        v = v[0]
    inf = "-inf" if lower else "+inf"
    if v == inf:
        return (-INF if lower else INF + 1), implicit
    if isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63:
        return v, implicit
    raise status.invalid_argument(f'Expected 64-bit signed integer or "{inf}", but received: {_jtext(v)}')


def _jbounds(v: Any, n: int | None, lower: bool) -> tuple[list[int], list[bool]]:
    vals = _jarray(v, n)
    out = [_element(i, _jbound, x, lower) for i, x in enumerate(vals)]
    return [x for x, _ in out], [imp for _, imp in out]


def _jlabels(v: Any, n: int | None) -> list[str]:
    vals = _jarray(v, n)

    def one(x: Any) -> str:
        if not isinstance(x, str):
            raise status.invalid_argument(f"Expected string, but received: {_jtext(x)}")
        return x

    labels = [_element(i, one, x) for i, x in enumerate(vals)]
    validate_labels(labels)
    return labels


def _jrank(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_RANK:
        return v
    raise status.invalid_argument(f"Expected integer in the range [0, {MAX_RANK}], but received: {_jtext(v)}")


def _jindex_array(v: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    def walk(x: Any, pos: tuple[int, ...]) -> None:
        if isinstance(x, list):
            for i, e in enumerate(x):
                walk(e, (*pos, i))
        elif not (isinstance(x, int) and not isinstance(x, bool)):
            raise status.invalid_argument(
                f"Error parsing array element at position {{{', '.join(map(str, pos))}}}: Expected 64-bit "
                f"signed integer, but received: {_jtext(x)}"
            )

    walk(v, ())
    try:
        return np.array(v, dtype=np.int64)
    except ValueError:
        raise status.invalid_argument(f"Expected rectangular array, but received: {_jtext(v)}") from None


def _jrange(v: Any) -> tuple[int, int]:
    lo, hi = _jarray(v, 2)
    a = -INF if lo == "-inf" else _jint(lo)
    b = INF if hi == "+inf" else _jint(hi)
    validate_closed(a, b)
    return a, b + 1


def _joutput(o: Any) -> OutputIndexMap:
    if not isinstance(o, dict):
        raise status.invalid_argument(f"Expected object, but received: {_jtext(o)}")
    o = dict(o)
    if "input_dimension" in o and "index_array" in o:
        raise status.invalid_argument('At most one of "input_dimension", "index_array" members is allowed')
    offset = _member("offset", _jint, o.pop("offset")) if "offset" in o else 0
    has_dim, has_array = "input_dimension" in o, "index_array" in o
    dim = _member("input_dimension", _jint, o.pop("input_dimension")) if has_dim else None
    stride = 1
    if "stride" in o:
        if not has_dim and not has_array:
            raise status.invalid_argument(
                'Error parsing object member "stride": Either "input_dimension" or "index_array" must be '
                'specified in conjunction with "stride"'
            )
        stride = _member("stride", _jint, o.pop("stride"))
    arr = _member("index_array", _jindex_array, o.pop("index_array")) if has_array else None
    rng = (-INF, INF + 1)
    if "index_array_bounds" in o:
        if not has_array:
            raise status.invalid_argument(
                'Error parsing object member "index_array_bounds": "index_array_bounds" is only valid with '
                '"index_array"'
            )
        rng = _member("index_array_bounds", _jrange, o.pop("index_array_bounds"))
    if o:
        raise status.invalid_argument("Object includes extra members: " + ",".join(f'"{k}"' for k in o))
    if dim is not None:  # stride 0 stays until the input dimension is validated
        return OutputIndexMap._make(OutputIndexMethod.single_input_dimension, offset, stride, dim)
    if arr is not None:
        return OutputIndexMap(
            index_array=arr, offset=offset, stride=stride, index_range=Dim._make(*rng, False, False, "")
        )
    return OutputIndexMap._constant(offset)


def from_json(j: Any, transform: bool) -> IndexTransform:
    """``IndexDomain(json=...)``/``IndexTransform(json=...)`` with tensorstore's checks, order and texts."""
    what = "index transform" if transform else "index domain"
    try:
        if not isinstance(j, dict):
            raise status.invalid_argument(f"Expected object, but received: {_jtext(j)}")
        p = "input_" if transform else ""
        j = dict(j)
        uppers = [k for k in ("shape", "inclusive_max", "exclusive_max") if p + k in j]
        n: int | None = None
        if p + "rank" in j:
            n = _member(p + "rank", _jrank, j.pop(p + "rank"))
        lo = il = None
        if p + "inclusive_min" in j:
            lo, il = _member(p + "inclusive_min", _jbounds, j.pop(p + "inclusive_min"), n, True)
            n = len(lo)
        if len(uppers) > 1:
            raise status.invalid_argument(
                f'At most one of "{p}shape", "{p}inclusive_max", "{p}exclusive_max" members is allowed'
            )
        upper = iu = None
        form = "half_open"
        if uppers:
            key = p + uppers[0]
            upper, iu = _member(key, _jbounds, j.pop(key), n, False)
            n = len(upper)
            if uppers[0] == "inclusive_max":
                form = "closed"
                upper = [INF if x == INF + 1 else x for x in upper]
            elif uppers[0] == "shape":
                form = "sized"
                upper = [INF_SIZE if x == INF + 1 else x for x in upper]
        labels = None
        if p + "labels" in j:
            labels = _member(p + "labels", _jlabels, j.pop(p + "labels"), n)
            n = len(labels)
        if n is None:
            raise status.invalid_argument(
                f'At least one of "{p}rank", "{p}inclusive_min", "{p}shape", "{p}inclusive_max", '
                f'"{p}exclusive_max", "{p}labels" members must be specified'
            )
        maps = None
        if transform and "output" in j:
            outs = _member("output", _jarray, j.pop("output"), None)
            maps = [_member("output", _element, i, _joutput, o) for i, o in enumerate(outs)]
        if j:
            raise status.invalid_argument("Object includes extra members: " + ",".join(f'"{k}"' for k in j))
        return build_transform(n, lo, upper, form, il, iu, labels, maps if transform else [])
    except status.StatusError as e:
        raise e.prefixed(f"Error parsing {what} from JSON") from None


def domain_from_args(args: tuple[Any, ...], kw: dict[str, Any]) -> DomainFields:
    if "json" in kw:
        if args or len(kw) != 1:
            raise TypeError("__init__(): incompatible function arguments")
        return from_json(kw["json"], False)._f
    if args and not isinstance(args[0], int) and args[0] is not None and not hasattr(args[0], "__index__"):
        if len(args) != 1 or kw:
            raise TypeError("__init__(): incompatible function arguments")
        dims = list(args[0])
        for x in dims:
            if not isinstance(x, Dim):
                raise TypeError("__init__(): incompatible function arguments")
        labels = [x.label for x in dims]
        from .transform import validate_labels

        validate_labels(labels)
        return (
            tuple(x.inclusive_min for x in dims),
            tuple(x.exclusive_max for x in dims),
            tuple(x.implicit_lower for x in dims),
            tuple(x.implicit_upper for x in dims),
            tuple(labels),
        )
    if "dimensions" in kw:
        return domain_from_args((kw.pop("dimensions"),), kw)
    if len(args) > 1:
        raise TypeError("__init__(): incompatible function arguments")
    rank = args[0] if args else kw.pop("rank", None)
    allowed = {
        "inclusive_min",
        "implicit_lower_bounds",
        "exclusive_max",
        "inclusive_max",
        "shape",
        "implicit_upper_bounds",
        "labels",
    }
    for k in kw:
        if k not in allowed:
            raise TypeError("__init__(): incompatible function arguments")
    return _keyword_transform(rank, "rank", "", kw, None, 0)._f


def transform_from_args(args: tuple[Any, ...], kw: dict[str, Any]) -> IndexTransform:
    if "json" in kw:
        if args or len(kw) != 1:
            raise TypeError("__init__(): incompatible function arguments")
        return from_json(kw["json"], True)
    first = args[0] if args else kw.get("domain")
    if isinstance(first, IndexDomain):
        kw = dict(kw)
        kw.pop("domain", None)
        output = kw.pop("output", None)
        if len(args) > 1 or kw:
            raise TypeError("__init__(): incompatible function arguments")
        lo, hi, il, iu, lab = first._f
        maps = None if output is None else list(output)
        return build_transform(len(lo), lo, hi, "half_open", il, iu, lab, maps)
    if len(args) > 1:
        raise TypeError("__init__(): incompatible function arguments")
    rank = args[0] if args else kw.pop("input_rank", None)
    kw = dict(kw)
    output = kw.pop("output", None)
    mapping = {
        "input_inclusive_min": "inclusive_min",
        "implicit_lower_bounds": "implicit_lower_bounds",
        "input_exclusive_max": "exclusive_max",
        "input_inclusive_max": "inclusive_max",
        "input_shape": "shape",
        "implicit_upper_bounds": "implicit_upper_bounds",
        "input_labels": "labels",
    }
    kk: dict[str, Any] = {}
    for k, v in kw.items():
        if k not in mapping:
            raise TypeError("__init__(): incompatible function arguments")
        kk[mapping[k]] = v
    return _keyword_transform(rank, "input_rank", "input_", kk, output, None)


def _cast_error(obj: Any) -> RuntimeError:
    return RuntimeError(
        f"Unable to cast Python instance of type {type(obj)} to C++ type '?' (#define "
        "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)"
    )


def _spec(x: Any, nested: bool) -> list[Any] | None:
    """One ``DimSelectionLike`` element; None when it is not convertible (pybind11 tries the next overload)."""
    if isinstance(x, str):
        return [x]
    if isinstance(x, slice):
        for v in (x.start, x.stop, x.step):
            if v is not None and not hasattr(v, "__index__"):
                raise _cast_error(x)
        if x.step is not None and int(x.step.__index__()) == 0:
            raise _cast_error(x)
        return parse_dim_specs(x)
    if isinstance(x, np.ndarray) and (x.ndim or x.dtype.kind not in "iu"):
        raise _cast_error(x)
    if hasattr(x, "__index__"):
        return [int(x.__index__())]
    if isinstance(x, (list, tuple)):
        out: list[Any] = []
        for e in x:
            sub = _spec(e, True)
            if sub is None:
                raise _cast_error(x)
            out.extend(sub)
        return out
    return None


def _selection_like(key: Any) -> list[Any] | None:
    """pybind11's conversion of ``DimSelectionLike`` (ints incl. bools, labels, slices, nested sequences)."""
    if not isinstance(key, (slice, tuple, list)):
        return None
    if isinstance(key, slice):
        return _spec(key, False)
    out: list[Any] = []
    for e in key:
        sub = _spec(e, isinstance(e, (list, tuple)))
        if sub is None:
            return None
        out.extend(sub)
    return out


def domain_getitem(dom: IndexDomain, key: Any) -> Any:
    if isinstance(key, str):
        with status.indexing_errors():
            return dom._dim(normalize_label(key, dom.labels))
    if isinstance(key, np.ndarray) and (key.ndim or key.dtype.kind not in "iu"):
        raise _cast_error(key)
    if hasattr(key, "__index__"):
        with status.indexing_errors():
            return dom._dim(normalize_index(int(key.__index__()), dom.rank))
    t = IndexTransform._make(dom._f, ())
    if isinstance(key, DimExpression):
        return apply_index(t, key, domain_only=True).domain
    if isinstance(key, IndexTransform):
        return apply_index(t, key, domain_only=True).domain
    if isinstance(key, IndexDomain):
        with status.indexing_errors():
            return align_domain(t, key).domain
    specs = _selection_like(key)
    if specs is not None:
        dims = get_dimensions(dom.labels, specs)
        f = dom._f
        return IndexDomain._make(tuple(tuple(x[i] for i in dims) for x in f))  # type: ignore[arg-type]
    raise TypeError(
        "__getitem__(): incompatible function arguments. The following argument types are supported:\n"
        "    1. (self: tensorstore.IndexDomain, identifier: int | str) -> tensorstore.Dim\n"
        "    2. (self: tensorstore.IndexDomain, selection: tensorstore.DimSelectionLike) -> tensorstore.IndexDomain\n"
        "    3. (self: tensorstore.IndexDomain, other: tensorstore.IndexDomain) -> tensorstore.IndexDomain\n"
        "    4. (self: tensorstore.IndexDomain, expr: tensorstore.DimExpression) -> tensorstore.IndexDomain\n"
        "    5. (self: tensorstore.IndexDomain, transform: tensorstore.IndexTransform) -> tensorstore.IndexDomain\n"
        f"\nInvoked with: {dom!r}, {key!r}"
    )
