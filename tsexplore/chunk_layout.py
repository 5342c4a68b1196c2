"""``ts.ChunkLayout`` and ``ts.ChunkLayout.Grid``: chunking constraints, hard and soft, as in tensorstore.

Each per-dimension vector (grid origin, chunk shape, aspect ratio) keeps a hard value and a soft
value per dimension.  A new hard value must equal an existing hard one; a soft value only fills
dimensions that have neither (the first soft constraint wins).  ``chunk_*`` keywords set the read
and write grids (aspect ratios also the codec grid).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from . import jsonb, status
from .context import pretty_json_repr

__all__ = ["ChunkLayout", "Grid"]

_GRIDS = ("write_chunk", "read_chunk", "codec_chunk")


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _braces(values: Sequence[Any]) -> str:
    return "{" + ", ".join(_fmt(v) for v in values) + "}"


class _Vec:
    """Hard and soft values of one per-dimension constraint (``None`` = unset)."""

    __slots__ = ("hard", "soft")

    def __init__(self, rank: int) -> None:
        self.hard: list[Any] = [None] * rank
        self.soft: list[Any] = [None] * rank

    def set(self, values: Sequence[Any], hard: bool) -> None:
        for i, v in enumerate(values):
            if v is None:
                continue
            if hard:
                old = self.hard[i]
                if old is not None and old != v:
                    raise status.invalid_argument(
                        f"New hard constraint ({_fmt(v)}) for dimension {i} does not match existing hard "
                        f"constraint ({_fmt(old)})"
                    )
                self.hard[i] = v
                self.soft[i] = None
            elif self.hard[i] is None and self.soft[i] is None:
                self.soft[i] = v

    def json(self, name: str, out: dict[str, Any]) -> None:
        if any(v is not None for v in self.hard):
            out[name] = list(self.hard)
        if any(v is not None for v in self.soft):
            out[name + "_soft_constraint"] = list(self.soft)


class _RankHolder:
    """Shared rank inference: the first vector given fixes the rank."""

    __slots__ = ()
    _rank: int

    def _ensure_rank(self, n: int) -> None:
        if self._rank == -1:
            self._set_rank(n)
        elif self._rank != n:
            raise status.invalid_argument(f"Rank {n} does not match existing rank {self._rank}")

    def _set_rank(self, n: int) -> None:
        raise NotImplementedError


def _vector(values: Any, what: str, kind: str) -> list[Any]:
    """Validate a shape / aspect-ratio / origin vector; 0 (or non-positive for aspect) means unset."""
    out: list[Any] = []
    raw = list(values)
    for i, v in enumerate(raw):
        if v is None:
            out.append(None)
            continue
        num: float = int(v) if kind == "shape" else float(v)
        if kind in {"shape", "aspect_ratio"}:
            if num < 0:
                raise status.invalid_argument(f"Invalid value for dimension {i}: {_braces(raw)}")
            out.append(num or None)
        else:
            out.append(int(v))
    return out


class Grid(_RankHolder):
    """Constraints on one chunk grid (``write_chunk``, ``read_chunk`` or ``codec_chunk``)."""

    __slots__ = ("_aspect", "_elements", "_elements_hard", "_rank", "_shape")

    def __init__(self, json: Any = None, **kwargs: Any) -> None:
        self._rank = -1
        self._shape = _Vec(0)
        self._aspect = _Vec(0)
        self._elements: int | None = None
        self._elements_hard = False
        if json is not None:
            if kwargs:
                raise TypeError("__init__(): incompatible constructor arguments")
            self._parse_json(json)
        else:
            self.update(**kwargs)

    def _set_rank(self, n: int) -> None:
        self._rank = n
        self._shape = _Vec(n)
        self._aspect = _Vec(n)

    # -- mutation --------------------------------------------------------------------------------------
    def _set_vec(self, which: str, values: Any, hard: bool) -> None:
        vals = _vector(values, which, which)
        self._ensure_rank(len(vals))
        (self._shape if which == "shape" else self._aspect).set(vals, hard)

    def _set_elements(self, value: Any, hard: bool) -> None:
        if value is None:
            return
        v = int(value)
        if v < 0:
            raise status.invalid_argument(f"Invalid value: {v}")
        if v == 0:
            return
        if hard:
            if self._elements_hard and self._elements != v:
                raise status.invalid_argument(
                    f"New hard constraint ({v}) does not match existing hard constraint ({self._elements})"
                )
            self._elements, self._elements_hard = v, True
        elif self._elements is None:
            self._elements = v

    def update(
        self,
        *,
        rank: int | None = None,
        shape: Any = None,
        shape_soft_constraint: Any = None,
        aspect_ratio: Any = None,
        aspect_ratio_soft_constraint: Any = None,
        elements: Any = None,
        elements_soft_constraint: Any = None,
        grid: Grid | None = None,
    ) -> None:
        if rank is not None:
            self._ensure_rank(int(rank))
        if grid is not None:
            self._merge(grid)
        for value, which, hard in (
            (shape, "shape", True),
            (shape_soft_constraint, "shape", False),
            (aspect_ratio, "aspect_ratio", True),
            (aspect_ratio_soft_constraint, "aspect_ratio", False),
        ):
            if value is not None:
                self._set_vec(which, value, hard)
        self._set_elements(elements, True)
        self._set_elements(elements_soft_constraint, False)

    def _merge(self, other: Grid) -> None:
        try:
            if other._rank != -1:
                self._ensure_rank(other._rank)
                self._shape.set(other._shape.hard, True)
                self._shape.set(other._shape.soft, False)
            if other._rank != -1:
                self._aspect.set(other._aspect.hard, True)
                self._aspect.set(other._aspect.soft, False)
        except status.StatusError:
            raise
        if other._elements is not None:
            self._set_elements(other._elements, other._elements_hard)

    def _merge_named(self, other: Grid, grid_name: str) -> None:
        """Merge with tensorstore's ``Error setting <grid> <field>`` prefixes."""
        for field in ("shape", "aspect_ratio", "elements"):
            try:
                if field == "elements":
                    self._set_elements(other._elements, other._elements_hard)
                else:
                    self._merge_vec(other, field)
            except status.StatusError as e:
                raise e.prefixed(f"Error setting {grid_name} {field}") from None

    def _merge_vec(self, other: Grid, which: str) -> None:
        vec = other._shape if which == "shape" else other._aspect
        if other._rank == -1 or (all(v is None for v in vec.hard) and all(v is None for v in vec.soft)):
            return
        self._ensure_rank(other._rank)
        mine = self._shape if which == "shape" else self._aspect
        mine.set(vec.hard, True)
        mine.set(vec.soft, False)

    # -- JSON --------------------------------------------------------------------------------------------
    def _parse_json(self, value: Any) -> None:
        reader = jsonb.ObjectReader(value)
        for name, which, hard in (
            ("shape", "shape", True),
            ("shape_soft_constraint", "shape", False),
            ("aspect_ratio", "aspect_ratio", True),
            ("aspect_ratio_soft_constraint", "aspect_ratio", False),
        ):
            if reader.has(name):
                reader.get(name, partial(self._json_vec_member, which, hard))
        for name, hard in (("elements", True), ("elements_soft_constraint", False)):
            if reader.has(name):
                reader.get(name, partial(self._json_elements_member, hard))
        reader.finish()

    def _json_vec_member(self, which: str, hard: bool, v: Any) -> None:
        self._set_vec(which, _json_vec(v, which), hard)

    def _json_elements_member(self, hard: bool, v: Any) -> None:
        self._set_elements(_json_elements(v), hard)

    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self._aspect.json("aspect_ratio", out)
        if self._elements is not None:
            out["elements" if self._elements_hard else "elements_soft_constraint"] = self._elements
        self._shape.json("shape", out)
        return jsonb.sorted_json(out)  # type: ignore[no-any-return]

    # -- accessors -----------------------------------------------------------------------------------------
    @property
    def rank(self) -> int | None:
        return None if self._rank == -1 else self._rank

    @property
    def ndim(self) -> int | None:
        return self.rank

    def _tuple(self, values: list[Any]) -> tuple[Any, ...] | None:
        return None if self._rank == -1 else tuple(values)

    @property
    def shape(self) -> tuple[int | None, ...] | None:
        return self._tuple(self._shape.hard)

    @property
    def shape_soft_constraint(self) -> tuple[int | None, ...] | None:
        return self._tuple(self._shape.soft)

    @property
    def aspect_ratio(self) -> tuple[float | None, ...] | None:
        return self._tuple(self._aspect.hard)

    @property
    def aspect_ratio_soft_constraint(self) -> tuple[float | None, ...] | None:
        return self._tuple(self._aspect.soft)

    @property
    def elements(self) -> int | None:
        return self._elements if self._elements_hard else None

    @property
    def elements_soft_constraint(self) -> int | None:
        return None if self._elements_hard else self._elements

    def _empty(self) -> bool:
        return not self.to_json()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return self._rank == other._rank and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Grid:
        return _copy.deepcopy(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_grid_from_state, (self._rank, self.to_json()))


def _grid_from_state(rank: int, value: dict[str, Any]) -> Grid:
    g = Grid(value)
    if rank != -1:
        g._ensure_rank(rank)
    return g


def _json_vec(value: Any, which: str) -> list[Any]:
    if not isinstance(value, list):
        raise status.invalid_argument(f"Expected array, but received: {jsonb.dump_compact(value)}")
    out: list[Any] = []
    for i, v in enumerate(value):
        if v is None:
            out.append(None)
            continue
        try:
            if which == "shape":
                out.append(jsonb.expect_int(v))
            else:
                out.append(jsonb.expect_number(v))
        except status.StatusError as e:
            raise e.prefixed(f"Error parsing value at position {i}") from None
    return out


def _json_elements(value: Any) -> int | None:
    return None if value is None else jsonb.expect_int(value, minimum=0)


_KW_TARGETS: dict[str, tuple[str, ...]] = {
    "chunk": ("write_chunk", "read_chunk"),
    "write_chunk": ("write_chunk",),
    "read_chunk": ("read_chunk",),
    "codec_chunk": ("codec_chunk",),
}


class ChunkLayout(_RankHolder):
    """Chunking constraints, like ``tensorstore.ChunkLayout``."""

    Grid = Grid

    __slots__ = ("_grid_origin", "_grids", "_inner_order", "_inner_order_hard", "_rank")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._rank = -1
        self._grid_origin = _Vec(0)
        self._inner_order: list[int] | None = None
        self._inner_order_hard = False
        self._grids = {name: Grid() for name in _GRIDS}
        if args:
            if len(args) != 1 or kwargs:
                raise TypeError(_ctor_error(args, kwargs))
            self._parse_json(args[0])
            return
        try:
            self._update(kwargs, "__init__")
        except TypeError:
            raise TypeError(_ctor_error(args, kwargs)) from None

    def _set_rank(self, n: int) -> None:
        self._rank = n
        self._grid_origin = _Vec(n)
        for g in self._grids.values():
            if g._rank == -1:
                g._set_rank(n)

    # -- mutation --------------------------------------------------------------------------------------------
    def update(self, **kwargs: Any) -> None:
        """Add constraints (same keywords as the constructor, plus ``layout=``)."""
        self._update(kwargs, "update")

    def _update(self, kwargs: dict[str, Any], method: str) -> None:
        known = {"rank", "inner_order", "inner_order_soft_constraint", "grid_origin",
                 "grid_origin_soft_constraint", "chunk", "write_chunk", "read_chunk", "codec_chunk", "finalize"}
        if method == "update":
            known.add("layout")
        for prefix in _KW_TARGETS:
            for f in ("shape", "aspect_ratio", "elements"):
                known.add(f"{prefix}_{f}")
                known.add(f"{prefix}_{f}_soft_constraint")
        bad = [k for k in kwargs if k not in known]
        if bad:
            raise TypeError(f"{method}(): unexpected keyword argument {bad[0]!r}")

        def wrap(name: str, fn: Callable[[], Any]) -> None:
            try:
                fn()
            except status.StatusError as e:
                raise e.prefixed(f"Invalid {name}") from None

        if kwargs.get("rank") is not None:
            wrap("rank", lambda: self._ensure_rank(int(kwargs["rank"])))
        if kwargs.get("layout") is not None:
            wrap("layout", lambda: self._merge(kwargs["layout"]))
        for name, hard in (("inner_order", True), ("inner_order_soft_constraint", False)):
            if kwargs.get(name) is not None:
                wrap(name, partial(self._prefixed, "Error setting inner_order",
                                   partial(self._set_inner_order, kwargs[name], hard)))
        for name, hard in (("grid_origin", True), ("grid_origin_soft_constraint", False)):
            if kwargs.get(name) is not None:
                wrap(name, partial(self._prefixed, "Error setting grid_origin",
                                   partial(self._set_origin, kwargs[name], hard)))
        for prefix, targets in _KW_TARGETS.items():
            if kwargs.get(prefix) is not None:
                grid = kwargs[prefix]
                if not isinstance(grid, Grid):
                    raise TypeError(f"{method}(): incompatible function arguments")
                for t in targets:
                    wrap(prefix, partial(self._grid_merge, t, grid))
            for field in ("shape", "aspect_ratio", "elements"):
                for suffix, hard in (("", True), ("_soft_constraint", False)):
                    name = f"{prefix}_{field}{suffix}"
                    value = kwargs.get(name)
                    if value is None:
                        continue
                    tg = targets + (("codec_chunk",) if prefix == "chunk" and field == "aspect_ratio" else ())
                    for t in tg:
                        wrap(name, partial(self._grid_set, t, field, value, hard))
        if kwargs.get("finalize"):
            wrap("finalize", self._finalize)

    @staticmethod
    def _prefixed(prefix: str, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except status.StatusError as e:
            raise e.prefixed(prefix) from None

    def _set_inner_order(self, values: Any, hard: bool) -> None:
        order = [int(v) for v in values]
        if sorted(order) != list(range(len(order))):
            raise status.invalid_argument(f"Invalid permutation: {_braces(order)}")
        self._ensure_rank(len(order))
        if hard:
            if self._inner_order_hard and self._inner_order != order:
                raise status.invalid_argument(
                    f"New hard constraint ({_braces(order)}) does not match existing hard constraint "
                    f"({_braces(self._inner_order or [])})"
                )
            self._inner_order, self._inner_order_hard = order, True
        elif self._inner_order is None:
            self._inner_order = order

    def _set_origin(self, values: Any, hard: bool) -> None:
        vals = [None if v is None else int(v) for v in values]
        self._ensure_rank(len(vals))
        self._grid_origin.set(vals, hard)

    def _grid_set(self, grid: str, field: str, value: Any, hard: bool) -> None:
        g = self._grids[grid]
        try:
            if field == "elements":
                g._set_elements(value, hard)
            else:
                vals = _vector(value, field, field)
                self._ensure_rank(len(vals))
                g._set_vec(field, vals, hard)
        except status.StatusError as e:
            raise e.prefixed(f"Error setting {grid} {field}") from None

    def _grid_merge(self, grid: str, other: _Grid) -> None:
        if other._rank != -1:
            try:
                self._ensure_rank(other._rank)
            except status.StatusError as e:
                raise e.prefixed(f"Error setting {grid} shape") from None
        self._grids[grid]._merge_named(other, grid)

    def _merge(self, other: ChunkLayout) -> None:
        if other._rank != -1:
            self._ensure_rank(other._rank)
        if other._inner_order is not None:
            self._prefixed("Error setting inner_order",
                           lambda: self._set_inner_order(other._inner_order, other._inner_order_hard))
        if other._rank != -1:
            def origin() -> None:
                self._grid_origin.set(other._grid_origin.hard, True)
                self._grid_origin.set(other._grid_origin.soft, False)

            self._prefixed("Error setting grid_origin", origin)
        for name in _GRIDS:
            self._grid_merge(name, other._grids[name])

    def merged(self, other: ChunkLayout) -> ChunkLayout:
        out = _copy.deepcopy(self)
        out._merge(other)
        return out

    def _finalize(self) -> None:
        if self._rank == -1:
            raise status.invalid_argument("rank must be specified")
        for i, v in enumerate(self._grid_origin.hard):
            if v is None:
                raise status.invalid_argument(f"No grid_origin hard constraint for dimension {i}")

    # -- JSON ---------------------------------------------------------------------------------------------
    def _parse_json(self, value: Any) -> None:
        reader = jsonb.ObjectReader(value)
        if reader.has("rank"):
            reader.get("rank", lambda v: self._ensure_rank(jsonb.expect_int(v, minimum=0, maximum=32)))
        for name, hard in (("inner_order", True), ("inner_order_soft_constraint", False)):
            if reader.has(name):
                reader.get(name, partial(self._json_inner_order, hard))
        for name, hard in (("grid_origin", True), ("grid_origin_soft_constraint", False)):
            if reader.has(name):
                reader.get(name, partial(self._json_origin_member, hard))
        for name, targets in _KW_TARGETS.items():
            if reader.has(name):
                reader.get(name, partial(self._parse_grid_member, targets))
        reader.finish()

    def _json_inner_order(self, hard: bool, v: Any) -> None:
        self._set_inner_order(jsonb.expect_int_list(v), hard)

    def _json_origin_member(self, hard: bool, v: Any) -> None:
        self._set_origin(_json_origin(v), hard)

    def _parse_grid_member(self, targets: tuple[str, ...], v: Any) -> None:
        self._parse_grid(v, targets)

    def _parse_grid(self, value: Any, targets: tuple[str, ...]) -> None:
        g = Grid(value)
        for t in targets:
            if g._rank != -1:
                self._ensure_rank(g._rank)
            dst = self._grids[t]
            for which in ("shape", "aspect_ratio"):
                vec = g._shape if which == "shape" else g._aspect
                if g._rank == -1:
                    continue
                try:
                    (dst._shape if which == "shape" else dst._aspect).set(vec.hard, True)
                    (dst._shape if which == "shape" else dst._aspect).set(vec.soft, False)
                except status.StatusError as e:
                    raise jsonb.member_error(which, e) from None
            try:
                dst._set_elements(g._elements, g._elements_hard)
            except status.StatusError as e:
                raise jsonb.member_error("elements", e) from None

    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self._grid_origin.json("grid_origin", out)
        if self._inner_order is not None:
            out["inner_order" if self._inner_order_hard else "inner_order_soft_constraint"] = list(
                self._inner_order
            )
        for name in _GRIDS:
            g = self._grids[name].to_json()
            if g:
                out[name] = g
        if not out and self._rank != -1:
            out["rank"] = self._rank
        return jsonb.sorted_json(out)  # type: ignore[no-any-return]

    # -- accessors ------------------------------------------------------------------------------------------
    @property
    def rank(self) -> int:
        return self._rank

    @property
    def ndim(self) -> int:
        return self._rank

    @property
    def inner_order(self) -> tuple[int, ...] | None:
        return tuple(self._inner_order) if self._inner_order_hard and self._inner_order is not None else None

    @property
    def inner_order_soft_constraint(self) -> tuple[int, ...] | None:
        return None if self._inner_order is None or self._inner_order_hard else tuple(self._inner_order)

    @property
    def grid_origin(self) -> tuple[int | None, ...] | None:
        return None if self._rank == -1 else tuple(self._grid_origin.hard)

    @property
    def grid_origin_soft_constraint(self) -> tuple[int | None, ...] | None:
        if self._rank == -1:
            return None
        return tuple(self._grid_origin.soft)

    @property
    def write_chunk(self) -> _Grid:
        return _copy.deepcopy(self._grids["write_chunk"])

    @property
    def read_chunk(self) -> _Grid:
        return _copy.deepcopy(self._grids["read_chunk"])

    @property
    def codec_chunk(self) -> _Grid:
        return _copy.deepcopy(self._grids["codec_chunk"])

    def _template(self, grid: str) -> Any:
        from .index import IndexDomain

        if self._rank == -1:
            raise status.invalid_argument("Rank of chunk layout is unspecified")
        shape = self._grids[grid]._shape.hard
        origin = self._grid_origin.hard
        lo: list[Any] = []
        hi: list[Any] = []
        from .index.interval import INF

        for o, s in zip(origin, shape):
            if o is None or s is None:
                lo.append(-INF)
                hi.append(INF + 1)
            else:
                lo.append(o)
                hi.append(o + s)
        n = len(lo)
        return IndexDomain._make((tuple(lo), tuple(hi), (False,) * n, (False,) * n, ("",) * n))

    @property
    def write_chunk_template(self) -> Any:
        return self._template("write_chunk")

    @property
    def read_chunk_template(self) -> Any:
        return self._template("read_chunk")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChunkLayout):
            return NotImplemented
        return self._rank == other._rank and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import chunk_layout_bundle

        return chunk_layout_bundle(self)

    def __repr__(self) -> str:
        return pretty_json_repr("ChunkLayout(", self.to_json())

    def __copy__(self) -> ChunkLayout:
        return _copy.deepcopy(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ChunkLayout, (self.to_json(),))


def _json_origin(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise status.invalid_argument(f"Expected array, but received: {jsonb.dump_compact(value)}")
    return [None if v is None else jsonb.expect_int(v) for v in value]


def _ctor_error(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    invoked = ", ".join([repr(a) for a in args] + ([("kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()))]
                                                  if kwargs else []))
    return (
        "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
        "    1. tensorstore.ChunkLayout(json: Any)\n"
        "    2. tensorstore.ChunkLayout(*, rank: Optional[typing.SupportsInt | typing.SupportsIndex] = None, ...)\n"
        f"\nInvoked with: {invoked}"
    )


_Grid = Grid
ChunkLayout.__name__ = "tensorstore.ChunkLayout"
Grid.__name__ = "tensorstore.ChunkLayout.Grid"
