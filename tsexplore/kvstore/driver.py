"""The kvstore driver interface and the registries (driver name -> spec class, URL scheme -> parser).

Like fsspec, each driver implements a handful of async primitives on *full* keys (the spec path
already prepended): :meth:`Driver.read`, :meth:`Driver.write`, :meth:`Driver.list_keys` and
optionally :meth:`Driver.delete_range`.  Everything else (byte-range validation, ``if_not_equal``,
path handling, the Python API) is derived once.

A driver spec (:class:`DriverSpec`) is the parsed JSON of one driver *without* ``path`` and
``context``; it knows its JSON form, its URL form and how to open a :class:`Driver`.

Transactions: a :class:`Driver` has a hashable :attr:`Driver.identity`, so a transaction layer can
stage writes keyed by ``(driver.identity, full_key)`` and commit them with :meth:`Driver.write`'s
``if_equal`` (optimistic concurrency).  :attr:`Driver.atomic_multi_key` says whether the driver can
commit several keys atomically (:meth:`Driver.commit_atomic`).
"""

from __future__ import annotations

import abc
import asyncio
import functools
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import jsonb, status
from ..future import Future, spawn
from .types import NO_VALUE, KeyRange, ReadOptions, ReadResult, TimestampedStorageGeneration

__all__ = [
    "Driver",
    "DriverSpec",
    "ResourceMember",
    "apply_byte_range",
    "byte_range_bounds",
    "driver_for_scheme",
    "driver_spec_class",
    "register_driver",
    "register_url_scheme",
]


@dataclass(frozen=True)
class ResourceMember:
    """A spec member naming a context resource (``file_io_concurrency``, ``memory_key_value_store``...).

    ``inline`` resources are shown inside the driver spec when unbinding (tensorstore prints
    ``'file_io_sync': True``), the others move into the ``context`` member.
    """

    member: str
    kind: str
    inline_default: Any = None  # the unbound JSON for an inline resource, e.g. {} or True


class DriverSpec(abc.ABC):
    """Parsed JSON of one kvstore driver, without ``path`` and ``context``."""

    driver: ClassVar[str]
    resources: ClassVar[tuple[ResourceMember, ...]] = ()

    def __init__(self) -> None:
        # raw JSON of each resource member that was given (a dict, a "kind#name" reference...)
        self.resource_values: dict[str, Any] = {}

    # -- JSON -------------------------------------------------------------------------------------
    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader) -> DriverSpec:
        """Parse the driver's own members from ``reader`` (``driver``/``path``/``context`` are handled)."""
        self = cls.__new__(cls)
        DriverSpec.__init__(self)
        self._parse(reader)
        from . import _ctx

        for res in cls.resources:
            if reader.has(res.member):
                self.resource_values[res.member] = reader.get(
                    res.member, functools.partial(_ctx.normalize_resource, res.kind)
                )
            else:
                reader.ignore(res.member)
        self._validate()
        return self

    @abc.abstractmethod
    def _parse(self, reader: jsonb.ObjectReader) -> None: ...

    def _validate(self) -> None:  # noqa: B027 - optional hook
        """Checks that need every member parsed (tensorstore validates after binding)."""

    @abc.abstractmethod
    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        """The driver's own members (not resources, path or context)."""

    def check_path(self, path: str) -> None:  # noqa: B027 - optional hook
        """Validate a path at open time (the file driver rejects ``..``)."""

    def normalize_path(self, path: str) -> str:
        """tensorstore's ``NormalizeSpec``, run when a spec is parsed from JSON or a URL.

        The file driver validates the path; http moves a base URL's path into it.
        """
        return path

    @abc.abstractmethod
    def url(self, path: str) -> str:
        """The URL form for ``path``; raise if the driver has none."""

    @abc.abstractmethod
    async def open(self, context: Any) -> Driver:
        """Open the driver, resolving context resources through ``context`` (a ``Context``)."""

    def copy(self) -> DriverSpec:
        import copy as _copy

        return _copy.deepcopy(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DriverSpec):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.members_json(True) == other.members_json(True)
            and (self.resource_values == other.resource_values)
        )

    __hash__ = None  # type: ignore[assignment]


class Driver(abc.ABC):
    """An open kvstore.  Keys are full keys (``bytes``).  Subclasses implement the primitives."""

    #: whether :meth:`commit_atomic` can write several keys as one atomic step
    atomic_multi_key: ClassVar[bool] = False
    #: whether writes are supported (http is read-only)
    writable: ClassVar[bool] = True

    def __init__(self, spec: DriverSpec, context: Any) -> None:
        self.spec = spec
        self.context = context

    @property
    def identity(self) -> Hashable:
        """Two drivers with the same identity see the same keys (used to key transaction staging)."""
        return (type(self).__name__, id(self))

    # -- primitives ---------------------------------------------------------------------------------
    @abc.abstractmethod
    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        """Read ``key``.  Apply ``options.byte_range`` with :func:`apply_byte_range` (or natively)."""

    @abc.abstractmethod
    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        """Write (``value`` bytes) or delete (``None``) ``key``.

        ``if_equal`` ``b''`` means unconditional; ``NO_VALUE`` means "only if missing".  A failed
        condition returns a stamp with generation ``b''`` (no exception).
        """

    @abc.abstractmethod
    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        """All full keys in ``key_range``, in any order."""

    def read_future(self, key: bytes, options: ReadOptions) -> Future[ReadResult]:
        """:meth:`read` as a :class:`Future`; drivers with blocking I/O may skip the event loop."""
        return spawn(self.read(key, options))

    async def delete_range(self, key_range: KeyRange) -> None:
        """Delete all keys in ``key_range`` (default: list, then delete each concurrently)."""
        if key_range.empty:
            return
        keys = await self.list_keys(key_range)
        await asyncio.gather(*(self.write(k, None, b"") for k in keys))

    async def commit_atomic(
        self, writes: Sequence[tuple[bytes, bytes | None, bytes]]
    ) -> list[TimestampedStorageGeneration] | None:
        """Write several ``(key, value, if_equal)`` atomically: all or none.

        Returns the new stamps, or ``None`` when some condition failed (nothing written).
        Only drivers with :attr:`atomic_multi_key` implement it.
        """
        raise NotImplementedError(f"{self.spec.driver} kvstore cannot commit several keys atomically")

    def describe_key(self, key: bytes) -> str:
        """How error messages name a key (the file driver says ``local file "..."``)."""
        return jsonb.dump_compact(key.decode("utf-8", "backslashreplace"))


def now() -> float:
    return time.time()


def missing(options: ReadOptions) -> ReadResult:
    """The result for a key that does not exist (honouring ``if_not_equal``)."""
    stamp = TimestampedStorageGeneration._make(NO_VALUE, time.time())
    if options.if_not_equal == NO_VALUE:
        return ReadResult._make("unspecified", b"", stamp)
    return ReadResult._make("missing", b"", stamp)


def found(value: bytes, generation: bytes, options: ReadOptions, when: float | None = None) -> ReadResult:
    """The result for an existing key: applies ``if_not_equal`` and the byte range."""
    if type(value) is not bytes:
        value = bytes(value)
    if type(generation) is not bytes:
        generation = bytes(generation)
    stamp = TimestampedStorageGeneration._make(generation, time.time() if when is None else float(when))
    if options.if_not_equal and options.if_not_equal == generation:
        return ReadResult._make("unspecified", b"", stamp)
    return ReadResult._make("value", apply_byte_range(value, options.byte_range), stamp)


def byte_range_bounds(size: int, byte_range: tuple[int, int | None] | None) -> tuple[int, int]:
    """``[start, end)`` of ``byte_range`` in a value of ``size`` bytes, or tensorstore's OUT_OF_RANGE."""
    if byte_range is None:
        return 0, size
    start, stop = byte_range
    if start < 0:
        if -start > size:
            raise status.out_of_range(f"Requested byte range [{start}, ?) is not valid for value of size {size}")
        return size + start, size
    end = size if stop is None else stop
    if start > size or end > size:
        shown = "?" if stop is None else str(stop)
        raise status.out_of_range(f"Requested byte range [{start}, {shown}) is not valid for value of size {size}")
    return start, end


def apply_byte_range(value: bytes, byte_range: tuple[int, int | None] | None) -> bytes:
    """Slice ``value`` as tensorstore does, with its OUT_OF_RANGE error when the range does not fit."""
    if byte_range is None:
        return value
    start, end = byte_range_bounds(len(value), byte_range)
    return value[start:end]


# -- registries -------------------------------------------------------------------------------------

_DRIVERS: dict[str, type[DriverSpec]] = {}
_SCHEMES: dict[str, Callable[[str, str], dict[str, Any]]] = {}
# URL schemes tensorstore knows but tsexplore's kvstore layer does not parse, by kind (for messages).
_OTHER_SCHEMES = {
    "zip": "kvstore adapter",
    "ocdbt": "kvstore adapter",
    "gcs_grpc": "root kvstore",
    "cast": "TensorStore adapter",
    **{
        s: "kvstore-based TensorStore"
        for s in (
            *("zarr2", "zarr3", "n5", "neuroglancer-precomputed", "json", "auto"),
            *("png", "jpeg", "tiff", "avif", "bmp", "webp"),
        )
    },
}


def register_driver(cls: type[DriverSpec]) -> type[DriverSpec]:
    """Class decorator: make ``cls`` available as ``{"driver": cls.driver}``."""
    _DRIVERS[cls.driver] = cls
    return cls


def register_url_scheme(scheme: str, parse: Callable[[str, str], dict[str, Any]]) -> None:
    """``parse(url, rest_after_scheme)`` returns the JSON spec for a URL of ``scheme``."""
    _SCHEMES[scheme] = parse


def _ensure_builtin() -> None:
    # Importing the driver modules registers them; deferred so ``import tsexplore`` stays cheap.
    from . import file, memory, remote  # noqa: F401


def driver_spec_class(name: str) -> type[DriverSpec]:
    _ensure_builtin()
    cls = _DRIVERS.get(name)
    if cls is None:
        raise status.invalid_argument(f"{jsonb.dump_compact(name)} is not a registered KvStore driver")
    return cls


def driver_for_scheme(scheme: str) -> Callable[[str, str], dict[str, Any]] | None:
    _ensure_builtin()
    return _SCHEMES.get(scheme)


def url_scheme_kind(scheme: str) -> str | None:
    """How tensorstore describes a scheme it knows (``"root kvstore"``...), for error messages."""
    _ensure_builtin()
    if scheme in _SCHEMES:
        return "root kvstore"
    return _OTHER_SCHEMES.get(scheme)
