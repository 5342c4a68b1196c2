"""NumPy-style indexing expressions turned into index transforms (tensorstore's NumpyIndexingSpec).

An expression is parsed into terms, then converted into a transform from the new domain to the
existing one; the caller composes it onto its own transform.  Coordinates are never re-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import status
from .dimsel import DimSpec, get_new_dimensions, normalize_index, normalize_label, normalize_range
from .interval import INF, MAX_RANK, extract_strided_slice, validate_half_open
from .output_map import OutputIndexMap, OutputIndexMethod
from .transform import DomainFields, IndexTransform, _validate_map, validate_labels

__all__ = ["IndexingSpec", "parse_indexing", "spec_repr", "to_transform_direct", "to_transform_dims"]

NEWAXIS = "newaxis"
ELLIPSIS = "ellipsis"


@dataclass
class Slice:
    start: int | None
    stop: int | None
    step: int


@dataclass
class IndexArray:
    array: np.ndarray[Any, Any]
    outer: bool


@dataclass
class BoolArray:
    index_arrays: np.ndarray[Any, Any]  # shape (rank, n)
    outer: bool
    original: np.ndarray[Any, Any]


@dataclass
class IndexingSpec:
    mode: str  # "default" | "oindex" | "vindex"
    usage: str  # "direct" | "initial" | "chained"
    terms: list[Any] = field(default_factory=list)
    scalar: bool = True
    has_ellipsis: bool = False
    num_output_dims: int = 0
    num_input_dims: int = 0
    num_new_dims: int = 0
    joint_consecutive: bool = True
    joint_shape: list[int] = field(default_factory=list)


_ONLY = (
    "Only integers, slices (`:`), ellipsis (`...`), tensorstore.newaxis (`None`) and integer or "
    "boolean arrays are valid indices"
)


class _Builder:
    def __init__(self, spec: IndexingSpec) -> None:
        self.spec = spec
        self.has_index_array = False
        self.has_break = False
        spec.joint_consecutive = spec.mode == "default"

    def add_shape(self, shape: tuple[int, ...]) -> None:
        s = self.spec
        if s.mode == "oindex":
            s.num_input_dims += len(shape)
            return
        if len(s.joint_shape) < len(shape):
            s.joint_shape[:0] = [1] * (len(shape) - len(s.joint_shape))
        for i, size in enumerate(shape):
            k = len(s.joint_shape) - (len(shape) - i)
            b = s.joint_shape[k]
            if size != 1:
                if b not in (1, size):
                    raise status.invalid_argument(
                        f"Incompatible index array shapes: {{{', '.join(str(x) for x in shape)}}} vs "
                        f"{{{', '.join(str(x) for x in s.joint_shape)}}}"
                    )
                s.joint_shape[k] = size
        self.has_index_array = True
        if self.has_break:
            s.joint_consecutive = False

    def add_term(self, term: Any) -> None:
        s = self.spec
        if term is Ellipsis:
            if s.has_ellipsis:
                raise status.invalid_argument("An index can only have a single ellipsis (`...`)")
            s.scalar = False
            s.terms.append(ELLIPSIS)
            s.has_ellipsis = True
            self.has_break = self.has_index_array
            return
        if term is None:
            if s.usage == "chained":
                raise status.invalid_argument("tensorstore.newaxis (`None`) not valid in chained indexing operations")
            s.num_input_dims += 1
            s.num_new_dims += 1
            s.terms.append(NEWAXIS)
            self.has_break = self.has_index_array
            return
        if isinstance(term, slice):
            self.add_slice(term)
            return
        if type(term) is int or (not isinstance(term, (bool, np.bool_, np.ndarray)) and hasattr(term, "__index__")):
            try:
                x = int(term.__index__())
            except TypeError:
                x = None
            if x is not None:
                s.terms.append(x)
                s.num_output_dims += 1
                return
        if isinstance(term, np.ndarray):
            arr = term
        else:
            try:
                arr = np.asarray(term)
            except (ValueError, TypeError):
                raise status.invalid_argument(_ONLY) from None
            if arr.size == 0 and arr.dtype.kind not in "iub":
                arr = arr.astype(np.int64)
        if arr.dtype == np.bool_:
            self.add_bool(arr)
            return
        if arr.dtype.kind in "iu":
            a = np.array(arr, dtype=np.int64)
            self.add_shape(a.shape)
            s.num_output_dims += 1
            if a.ndim != 0:
                s.scalar = False
            s.terms.append(IndexArray(a, s.mode == "oindex"))
            return
        if arr is term:
            raise status.invalid_argument("Arrays used as indices must be of integer (or boolean) type")
        raise status.invalid_argument(_ONLY)

    def add_slice(self, sl: slice) -> None:
        s = self.spec
        parts: list[Any] = []
        rank = -1
        names = ("start", "stop", "step")
        prev: tuple[str, Any] | None = None
        for name, v in zip(names, (sl.start, sl.stop, sl.step)):
            if v is None:
                parts.append(None)
                continue
            if isinstance(v, (list, tuple, np.ndarray)):
                vec = [None if x is None else int(x.__index__()) for x in v]
                if rank != -1 and rank != len(vec):
                    assert prev is not None
                    raise status.invalid_argument(
                        f"{name}={_vec_repr(vec)} (rank {len(vec)}) is incompatible with "
                        f"{prev[0]}={_vec_repr(prev[1])} (rank {rank})"
                    )
                rank = len(vec)
                prev = (name, vec)
                parts.append(vec)
            else:
                if not hasattr(v, "__index__"):
                    raise TypeError("slice indices must be integers or None or have an __index__ method")
                parts.append(int(v.__index__()))
        if rank != -1:
            s.scalar = False
        else:
            rank = 1
        for i in range(rank):
            vals = [p[i] if isinstance(p, list) else p for p in parts]
            step = 1 if vals[2] is None else vals[2]
            s.terms.append(Slice(vals[0], vals[1], step))
        s.num_input_dims += rank
        s.num_output_dims += rank
        self.has_break = self.has_index_array

    def add_bool(self, arr: np.ndarray[Any, Any]) -> None:
        s = self.spec
        if arr.ndim == 0:
            if s.usage != "direct":
                if s.mode == "oindex":
                    raise status.invalid_argument(
                        "Zero-rank bool array incompatible with outer indexing of a dimension selection"
                    )
                s.joint_consecutive = False
            idx = np.zeros((0, 1 if bool(arr) else 0), dtype=np.int64)
        else:
            idx = np.array(np.nonzero(arr), dtype=np.int64).reshape(arr.ndim, -1)
        s.num_output_dims += arr.ndim
        self.add_shape(idx.shape[1:])
        s.terms.append(BoolArray(idx, s.mode == "oindex", arr))
        s.scalar = False


def _vec_repr(v: list[int | None]) -> str:
    return "[" + ",".join("None" if x is None else str(x) for x in v) + "]"


def parse_indexing(obj: Any, mode: str, usage: str) -> IndexingSpec:
    spec = IndexingSpec(mode, usage)
    b = _Builder(spec)
    if isinstance(obj, tuple):
        spec.scalar = False
        for t in obj:
            b.add_term(t)
    else:
        b.add_term(obj)
    spec.num_input_dims += len(spec.joint_shape)
    return spec


def spec_repr(spec: IndexingSpec) -> str:
    """tensorstore's ``IndexingSpecRepr`` (used in DimExpression reprs)."""
    parts = []
    for t in spec.terms:
        if isinstance(t, int):
            parts.append(str(t))
        elif isinstance(t, Slice):
            r = ("" if t.start is None else str(t.start)) + ":" + ("" if t.stop is None else str(t.stop))
            if t.step != 1:
                r += f":{t.step}"
            parts.append(r)
        elif t is NEWAXIS:
            parts.append("None")
        elif t is ELLIPSIS:
            parts.append("...")
        elif isinstance(t, IndexArray):
            parts.append(repr(t.array))
        else:
            idx = t.index_arrays
            shape = [int(idx[j].max()) + 1 if idx.shape[1] else 1 for j in range(idx.shape[0])]
            ba = np.zeros(shape, dtype=bool)
            if idx.shape[1]:
                ba[tuple(idx)] = True
            parts.append(repr(ba) if idx.shape[0] else repr(np.array(idx.shape[1] > 0)))
    r = ",".join(parts)
    if not spec.scalar and len(spec.terms) == 1:
        r += ","
    return r


# -- conversion to transforms ----------------------------------------------------------------------------


def _num_ellipsis(spec: IndexingSpec, selection_rank: int) -> int:
    n = selection_rank - spec.num_output_dims - spec.num_new_dims
    if n < 0 or (not spec.has_ellipsis and n != 0):
        raise status.invalid_argument(
            f"Indexing expression requires {spec.num_output_dims + spec.num_new_dims} dimensions but selection "
            f"has {selection_rank} dimensions"
        )
    return n


def _normalized(spec: IndexingSpec, selection_rank: int) -> IndexingSpec:
    if not spec.scalar:
        return spec
    t = spec.terms[0]
    return IndexingSpec(
        spec.mode,
        spec.usage,
        [t] * selection_rank,
        spec.scalar,
        spec.has_ellipsis,
        spec.num_output_dims * selection_rank,
        spec.num_input_dims * selection_rank,
        spec.num_new_dims * selection_rank,
        spec.joint_consecutive,
        list(spec.joint_shape),
    )


def _indexed_input_dims(
    spec: IndexingSpec, intermediate_rank: int, selected: list[int], n_indexed: int, input_rank: int
) -> tuple[list[int], list[int]]:
    num_ellipsis = len(selected) - (spec.num_output_dims + spec.num_new_dims)
    unindexed = [-1] * input_rank
    per = [-1] * (intermediate_rank + 1)
    si = 0
    joint_remaining = spec.joint_consecutive
    for t in spec.terms:
        if isinstance(t, int) and not isinstance(t, bool):
            per[selected[si]] = 0
            si += 1
        elif t is NEWAXIS or isinstance(t, Slice):
            per[selected[si]] = 1
            si += 1
        elif t is ELLIPSIS:
            for _ in range(num_ellipsis):
                per[selected[si]] = 1
                si += 1
        elif isinstance(t, IndexArray):
            if t.outer:
                per[selected[si]] = t.array.ndim
            else:
                per[selected[si]] = len(spec.joint_shape) if joint_remaining else 0
                joint_remaining = False
            si += 1
        elif isinstance(t, BoolArray):
            r = t.index_arrays.shape[0]
            if r == 0:
                continue
            per[selected[si]] = 1 if t.outer else (len(spec.joint_shape) if joint_remaining else 0)
            if not t.outer:
                joint_remaining = False
            si += 1
            for _ in range(1, r):
                per[selected[si]] = 0
                si += 1
    indexed: list[int] = []
    input_dim = 0
    if not spec.joint_consecutive:
        for _ in range(len(spec.joint_shape)):
            indexed.append(input_dim)
            input_dim += 1
    for d in range(intermediate_rank):
        num = per[d]
        per[d] = input_dim
        if num == -1:
            unindexed[input_dim] = d
            input_dim += 1
        else:
            input_dim += num
    per[intermediate_rank] = input_dim
    for d in selected:
        indexed.extend(range(per[d], per[d + 1]))
    assert len(indexed) == n_indexed
    return indexed, unindexed


def _build(
    spec: IndexingSpec,
    out: DomainFields,
    indexed_out: list[int],
    indexed_in: list[int],
    unindexed_in: list[int],
) -> IndexTransform:
    olo, ohi, oil, oiu, olab = out
    num_ellipsis = len(indexed_out) - spec.num_output_dims
    input_rank = len(unindexed_in)
    if input_rank > MAX_RANK:
        raise status.invalid_argument(f"Rank {input_rank} is outside valid range [0, {MAX_RANK}]")
    output_rank = len(olo)
    lo = [0] * input_rank
    hi = [0] * input_rank
    il = [False] * input_rank
    iu = [False] * input_rank
    labels = [""] * input_rank
    maps: list[OutputIndexMap | None] = [None] * output_rank
    si = so = 0
    ia_start = -1

    def init_joint() -> None:
        nonlocal si, ia_start
        ia_start = si
        for size in spec.joint_shape:
            d = indexed_in[si]
            si += 1
            lo[d], hi[d], il[d], iu[d] = 0, size, False, False

    if not spec.joint_consecutive:
        init_joint()

    def identity(i: int, o: int) -> None:
        maps[o] = OutputIndexMap._single(i)
        lo[i], hi[i], il[i], iu[i], labels[i] = olo[o], ohi[o], oil[o], oiu[o], olab[o]

    def remaining() -> None:
        nonlocal si, so
        for _ in range(num_ellipsis):
            identity(indexed_in[si], indexed_out[so])
            si += 1
            so += 1

    def add_array(arr: np.ndarray[Any, Any], start: int) -> None:
        nonlocal so
        shape = [1] * input_rank
        axes = []
        for i in range(arr.ndim):
            d = indexed_in[start + i]
            shape[d] = arr.shape[i]
            axes.append(d)
        # Place array axis i at input dimension axes[i].
        order = sorted(range(arr.ndim), key=axes.__getitem__)
        b = arr.transpose(order).reshape(shape) if arr.ndim > 1 else arr.reshape(shape)
        maps[indexed_out[so]] = OutputIndexMap._make(OutputIndexMethod.array, 0, 1, -1, b, (-INF, INF + 1))
        so += 1

    def array_domain(shape: tuple[int, ...], outer: bool) -> int:
        nonlocal si
        if outer:
            start = si
            for size in shape:
                d = indexed_in[si]
                si += 1
                lo[d], hi[d], il[d], iu[d] = 0, size, False, False
            return start
        if ia_start == -1:
            init_joint()
        return ia_start + len(spec.joint_shape) - len(shape)

    for i in range(input_rank):
        if unindexed_in[i] != -1:
            identity(i, unindexed_in[i])

    for t in spec.terms:
        if t is ELLIPSIS:
            remaining()
        elif t is NEWAXIS:
            d = indexed_in[si]
            si += 1
            lo[d], hi[d], il[d], iu[d] = 0, 1, True, True
        elif isinstance(t, Slice):
            d = indexed_in[si]
            o = indexed_out[so]
            si += 1
            so += 1
            try:
                (nlo, nhi, nil, niu), start = extract_strided_slice(
                    (olo[o], ohi[o], oil[o], oiu[o]), t.start, t.stop, t.step
                )
            except status.StatusError as e:
                raise e.prefixed(f"Computing interval slice for dimension {o}") from None
            lo[d], hi[d], il[d], iu[d], labels[d] = nlo, nhi, nil, niu, olab[o]
            maps[o] = OutputIndexMap._single(d, start - nlo * t.step, t.step)
        elif isinstance(t, int) and not isinstance(t, bool):
            o = indexed_out[so]
            so += 1
            maps[o] = OutputIndexMap._constant(t)
        elif isinstance(t, BoolArray):
            r = t.index_arrays.shape[0]
            start = array_domain(t.index_arrays.shape[1:], t.outer)
            for i in range(r):
                add_array(t.index_arrays[i], start)
        else:
            start = array_domain(t.array.shape, t.outer)
            add_array(t.array, start)
    if not spec.has_ellipsis:
        remaining()
    # build_transform(input_rank, lo, hi, "half_open", il, iu, labels, maps) without its argument
    # conversions: every value here is already an int, bool or str.
    validate_labels(labels)
    for i in range(input_rank):
        validate_half_open(lo[i], hi[i])
    fields: DomainFields = (tuple(lo), tuple(hi), tuple(il), tuple(iu), tuple(labels))
    final = tuple(
        _validate_map(k, m if m is not None else OutputIndexMap._constant(0), fields) for k, m in enumerate(maps)
    )
    return IndexTransform._make(fields, final)


def to_transform_direct(spec: IndexingSpec, out: DomainFields) -> IndexTransform:
    output_rank = len(out[0])
    if spec.num_output_dims > output_rank:
        raise status.invalid_argument(
            f"Indexing expression requires {spec.num_output_dims} dimensions, and cannot be applied to a "
            f"domain of rank {output_rank}"
        )
    num_ellipsis = output_rank - spec.num_output_dims
    input_rank = spec.num_input_dims + num_ellipsis
    if input_rank > MAX_RANK:
        raise status.invalid_argument(f"Rank {input_rank} is outside valid range [0, {MAX_RANK}]")
    return _build(spec, out, list(range(output_rank)), list(range(input_rank)), [-1] * input_rank)


def to_transform_chained(spec: IndexingSpec, out: DomainFields, dims: list[int]) -> tuple[IndexTransform, list[int]]:
    spec = _normalized(spec, len(dims))
    num_ellipsis = _num_ellipsis(spec, len(dims))
    n_indexed = spec.num_input_dims + num_ellipsis
    output_rank = len(out[0])
    input_rank = n_indexed + output_rank - len(dims)
    if input_rank > MAX_RANK or n_indexed > MAX_RANK:
        raise status.invalid_argument(f"Rank {max(input_rank, n_indexed)} is outside valid range [0, {MAX_RANK}]")
    indexed, unindexed = _indexed_input_dims(spec, output_rank, dims, n_indexed, input_rank)
    return _build(spec, out, dims, indexed, unindexed), indexed


def to_transform_dims(
    spec: IndexingSpec, out: DomainFields, selection: list[DimSpec]
) -> tuple[IndexTransform, list[int]]:
    """First operation of a ``ts.d`` expression: the selection may address new (``None``) dimensions."""
    output_rank = len(out[0])
    labels = out[4]
    if spec.scalar and spec.num_new_dims == 1:
        dims = get_new_dimensions(output_rank, selection)
        intermediate_rank = output_rank + len(dims)
    else:
        intermediate_rank = output_rank + spec.num_new_dims
        if intermediate_rank > MAX_RANK:
            raise status.invalid_argument(f"Rank {intermediate_rank} is outside valid range [0, {MAX_RANK}]")
        dims = []
        for s in selection:
            if isinstance(s, str):
                dims.append(~normalize_label(s, labels))
            elif isinstance(s, int):
                dims.append(normalize_index(s, intermediate_rank))
            else:
                dims.extend(normalize_range(s, intermediate_rank))
    seen: set[int] = set()

    def check_dup(x: int) -> None:
        if x in seen:
            raise status.invalid_argument(f"Dimension {x} specified more than once")
        seen.add(x)

    for x in dims:
        if x >= 0:
            check_dup(x)
    spec = _normalized(spec, len(dims))
    num_ellipsis = _num_ellipsis(spec, len(dims))
    inter_to_out = [0] * intermediate_rank
    si = 0
    for t in spec.terms:
        if t is ELLIPSIS:
            si += num_ellipsis
        elif t is NEWAXIS:
            d = dims[si]
            if d < 0:
                raise status.invalid_argument("Dimensions specified by label cannot be used with newaxis")
            inter_to_out[d] = -1
            si += 1
        elif isinstance(t, BoolArray):
            si += t.index_arrays.shape[0]
        else:
            si += 1
    out_to_inter = []
    o = 0
    for d in range(intermediate_rank):
        if inter_to_out[d] == -1:
            continue
        out_to_inter.append(d)
        inter_to_out[d] = o
        o += 1
    if o != output_rank:
        raise status.invalid_argument(
            f"Indexing expression requires {spec.num_output_dims + spec.num_new_dims} dimensions but selection "
            f"has {len(dims)} dimensions"
        )
    for k, x in enumerate(dims):
        if x < 0:
            dims[k] = out_to_inter[~x]
            check_dup(dims[k])
    n_indexed = spec.num_input_dims + num_ellipsis
    input_rank = output_rank + spec.num_input_dims - spec.num_output_dims
    if input_rank > MAX_RANK:
        raise status.invalid_argument(f"Rank {input_rank} is outside valid range [0, {MAX_RANK}]")
    indexed, unindexed = _indexed_input_dims(spec, intermediate_rank, dims, n_indexed, input_rank)
    unindexed = [x if x == -1 else inter_to_out[x] for x in unindexed]
    out_dims = [inter_to_out[x] for x in dims]
    out_dims = [x for x in out_dims if x != -1]
    return _build(spec, out, out_dims, indexed, unindexed), indexed
