"""The array driver interface: :class:`DriverSpec` (parsed JSON), :class:`Driver` (an open array).

A ``ts.Spec`` is ``(DriverSpec, IndexTransform, context, open options)`` and a ``ts.TensorStore``
is ``(Driver, IndexTransform, transaction, mode)``.  Everything generic (the ``driver``,
``context``, ``dtype``, ``rank``, ``schema``, ``transform``, ``kvstore``, open-mode and
``recheck_cached_*`` members, context resource members, bounds checks, dtype conversion of write
sources) lives once in :mod:`tsexplore.spec` / :mod:`tsexplore.tensorstore`; a driver only parses
and prints its own members, opens, and answers reads and writes for transforms already checked
against its domain.
"""

from __future__ import annotations

import abc
import copy as _copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import status

if TYPE_CHECKING:
    from ..context import Context
    from ..dtype import dtype as DType
    from ..index import IndexDomain, IndexTransform
    from ..jsonb import ObjectReader
    from ..kvstore import KvStore
    from ..kvstore.spec import Spec as KvStoreSpec
    from ..schema import ChunkLayout, CodecSpec, Schema
    from ..unit import Unit

__all__ = ["Driver", "DriverSpec", "OpenRequest", "SpecOptions", "check_open_mode"]


@dataclass
class OpenRequest:
    """Everything ``ts.open`` was told, already validated and merged.

    ``schema`` holds the constraints of the spec merged with the keyword arguments (``dtype=``,
    ``shape=``, ``chunk_layout=``...).  ``context`` is the context every resource resolves through
    (``request.context.resource('cache_pool', spec.resource_values.get('cache_pool'))``).
    """

    context: Context
    schema: Schema
    open: bool = True
    create: bool = False
    delete_existing: bool = False
    assume_metadata: bool = False
    assume_cached_metadata: bool = False
    read: bool = True
    write: bool = True
    recheck_cached_metadata: Any = None
    recheck_cached_data: Any = None
    transaction: Any = None
    batch: Any = None

    def resource(self, spec: DriverSpec, kind: str) -> Any:
        """The shared object of context resource ``kind`` as the driver spec references it."""
        return self.context.resource(kind, spec.resource_values.get(kind))


@dataclass
class SpecOptions:
    """Options of ``TensorStore.spec(...)`` that reach the driver."""

    minimal_spec: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class DriverSpec(abc.ABC):
    """Parsed JSON of one array driver: its own members plus the shared schema constraints.

    Class attributes declare what :class:`tsexplore.spec.Spec` handles generically:

    * ``context_resources``: context resource kinds the driver uses, each also a JSON member that
      may name or inline a resource (``"cache_pool": "cache_pool#big"``).  Parsed into
      :attr:`resource_values`; unbinding a context writes them into the ``context`` member.
    * ``uses_kvstore``: the ``kvstore`` member is parsed into :attr:`kvstore` (a ``KvStore.Spec``).
    * ``url_scheme``: the URL pipeline component (``'zarr3'`` for ``'memory://|zarr3:'``).
    * ``kvstore_is_directory``: a JSON ``kvstore.path`` gets a trailing "/" (zarr, zarr3).
    """

    driver_name: ClassVar[str]
    context_resources: ClassVar[tuple[str, ...]] = ()
    uses_kvstore: ClassVar[bool] = False
    url_scheme: ClassVar[str | None] = None
    #: a ``kvstore.path`` in the JSON member names a directory ("/" appended when missing)
    kvstore_is_directory: ClassVar[bool] = False

    schema: Schema
    resource_values: dict[str, Any]
    kvstore: KvStoreSpec | None

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.resource_values = {}
        self.kvstore = None

    # -- JSON ---------------------------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def from_json(cls, reader: ObjectReader, schema: Schema) -> DriverSpec:
        """Parse the driver-specific members with ``reader.get(...)``.

        Generic members (``driver``, ``context``, ``dtype``, ``rank``, ``schema``, ``transform``,
        ``kvstore`` when ``uses_kvstore``, context resources, open options, ``recheck_*``) are
        already consumed; ``schema`` holds the constraints parsed from them.  Create with
        ``cls(schema)`` (or ``super().__init__(schema)``) so the generic attributes exist.
        """

    @abc.abstractmethod
    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        """The driver-specific members only (not the generic ones listed in :meth:`from_json`)."""

    def copy(self) -> DriverSpec:
        return _copy.deepcopy(self)

    # -- derived information --------------------------------------------------------------------------
    def effective_schema(self) -> Schema:
        """The schema implied by the spec, including what driver members (metadata) say.

        ``Spec.schema``/``dtype``/``domain``/``chunk_layout``... read this.  The default is
        :attr:`schema`; drivers with metadata members merge what those imply.
        """
        return self.schema

    def implied_transform(self) -> IndexTransform | None:
        """The transform ``Spec.transform``/``to_json`` show when the spec has none (default: none)."""
        return None

    def apply_schema(self, schema: Schema) -> None:
        """Validate/absorb new schema constraints (``Spec.update(dtype=...)``); default: merge them."""
        self.schema = self.schema.merged(schema)

    def url(self) -> str:
        """This driver's URL pipeline component (``'zarr3:'``); raise if there is none."""
        raise status.invalid_argument(f'"{self.driver_name}" driver does not support URL conversion')

    def base(self) -> Any:
        """The base ``ts.Spec`` of an adapter driver (``cast``, ``downsample``); ``None`` otherwise."""
        return None

    def nested_specs(self) -> list[Any]:
        """``ts.Spec`` objects nested in this one (adapters' bases), for context binding/unbinding."""
        return []

    def strip_for_minimal(self) -> DriverSpec:
        """Copy with metadata-derived members removed (``spec(minimal_spec=True)``)."""
        return self

    # -- opening --------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def open(self, request: OpenRequest) -> Driver:
        """Open the array; runs on the I/O loop.  Errors are ``StatusError``s (annotated by ts.open)."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DriverSpec):
            return NotImplemented
        return type(self) is type(other) and (
            self.to_json(include_defaults=True) == other.to_json(include_defaults=True)
            and self.resource_values == other.resource_values
            and self.schema == other.schema
            and _kv_json(self.kvstore) == _kv_json(other.kvstore)
        )

    __hash__ = None  # type: ignore[assignment]


def _kv_json(kv: Any) -> Any:
    return None if kv is None else kv.to_json(include_defaults=True)


class Driver(abc.ABC):
    """An open array.  ``ts.TensorStore`` = (Driver, IndexTransform, transaction, mode).

    ``read``/``write`` receive transforms from the view's domain to this driver's coordinates,
    already checked against :meth:`domain` (explicit bounds) by the handle.
    """

    dtype: DType
    readable: bool = True
    writable: bool = True

    @abc.abstractmethod
    def domain(self) -> IndexDomain:
        """The base domain (implicit upper bounds for resizable chunked arrays)."""

    @abc.abstractmethod
    async def read(self, transform: IndexTransform, *, transaction: Any = None) -> np.ndarray[Any, Any]:
        """Values at every input position of ``transform``: a new C-order array of its domain's shape."""

    @abc.abstractmethod
    async def write(
        self, transform: IndexTransform, source: np.ndarray[Any, Any], *, transaction: Any = None
    ) -> None:
        """Store ``source`` (already ``self.dtype`` and broadcast to ``transform.domain.shape``)."""

    @abc.abstractmethod
    def spec(self, options: SpecOptions) -> DriverSpec:
        """A driver spec that reopens this array (metadata filled in unless ``minimal_spec``)."""

    # -- schema pieces (override where the driver knows more) ----------------------------------------
    @property
    def chunk_layout(self) -> ChunkLayout:
        from ..schema import ChunkLayout

        rank = self.domain().rank
        return ChunkLayout(grid_origin=[0] * rank, inner_order=list(range(rank)))

    @property
    def codec(self) -> CodecSpec | None:
        return None

    @property
    def fill_value(self) -> np.ndarray[Any, Any] | None:
        return None

    @property
    def dimension_units(self) -> tuple[Unit | None, ...] | None:
        return None

    @property
    def kvstore(self) -> KvStore | None:
        """The open kvstore of a kvstore-backed driver (``None`` otherwise)."""
        return None

    def base(self) -> Any:
        """The base ``ts.TensorStore`` of an adapter (``None`` otherwise)."""
        return None

    def schema(self) -> Schema:
        """dtype, domain, chunk layout, codec, fill value and units of the whole array."""
        from ..schema import Schema

        dom = self.domain()
        units = self.dimension_units
        return Schema(
            rank=dom.rank,
            dtype=self.dtype,
            domain=dom,
            chunk_layout=self.chunk_layout,
            codec=self.codec,
            fill_value=self.fill_value,
            dimension_units=units if units is not None and any(u is not None for u in units) else None,
        )

    # -- optional operations ----------------------------------------------------------------------------
    async def resolve(self, *, fix_resizable_bounds: bool = False, transaction: Any = None) -> Driver:
        """Refresh metadata/bounds (default: nothing to refresh)."""
        return self

    async def resolve_bounds(
        self, transform: IndexTransform, *, fix_resizable_bounds: bool = False, transaction: Any = None
    ) -> IndexTransform:
        """``transform`` with implicit bounds taken from the current domain (default: unchanged)."""
        return transform

    async def resize(
        self,
        inclusive_min: tuple[int | None, ...],
        exclusive_max: tuple[int | None, ...],
        *,
        resize_metadata_only: bool = False,
        resize_tied_bounds: bool = False,
        expand_only: bool = False,
        shrink_only: bool = False,
        transaction: Any = None,
        constraints: tuple[tuple[int | None, int | None] | None, ...] = (),
    ) -> Driver:
        """Change the bounds (output space; ``None`` keeps one); returns the driver with its new domain.

        ``constraints``: per output dimension not being resized, the view's explicit range there
        (a resize may not affect data outside it unless ``resize_tied_bounds``).
        """
        raise status.unimplemented("Resize not supported")

    async def storage_statistics(
        self, transform: IndexTransform, *, query_not_stored: bool, query_fully_stored: bool
    ) -> tuple[bool | None, bool | None]:
        """``(not_stored, fully_stored)`` for the region; ``None`` where not asked."""
        raise status.unimplemented("Storage statistics not supported")


def check_open_mode(request: OpenRequest) -> None:
    """The ``delete_existing`` rules every kvstore-backed driver applies (tensorstore's texts)."""
    if request.delete_existing and not request.create:
        raise status.invalid_argument("Cannot specify an open mode of `delete_existing` without `create`")
    if request.delete_existing and request.open:
        raise status.invalid_argument("Cannot specify an open mode of `delete_existing` with `open`")
