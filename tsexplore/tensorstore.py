"""``ts.TensorStore``: an open array view = (Driver, IndexTransform, transaction, mode).

Indexing composes transforms (through :class:`~tsexplore.index.Indexable`) and reads nothing.  The
shared work lives here once: bounds checks of the view against the driver's domain, conversion and
broadcasting of write sources (NumPy's ``safe`` rule), ``WriteFutures``, ``spec()``, pickling.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from . import status
from .context import Context, pretty_json_repr
from .driver.base import Driver, DriverSpec, SpecOptions
from .dtype import dtype as DType
from .future import Future, spawn
from .index import Indexable, IndexDomain, IndexTransform
from .index.compose import propagate_bounds
from .index.interval import fmt_interval
from .index.output_map import OutputIndexMethod
from .schema import ChunkLayout, CodecSpec, Schema
from .spec import OPEN_FLAGS, RECHECK, Spec

__all__ = ["TensorStore", "WriteFutures", "check_bounds", "prepare_source"]

Array = np.ndarray[Any, Any]
_SPEC_KEYS = (
    "open_mode", *OPEN_FLAGS, "minimal_spec", "retain_context", "unbind_context", *RECHECK, "recheck_cached",
)


def check_bounds(driver: Driver, transform: IndexTransform) -> None:
    """Check the view's transform against the driver's current bounds (all treated as explicit)."""
    f = driver.domain()._f
    n = len(f[0])
    explicit = (f[0], f[1], (False,) * n, (False,) * n, f[4])
    propagate_bounds(explicit, transform)


def _align(src_shape: tuple[int, ...], domain: IndexDomain) -> None:
    rank = domain.rank
    if len(src_shape) > rank:
        raise ValueError("object too deep for desired array")
    for k in range(1, len(src_shape) + 1):
        s = src_shape[-k]
        j = rank - k
        t = domain.shape[j]
        if s not in (t, 1):
            i = len(src_shape) - k
            lo = domain.origin[j]
            raise status.invalid_argument(
                f"Error aligning dimensions: source dimension {i} [0, {s}) mismatch with target dimension {j} "
                f"{fmt_interval(lo, lo + t)}"
            )


def prepare_source(source: Any, dt: DType) -> Array:
    """Convert a write source to ``dt``: NumPy arrays by the ``safe`` rule, other values directly."""
    target = dt.numpy_dtype
    if isinstance(source, (np.ndarray, np.generic)):
        arr = np.asarray(source)
        if target.kind == "O":
            return arr.astype(object)
        if not np.can_cast(arr.dtype, target, "safe"):
            raise TypeError(
                f"Cannot cast array data from {arr.dtype!r} to {target!r} according to the rule 'safe'"
            )
        return arr.astype(target, copy=False)
    if target.kind == "O":
        out = np.empty((), dtype=object)
        if isinstance(source, (list, tuple)):
            return np.array(source, dtype=object)
        out[()] = source
        return out
    return np.asarray(source, dtype=target)


class WriteFutures:
    """The result of ``write``: ``copy`` (source consumed) and ``commit`` (durable) futures."""

    __slots__ = ("commit", "copy")

    def __init__(self, copy: Future[None], commit: Future[None]) -> None:
        self.copy = copy
        self.commit = commit

    def result(self, timeout: float | None = None, deadline: float | None = None) -> None:
        return self.commit.result(timeout=timeout, deadline=deadline)

    def exception(self, timeout: float | None = None, deadline: float | None = None) -> BaseException | None:
        return self.commit.exception(timeout=timeout, deadline=deadline)

    def done(self) -> bool:
        return self.commit.done()

    def cancel(self) -> bool:
        return self.commit.cancel()

    def cancelled(self) -> bool:
        return self.commit.cancelled()

    def add_done_callback(self, callback: Callable[[Future[None]], object]) -> None:
        self.commit.add_done_callback(callback)

    def remove_done_callback(self, callback: Callable[[Future[None]], object]) -> int:
        return self.commit.remove_done_callback(callback)

    def force(self) -> None:
        self.commit.force()

    def __await__(self) -> Generator[Any, None, None]:
        return self.commit.__await__()

    def __repr__(self) -> str:
        return f"<tsexplore.WriteFutures object at {id(self):#x}>"


class TensorStore(Indexable):
    """An open array view, like ``tensorstore.TensorStore``."""

    __slots__ = ("__weakref__", "_context", "_driver", "_read", "_transaction", "_transform", "_write")
    _driver: Driver
    _transform: IndexTransform
    _transaction: Any
    _read: bool
    _write: bool
    _context: Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("tensorstore.TensorStore: No constructor defined!")

    @classmethod
    def _make(  # noqa: PLR0917
        cls, driver: Driver, transform: IndexTransform, transaction: Any, read: bool, write: bool, context: Context
    ) -> TensorStore:
        self = cls.__new__(cls)
        self._driver, self._transform, self._transaction = driver, transform, transaction
        self._read, self._write, self._context = read, write, context
        return self

    def _replace(self, **kw: Any) -> TensorStore:
        vals = {
            "driver": self._driver, "transform": self._transform, "transaction": self._transaction,
            "read": self._read, "write": self._write, "context": self._context,
        }
        vals.update(kw)
        return TensorStore._make(**vals)

    # -- indexing ---------------------------------------------------------------------------------------------
    def _ts_transform(self) -> IndexTransform:
        return self._transform

    def _ts_with_transform(self, t: IndexTransform) -> TensorStore:
        return self._replace(transform=t)

    def __setitem__(self, key: Any, value: Any) -> None:
        self[key].write(value).result()

    # -- reading and writing ----------------------------------------------------------------------------------
    def read(self, *, order: str = "C", batch: Any = None) -> Future[Array]:
        """Read the view: ``Future[numpy.ndarray]`` of the domain's shape (C or F order)."""
        if order not in ("C", "F"):
            raise ValueError("order must be specified as 'C' or 'F'")
        driver, transform, txn = self._driver, self._transform, self._transaction
        readable = self._read and driver.readable

        async def run() -> Array:
            if not readable:
                raise status.invalid_argument("Source does not support reading.")
            if txn is not None:
                txn.check_open()
            resolved = await driver.resolve_bounds(transform, transaction=txn)
            check_bounds(driver, transform)
            out = await driver.read(resolved, transaction=txn)
            return np.asfortranarray(out) if order == "F" else out

        return spawn(run())

    def write(
        self, source: Any, *, batch: Any = None, can_reference_source_data_indefinitely: bool | None = None
    ) -> WriteFutures:
        """Write ``source`` (array, scalar, list or TensorStore) to the view."""
        driver, transform, txn = self._driver, self._transform, self._transaction
        writable = self._write and driver.writable
        src_store = source if isinstance(source, TensorStore) else None
        prepared = None if src_store is not None else prepare_source(source, driver.dtype)
        copy_future: Future[None] = Future.pending()

        async def run() -> None:
            try:
                if not writable:
                    raise status.invalid_argument("Destination does not support writing.")
                if src_store is not None:
                    data = prepare_source(await src_store.read(), driver.dtype)
                else:
                    assert prepared is not None
                    data = prepared
                resolved = await driver.resolve_bounds(transform, transaction=txn)
                _align(data.shape, resolved.domain)
                check_bounds(driver, transform)
                data = np.broadcast_to(data, resolved.domain.shape)
                if txn is not None:
                    # inside a transaction the copy *is* the staging: both futures settle together
                    txn.check_open()
                    await driver.write(resolved, data, transaction=txn)
            except BaseException as e:
                copy_future._set(None, e)
                raise
            copy_future._set(None, None)
            if txn is None:
                await driver.write(resolved, data, transaction=None)

        return WriteFutures(copy_future, spawn(run()))

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        out = self.read().result()
        return out if dtype is None else out.astype(dtype)

    def resolve(self, fix_resizable_bounds: bool = False, batch: Any = None) -> Future[TensorStore]:
        """This view with implicit bounds refreshed from the current metadata (fixed if asked)."""
        driver, transform, txn = self._driver, self._transform, self._transaction

        async def run() -> TensorStore:
            d = await driver.resolve(fix_resizable_bounds=fix_resizable_bounds, transaction=txn)
            t = await d.resolve_bounds(transform, fix_resizable_bounds=fix_resizable_bounds, transaction=txn)
            return self._replace(driver=d, transform=t)

        return spawn(run())

    def resize(  # noqa: PLR0917
        self,
        inclusive_min: Any = None,
        exclusive_max: Any = None,
        resize_metadata_only: bool = False,
        resize_tied_bounds: bool = False,
        expand_only: bool = False,
        shrink_only: bool = False,
    ) -> Future[TensorStore]:
        """Change the implicit bounds of the view's dimensions (``None`` keeps a bound), as tensorstore."""
        rank = self.rank
        args = {
            "inclusive_min": inclusive_min, "exclusive_max": exclusive_max,
            "resize_metadata_only": resize_metadata_only, "resize_tied_bounds": resize_tied_bounds,
            "expand_only": expand_only, "shrink_only": shrink_only,
        }
        lo = _optional_indices(inclusive_min, self, args)
        hi = _optional_indices(exclusive_max, self, args)
        if (lo is not None and len(lo) != rank) or (hi is not None and len(hi) != rank):
            raise ValueError(f"inclusive_min and exclusive_max must have rank {rank}")
        lo = lo if lo is not None else (None,) * rank
        hi = hi if hi is not None else (None,) * rank
        driver, transform, txn = self._driver, self._transform, self._transaction

        async def run() -> TensorStore:
            if type(driver).resize is Driver.resize:
                raise status.unimplemented("Resize not supported")
            out_lo, out_hi, constraints = _resize_request(transform, lo, hi)
            d = driver
            if any(v is not None for v in out_lo + out_hi):
                d = await driver.resize(
                    out_lo, out_hi, resize_metadata_only=resize_metadata_only,
                    resize_tied_bounds=resize_tied_bounds, expand_only=expand_only, shrink_only=shrink_only,
                    transaction=txn, constraints=constraints,
                )
            t = await d.resolve_bounds(transform, transaction=txn)
            return self._replace(driver=d, transform=t)

        return spawn(run())

    def storage_statistics(
        self, *, query_not_stored: bool = False, query_fully_stored: bool = False
    ) -> Future[Any]:
        """Whether the view's region is stored at all / entirely, at chunk granularity (as tensorstore)."""
        driver = self._driver
        base = self.base if driver.base() is not None else None  # adapters (cast, downsample) ask their base

        async def run() -> Any:
            if base is not None and type(driver).storage_statistics is Driver.storage_statistics:
                return await base.storage_statistics(
                    query_not_stored=query_not_stored, query_fully_stored=query_fully_stored
                )
            ns, fs = await driver.storage_statistics(
                self._transform, query_not_stored=query_not_stored, query_fully_stored=query_fully_stored
            )
            return StorageStatistics(not_stored=ns, fully_stored=fs)

        return spawn(run())

    def astype(self, dtype: Any) -> TensorStore:
        from .driver.cast import cast

        return cast(self, dtype)  # type: ignore[no-any-return]

    # -- spec ----------------------------------------------------------------------------------------------------
    def spec(self, **kwargs: Any) -> Spec:
        """The spec that reopens this view (``retain_context``/``minimal_spec``... as tensorstore)."""
        bad = [k for k in kwargs if k not in _SPEC_KEYS]
        if bad:
            raise TypeError(
                "spec(): incompatible function arguments. The following argument types are supported:\n"
                "    1. (self: tensorstore.TensorStore, *, " + ", ".join(f"{k}: Optional[bool] = None"
                                                                        for k in _SPEC_KEYS)
                + ") -> tensorstore.Spec\n\nInvoked with: " + repr(self)
                + ", kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            )
        options = SpecOptions(minimal_spec=bool(kwargs.get("minimal_spec")))
        dspec, t = self._bound_spec(options)
        out = Spec._make(dspec, t)
        opts = {k: v for k, v in kwargs.items() if k not in ("retain_context", "unbind_context", "minimal_spec")}
        if opts:
            out._apply_options(opts)
        if kwargs.get("retain_context") or kwargs.get("unbind_context"):
            out._bound = self._context
            if kwargs.get("unbind_context"):
                out = Spec(out.to_json())
        return out

    def _bound_spec(self, options: SpecOptions) -> tuple[DriverSpec, IndexTransform]:
        hook = getattr(self._driver, "bound_spec", None)
        if hook is not None:
            return hook(self._transform, options)  # type: ignore[no-any-return]
        return self._driver.spec(options), self._transform

    # -- properties ----------------------------------------------------------------------------------------------
    @property
    def dtype(self) -> DType:
        return self._driver.dtype

    @property
    def domain(self) -> IndexDomain:
        return self._transform.domain

    @property
    def rank(self) -> int:
        return self._transform.input_rank

    @property
    def ndim(self) -> int:
        return self.rank

    @property
    def shape(self) -> tuple[int, ...]:
        return self.domain.shape

    @property
    def origin(self) -> tuple[int, ...]:
        return self.domain.origin

    @property
    def size(self) -> int:
        return self.domain.size

    @property
    def labels(self) -> tuple[str, ...]:
        return self.domain.labels

    @property
    def schema(self) -> Schema:
        s = Schema(rank=self.rank, dtype=self.dtype, domain=self.domain)
        layout = self.chunk_layout
        if layout.to_json():
            s.update(chunk_layout=layout)
        if self.codec is not None:
            s.update(codec=self.codec)
        fv = self.fill_value
        if fv is not None:
            s.update(fill_value=fv)
        units = self.dimension_units
        if units is not None and any(u is not None for u in units):
            s.update(dimension_units=units)
        return s

    def _identity_like(self) -> list[int | None]:
        """Per input dimension, the driver dimension it maps to with stride 1 (else None)."""
        out: list[int | None] = [None] * self.rank
        for d, m in enumerate(self._transform.output):
            if m.method == OutputIndexMethod.single_input_dimension and m.stride == 1:
                out[m.input_dimension] = d
        return out

    @property
    def chunk_layout(self) -> ChunkLayout:
        base = self._driver.chunk_layout
        dims = self._identity_like()
        if dims == list(range(self._driver.domain().rank)):
            return base
        j = base.to_json()
        out = ChunkLayout()
        if all(d is not None for d in dims):
            order = base.inner_order
            kw: dict[str, Any] = {}
            if order is not None and len(dims) == len(order):
                pos = {d: i for i, d in enumerate(dims)}
                kw["inner_order"] = [pos[d] for d in order if d in pos]
            origin = base.grid_origin
            if origin is not None:
                offsets = [m.offset for m in self._transform.output]
                idx = {d: i for i, d in enumerate(dims) if d is not None}
                kw["grid_origin"] = [
                    None if origin[dims[i]] is None else origin[dims[i]] - offsets[dims[i]]  # type: ignore[index]
                    for i in range(len(dims))
                ]
                del idx
            for g in ("write_chunk", "read_chunk", "codec_chunk"):
                shape = getattr(base, g).shape
                if shape is not None:
                    kw[f"{g}_shape"] = [shape[d] for d in dims]
            out = ChunkLayout(**kw) if kw else out
        del j
        return out

    @property
    def codec(self) -> CodecSpec | None:
        return self._driver.codec

    @property
    def fill_value(self) -> Array | None:
        fv = self._driver.fill_value
        if fv is None or fv.ndim == 0:
            return fv
        return fv

    @property
    def dimension_units(self) -> tuple[Any, ...] | None:
        units = self._driver.dimension_units
        if units is None:
            return (None,) * self.rank
        out: list[Any] = [None] * self.rank
        for d, m in enumerate(self._transform.output):
            if m.method == OutputIndexMethod.single_input_dimension and units[d] is not None:
                out[m.input_dimension] = units[d] * abs(m.stride) if m.stride != 1 else units[d]
        return tuple(out)

    @property
    def kvstore(self) -> Any:
        kv = self._driver.kvstore
        if kv is not None and self._transaction is not None:
            return kv._make(kv.driver, kv.path, kv._ctx, self._transaction)
        return kv

    @property
    def base(self) -> TensorStore | None:
        b = self._driver.base()
        if b is None:
            return None
        if hasattr(b, "base_for_view"):  # adapters whose index space differs from the base's (downsample)
            return b.base_for_view(self._transform)  # type: ignore[no-any-return]
        out: TensorStore | None = b[self._transform] if isinstance(b, TensorStore) else b
        return out

    @property
    def url(self) -> str:
        return self.spec().url

    @property
    def transaction(self) -> Any:
        return self._transaction

    def with_transaction(self, transaction: Any) -> TensorStore:
        check_rebind(self._transaction)
        return self._replace(transaction=transaction)

    @property
    def readable(self) -> bool:
        return self._read and self._driver.readable

    @property
    def writable(self) -> bool:
        return self._write and self._driver.writable

    @property
    def mode(self) -> str:
        return ("r" if self.readable else "") + ("w" if self.writable else "")

    # -- Python protocol ---------------------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import tensorstore_bundle

        return tensorstore_bundle(self)

    def __repr__(self) -> str:
        txn = self._transaction
        if txn is not None and not txn.open:
            return "TensorStore(...)"  # tensorstore cannot compute the spec through a closed transaction
        try:
            spec_json = self.spec(retain_context=True).to_json()
        except NotImplementedError:  # e.g. virtual_chunked has no JSON form; tensorstore prints this too
            return "TensorStore(...)"
        return pretty_json_repr("TensorStore(", spec_json)

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        if self._transaction is not None:
            raise ValueError("Cannot serialize TensorStore with bound transaction; at byte 0")
        spec_json = self.spec(retain_context=True).to_json()
        return (_unpickle, (spec_json, self.readable, self.writable))

    def __copy__(self) -> TensorStore:
        return self._replace()

    def __deepcopy__(self, memo: Any) -> TensorStore:
        return self._replace()


_RESIZE_SIG = (
    "resize(): incompatible function arguments. The following argument types are supported:\n"
    "    1. (self: tensorstore.TensorStore, inclusive_min: collections.abc.Iterable[Optional[int]] | None = None, "
    "exclusive_max: collections.abc.Iterable[Optional[int]] | None = None, resize_metadata_only: bool = False, "
    "resize_tied_bounds: bool = False, expand_only: bool = False, shrink_only: bool = False) -> "
    "tensorstore.Future[tensorstore.TensorStore]\n"
)


def _optional_indices(value: Any, store: TensorStore, args: dict[str, Any]) -> tuple[int | None, ...] | None:
    """A ``resize`` bound vector: an iterable of ints/``None`` (pybind11's TypeError otherwise)."""
    if value is None:
        return None
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        return tuple(None if v is None else operator.index(v) for v in value)
    except TypeError:
        given = {k: v for k, v in args.items() if v is not None and v is not False}
        raise TypeError(_RESIZE_SIG + status.invoked_with((store,), given).replace("; kwargs", "; kwargs")) from None


def _resize_request(
    transform: IndexTransform, lo: tuple[int | None, ...], hi: tuple[int | None, ...]
) -> tuple[tuple[int | None, ...], tuple[int | None, ...], tuple[tuple[int | None, int | None] | None, ...]]:
    """Input-space resize bounds mapped to the driver's dimensions (PropagateInputDomainResizeToOutput),
    plus the view's explicit output range in the dimensions left alone (for ``resize_tied_bounds``)."""
    flo, fhi, fil, fiu, _ = transform._f
    for i in range(transform.input_rank):
        if lo[i] is not None and not fil[i]:
            raise status.invalid_argument(
                f"Invalid resize request for input dimension {i}: Cannot change explicit lower bound"
            )
        if hi[i] is not None and not fiu[i]:
            raise status.invalid_argument(
                f"Invalid resize request for input dimension {i}: Cannot change explicit upper bound"
            )
    maps = transform.output
    out_lo: list[int | None] = [None] * len(maps)
    out_hi: list[int | None] = [None] * len(maps)
    ranges: list[tuple[int | None, int | None] | None] = []
    for d, m in enumerate(maps):
        method = m.method
        if method == OutputIndexMethod.constant:
            ranges.append((m.offset, m.offset + 1))
            continue
        if method == OutputIndexMethod.array:
            arr = m.index_array
            ranges.append((int(m.offset + arr.min() * m.stride), int(m.offset + arr.max() * m.stride) + 1)
                          if arr.size and m.stride > 0 else None)
            continue
        i, off, stride = m.input_dimension, m.offset, m.stride
        if lo[i] is not None or hi[i] is not None:
            if abs(stride) != 1:
                raise status.invalid_argument(
                    f"Output dimension {d} depends on resized input dimension {i} with non-unit stride of {stride}"
                )
            new_lo, new_hi = lo[i], hi[i]
            if stride == 1:
                out_lo[d] = None if new_lo is None else new_lo + off
                out_hi[d] = None if new_hi is None else new_hi + off
            else:
                out_lo[d] = None if new_hi is None else off - new_hi + 1
                out_hi[d] = None if new_lo is None else off - new_lo + 1
            ranges.append(None)
            continue
        a, b = flo[i], fhi[i]
        ilo, ihi = fil[i], fiu[i]
        if stride < 0:
            a, b, ilo, ihi = -(b - 1), -a + 1, ihi, ilo
            stride = -stride
        ranges.append((None if ilo else off + a * stride, None if ihi else off + (b - 1) * stride + 1))
    return tuple(out_lo), tuple(out_hi), tuple(ranges)


def check_rebind(current: Any) -> None:
    """tensorstore refuses any ``with_transaction`` on a view bound to a transaction not yet committing."""
    if current is not None and not current.commit_started:
        raise status.invalid_argument("Cannot rebind transaction when existing transaction is uncommitted")


def _unpickle(spec_json: Any, read: bool, write: bool) -> TensorStore:
    from .open import open as ts_open

    return ts_open(spec_json, read=read, write=write).result()


class StorageStatistics:
    """``TensorStore.StorageStatistics(not_stored=..., fully_stored=...)``."""

    __slots__ = ("fully_stored", "not_stored")

    def __init__(self, *, not_stored: bool | None = None, fully_stored: bool | None = None) -> None:
        self.not_stored = not_stored
        self.fully_stored = fully_stored

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StorageStatistics):
            return NotImplemented
        return (self.not_stored, self.fully_stored) == (other.not_stored, other.fully_stored)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TensorStore.StorageStatistics(not_stored={self.not_stored}, fully_stored={self.fully_stored})"


TensorStore.StorageStatistics = StorageStatistics  # type: ignore[attr-defined]
TensorStore.__name__ = "tensorstore.TensorStore"
