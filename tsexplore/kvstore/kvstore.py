"""``ts.KvStore``: the Python API over an open :class:`~tsexplore.kvstore.driver.Driver`.

Keys given by the user are appended to :attr:`KvStore.path` (no separator) to form the driver's
full key.  Every operation returns a :class:`~tsexplore.future.Future` run on the shared I/O loop;
the ``kv[key]`` forms block on it.
"""

from __future__ import annotations

from typing import Any

from .. import status
from ..context import pretty_json_repr
from ..future import Future, spawn
from . import _ctx
from .driver import Driver
from .spec import Spec as _Spec
from .spec import join_path, unbound_json
from .types import KeyRange as _KeyRange
from .types import ReadOptions, as_key, as_value
from .types import ReadResult as _ReadResult
from .types import TimestampedStorageGeneration as _TSG

__all__ = ["KvStore"]


def _arg_error(method: str, signature: str, *invoked: Any) -> TypeError:
    return TypeError(
        f"{method}(): incompatible function arguments. The following argument types are supported:\n"
        f"    1. {signature}\n\nInvoked with: " + ", ".join(repr(a) for a in invoked)
    )


_READ_SIG = (
    "(self: tensorstore.KvStore, key: str | bytes, *, if_not_equal: str | bytes | None = None, "
    "staleness_bound: float | None = None, batch: tensorstore.Batch | None = None, "
    "byte_range: slice | None = None) -> tensorstore.Future[tensorstore.KvStore.ReadResult]"
)
_WRITE_SIG = (
    "(self: tensorstore.KvStore, key: str | bytes, value: str | bytes | None, *, "
    "if_equal: str | bytes | None = None) -> "
    "tensorstore.Future[tensorstore.KvStore.TimestampedStorageGeneration]"
)


def _key(value: Any, method: str, sig: str, self: Any) -> bytes:
    try:
        return as_key(value)
    except TypeError:
        raise _arg_error(method, sig, self, value) from None


def _byte_range(value: Any, self: Any) -> tuple[int, int | None] | None:
    """Validate ``slice(start, stop)`` as tensorstore does (no steps, no negative stops)."""
    if value is None:
        return None
    if not isinstance(value, slice) or value.step is not None:
        raise _arg_error("read", _READ_SIG, self)
    start, stop = value.start, value.stop
    try:
        start = 0 if start is None else int(start)
        stop = None if stop is None else int(stop)
    except (TypeError, ValueError):
        raise _arg_error("read", _READ_SIG, self) from None
    if stop is not None and (stop < 0 or start < 0 or stop < start):
        raise status.invalid_argument(f"Unsupported byte_range slice: {value.start}:{value.stop}")
    return (start, stop)


_PLAIN_READ = ReadOptions()  # shared by every read without options (it is frozen)


class KvStore:
    """An open key-value store, like ``tensorstore.KvStore``."""

    Spec = _Spec
    KeyRange = _KeyRange
    ReadResult = _ReadResult
    TimestampedStorageGeneration = _TSG

    __slots__ = ("__weakref__", "_ctx", "_driver", "_path", "_transaction")
    _driver: Driver
    _path: str
    _ctx: Any
    _transaction: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("tensorstore.KvStore: No constructor defined!")

    @classmethod
    def _make(cls, driver: Driver, path: str, ctx: Any, transaction: Any = None) -> KvStore:
        self = cls.__new__(cls)
        self._driver, self._path, self._ctx, self._transaction = driver, path, ctx, transaction
        return self

    # -- opening ---------------------------------------------------------------------------------------
    @staticmethod
    def open(spec: Any, *, context: Any = None, transaction: Any = None) -> Future[KvStore]:
        """Open from a JSON spec, a URL or a :class:`KvStore._Spec`.

        _Spec errors are raised here, synchronously; I/O errors arrive through the future.
        """
        parsed = _Spec(spec)
        ctx = _ctx.check_context(context)
        bound = parsed._bound if parsed._bound is not None else _ctx.child(ctx, parsed._context)
        driver_spec, path = parsed._driver, parsed._path
        driver_spec.check_path(path)

        async def run() -> KvStore:
            driver = await driver_spec.open(bound)
            return KvStore._make(driver, path, bound, transaction)

        return spawn(run())

    # -- accessors -------------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return self._path

    @path.setter
    def path(self, value: str | bytes) -> None:
        self._path = value if isinstance(value, str) else as_key(value).decode("utf-8", "surrogateescape")

    @property
    def url(self) -> str:
        return self._driver.spec.url(self._path)

    @property
    def base(self) -> KvStore | None:
        """Underlying kvstore of an adapter (``zip``); ``None`` for non-adapter drivers."""
        base = getattr(self._driver, "base", None)
        if base is None:
            return None
        key = bytes(getattr(self._driver, "base_key", b"")).decode("utf-8", "surrogateescape")
        return KvStore._make(base, key, getattr(self._driver, "base_context", self._ctx), self._transaction)

    @property
    def transaction(self) -> Any:
        """The bound transaction, or ``None``."""
        return self._transaction

    def with_transaction(self, transaction: Any) -> KvStore:
        from ..tensorstore import check_rebind

        check_rebind(self._transaction)
        return KvStore._make(self._driver, self._path, self._ctx, transaction)

    @property
    def driver(self) -> Driver:
        """The open driver (engine use: transactions and array drivers talk to it directly)."""
        return self._driver

    def full_key(self, key: str | bytes) -> bytes:
        """``path + key`` as the driver sees it."""
        return self._path.encode("utf-8", "surrogateescape") + as_key(key)

    def spec(self, *, retain_context: bool | None = None, unbind_context: bool | None = None) -> _Spec:
        """The spec to re-open this store; context resources only with ``retain``/``unbind_context``."""
        driver = self._driver.spec.copy()
        if retain_context or unbind_context:
            return _Spec(unbound_json(driver, self._path, self._ctx, None))
        driver.resource_values.clear()
        return _Spec._make(driver, self._path)

    def copy(self) -> KvStore:
        return KvStore._make(self._driver, self._path, self._ctx, self._transaction)

    __copy__ = copy

    def __deepcopy__(self, memo: Any) -> KvStore:
        return self.copy()

    def __truediv__(self, component: str | bytes) -> KvStore:
        comp = component if isinstance(component, str) else as_key(component).decode("utf-8", "surrogateescape")
        return KvStore._make(self._driver, join_path(self._path, comp), self._ctx, self._transaction)

    def __add__(self, suffix: str | bytes) -> KvStore:
        suf = suffix if isinstance(suffix, str) else as_key(suffix).decode("utf-8", "surrogateescape")
        return KvStore._make(self._driver, self._path + suf, self._ctx, self._transaction)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..display import kvstore_bundle

        return kvstore_bundle(self)

    def __repr__(self) -> str:
        return pretty_json_repr("KvStore(", unbound_json(self._driver.spec, self._path, self._ctx, None))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle, (unbound_json(self._driver.spec, self._path, self._ctx, None),))

    # -- I/O -------------------------------------------------------------------------------------------
    def read(
        self,
        key: str | bytes,
        *,
        if_not_equal: str | bytes | None = None,
        staleness_bound: float | None = None,
        batch: Any = None,
        byte_range: slice | None = None,
    ) -> Future[_ReadResult]:
        """Read one key; a missing key gives ``state='missing'`` (not an error)."""
        prefix = self._path.encode("utf-8", "surrogateescape")
        if type(key) is str:
            full = prefix + key.encode("utf-8", "surrogateescape")
        else:
            full = prefix + _key(key, "read", _READ_SIG, self)
        if if_not_equal is None and byte_range is None and staleness_bound is None:
            options = _PLAIN_READ
        else:
            gen = b"" if if_not_equal is None else _key(if_not_equal, "read", _READ_SIG, self)
            options = ReadOptions(
                _byte_range(byte_range, self), gen, None if staleness_bound is None else float(staleness_bound)
            )
        if self._transaction is not None:
            from ..transaction import kv_read

            return spawn(kv_read(self._transaction, self._driver, full, options))
        return self._driver.read_future(full, options)

    def write(
        self, key: str | bytes, value: str | bytes | None, *, if_equal: str | bytes | None = None
    ) -> Future[_TSG]:
        """Write (or with ``None`` delete) one key; a failed ``if_equal`` gives generation ``b''``."""
        full = self._path.encode("utf-8", "surrogateescape") + _key(key, "write", _WRITE_SIG, self)
        try:
            data = as_value(value)
        except TypeError:
            raise _arg_error("write", _WRITE_SIG, self, key, value) from None
        cond = b"" if if_equal is None else _key(if_equal, "write", _WRITE_SIG, self)
        if self._transaction is not None:
            from ..future import failed, ready
            from ..transaction import kv_write

            try:
                return ready(kv_write(self._transaction, self._driver, full, data, cond))
            except ValueError as e:
                return failed(e)
        return spawn(self._driver.write(full, data, cond))

    def delete(self, key: str | bytes) -> Future[_TSG]:
        """Delete one key: the same as ``write(key, None)``.

        tsexplore extension (E4): real tensorstore has no ``KvStore.delete``.
        """
        return self.write(key, None)

    def _abs_range(self, key_range: _KeyRange | None) -> _KeyRange:
        prefix = self._path.encode("utf-8", "surrogateescape")
        return (key_range or _KeyRange()).with_prefix(prefix)

    def list(self, range: _KeyRange | None = None, strip_prefix_length: int = 0) -> Future[list[bytes]]:
        """Keys (relative to :attr:`path`) in ``range``, in unspecified order."""
        if range is not None and not isinstance(range, _KeyRange):
            raise TypeError("list(): incompatible function arguments: range must be a KvStore._KeyRange")
        abs_range = self._abs_range(range)
        cut = len(self._path.encode("utf-8", "surrogateescape")) + int(strip_prefix_length)

        txn = self._transaction

        async def run() -> list[bytes]:
            if txn is not None:
                from ..transaction import kv_list

                keys = await kv_list(txn, self._driver, abs_range)
            else:
                keys = await self._driver.list_keys(abs_range)
            return [k[cut:] for k in keys]

        return spawn(run())

    def delete_range(self, range: _KeyRange) -> Future[None]:
        """Delete every key in ``range`` (relative to :attr:`path`)."""
        if not isinstance(range, _KeyRange):
            raise TypeError("delete_range(): incompatible function arguments: range must be a KvStore._KeyRange")
        if self._transaction is not None:
            from ..transaction import kv_delete_range

            return spawn(kv_delete_range(self._transaction, self._driver, self._abs_range(range)))
        return spawn(self._driver.delete_range(self._abs_range(range)))

    # -- synchronous mapping forms ------------------------------------------------------------------------
    def __getitem__(self, key: str | bytes) -> bytes:
        result = self.read(key).result()
        if result.state != "value":
            raise KeyError()  # tensorstore's KeyError carries no message
        return result.value

    def __setitem__(self, key: str | bytes, value: str | bytes | None) -> None:
        self.write(key, value).result()

    def __delitem__(self, key: str | bytes) -> None:
        self.write(key, None).result()

    def __contains__(self, key: str | bytes) -> bool:
        return self.read(key).result().state == "value"


def _unpickle(spec_json: Any) -> KvStore:
    return KvStore.open(spec_json).result()
