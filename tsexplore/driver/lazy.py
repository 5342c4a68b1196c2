"""tsexplore extension E1: the ``lazy`` driver, a view that opens its base only at first use.

**Not part of real tensorstore**: ``{'driver': 'lazy', 'base': {...}}`` and ``ts.lazy_driver(spec)``
exist only in tsexplore, and specs containing them cannot be opened by tensorstore.

Opening a lazy view does no I/O when the base spec states its ``dtype`` and rank (or domain): the
view then presents that dtype and the spec's domain (unbounded, implicit bounds when only the rank is
known).  The base is opened on the first read, write, ``resolve()`` (which forces the open and
returns a view with the real domain) or anything else that needs metadata (``spec()`` of an opened
view includes the metadata).  Without dtype and rank the base has to be opened at open time.  Other
drivers are unaffected: the lazy driver only wraps its base.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from .. import jsonb, status
from ..index import IndexDomain, IndexTransform
from ..schema import Schema
from .base import Driver, DriverSpec, OpenRequest, SpecOptions
from .registry import register_driver

__all__ = ["LazyDriver", "LazySpec", "lazy_driver"]

Array = np.ndarray[Any, Any]


@register_driver
class LazySpec(DriverSpec):
    """Parsed ``lazy`` driver JSON: ``{'driver': 'lazy', 'base': {...}}`` (tsexplore extension E1)."""

    driver_name = "lazy"

    base_spec: Any

    def __init__(self, schema: Schema, base_spec: Any) -> None:
        super().__init__(schema)
        self.base_spec = base_spec

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Schema) -> LazySpec:
        from ..spec import Spec

        if not reader.has("base"):
            raise status.invalid_argument('Error parsing object member "base": Expected object, but member is missing')
        base = reader.get("base", Spec)
        if schema.to_json():
            base.update(schema=schema)
        return cls(Schema(), base)

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        return {"base": self.base_spec.to_json(include_defaults=include_defaults)}

    def default_transform(self) -> IndexTransform | None:
        t = self.base_spec.transform
        return None if t is None else IndexTransform(t.domain)

    def apply_schema(self, schema: Schema) -> None:
        self.base_spec.update(schema=schema)  # constraints (dtype=, shape=...) belong to the base

    def effective_schema(self) -> Schema:
        return self.base_spec.schema  # type: ignore[no-any-return]

    def base(self) -> Any:
        return self.base_spec

    def nested_specs(self) -> list[Any]:
        return [self.base_spec]

    async def open(self, request: OpenRequest) -> Driver:
        driver = LazyDriver(self.base_spec.copy(), request)
        if driver.dtype is None or driver.presumed_domain() is None:
            await driver.opened()  # metadata is needed now
        return driver


class LazyDriver(Driver):
    """Forwards to the base TensorStore, opening it on first use (once, shared by all views)."""

    def __init__(self, base_spec: Any, request: OpenRequest) -> None:
        self.base_spec = base_spec
        self.request = request
        self.base_store: Any = None
        self._lock: asyncio.Lock | None = None
        self.dtype = base_spec.dtype
        self.readable = request.read
        self.writable = request.write

    def presumed_domain(self) -> IndexDomain | None:
        """The domain the spec states (``None`` when not even the rank is known)."""
        dom = self.base_spec.domain
        if dom is not None:
            return dom  # type: ignore[no-any-return]
        rank = self.base_spec.rank
        if rank is None:
            return None
        return IndexDomain(rank=rank)

    @property
    def is_open(self) -> bool:
        return self.base_store is not None

    async def opened(self) -> Any:
        """The base TensorStore, opening it the first time."""
        if self.base_store is not None:
            return self.base_store
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.base_store is None:
                from ..open import open as ts_open

                r = self.request
                store = await ts_open(
                    self.base_spec, read=r.read, write=r.write, context=r.context, transaction=r.transaction
                )
                self.dtype = store.dtype
                self.base_store = store
        return self.base_store

    def domain(self) -> IndexDomain:
        if self.base_store is not None:
            return self.base_store.domain  # type: ignore[no-any-return]
        dom = self.presumed_domain()
        assert dom is not None
        return dom

    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> Array:
        store = await self.opened()
        return await store[transform].read()  # type: ignore[no-any-return]

    async def write(self, transform: IndexTransform, source: Array, *, transaction: Any = None) -> None:
        store = await self.opened()
        await store[transform].write(source)

    async def resolve(self, *, fix_resizable_bounds: bool = False, transaction: Any = None) -> Driver:
        store = await self.opened()
        self.base_store = await store.resolve(fix_resizable_bounds=fix_resizable_bounds)
        return self

    def spec(self, options: SpecOptions) -> DriverSpec:
        if self.base_store is None:
            return LazySpec(Schema(), self.base_spec.copy())
        return LazySpec(Schema(), self.base_store.spec(minimal_spec=options.minimal_spec))

    def _opened_property(self, name: str) -> Any:
        return None if self.base_store is None else getattr(self.base_store, name)

    @property
    def chunk_layout(self) -> Any:
        if self.base_store is None:
            return self.base_spec.chunk_layout
        return self.base_store.chunk_layout

    @property
    def codec(self) -> Any:
        return self.base_spec.codec if self.base_store is None else self.base_store.codec

    @property
    def fill_value(self) -> Any:
        return self.base_spec.fill_value if self.base_store is None else self.base_store.fill_value

    @property
    def dimension_units(self) -> Any:
        return self.base_spec.dimension_units if self.base_store is None else self.base_store.dimension_units

    @property
    def kvstore(self) -> Any:
        return self._opened_property("kvstore")

    def base(self) -> Any:
        return self.base_store


def lazy_driver(spec: Any, **open_options: Any) -> Any:
    """A TensorStore over ``spec`` whose base opens on first use (tsexplore extension E1).

    ``open_options`` are ``ts.open``'s keywords.  Returns the TensorStore itself (not a Future): no
    I/O happens when the spec states dtype and rank/domain.
    """
    from ..open import open as ts_open
    from ..spec import Spec

    base = Spec(spec)
    lazy = Spec._make(LazySpec(Schema(), base), base.transform)
    return ts_open(lazy, **open_options).result()
