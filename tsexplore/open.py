"""``ts.open``: parse and validate synchronously, open on the I/O loop, annotate open errors.

Spec parse errors (bad driver name, extra members, bad dtype) are raised by ``open`` itself; I/O and
metadata errors arrive through the returned Future as
``<CODE>: Error opening "<driver>" driver: ... [tensorstore_spec='<compact JSON>']``.
"""

from __future__ import annotations

from typing import Any

from . import jsonb, status
from .context import Context
from .driver.base import OpenRequest
from .future import Future, failed, spawn
from .schema import Schema
from .spec import OPEN_FLAGS, SCHEMA_KEYS, Spec
from .tensorstore import TensorStore, check_bounds

__all__ = ["open"]


def _spec_note(spec: Spec) -> str:
    text = jsonb.dump_compact(spec.to_json()).replace('"', '\\"')
    return f"[tensorstore_spec='{text}']"


_OPEN_SIG = (
    "open(): incompatible function arguments. The following argument types are supported:\n"
    "    1. (spec: Union[tensorstore.Spec, Any], *, read: Optional[bool] = None, write: Optional[bool] = None, "
    "open_mode: Optional[tensorstore.OpenMode] = None, open: Optional[bool] = None, create: Optional[bool] = None, "
    "delete_existing: Optional[bool] = None, assume_metadata: Optional[bool] = None, assume_cached_metadata: "
    "Optional[bool] = None, context: Optional[tensorstore.Context] = None, transaction: "
    "Optional[tensorstore.Transaction] = None, batch: Optional[tensorstore.Batch] = None, kvstore: "
    "Optional[tensorstore.KvStore.Spec | tensorstore.KvStore] = None, recheck_cached_metadata: "
    "Optional[tensorstore.RecheckCacheOption] = None, recheck_cached_data: Optional[tensorstore.RecheckCacheOption] "
    "= None, recheck_cached: Optional[tensorstore.RecheckCacheOption] = None, rank: Optional[typing.SupportsInt | "
    "typing.SupportsIndex] = None, dtype: Optional[tensorstore.DTypeLike] = None, domain: "
    "Optional[tensorstore.IndexDomain] = None, shape: Optional[collections.abc.Iterable[typing.SupportsInt | "
    "typing.SupportsIndex]] = None, chunk_layout: Optional[tensorstore.ChunkLayout] = None, codec: "
    "Optional[tensorstore.CodecSpec] = None, fill_value: Optional[numpy.typing.ArrayLike] = None, "
    "dimension_units: Optional[collections.abc.Iterable[Union[tensorstore.Unit, str, numbers.Real, "
    "tuple[numbers.Real, str]] | None]] = None, schema: Optional[tensorstore.Schema] = None) -> "
    "tensorstore.Future[tensorstore.TensorStore]\n"
)
_OPEN_KEYS = frozenset((
    "read", "write", "open_mode", "open", "create", "delete_existing", "assume_metadata", "assume_cached_metadata",
    "context", "transaction", "batch", "kvstore", "recheck_cached_metadata", "recheck_cached_data", "recheck_cached",
    *SCHEMA_KEYS,
))


def open(*args: Any, **kwargs: Any) -> Future[TensorStore]:
    """Open or create a TensorStore from a spec (JSON, URL or ``ts.Spec``); keyword-only options."""
    if len(args) == 1 and "spec" not in kwargs and all(k in _OPEN_KEYS for k in kwargs):
        return _open(args[0], **kwargs)
    if not args and "spec" in kwargs and all(k in _OPEN_KEYS or k == "spec" for k in kwargs):
        return _open(**kwargs)
    parts = [repr(a) for a in args]
    if kwargs:
        parts.append("kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()))
    raise TypeError(_OPEN_SIG + "\nInvoked with: " + "; ".join(parts))


def _open(
    spec: Any,
    *,
    read: bool | None = None,
    write: bool | None = None,
    open_mode: Any = None,
    open: bool | None = None,
    create: bool | None = None,
    delete_existing: bool | None = None,
    assume_metadata: bool | None = None,
    assume_cached_metadata: bool | None = None,
    context: Context | None = None,
    transaction: Any = None,
    batch: Any = None,
    kvstore: Any = None,
    recheck_cached_metadata: Any = None,
    recheck_cached_data: Any = None,
    recheck_cached: Any = None,
    rank: int | None = None,
    dtype: Any = None,
    domain: Any = None,
    shape: Any = None,
    chunk_layout: Any = None,
    codec: Any = None,
    fill_value: Any = None,
    dimension_units: Any = None,
    schema: Schema | None = None,
) -> Future[TensorStore]:
    """Open or create a TensorStore from a spec (JSON, URL or ``ts.Spec``)."""
    if context is not None and not isinstance(context, Context):
        raise TypeError("Invalid context")
    s = Spec(spec)
    options: dict[str, Any] = {
        "open_mode": open_mode, "open": open, "create": create, "delete_existing": delete_existing,
        "assume_metadata": assume_metadata, "assume_cached_metadata": assume_cached_metadata,
        "recheck_cached_metadata": recheck_cached_metadata, "recheck_cached_data": recheck_cached_data,
        "recheck_cached": recheck_cached, "kvstore": kvstore, "rank": rank, "dtype": dtype, "domain": domain,
        "shape": shape, "chunk_layout": chunk_layout, "codec": codec, "fill_value": fill_value,
        "dimension_units": dimension_units, "schema": schema,
    }
    try:
        s._apply_options({k: v for k, v in options.items() if v is not None})
    except status.StatusError as e:
        return failed(e)
    if read is None and write is None:
        read = write = True
    flags = dict(s._flags)
    if not flags.get("open") and not flags.get("create"):
        flags["open"] = True
    ctx = context if context is not None else Context()
    if s._bound is not None:
        bound = s._bound
    else:
        bound = Context(s._context, ctx) if s._context else ctx
        s = s.copy()
        s._bound = bound
        s._context = None
    driver_spec = s._driver
    req_schema = driver_spec.schema.copy()
    if s._transform is not None and req_schema.rank is None:
        req_schema.update(rank=s._transform.output_rank)
    request = OpenRequest(
        context=bound,
        schema=req_schema,
        read=bool(read),
        write=bool(write),
        transaction=transaction,
        batch=batch,
        recheck_cached_metadata=s._recheck.get("recheck_cached_metadata"),
        recheck_cached_data=s._recheck.get("recheck_cached_data"),
        **{f: bool(flags.get(f)) for f in OPEN_FLAGS},
    )
    transform = s._transform
    name = driver_spec.driver_name

    async def run() -> TensorStore:
        if transaction is not None:
            transaction.check_open()
        try:
            driver = await driver_spec.open(request)
            t = transform
            if t is None:
                from .index import IndexTransform

                t = IndexTransform(driver.domain())
            check_bounds(driver, t)
        except status.StatusError as e:
            raise e.prefixed(f'Error opening "{name}" driver').annotate(_spec_note(s)) from None
        return TensorStore._make(driver, t, transaction, request.read, request.write, bound)

    return spawn(run())


