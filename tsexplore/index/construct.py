"""Python constructors of IndexDomain/IndexTransform (keywords, JSON, Dim sequences); domain subscripts."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import status
from .dim import Dim
from .dimsel import get_dimensions, normalize_index, normalize_label, parse_dim_specs
from .interval import INF, INF_SIZE, MAX_RANK
from .output_map import OutputIndexMap
from .transform import DomainFields, IndexDomain, IndexTransform, build_transform

__all__ = ["domain_from_args", "domain_getitem", "transform_from_args"]


def _seq(x: Any) -> list[Any] | None:
    return None if x is None else list(x)


def _ints(x: Any) -> list[int] | None:
    if x is None:
        return None
    return [int(v.__index__()) for v in x]


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
    if rank is not None:
        r = int(rank.__index__())
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


def _parse_json_bounds(vals: Any, key: str, lower: bool) -> tuple[list[int], list[bool]]:
    out, imp = [], []
    for v in vals:
        implicit = isinstance(v, list)
        if implicit:
            if len(v) != 1:
                raise status.invalid_argument(
                    f'Error parsing object member "{key}": Expected array of size 1 indicating an implicit '
                    f"value, but received: {v}"
                )
            v = v[0]  # noqa: PLW2901
        if v == "-inf":
            x = -INF
        elif v == "+inf":
            x = INF + 1 if not lower else INF
        elif isinstance(v, int) and not isinstance(v, bool):
            x = v
        else:
            raise status.invalid_argument(
                f'Error parsing object member "{key}": Expected 64-bit signed '
                f'integer or "-inf"/"+inf", but received: {v}'
            )
        out.append(x)
        imp.append(implicit)
    return out, imp


def from_json(j: Any, transform: bool) -> IndexTransform:
    what = "index transform" if transform else "index domain"
    try:
        if not isinstance(j, dict):
            raise status.invalid_argument(f"Expected object, but received: {j}")
        p = "input_" if transform else ""
        j = dict(j)
        rank = j.pop(p + "rank", None)
        lo, il = (None, None)
        if p + "inclusive_min" in j:
            lo, il = _parse_json_bounds(j.pop(p + "inclusive_min"), p + "inclusive_min", True)
        upper, iu, form = None, None, "half_open"
        for key, frm in (("shape", "sized"), ("inclusive_max", "closed"), ("exclusive_max", "half_open")):
            if p + key in j:
                upper, iu = _parse_json_bounds(j.pop(p + key), p + key, False)
                form = frm
                if frm == "closed":
                    upper = [INF if x == INF + 1 else x for x in upper]
                if frm == "sized":
                    upper = [INF_SIZE if x == INF + 1 else x for x in upper]
        labels = j.pop(p + "labels", None)
        output = j.pop("output", None) if transform else None
        if j:
            raise status.invalid_argument("Object includes extra members: " + ",".join(f'"{k}"' for k in j))
        n = rank
        for v in (lo, upper, labels):
            if v is not None:
                n = len(v)
        if n is None:
            raise status.invalid_argument(
                f'At least one of "{p}rank", "{p}inclusive_min", "{p}shape", "{p}inclusive_max", '
                f'"{p}exclusive_max", "{p}labels" members must be specified'
            )
        maps = None
        if output is not None:
            maps = []
            for o in output:
                o = dict(o)  # noqa: PLW2901
                off = o.pop("offset", 0)
                if "input_dimension" in o:
                    maps.append(
                        OutputIndexMap._single(o.pop("input_dimension"), off, o.pop("stride", 1))
                        if o.get("stride", 1) != 0
                        else OutputIndexMap._constant(off)
                    )
                    o.pop("stride", None)
                elif "index_array" in o:
                    b = o.pop("index_array_bounds", ["-inf", "+inf"])
                    rlo = -INF if b[0] == "-inf" else b[0]
                    rhi = INF + 1 if b[1] == "+inf" else b[1] + 1
                    m = OutputIndexMap(
                        index_array=o.pop("index_array"),
                        offset=off,
                        stride=o.pop("stride", 1),
                        index_range=Dim._make(rlo, rhi, False, False, ""),
                    )
                    maps.append(m)
                else:
                    maps.append(OutputIndexMap._constant(off))
        return build_transform(
            n,
            lo,
            upper,
            form,
            il if lo is not None else None,
            iu if upper is not None else None,
            labels,
            maps if transform else [],
        )
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
    from .dim_expression import DimExpression
    from .indexable import align_domain, apply_index

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
