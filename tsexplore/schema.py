"""``ts.Schema``: constraints on an array (rank, dtype, domain, chunk layout, codec, fill value, units).

Schemas merge: every constraint may be given once or repeated with an equal value; a conflict is an
INVALID_ARGUMENT naming the keyword (``Invalid dtype: Specified dtype (float32) does not match
existing value (int32)``).  ChunkLayout, CodecSpec and OpenMode live in their own modules and are
re-exported here.
"""

from __future__ import annotations

import copy as _copy
import json as _json
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import jsonb, status
from .chunk_layout import ChunkLayout
from .codec_spec import CodecSpec
from .context import pretty_json_repr
from .dtype import as_dtype, dtype, dtype_from_json
from .index import Indexable, IndexDomain, IndexTransform
from .index.interval import INF
from .open_mode import OpenMode
from .unit import Unit

__all__ = ["ChunkLayout", "CodecSpec", "OpenMode", "Schema", "merge_domains"]

_KEYS = ("rank", "dtype", "domain", "shape", "chunk_layout", "codec", "fill_value", "dimension_units", "schema")

_SIG = (
    "rank: Optional[typing.SupportsInt | typing.SupportsIndex] = None, dtype: Optional[tensorstore.DTypeLike] = "
    "None, domain: Optional[tensorstore.IndexDomain] = None, shape: Optional[collections.abc.Iterable[typing."
    "SupportsInt | typing.SupportsIndex]] = None, chunk_layout: Optional[tensorstore.ChunkLayout] = None, codec: "
    "Optional[tensorstore.CodecSpec] = None, fill_value: Optional[numpy.typing.ArrayLike] = None, "
    "dimension_units: Optional[collections.abc.Iterable[Union[tensorstore.Unit, str, numbers.Real, "
    "tuple[numbers.Real, str]] | None]] = None, schema: Optional[tensorstore.Schema] = None"
)


def _invoked(args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    parts = [repr(a) for a in args]
    if kwargs:
        parts.append("kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()))
    return "\nInvoked with: " + ", ".join(parts)


def _fmt_units(units: Sequence[Unit | None]) -> str:
    return "[" + ",".join("null" if u is None else _json.dumps(str(u)) for u in units) + "]"


def merge_domains(a: IndexDomain, b: IndexDomain) -> IndexDomain:
    """tensorstore's ``MergeIndexDomains``: explicit bounds must agree; implicit ones yield."""
    fa, fb = a._f, b._f
    err = f"Cannot merge index domain {a} with index domain {b}"
    if len(fa[0]) != len(fb[0]):
        raise status.invalid_argument(f"{err}: Rank mismatch")
    lo: list[int] = []
    hi: list[int] = []
    il: list[bool] = []
    iu: list[bool] = []
    lab: list[str] = []
    for i in range(len(fa[0])):
        la, lb = fa[4][i], fb[4][i]
        if la and lb and la != lb:
            raise status.invalid_argument(f"{err}: Mismatch in dimension {i}: Dimension labels do not match")
        lab.append(la or lb)
        for bound, out, imp in ((0, lo, il), (1, hi, iu)):
            va, vb = int(fa[bound][i]), int(fb[bound][i])
            ia, ib = bool(fa[2 + bound][i]), bool(fb[2 + bound][i])
            inf_a = va in (-INF, INF + 1) and ia
            inf_b = vb in (-INF, INF + 1) and ib
            if inf_a:
                out.append(vb)
                imp.append(ib)
            elif inf_b or va == vb:
                out.append(va)
                imp.append(ia and ib)
            else:
                which = "Lower" if bound == 0 else "Upper"
                raise status.invalid_argument(f"{err}: Mismatch in dimension {i}: {which} bounds do not match")
    return IndexDomain._make((tuple(lo), tuple(hi), tuple(il), tuple(iu), tuple(lab)))


def _as_units(value: Any) -> tuple[Unit | None, ...]:
    out: list[Unit | None] = []
    for u in value:
        if u is None:
            out.append(None)
        elif isinstance(u, Unit):
            out.append(u)
        elif isinstance(u, str) and not u:
            out.append(Unit(""))
        else:
            out.append(Unit(u))
    return tuple(out)


def _units_from_json(value: Any) -> tuple[Unit | None, ...]:
    if not isinstance(value, list):
        raise status.invalid_argument(f"Expected array, but received: {jsonb.dump_compact(value)}")
    out: list[Unit | None] = []
    for i, u in enumerate(value):
        try:
            out.append(None if u is None else Unit(u if not isinstance(u, list) else tuple(u)))
        except (ValueError, TypeError) as e:
            raise status.invalid_argument(f"Error parsing value at position {i}: {e}") from None
    return tuple(out)


def fill_value_json(value: np.ndarray[Any, Any]) -> Any:
    """A fill value array as JSON (scalar for 0-d)."""
    out = value.tolist()
    if isinstance(out, bytes):
        return out.decode("latin-1")
    return out


class Schema(Indexable):
    """Array constraints, like ``tensorstore.Schema``; ``Schema(json)`` or ``Schema(**constraints)``."""

    __slots__ = ("_chunk_layout", "_codec", "_domain", "_dtype", "_fill_value", "_rank", "_units")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._rank: int | None = None
        self._dtype: dtype | None = None
        self._domain: IndexDomain | None = None
        self._chunk_layout: ChunkLayout | None = None
        self._codec: CodecSpec | None = None
        self._fill_value: np.ndarray[Any, Any] | None = None
        self._units: tuple[Unit | None, ...] | None = None
        if args:
            if len(args) != 1 or kwargs:
                raise TypeError(self._ctor_help() + _invoked(args, kwargs))
            src = args[0]
            if isinstance(src, Schema):
                self._merge(src)
            else:
                self._parse_json(src)
            return
        if any(k not in _KEYS for k in kwargs):
            raise TypeError(self._ctor_help() + _invoked(args, kwargs))
        self._apply(kwargs)

    @staticmethod
    def _ctor_help() -> str:
        return (
            "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
            "    1. tensorstore.Schema(json: Any)\n"
            f"    2. tensorstore.Schema(*, {_SIG})\n"
        )

    # -- construction / merging ------------------------------------------------------------------------
    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add constraints in place (keyword-only, like tensorstore)."""
        if args or any(k not in _KEYS for k in kwargs):
            raise TypeError(
                "update(): incompatible function arguments. The following argument types are supported:\n"
                f"    1. (self: tensorstore.Schema, *, {_SIG}) -> None\n" + _invoked((self, *args), kwargs)
            )
        self._apply(kwargs)

    def _apply(self, kw: dict[str, Any]) -> None:
        """Apply keyword constraints in tensorstore's order, each error prefixed ``Invalid <name>: ``."""
        for name in _KEYS:
            value = kw.get(name)
            if value is None:
                continue
            try:
                self._set(name, value)
            except status.StatusError as e:
                raise e.prefixed(f"Invalid {name}") from None

    def _set(self, name: str, value: Any) -> None:
        if name == "rank":
            self._set_rank(int(value), "schema")
        elif name == "dtype":
            self._set_dtype(as_dtype(value))
        elif name == "domain":
            if not isinstance(value, IndexDomain):
                raise TypeError("domain must be a tensorstore.IndexDomain")
            self._set_domain(value, "domain")
        elif name == "shape":
            shape = [int(x) for x in value]
            self._set_domain(IndexDomain(shape=shape), "shape")
        elif name == "chunk_layout":
            if not isinstance(value, ChunkLayout):
                raise TypeError("chunk_layout must be a tensorstore.ChunkLayout")
            self._set_chunk_layout(value)
        elif name == "codec":
            if not isinstance(value, CodecSpec):
                raise TypeError("codec must be a tensorstore.CodecSpec")
            self._codec = value if self._codec is None else self._codec.merged(value)
        elif name == "fill_value":
            if self._dtype is not None and not isinstance(value, (np.ndarray, np.generic)):
                value = np.asarray(value, dtype=self._dtype.numpy_dtype)
            self._set_fill_value(np.asarray(value))
        elif name == "dimension_units":
            self._set_units(_as_units(value))
        elif name == "schema":
            if not isinstance(value, Schema):
                raise TypeError("schema must be a tensorstore.Schema")
            self._merge(value)

    def _set_rank(self, rank: int, what: str) -> None:
        if rank < 0 or rank > 32:
            raise status.invalid_argument(f"Rank {rank} is outside valid range [0, 32]")
        if self._rank is not None and self._rank != rank:
            raise status.invalid_argument(
                f"Rank specified by {what} ({rank}) does not match existing rank specified by schema "
                f"({self._rank})"
            )
        self._rank = rank

    def _set_dtype(self, dt: dtype) -> None:
        if self._dtype is not None and self._dtype != dt:
            raise status.invalid_argument(
                f"Specified dtype ({dt.name}) does not match existing value ({self._dtype.name})"
            )
        self._dtype = dt
        if self._fill_value is not None:
            self._fill_value = self._fill_value.astype(dt.numpy_dtype)

    def _set_domain(self, domain: IndexDomain, what: str) -> None:
        self._set_rank(domain.rank, what)
        self._domain = domain if self._domain is None else merge_domains(self._domain, domain)

    def _set_chunk_layout(self, layout: ChunkLayout) -> None:
        if layout.rank != -1:
            self._set_rank(layout.rank, "chunk_layout")
        self._chunk_layout = _copy.deepcopy(layout) if self._chunk_layout is None else (
            self._chunk_layout.merged(layout)
        )

    def _set_fill_value(self, value: np.ndarray[Any, Any]) -> None:
        if self._dtype is not None:
            value = value.astype(self._dtype.numpy_dtype)
        if self._fill_value is not None:
            old = self._fill_value
            same = old.shape == value.shape and bool(np.array_equal(old, value, equal_nan=old.dtype.kind in 'fc'))
            if not same:
                raise status.invalid_argument(
                    f"Specified fill_value ({_np_text(value)}) does not match existing value in schema "
                    f"({_np_text(old)})"
                )
            return
        self._fill_value = value

    def _set_units(self, units: tuple[Unit | None, ...]) -> None:
        self._set_rank(len(units), "dimension_units")
        if self._units is None:
            self._units = units
            return
        merged: list[Unit | None] = []
        for a, b in zip(self._units, units):
            if a is not None and b is not None and a != b:
                raise status.invalid_argument(
                    f"Cannot merge dimension units {_fmt_units(units)} and {_fmt_units(self._units)}"
                )
            merged.append(a if a is not None else b)
        self._units = tuple(merged)

    def _merge(self, other: Schema) -> None:
        if other._rank is not None:
            self._set_rank(other._rank, "schema")
        for name, value in (
            ("dtype", other._dtype),
            ("domain", other._domain),
            ("chunk_layout", other._chunk_layout),
            ("codec", other._codec),
            ("fill_value", other._fill_value),
            ("dimension_units", other._units),
        ):
            if value is not None:
                self._set(name, value)

    def merged(self, other: Schema) -> Schema:
        """A new schema with the constraints of both (INVALID_ARGUMENT on conflict)."""
        out = self.copy()
        out._merge(other)
        return out

    # -- JSON --------------------------------------------------------------------------------------------
    def _parse_json(self, value: Any) -> None:
        reader = jsonb.ObjectReader(value)
        if reader.has("rank"):
            reader.get("rank", lambda v: self._set_rank(jsonb.expect_int(v, minimum=0, maximum=32), "schema"))
        if reader.has("dtype"):
            reader.get("dtype", lambda v: self._set_dtype(dtype_from_json(v)))
        if reader.has("domain"):
            reader.get("domain", lambda v: self._set_domain(_domain_from_json(v), "domain"))
        if reader.has("chunk_layout"):
            reader.get("chunk_layout", lambda v: self._set_chunk_layout(ChunkLayout(v)))
        if reader.has("codec"):
            reader.get("codec", lambda v: self._set("codec", CodecSpec(v)))
        if reader.has("fill_value"):
            reader.get("fill_value", lambda v: self._set_fill_value(_fill_from_json(v, self._dtype)))
        if reader.has("dimension_units"):
            reader.get("dimension_units", lambda v: self._set_units(_units_from_json(v)))
        reader.finish()

    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self._chunk_layout is not None:
            cl = self._chunk_layout.to_json()
            if cl and set(cl) != {"rank"}:
                out["chunk_layout"] = cl
        if self._codec is not None:
            out["codec"] = self._codec.to_json()
        if self._units is not None:
            out["dimension_units"] = [None if u is None else u.to_json() for u in self._units]
        if self._domain is not None:
            out["domain"] = self._domain.to_json()
        if self._dtype is not None:
            out["dtype"] = self._dtype.name
        if self._fill_value is not None:
            out["fill_value"] = fill_value_json(self._fill_value)
        if self._rank is not None:
            out["rank"] = self._rank
        return jsonb.sorted_json(out)  # type: ignore[no-any-return]

    # -- accessors -------------------------------------------------------------------------------------------
    @property
    def rank(self) -> int | None:
        return self._rank

    @property
    def ndim(self) -> int | None:
        return self._rank

    @property
    def dtype(self) -> dtype | None:
        return self._dtype

    @property
    def domain(self) -> IndexDomain | None:
        return self._domain

    @property
    def shape(self) -> tuple[int, ...] | None:
        return None if self._domain is None else self._domain.shape

    @property
    def origin(self) -> tuple[int, ...] | None:
        return None if self._domain is None else self._domain.origin

    @property
    def size(self) -> int | None:
        return None if self._domain is None else self._domain.size

    @property
    def chunk_layout(self) -> ChunkLayout:
        if self._chunk_layout is not None:
            return _copy.deepcopy(self._chunk_layout)
        return ChunkLayout()

    @property
    def codec(self) -> CodecSpec | None:
        return self._codec

    @property
    def fill_value(self) -> np.ndarray[Any, Any] | None:
        return None if self._fill_value is None else self._fill_value.copy()

    @property
    def dimension_units(self) -> tuple[Unit | None, ...] | None:
        if self._units is not None:
            return self._units
        return None if self._rank is None else (None,) * self._rank

    # -- indexing (transforms the domain) ---------------------------------------------------------------
    def _ts_transform(self) -> IndexTransform:
        if self._domain is None:
            from .index.transform import build_transform

            if self._rank is None:
                raise status.invalid_argument("Schema has no rank")
            return build_transform(self._rank, None, None, "half_open", None, None, None, None)
        return IndexTransform(self._domain)

    def _ts_with_transform(self, t: IndexTransform) -> Schema:
        out = self.copy()
        out._domain = t.domain
        out._rank = t.input_rank
        return out

    def copy(self) -> Schema:
        return _copy.deepcopy(self)

    def __copy__(self) -> Schema:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> Schema:
        out = Schema.__new__(Schema)
        out._rank, out._dtype, out._domain = self._rank, self._dtype, self._domain
        out._chunk_layout = _copy.deepcopy(self._chunk_layout)
        out._codec = self._codec
        out._fill_value = None if self._fill_value is None else self._fill_value.copy()
        out._units = self._units
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schema):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import schema_bundle

        return schema_bundle(self)

    def __repr__(self) -> str:
        return pretty_json_repr("Schema(", self.to_json())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Schema, (self.to_json(),))


def _np_text(a: np.ndarray[Any, Any]) -> str:
    return jsonb.dump_compact(fill_value_json(a))


def _domain_from_json(value: Any) -> IndexDomain:
    try:
        return IndexDomain(json=value)
    except (TypeError, ValueError) as e:
        if isinstance(e, status.StatusError):
            raise
        raise status.invalid_argument(str(e)) from None


def _fill_from_json(value: Any, dt: dtype | None) -> np.ndarray[Any, Any]:
    if dt is not None:
        try:
            return np.asarray(value, dtype=dt.numpy_dtype)
        except (TypeError, ValueError, OverflowError):
            raise status.invalid_argument(f"Expected {dt.name}, but received: {jsonb.dump_compact(value)}") from None
    return np.asarray(value)


Schema.__name__ = "tensorstore.Schema"
