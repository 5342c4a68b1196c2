"""The ``cast`` driver: a read/write view converting to another dtype (``ts.cast``, ``.astype``).

Which directions work follows tensorstore's conversion table: numeric/bool/complex convert both ways
(C-style on write: 2.7 -> 2); numbers can be read as ``json`` and written from it; ``string``
reads as ``ustring``/``json`` but only numbers can be *written* from a string view, and so on.
"""

from __future__ import annotations

import json as _json
from typing import Any

import numpy as np

from .. import jsonb, status
from ..dtype import as_dtype, dtype, dtype_from_json
from ..index import IndexDomain, IndexTransform
from ..schema import Schema
from .base import Driver, DriverSpec, OpenRequest, SpecOptions
from .registry import register_driver, register_url_scheme

__all__ = ["CastDriver", "CastSpec", "cast", "conversion"]

Array = np.ndarray[Any, Any]
_TEXT = ("string", "ustring")


def _kind(d: dtype) -> str:
    if d.name in _TEXT:
        return "text"
    if d.name == "json":
        return "json"
    if d.name == "bool":
        return "bool"
    if d.name in ("char", "byte"):
        return "byte"
    return "number"


def conversion(src: dtype, dst: dtype) -> tuple[bool, bool]:
    """``(can read src as dst, can write dst into src)`` as tensorstore's data type conversion table."""

    def ok(a: dtype, b: dtype) -> bool:
        ka, kb = _kind(a), _kind(b)
        return (
            a == b
            or ka in ("number", "bool")
            or (ka == "text" and kb in ("text", "json"))
            or (ka == "json" and kb in ("number", "bool", "text"))
        )

    return ok(src, dst), ok(dst, src)


def _convert(values: Array, to: dtype) -> Array:
    """Convert an array element-wise (C-style for numbers)."""
    target = to.numpy_dtype
    if values.dtype == target:
        return values
    kind = _kind(to)
    if kind == "json":
        out = np.empty(values.shape, dtype=object)
        flat = values.reshape(-1)
        out.reshape(-1)[:] = [x.item() if isinstance(x, np.generic) else _text(x) for x in flat.tolist()]
        return out
    if values.dtype.kind == "O":
        return _from_objects(values, to)
    with np.errstate(all="ignore"):
        return values.astype(target)


def _text(x: Any) -> Any:
    return x.decode("latin-1") if isinstance(x, bytes) else x


def _from_objects(values: Array, to: dtype) -> Array:
    flat = values.reshape(-1).tolist()
    name = to.name
    conv: list[Any]
    try:
        if name == "ustring":
            conv = [x.decode("utf-8") if isinstance(x, bytes) else (x if isinstance(x, str) else _json.dumps(x))
                    for x in flat]
        elif name == "string":
            conv = [x.encode("utf-8") if isinstance(x, str) else (x if isinstance(x, bytes) else
                    _json.dumps(x).encode()) for x in flat]
        else:
            conv = [float(x) if isinstance(x, (bytes, str)) else x for x in flat]
    except (ValueError, TypeError) as e:
        raise status.invalid_argument(f"Error converting to {name}: {e}") from None
    out = np.array(conv, dtype=to.numpy_dtype) if conv else np.empty(0, dtype=to.numpy_dtype)
    return out.reshape(values.shape)


@register_driver
class CastSpec(DriverSpec):
    """Parsed ``cast`` driver JSON: ``{'driver': 'cast', 'dtype': ..., 'base': {...}}``."""

    driver_name = "cast"

    base_spec: Any

    def __init__(self, schema: Schema, base_spec: Any) -> None:
        super().__init__(schema)
        self.base_spec = base_spec

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Schema) -> CastSpec:
        from ..spec import Spec

        if not reader.has("base"):
            raise status.invalid_argument('Error parsing object member "base": Expected object, but member is missing')
        base = reader.get("base", Spec)
        return cls(schema, base)

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        bj = self.base_spec.to_json(include_defaults=include_defaults)
        if include_defaults and "rank" not in bj:
            r = self.base_spec.rank
            if r is not None:
                bj["rank"] = r
        return {"base": bj}

    def default_transform(self) -> IndexTransform | None:
        t = self.base_spec.transform
        return None if t is None else IndexTransform(t.domain)

    def effective_schema(self) -> Schema:
        b: Schema = self.base_spec.schema.copy()
        b._dtype = None
        b._fill_value = None
        return b.merged(self.schema)

    def base(self) -> Any:
        return self.base_spec

    def url(self) -> str:
        dst = self.schema.dtype
        if dst is None:
            return super().url()
        return f"{self.base_spec.url}|cast:{dst.name}"

    def nested_specs(self) -> list[Any]:
        return [self.base_spec]

    async def open(self, request: OpenRequest) -> Driver:
        from ..open import open as ts_open

        dst = self.schema.dtype
        if dst is None:
            raise status.invalid_argument("dtype must be specified")
        store = await ts_open(
            self.base_spec, read=request.read, write=request.write, context=request.context,
            transaction=request.transaction,
        )
        return make_cast_driver(store, dst)


def make_cast_driver(store: Any, dst: dtype) -> CastDriver:
    src = store.dtype
    can_read, can_write = conversion(src, dst)
    can_read = can_read and store.readable
    can_write = can_write and store.writable
    if not can_read and not can_write:
        raise status.invalid_argument(f"Cannot convert {src.name} <-> {dst.name}")
    return CastDriver(store, dst, can_read, can_write)


class CastDriver(Driver):
    """Converts reads from the base dtype and writes to it."""

    def __init__(self, base: Any, dt: dtype, readable: bool, writable: bool) -> None:
        self.base_store = base
        self.dtype = dt
        self.readable = readable
        self.writable = writable

    def domain(self) -> IndexDomain:
        return self.base_store.domain  # type: ignore[no-any-return]

    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        values = await self.base_store[transform].read()
        return _convert(values, self.dtype)

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        from ..tensorstore import prepare_source

        data = _convert(np.ascontiguousarray(source), self.base_store.dtype)
        await self.base_store[transform].write(prepare_source(data, self.base_store.dtype))

    def spec(self, options: SpecOptions) -> DriverSpec:
        return CastSpec(Schema(dtype=self.dtype), self.base_store.spec(minimal_spec=options.minimal_spec))

    def bound_spec(self, transform: IndexTransform, options: SpecOptions) -> tuple[DriverSpec, IndexTransform]:
        from ..spec import Spec

        base = self.base_store[transform]
        dspec, t = base._bound_spec(options)
        inner = Spec._make(dspec, None)
        return CastSpec(Schema(dtype=self.dtype), inner), t

    @property
    def chunk_layout(self) -> Any:
        return self.base_store.chunk_layout

    @property
    def codec(self) -> Any:
        return self.base_store.codec

    @property
    def dimension_units(self) -> Any:
        return self.base_store.dimension_units

    @property
    def kvstore(self) -> Any:
        return self.base_store.kvstore

    def base(self) -> Any:
        return self.base_store


def cast(base: Any, dtype: Any) -> Any:
    """A converting view of a TensorStore (or a cast ``Spec`` of a Spec)."""
    from ..spec import Spec
    from ..tensorstore import TensorStore

    dt = as_dtype(dtype)
    if isinstance(base, Spec):
        t = base.transform
        return Spec._make(CastSpec(Schema(dtype=dt), base.copy()), None if t is None else IndexTransform(t.domain))
    if not isinstance(base, TensorStore):
        raise TypeError("cast(): incompatible function arguments")
    driver = make_cast_driver(base.__getitem__(IndexTransform(base.domain)), dt)
    t = IndexTransform(base.domain)
    return TensorStore._make(driver, t, base.transaction, driver.readable, driver.writable, base._context)


_ = dtype_from_json


def _parse_url(previous: dict[str, Any] | None, rest: str) -> dict[str, Any]:
    """``...|cast:<dtype>``: a cast adapter over the pipeline so far."""
    try:
        dtype_from_json(rest)
    except (status.StatusError, TypeError, ValueError):
        raise status.invalid_argument(
            f'Invalid TensorStore URL component "cast:{rest}": Unsuppported data type: {_json.dumps(rest)}'
        ) from None
    return {"driver": "cast", "base": previous, "dtype": rest}


register_url_scheme("cast", _parse_url, kvstore_based=False)
