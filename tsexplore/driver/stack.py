"""The ``stack`` driver: ``ts.stack``, ``ts.concat`` and ``ts.overlay`` (one JSON form, ``'stack'``).

JSON: ``{'driver': 'stack', 'layers': [spec, ...], 'schema': {'domain': ...}}``.  Every layer is a
spec whose transform places it in the stack's index space; the domain is the hull of the layers
(or the ``schema`` domain).  Where layers overlap the *last* one wins, for reads and writes alike;
``stack`` and ``concat`` are overlays whose layers were moved so they do not overlap.

Reads and writes are routed by *cells*: the index space is cut at every layer bound, each cell
belongs to its topmost layer, and a request touching a cell no layer covers fails with tensorstore's
``Cell with origin={...} missing layer mapping in "stack" driver``.  Strided/sliced requests become
one box request per cell and layer; index-array requests are split into per-cell point lists.
Layers given as specs are opened on first use (errors prefixed ``While opening layer i: ``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import jsonb, status
from ..index import IndexDomain, IndexTransform, OutputIndexMap
from ..index.output_box import output_bounding_box, output_coordinates
from ..index.output_map import OutputIndexMethod
from ..schema import ChunkLayout, Schema
from .base import Driver, DriverSpec, OpenRequest, SpecOptions
from .registry import register_driver

__all__ = ["StackDriver", "StackSpec", "concat", "overlay", "stack"]

Array = np.ndarray[Any, Any]
Box = tuple[tuple[int, ...], tuple[int, ...]]
_MAX = 2**62 - 1  # tensorstore's kMaxFiniteIndex


def _layer_domain(spec: Any, i: int) -> IndexDomain:
    dom = spec.domain
    if dom is None:
        raise status.invalid_argument(f"Layer {i}: Domain must be specified")
    return dom  # type: ignore[no-any-return]


def hull_domains(domains: Sequence[IndexDomain]) -> IndexDomain:
    """The hull of the layer domains (explicit bounds), with tensorstore's label-mismatch text."""
    lo, hi, _, _, labels = domains[0]._f
    lo_l, hi_l, lab_l = list(lo), list(hi), list(labels)
    acc = IndexDomain._make((tuple(lo_l), tuple(hi_l), (False,) * len(lo), (False,) * len(lo), tuple(lab_l)))
    for i, dom in enumerate(domains[1:], start=1):
        dlo, dhi, _, _, dlab = dom._f
        for d in range(len(lo_l)):
            if dlab[d] and lab_l[d] and dlab[d] != lab_l[d]:
                raise status.invalid_argument(
                    f"Layer {i}: Cannot hull index domain {acc} with index domain {dom}: Mismatch in dimension "
                    f"{d}: Dimension labels do not match"
                )
            lo_l[d], hi_l[d] = min(lo_l[d], dlo[d]), max(hi_l[d], dhi[d])
            lab_l[d] = lab_l[d] or dlab[d]
        n = len(lo_l)
        acc = IndexDomain._make((tuple(lo_l), tuple(hi_l), (False,) * n, (False,) * n, tuple(lab_l)))
    return acc


def _check_layers(specs: Sequence[Any], dtype: Any) -> tuple[Any, list[IndexDomain]]:
    """Validate layer domains and dtypes (JSON-path texts); returns ``(dtype, domains)``."""
    domains: list[IndexDomain] = []
    for i, s in enumerate(specs):
        dom = _layer_domain(s, i)
        if domains and dom.rank != domains[0].rank:
            raise status.invalid_argument(f"Layer {i}: Rank of {dom.rank} does not match existing rank of "
                                          f"{domains[0].rank}")
        if s.dtype is not None:
            if dtype is not None and s.dtype != dtype:
                raise status.invalid_argument(
                    f"Layer {i}: Specified dtype ({s.dtype.name}) does not match existing value ({dtype.name})"
                )
            dtype = s.dtype
        domains.append(dom)
    return dtype, domains


def _with_transform(spec: Any) -> Any:
    """The layer spec with an explicit transform (tensorstore prints one for every layer)."""
    if spec.transform is not None or spec.domain is None:
        return spec
    return spec[IndexTransform(spec.domain)]


def _parse_layers(value: Any) -> list[Any]:
    from ..spec import Spec

    if not isinstance(value, (list, tuple)):
        raise status.invalid_argument(f"Expected array, but received: {jsonb.dump_compact(value)}")
    out = []
    for i, v in enumerate(value):
        try:
            out.append(Spec(jsonb.expect_object(v)))
        except status.StatusError as e:
            raise status.StatusError(e.code, f"Error parsing value at position {i}: {e.message}") from None
    return out


@register_driver
class StackSpec(DriverSpec):
    """Parsed ``stack`` driver JSON."""

    driver_name = "stack"
    context_resources = ("data_copy_concurrency",)

    layers: list[Any]

    def __init__(self, schema: Schema, layers: list[Any]) -> None:
        super().__init__(schema)
        self.layers = layers

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Schema) -> StackSpec:
        if not reader.has("layers"):
            raise status.invalid_argument('Error parsing object member "layers": Expected array, but member is missing')
        layers = reader.get("layers", _parse_layers)
        dtype, domains = _check_layers(layers, schema.dtype)
        if dtype is not None and schema.dtype is None:
            schema = schema.copy()
            schema.update(dtype=dtype)
        if domains and schema.rank is not None and schema.rank != domains[0].rank:
            raise status.invalid_argument(
                f"Rank specified by rank ({domains[0].rank}) does not match existing rank specified by schema "
                f"({schema.rank})"
            )
        return cls(schema, [_with_transform(s) for s in layers])

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        return {"layers": [s.to_json(include_defaults=include_defaults) for s in self.layers]}

    def stack_domain(self) -> IndexDomain | None:
        if self.schema.domain is not None:
            return self.schema.domain
        if not self.layers:
            return None
        return hull_domains([s.domain for s in self.layers])

    def default_transform(self) -> IndexTransform | None:
        dom = self.stack_domain()
        return None if dom is None else IndexTransform(dom)

    def effective_schema(self) -> Schema:
        dom = self.stack_domain()
        if dom is None or self.schema.domain is not None:
            return self.schema
        out = self.schema.copy()
        out.update(domain=dom)
        return out

    def nested_specs(self) -> list[Any]:
        return list(self.layers)

    async def open(self, request: OpenRequest) -> Driver:
        dtype = self.schema.dtype
        if dtype is None:
            raise status.invalid_argument("dtype must be specified")
        dom = self.stack_domain()
        if dom is None:
            raise status.invalid_argument("Domain must be specified")
        layers = [_Layer(s, None, s.domain) for s in self.layers]
        return StackDriver(layers, dtype, dom, request.context, self.schema.dimension_units,
                           read=request.read, write=request.write)


class _Layer:
    """One layer: its spec (in stack coordinates), its open TensorStore once opened, and its box."""

    def __init__(self, spec: Any, store: Any, domain: IndexDomain) -> None:
        self.spec = spec
        self.store = store
        self.box: Box = (domain.inclusive_min, domain.exclusive_max)
        self.opening: asyncio.Task[Any] | None = None


class StackDriver(Driver):
    """Routes reads and writes to the topmost layer of every cell they touch."""

    def __init__(  # noqa: PLR0917
        self, layers: list[_Layer], dtype: Any, domain: IndexDomain, context: Any, units: Any = None,
        read: bool = True, write: bool = True,
    ) -> None:
        self.layers = layers
        self.dtype = dtype
        self._domain = domain
        self._context = context
        self._units = units
        self._open_read, self._open_write = read, write
        self._splits = self._split_points()

    def domain(self) -> IndexDomain:
        return self._domain

    def _split_points(self) -> list[list[int]]:
        """Per dimension, the sorted layer bounds: the cell grid (open-ended below and above)."""
        rank = self._domain.rank
        return [sorted({x for layer in self.layers for x in (layer.box[0][d], layer.box[1][d])})
                for d in range(rank)]

    def _cells(self, lo: Sequence[int], hi: Sequence[int]) -> list[tuple[Box, tuple[int, ...], int | None]]:
        """Cells meeting the box ``[lo, hi)``: (clipped box, cell origin, topmost layer index).

        The cells below the first and above the last layer bound have origins -/+ 2**62-1, as
        tensorstore reports them.
        """
        per_dim: list[list[tuple[int, int, int]]] = []
        for d, pts in enumerate(self._splits):
            edges = [-_MAX, *pts, _MAX + 1]
            origins = [-_MAX, *pts[:-1], _MAX]
            ivs = [
                (max(a, lo[d]), min(b, hi[d]), o)
                for a, b, o in zip(edges[:-1], edges[1:], origins, strict=True)
                if a < hi[d] and b > lo[d]
            ]
            per_dim.append(ivs)
        cells: list[tuple[Box, tuple[int, ...], int | None]] = []
        for combo in itertools.product(*per_dim):
            clo = tuple(c[0] for c in combo)
            chi = tuple(c[1] for c in combo)
            top = None
            for k in range(len(self.layers) - 1, -1, -1):
                blo, bhi = self.layers[k].box
                if all(a <= x and y <= b for a, x, y, b in zip(blo, clo, chi, bhi, strict=True)):
                    top = k
                    break
            cells.append(((clo, chi), tuple(c[2] for c in combo), top))
        return cells

    @staticmethod
    def _missing(origin: Sequence[int]) -> status.StatusError:
        return status.invalid_argument(
            "Cell with origin={" + ", ".join(map(str, origin)) + '} missing layer mapping in "stack" driver'
        )

    async def _store(self, k: int, transaction: Any) -> Any:
        layer = self.layers[k]
        if layer.store is None:
            if layer.opening is None:
                layer.opening = asyncio.ensure_future(self._open_layer(k))
            await asyncio.shield(layer.opening)
        store = layer.store
        if transaction is not None and store.transaction is None:
            store = store.with_transaction(transaction)
        return store

    async def _open_layer(self, k: int) -> None:
        from ..open import open as ts_open

        layer = self.layers[k]
        try:
            layer.store = await ts_open(layer.spec, read=self._open_read, write=self._open_write,
                                        context=self._context)
        except status.StatusError as e:
            layer.opening = None
            raise e.prefixed(f"While opening layer {k}") from None

    # -- routing -----------------------------------------------------------------------------------------
    def _plan(self, t: IndexTransform) -> list[tuple[int, Any, Any]]:
        """``(layer, sub-transform, selector into the request array)`` per piece of ``t``."""
        if any(m.method == OutputIndexMethod.array for m in t.output):
            return self._plan_points(t)
        dom = t.domain
        in_lo, in_hi = dom.inclusive_min, dom.exclusive_max
        out_lo, out_hi = output_bounding_box(t)
        pieces: list[tuple[int, Any, Any]] = []
        missing: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        for (clo, chi), origin, top in self._cells(out_lo, out_hi):
            blo, bhi = list(in_lo), list(in_hi)
            for d, m in enumerate(t.output):
                if m.method == OutputIndexMethod.constant:
                    continue  # inside every cell of the clipped box
                i, o, s = m.input_dimension, m.offset, m.stride
                assert i is not None and s is not None
                a, b = _solve(o, s, clo[d], chi[d])
                blo[i], bhi[i] = max(blo[i], a), min(bhi[i], b)
            if any(a >= b for a, b in zip(blo, bhi, strict=True)):
                continue
            if top is None:  # reported: the cell of the first missing position in input order
                missing.append((tuple(blo), origin))
                continue
            sub = IndexTransform._make((tuple(blo), tuple(bhi), *dom._f[2:]), tuple(t.output))
            sel = tuple(slice(a - x, b - x) for a, b, x in zip(blo, bhi, in_lo, strict=True))
            pieces.append((top, sub, sel))
        if missing:
            raise self._missing(min(missing)[1])
        return pieces

    def _plan_points(self, t: IndexTransform) -> list[tuple[int, Any, Any]]:
        dom = t.domain
        shape = dom.shape
        coords = [np.broadcast_to(output_coordinates(t.domain, m), shape).reshape(-1) for m in t.output]
        dlo, dhi = self._domain.inclusive_min, self._domain.exclusive_max
        for c, m, a, b in zip(coords, t.output, dlo, dhi, strict=True):
            if m.method != OutputIndexMethod.array:
                continue
            bad = np.flatnonzero((c < a) | (c >= b))
            if bad.size:
                raise status.out_of_range(f"Index {int(c[bad[0]])} is outside valid range [{a}, {b})")
        lo = [int(c.min()) for c in coords]
        hi = [int(c.max()) + 1 for c in coords]
        pieces: list[tuple[int, Any, Any]] = []
        missing: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        for (clo, chi), origin, top in self._cells(lo, hi):
            mask = np.ones(coords[0].shape if coords else (1,), dtype=bool)
            for c, a, b in zip(coords, clo, chi, strict=True):
                mask &= (c >= a) & (c < b)
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                continue
            if top is None:  # reported like tensorstore: index-array coordinates ascending, then input order
                arr = [c for c, m in zip(coords, t.output, strict=True) if m.method == OutputIndexMethod.array]
                first = int(idx[np.lexsort([idx, *[c[idx] for c in arr[::-1]]])[0]])
                missing.append(((*[int(c[first]) for c in arr], first), origin))
                continue
            maps = [OutputIndexMap(index_array=c[idx]) for c in coords]
            sub = IndexTransform(input_shape=[idx.size], output=maps)
            pieces.append((top, sub, idx))
        if missing:
            raise self._missing(min(missing)[1])
        return pieces

    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        out = np.empty(transform.domain.shape, dtype=self.dtype.numpy_dtype)
        if out.size == 0:
            return out
        pieces = self._plan(transform)
        flat = out.reshape(-1)

        async def one(k: int, sub: Any, sel: Any) -> None:
            store = await self._store(k, transaction)
            data = await store[sub].read()
            if isinstance(sel, np.ndarray):
                flat[sel] = data
            else:
                out[sel] = data

        await asyncio.gather(*(one(*p) for p in pieces))
        return out

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        if source.size == 0:
            return
        pieces = self._plan(transform)
        flat = None

        async def one(k: int, sub: Any, sel: Any) -> None:
            store = await self._store(k, transaction)
            part = flat[sel] if isinstance(sel, np.ndarray) else source[sel]  # type: ignore[index]
            await store[sub].write(part)

        if any(isinstance(p[2], np.ndarray) for p in pieces):
            flat = np.ascontiguousarray(source).reshape(-1)
        await asyncio.gather(*(one(*p) for p in pieces))

    # -- spec and schema -----------------------------------------------------------------------------------
    def spec(self, options: SpecOptions) -> DriverSpec:
        specs = [
            layer.spec if layer.store is None else layer.store.spec(minimal_spec=options.minimal_spec)
            for layer in self.layers
        ]
        schema = Schema(dtype=self.dtype, domain=self._domain)
        if self._units is not None and any(u is not None for u in self._units):
            schema.update(dimension_units=self._units)
        return StackSpec(schema, specs)

    @property
    def chunk_layout(self) -> ChunkLayout:
        return ChunkLayout()

    @property
    def dimension_units(self) -> Any:
        return self._units


def _solve(o: int, s: int, a: int, b: int) -> tuple[int, int]:
    """The input interval ``[x0, x1)`` where ``o + s*x`` lies in ``[a, b)`` (``s != 0``)."""
    if s > 0:
        return -((o - a) // s), -((o - b) // s)
    # o + s*x >= a  <=>  x <= (o - a) / -s ;  o + s*x < b  <=>  x > (o - b) / -s
    return (o - b) // -s + 1, (o - a) // -s + 1




# -- ts.stack / ts.concat / ts.overlay ---------------------------------------------------------------------
_OPTS = (
    "*, read: Optional[bool] = None, write: Optional[bool] = None, context: Optional[tensorstore.Context] = None, "
    "transaction: Optional[tensorstore.Transaction] = None, rank: Optional[typing.SupportsInt | "
    "typing.SupportsIndex] = None, dtype: Optional[tensorstore.DTypeLike] = None, domain: "
    "Optional[tensorstore.IndexDomain] = None, shape: Optional[collections.abc.Iterable[typing.SupportsInt | "
    "typing.SupportsIndex]] = None, dimension_units: Optional[collections.abc.Iterable[Union[tensorstore.Unit, "
    "str, numbers.Real, tuple[numbers.Real, str]] | None]] = None, schema: Optional[tensorstore.Schema] = None"
)
_LAYERS = "layers: collections.abc.Iterable[tensorstore.TensorStore | tensorstore.Spec]"
_SIGS = {
    "stack": f"({_LAYERS}, axis: typing.SupportsInt | typing.SupportsIndex = 0, {_OPTS})",
    "concat": f"({_LAYERS}, axis: int | str, {_OPTS})",
    "overlay": f"({_LAYERS}, {_OPTS})",
}


def _type_error(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> TypeError:
    parts = [repr(a) for a in args]
    text = ", ".join(parts)
    if kwargs:
        text += "; kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return TypeError(
        f"{name}(): incompatible function arguments. The following argument types are supported:\n"
        f"    1. {_SIGS[name]} -> tensorstore.TensorStore\n\nInvoked with: {text}"
    )


def _norm_axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise status.invalid_argument(f"Dimension index {axis} is outside valid range [{-rank}, {rank})")
    return axis + rank if axis < 0 else axis


def _stack_transform(dom: IndexDomain, axis: int, i: int) -> IndexTransform:
    """Stack coordinates (new dimension ``axis`` = ``[i, i+1)``) -> layer coordinates."""
    lo, hi, il, iu, lab = dom._f

    def ins(xs: tuple[Any, ...], v: Any) -> tuple[Any, ...]:
        return (*xs[:axis], v, *xs[axis:])

    f = (ins(lo, i), ins(hi, i + 1), ins(il, False), ins(iu, False), ins(lab, ""))
    maps = tuple(OutputIndexMap._single(j if j < axis else j + 1) for j in range(dom.rank))
    return IndexTransform._make(f, maps)


def _shift_transform(dom: IndexDomain, axis: int, shift: int) -> IndexTransform:
    """Stack coordinates (``axis`` moved by ``shift``) -> layer coordinates."""
    lo, hi, il, iu, lab = dom._f
    lo2 = tuple(x + shift if j == axis else x for j, x in enumerate(lo))
    hi2 = tuple(x + shift if j == axis else x for j, x in enumerate(hi))
    maps = tuple(OutputIndexMap._single(j, -shift if j == axis else 0) for j in range(dom.rank))
    return IndexTransform._make((lo2, hi2, il, iu, lab), maps)


def _make_store(
    name: str, layers: Any, args: tuple[Any, ...], axis: Any, *, read: bool | None = None,
    write: bool | None = None, context: Any = None, transaction: Any = None, rank: Any = None, dtype: Any = None,
    domain: Any = None, shape: Any = None, dimension_units: Any = None, schema: Any = None,
) -> Any:
    from ..context import Context
    from ..spec import Spec
    from ..tensorstore import TensorStore

    if not hasattr(layers, "__len__"):
        raise TypeError(f"object of type '{type(layers).__name__}' has no len()")
    items = list(layers)
    if any(not isinstance(x, (TensorStore, Spec)) for x in items):
        raise _type_error(name, [items], {"axis": axis} if name == "concat" else {})
    if not items and name != "overlay":
        raise status.invalid_argument(f"At least one layer must be specified for {name}")
    kw = {k: v for k, v in {"rank": rank, "dtype": dtype, "domain": domain, "shape": shape,
                             "dimension_units": dimension_units}.items() if v is not None}
    sch = Schema(**kw) if kw else Schema()
    if schema is not None:
        sch = sch.merged(schema)
    dt = sch.dtype
    # dtype and rank checks against the layers as given
    rank0: int | None = None
    dom0: IndexDomain | None = None
    for i, x in enumerate(items):
        dom = x.domain
        if dom is None:
            raise status.invalid_argument(f"Layer {i}: Domain must be specified")
        if dom0 is None:
            dom0, rank0 = dom, dom.rank
        elif dom.rank != rank0:
            raise status.invalid_argument(
                f"Layer {i}: Layer domain {dom} of rank {dom.rank} does not match layer 0 rank of {rank0}"
            )
        if x.dtype is not None:
            if dt is not None and x.dtype != dt:
                raise status.invalid_argument(
                    f"Layer {i}: Layer dtype of {x.dtype.name} does not match existing dtype of {dt.name}"
                )
            dt = x.dtype
    if dt is None:
        raise status.invalid_argument("dtype must be specified")
    placed: list[Any] = []
    if name == "stack":
        assert rank0 is not None
        ax = _norm_axis(int(axis), rank0 + 1)
        placed = [x[_stack_transform(x.domain, ax, i)] for i, x in enumerate(items)]
    elif name == "concat":
        assert dom0 is not None
        if isinstance(axis, str):
            labels = dom0.labels
            if axis not in labels:
                raise status.invalid_argument(
                    f'Label "{axis}" does not match one of {{' + ", ".join(f'"{lab}"' for lab in labels) + "}"
                )
            ax = labels.index(axis)
        else:
            ax = _norm_axis(int(axis), dom0.rank)
        pos = dom0.inclusive_min[ax]
        for x in items:
            dom = x.domain
            placed.append(x[_shift_transform(dom, ax, pos - dom.inclusive_min[ax])])
            pos += dom.shape[ax]
    else:
        placed = list(items)
    new_rank = placed[0].rank if placed else None
    if sch.rank is not None and new_rank is not None and sch.rank != new_rank:
        raise status.invalid_argument(
            f"Rank specified by rank ({new_rank}) does not match existing rank specified by schema ({sch.rank})"
        )
    if not placed:
        raise status.invalid_argument("Domain must be specified")
    hull = hull_domains([p.domain for p in placed])
    stack_dom = sch.domain if sch.domain is not None else hull
    ctx = context if context is not None else Context()
    built: list[_Layer] = []
    for p in placed:
        if isinstance(p, TensorStore):
            built.append(_Layer(None, p, p.domain))
        else:
            built.append(_Layer(_with_transform(p), None, p.domain))
    if read is None and write is None:
        read = write = True
    driver = StackDriver(built, dt, stack_dom, ctx, sch.dimension_units, read=bool(read), write=bool(write))
    return TensorStore._make(driver, IndexTransform(stack_dom), transaction, bool(read), bool(write), ctx)


def stack(layers: Any, *args: Any, **kwargs: Any) -> Any:
    """Virtually stack layers along a new dimension ``axis`` (layer ``i`` at index ``i``)."""
    axis = args[0] if args else kwargs.get("axis", 0)
    if len(args) > 1 or (args and "axis" in kwargs) or not isinstance(axis, int) or isinstance(axis, bool):
        raise _type_error("stack", [_listed(layers), *args], kwargs)
    kw = {k: v for k, v in kwargs.items() if k != "axis"}
    return _make_store("stack", layers, (axis,), axis, **kw)


def _listed(layers: Any) -> Any:
    return list(layers) if isinstance(layers, (list, tuple)) else layers


def concat(layers: Any, axis: Any, *args: Any, **kwargs: Any) -> Any:
    """Virtually concatenate layers along existing dimension ``axis`` (index or label)."""
    if args or isinstance(axis, bool) or not isinstance(axis, (int, str)):
        items = list(layers) if isinstance(layers, (list, tuple)) else layers
        raise _type_error("concat", [items], {"axis": axis, **kwargs})
    return _make_store("concat", layers, (axis,), axis, **kwargs)


def overlay(layers: Any, *args: Any, **kwargs: Any) -> Any:
    """Virtually overlay layers in a common index space; later layers win where they overlap."""
    if args:
        raise _type_error("overlay", [layers, *args], kwargs)
    return _make_store("overlay", layers, (), None, **kwargs)
