"""``ts.Spec``: a parsed TensorStore JSON spec = (DriverSpec, transform, context, open options).

The generic members (``driver``, ``context``, ``dtype``, ``rank``, ``schema``, ``transform``,
``kvstore``, context resource members, ``open``/``create``/..., ``recheck_cached_*``) are handled
here once; the registered :class:`~tsexplore.driver.base.DriverSpec` parses the rest.

tsexplore extension E3: ``spec['member']`` reads a top-level JSON member, ``spec['member'] = v``
rebuilds the spec with it set, and ``update(mapping)`` merges JSON members.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy as _copy
from typing import Any

from . import jsonb, status
from .context import Context, pretty_json_repr
from .driver.base import DriverSpec
from .driver.registry import get_driver, parse_tensorstore_url
from .dtype import dtype_from_json
from .index import Indexable, IndexDomain, IndexTransform
from .open_mode import OpenMode
from .schema import ChunkLayout, CodecSpec, Schema

__all__ = ["Spec", "parse_spec_json", "unbound_context_json"]

OPEN_FLAGS = ("open", "create", "delete_existing", "assume_metadata", "assume_cached_metadata")
RECHECK = ("recheck_cached_metadata", "recheck_cached_data")
SCHEMA_KEYS = ("rank", "dtype", "domain", "shape", "chunk_layout", "codec", "fill_value", "dimension_units", "schema")
_UPDATE_KEYS = (
    "open_mode", *OPEN_FLAGS, "unbind_context", "strip_context", "context", "kvstore", "minimal_spec",
    *RECHECK, "recheck_cached", *SCHEMA_KEYS,
)


#: (context, hoisted resources) while a bound spec writes out the specs nested in it.
_NESTED: contextvars.ContextVar[tuple[Context, dict[str, Any]] | None] = contextvars.ContextVar(
    "tsexplore_nested_spec_context", default=None
)


def _recheck(value: Any) -> Any:
    if isinstance(value, bool) or value == "open":
        return value
    if isinstance(value, (int, float)):
        return value
    raise status.invalid_argument(
        f'Expected "open", or boolean, or number, but received: {jsonb.dump_compact(value)}'
    )


class Spec(Indexable):
    """A TensorStore spec, like ``tensorstore.Spec``: ``Spec(json)``, ``Spec(url)`` or ``Spec(spec)``."""

    __slots__ = ("_bound", "_context", "_driver", "_flags", "_recheck", "_transform")
    _driver: DriverSpec
    _transform: IndexTransform | None
    _context: dict[str, Any] | None
    _bound: Context | None
    _flags: dict[str, bool]
    _recheck: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) != 1 or kwargs:
            raise TypeError(
                "__new__(): incompatible function arguments. The following argument types are supported:\n"
                "    1. (self: object, json: Any) -> tensorstore.Spec\n\nInvoked with: "
                + ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
            )
        src = args[0]
        if isinstance(src, Spec):
            src._copy_into(self)
            return
        parse_spec_json(src)._copy_into(self)

    # -- internals -------------------------------------------------------------------------------------
    @classmethod
    def _make(  # noqa: PLR0917
        cls,
        driver: DriverSpec,
        transform: IndexTransform | None = None,
        context: dict[str, Any] | None = None,
        bound: Context | None = None,
        flags: dict[str, bool] | None = None,
        recheck: dict[str, Any] | None = None,
    ) -> Spec:
        self = cls.__new__(cls)
        self._driver, self._transform, self._context, self._bound = driver, transform, context, bound
        self._flags = dict(flags or {})
        self._recheck = dict(recheck or {})
        return self

    def _copy_into(self, other: Spec) -> None:
        other._driver = self._driver.copy()
        other._transform = self._transform
        other._context = _copy.deepcopy(self._context)
        other._bound = self._bound
        other._flags = dict(self._flags)
        other._recheck = dict(self._recheck)

    def copy(self) -> Spec:
        return Spec(self)

    def __copy__(self) -> Spec:
        return Spec(self)

    def __deepcopy__(self, memo: Any) -> Spec:
        return Spec(self)

    # -- JSON ------------------------------------------------------------------------------------------
    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        """The JSON form (keys sorted); a bound context is written out in full (``unbind``).

        While a bound spec is written out, the specs nested in it (an adapter's ``base``, a stack's
        ``layers``) are written as bound to the same context, and the resources they use are hoisted
        into the outer ``context`` member, as tensorstore's unbinding does.
        """
        outer = _NESTED.get()
        if outer is not None:
            ctx, hoisted = outer
            spec = self
            if self._bound is None:
                spec = Spec._make(self._driver, self._transform, None,
                                  Context(self._context, ctx) if self._context else ctx, self._flags, self._recheck)
            j = spec._to_json(include_defaults)
            for k, v in j.pop("context", {}).items():
                hoisted.setdefault(k, v)
            return j
        return self._to_json(include_defaults)

    def _to_json(self, include_defaults: bool) -> dict[str, Any]:
        if self._bound is None:
            return self._to_json_unbound(include_defaults)
        hoisted: dict[str, Any] = {}
        token = _NESTED.set((self._bound, hoisted))
        try:
            out = self._to_json_unbound(include_defaults)
        finally:
            _NESTED.reset(token)
        if hoisted:
            context = out.setdefault("context", {})
            for k, v in hoisted.items():
                context.setdefault(k, v)
            out = jsonb.sorted_json(out)
        return out

    def _to_json_unbound(self, include_defaults: bool) -> dict[str, Any]:
        d = self._driver
        out: dict[str, Any] = dict(d.to_json(include_defaults=include_defaults))
        out["driver"] = d.driver_name
        schema = d.schema
        dt = schema.dtype
        if dt is None:
            with contextlib.suppress(status.StatusError):
                dt = self.dtype
        if dt is not None:
            out["dtype"] = dt.name
        sj = schema.to_json()
        sj.pop("dtype", None)
        rank = sj.pop("rank", None)
        transform = self.transform
        if include_defaults:
            full = schema.to_json()
            if dt is not None:
                full["dtype"] = dt.name
            if "rank" not in full and self.rank is not None:
                full["rank"] = self.rank
            if full:
                out["schema"] = full
        elif sj:
            out["schema"] = sj
        if transform is not None:
            out["transform"] = transform.to_json()
        elif rank is not None:
            out["rank"] = rank
        for f in OPEN_FLAGS:
            if self._flags.get(f) and d.uses_kvstore:
                out[f] = True
        if out.get("open") and not out.get("create"):
            del out["open"]
        out.update(self._recheck)
        if include_defaults and d.uses_kvstore:
            for f in ("assume_cached_metadata", "assume_metadata", "delete_existing"):
                out.setdefault(f, False)
            out.setdefault("recheck_cached_data", True)
            out.setdefault("recheck_cached_metadata", "open")
            out.setdefault("schema", {})
        if d.kvstore is not None:
            out["kvstore"] = d.kvstore.to_json(include_defaults=include_defaults)
        if self._bound is not None:
            return unbound_context_json(self, out)
        for kind in d.context_resources:
            value = d.resource_values.get(kind)
            if value is not None:
                out[kind] = value
            elif include_defaults:
                out[kind] = kind
        if self._context or include_defaults:
            out["context"] = dict(self._context or {})
        return jsonb.sorted_json(out)  # type: ignore[no-any-return]

    # -- E3: string-key member access ---------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            j = self.to_json()
            if key not in j:
                raise KeyError(key)
            return j[key]
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            raise AttributeError("'tensorstore.Spec' object has no attribute '__setitem__'")
        j = self.to_json()
        j[key] = value
        Spec(j)._copy_into(self)

    def __iter__(self) -> Any:
        raise TypeError("'tensorstore.Spec' object is not iterable")

    def __contains__(self, key: Any) -> bool:
        raise TypeError("argument of type 'tensorstore.Spec' is not iterable")

    # -- update ----------------------------------------------------------------------------------------------
    def update(self, *args: Any, **kwargs: Any) -> None:
        """Change the spec in place (keyword-only as in tensorstore; E3: one positional mapping)."""
        if args:
            if len(args) != 1 or kwargs or not isinstance(args[0], dict):
                raise TypeError(_update_help(self, args, kwargs))
            j = self.to_json()
            j.update(args[0])
            Spec(j)._copy_into(self)
            return
        bad = [k for k in kwargs if k not in _UPDATE_KEYS]
        if bad:
            raise TypeError(_update_help(self, args, kwargs))
        from .kvstore import KvStore

        if isinstance(kwargs.get("kvstore"), KvStore):
            raise TypeError("Invalid kvstore")  # tensorstore: only ts.open accepts an open KvStore here
        self._apply_options(kwargs)

    def _apply_options(self, kw: dict[str, Any]) -> None:
        mode = kw.get("open_mode")
        if mode is not None:
            for f in OPEN_FLAGS:
                if getattr(mode, f):
                    self._flags[f] = True
        for f in OPEN_FLAGS:
            if kw.get(f) is not None:
                self._flags[f] = bool(kw[f])
        if kw.get("recheck_cached") is not None:
            for r in RECHECK:
                self._recheck[r] = kw["recheck_cached"]
        for r in RECHECK:
            if kw.get(r) is not None:
                self._recheck[r] = kw[r]
        constraints = {k: kw[k] for k in SCHEMA_KEYS if kw.get(k) is not None}
        if constraints:
            extra = Schema(**constraints)
            self._driver = self._driver.copy()
            if self._transform is not None and extra.rank is not None and extra.rank != self._transform.input_rank:
                raise status.invalid_argument(
                    f"Rank specified by schema ({extra.rank}) does not match rank specified by transform "
                    f"({self._transform.input_rank})"
                )
            self._driver.apply_schema(extra)
        if kw.get("kvstore") is not None:
            self._set_kvstore(kw["kvstore"])
        if kw.get("minimal_spec"):
            self._driver = self._driver.strip_for_minimal()
        if kw.get("context") is not None:
            ctx = kw["context"]
            if not isinstance(ctx, Context):
                raise TypeError("Invalid context")
            if self._bound is None:
                self._bound = Context(self._context, ctx) if self._context else ctx
                self._context = None
        if kw.get("strip_context"):
            self._bound = None
            self._context = None
            self._driver = self._driver.copy()
            self._driver.resource_values.clear()
            if self._driver.kvstore is not None:
                self._driver.kvstore.update(strip_context=True)
        elif kw.get("unbind_context") and self._bound is not None:
            Spec(self.to_json())._copy_into(self)

    def _set_kvstore(self, kv: Any) -> None:
        from .kvstore import KvStore

        if not self._driver.uses_kvstore:
            raise status.invalid_argument(f'"kvstore" not supported by "{self._driver.driver_name}" driver')
        if self._driver.kvstore is not None:
            raise status.invalid_argument('"kvstore" is already specified')
        if isinstance(kv, KvStore):
            # keep the open store's context so resources (e.g. the memory store's contents) are shared
            kv = KvStore.Spec._make(kv.driver.spec.copy(), kv.path, None, bound=kv._ctx)
        elif not isinstance(kv, KvStore.Spec):
            raise TypeError("Invalid kvstore")  # tensorstore takes a KvStore or KvStore.Spec, not JSON
        self._driver = self._driver.copy()
        self._driver.kvstore = KvStore.Spec(kv)

    # -- properties ----------------------------------------------------------------------------------------
    def _effective(self) -> Schema:
        s = self._driver.effective_schema()
        if self._transform is not None:
            s = s.copy()
            with contextlib.suppress(status.StatusError):
                s.update(rank=self._transform.input_rank)
            s._domain = self._transform.domain
        return s

    @property
    def dtype(self) -> Any:
        return self._driver.effective_schema().dtype

    @property
    def rank(self) -> int | None:
        if self._transform is not None:
            return self._transform.input_rank
        r: int | None = self._driver.effective_schema().rank
        return r

    @property
    def ndim(self) -> int | None:
        return self.rank

    @property
    def transform(self) -> IndexTransform | None:
        """The spec's transform, or the identity over the domain the driver members imply."""
        if self._transform is not None:
            return self._transform
        return self._driver.implied_transform()

    @property
    def domain(self) -> IndexDomain | None:
        if self._transform is not None:
            return self._transform.domain
        return self._driver.effective_schema().domain

    @property
    def shape(self) -> tuple[int, ...] | None:
        d = self.domain
        return None if d is None else d.shape

    @property
    def origin(self) -> tuple[int, ...] | None:
        d = self.domain
        return None if d is None else d.origin

    @property
    def size(self) -> int | None:
        d = self.domain
        return None if d is None else d.size

    @property
    def schema(self) -> Schema:
        return self._effective()

    @property
    def chunk_layout(self) -> ChunkLayout:
        return self._effective().chunk_layout

    @property
    def codec(self) -> CodecSpec | None:
        return self._effective().codec

    @property
    def fill_value(self) -> Any:
        return self._effective().fill_value

    @property
    def dimension_units(self) -> Any:
        return self._effective().dimension_units

    @property
    def kvstore(self) -> Any:
        kv = self._driver.kvstore
        return None if kv is None else kv.copy()

    @property
    def base(self) -> Spec | None:
        b = self._driver.base()
        return b if b is None else Spec(b)

    @property
    def open_mode(self) -> OpenMode:
        flags = {f: True for f in OPEN_FLAGS if self._flags.get(f)}
        return OpenMode(**flags)

    @property
    def url(self) -> str:
        try:
            text = self._driver.url()
        except status.StatusError:
            raise status.unimplemented("URL representation not supported") from None
        kv = self._driver.kvstore
        if kv is not None:
            return f"{kv.url}|{text}"
        return text

    # -- indexing ------------------------------------------------------------------------------------------
    def _ts_transform(self) -> IndexTransform:
        if self._transform is not None:
            return self._transform
        r = self._driver.effective_schema().rank
        if r is None:
            raise status.invalid_argument("Cannot perform indexing operations on Spec with unspecified rank")
        dom = self._driver.effective_schema().domain
        return IndexTransform(dom) if dom is not None else IndexTransform(input_rank=r)

    def _ts_with_transform(self, t: IndexTransform) -> Spec:
        out = self.copy()
        out._transform = t
        return out

    # -- Python protocol ----------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spec):
            return NotImplemented
        return bool(self.to_json(include_defaults=True) == other.to_json(include_defaults=True))

    __hash__ = None  # type: ignore[assignment]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import spec_bundle

        return spec_bundle(self)

    def __repr__(self) -> str:
        try:
            return pretty_json_repr("Spec(", self.to_json())
        except NotImplementedError:  # no JSON form (virtual_chunked)
            return "Spec(...)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Spec, (self.to_json(),))


def _update_help(self: Spec, args: Any, kwargs: dict[str, Any]) -> str:
    parts = [repr(self)] + [repr(a) for a in args]
    if kwargs:
        parts.append("kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()))
    return (
        "update(): incompatible function arguments. The following argument types are supported:\n"
        "    1. (self: tensorstore.Spec, *, " + ", ".join(f"{k}: Optional = None" for k in _UPDATE_KEYS)
        + ") -> None\n\nInvoked with: " + ", ".join(parts)
    )


def parse_spec_json(value: Any) -> Spec:
    """Parse JSON (or a URL string) into a Spec; INVALID_ARGUMENT naming the member at fault."""
    if isinstance(value, str):
        value = parse_tensorstore_url(value)
    reader = jsonb.ObjectReader(value)
    if not reader.has("driver"):
        raise status.invalid_argument('Error parsing object member "driver": Expected string, but member is missing')
    name = reader.get("driver", jsonb.expect_string)
    try:
        cls = get_driver(name)
    except status.StatusError as e:
        raise jsonb.member_error("driver", e) from None
    context = reader.get("context", _context_member, None)
    schema = Schema()
    if reader.has("schema"):
        schema = reader.get("schema", Schema)
    if reader.has("rank"):
        reader.get("rank", lambda v: schema._set_rank(jsonb.expect_int(v, minimum=0, maximum=32), "schema"))
    if reader.has("dtype"):
        reader.get("dtype", lambda v: schema._set_dtype(dtype_from_json(v)))
    transform = None
    if reader.has("transform"):
        transform = reader.get("transform", lambda v: IndexTransform(json=v))
        if schema.rank is not None and schema.rank != transform.input_rank:
            raise status.invalid_argument(
                f"Rank specified by transform ({transform.input_rank}) does not match existing rank specified "
                f"by schema ({schema.rank})"
            )
    flags = {f: reader.get(f, jsonb.expect_bool) for f in OPEN_FLAGS if reader.has(f)}
    recheck = {r: reader.get(r, _recheck) for r in RECHECK if reader.has(r)}
    kv = None
    if cls.uses_kvstore and reader.has("kvstore"):
        from .kvstore import KvStore

        kv = reader.get("kvstore", KvStore.Spec)
        if cls.kvstore_is_directory and kv._path and not kv._path.endswith("/"):
            kv._path += "/"  # tensorstore: the array's keys go under "<path>/", as in spec JSON it shows
    resources = {k: reader.get(k, lambda v: v) for k in cls.context_resources if reader.has(k)}
    driver = cls.from_json(reader, schema)
    reader.finish()
    driver.kvstore = kv
    driver.resource_values.update(resources)
    if transform is None:
        transform = default_transform(driver)
    return Spec._make(driver, transform, context, None, flags, recheck)


def default_transform(driver: DriverSpec) -> IndexTransform | None:
    hook = getattr(driver, "default_transform", None)
    return hook() if hook is not None else None


def _context_member(value: Any) -> dict[str, Any]:
    obj = jsonb.expect_object(value)
    Context.Spec(obj)  # validate
    return obj


def unbound_context_json(spec: Spec, out: dict[str, Any]) -> dict[str, Any]:
    """``out`` (the spec's JSON) with the bound context written out as tensorstore's unbinding does.

    Every resource the driver (and its kvstore) uses appears in ``context``; inline resources keep
    their JSON in place.
    """
    ctx = spec._bound
    assert ctx is not None
    d = spec._driver
    context: dict[str, Any] = {}
    for kind in d.context_resources:
        value = d.resource_values.get(kind)
        handle = ctx.resource_handle(kind, value)
        if isinstance(value, str):
            out[kind] = value
            context.setdefault(value, handle.to_json())
        elif value is not None:
            out[kind] = handle.to_json()
        else:
            context.setdefault(kind, handle.to_json())
    if d.kvstore is not None:
        kv = d.kvstore.copy()
        kv.update(context=ctx)
        kj = kv.to_json()
        for k, v in kj.pop("context", {}).items():
            context.setdefault(k, v)
        out["kvstore"] = kj
    if context:
        out["context"] = context
    return jsonb.sorted_json(out)  # type: ignore[no-any-return]


Spec.__name__ = "tensorstore.Spec"
