"""``ts.Context``: shared resources (cache pools, concurrency limits, ...) named by JSON identifiers.

A context maps *resource identifiers* (``"cache_pool"``, ``"cache_pool#big"``) to resource specs,
references to other identifiers, or ``None`` (the default).  Each resource kind is registered once
with :func:`register_resource`; drivers ask for the shared object with :meth:`Context.resource`.
Lookups walk up the parent chain, and the root context creates the default resource for an
unnamed identifier, so two stores opened with one context share one cache pool.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import status
from .jsonb import ObjectReader, dump_compact, expect_bool, expect_object, expect_string
from .unit import c_hex_escape

__all__ = [
    "CachePool",
    "ConcurrencyLimit",
    "Context",
    "ResourceKind",
    "RetryPolicy",
    "pretty_json_repr",
    "register_resource",
    "registered_kinds",
]

_UINT64_MAX = 2**64 - 1
_INT64_MAX = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class ResourceKind:
    """How one resource kind parses, prints and creates its shared object."""

    name: str
    default_spec: Any
    create: Callable[[Any], Any]
    parse: Callable[[Any], Any]
    """JSON -> normalized JSON (every member present, defaults filled in); raises StatusError."""
    unparse: Callable[[Any, bool], Any]
    """(normalized JSON, include_defaults) -> JSON."""


_registry: dict[str, ResourceKind] = {}
_registry_lock = threading.Lock()

# Valid identifiers whose kind is registered by another package when that package is imported.
_PROVIDERS: dict[str, str] = {"memory_key_value_store": "tsexplore.kvstore"}


def register_resource(
    kind: str,
    default_spec: Any,
    create: Callable[[Any], Any],
    *,
    parse: Callable[[Any], Any] | None = None,
    unparse: Callable[[Any, bool], Any] | None = None,
) -> None:
    """Register (or replace) resource kind ``kind``.

    ``create(normalized_spec_json)`` builds the shared object.  Without ``parse``, an object
    default accepts exactly its own members (missing ones take the default value) and a boolean
    default accepts a boolean; ``unparse`` then drops members equal to their default.
    """
    if not kind or "#" in kind:
        raise ValueError(f"invalid resource kind name: {kind!r}")
    p = parse if parse is not None else _generic_parse(default_spec)
    u = unparse if unparse is not None else _generic_unparse(default_spec)
    with _registry_lock:
        _registry[kind] = ResourceKind(kind, default_spec, create, p, u)


def registered_kinds() -> list[str]:
    return sorted(_registry)


def _kind(name: str) -> ResourceKind | None:
    found = _registry.get(name)
    if found is None and name in _PROVIDERS:
        try:
            importlib.import_module(_PROVIDERS[name])
        except ImportError:
            return None
        found = _registry.get(name)
    return found


def _generic_parse(default: Any) -> Callable[[Any], Any]:
    if isinstance(default, bool):
        return expect_bool
    if isinstance(default, Mapping):
        defaults = dict(default)

        def parse(value: Any) -> Any:
            reader = ObjectReader(value)
            out = {name: reader.get(name, lambda v: v, dflt) for name, dflt in defaults.items()}
            reader.finish()
            return out

        return parse
    return lambda value: value


def _generic_unparse(default: Any) -> Callable[[Any, bool], Any]:
    if isinstance(default, Mapping):
        defaults = dict(default)

        def unparse(value: Any, include_defaults: bool) -> Any:
            if include_defaults:
                return dict(value)
            return {k: v for k, v in value.items() if k not in defaults or defaults[k] != v}

        return unparse
    return lambda value, include_defaults: value


# ---------------------------------------------------------------------------------------------
# Identifiers


def _split_identifier(ident: str) -> tuple[str, ResourceKind] | None:
    """``(kind_name, kind)`` for a valid identifier ``kind`` or ``kind#anything``."""
    name = ident.split("#", 1)[0]
    kind = _kind(name) if name else None
    return None if kind is None else (name, kind)


def _check_identifier(ident: str) -> ResourceKind:
    found = _split_identifier(ident)
    if found is None:
        raise status.invalid_argument(f"Invalid context resource identifier: {json.dumps(ident)}")
    return found[1]


# ---------------------------------------------------------------------------------------------
# Member parsers shared by the built-in kinds


def _parse_uint64(value: Any) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer() and 0 <= value <= _UINT64_MAX:
        value, ok = int(value), True
    if not ok or not 0 <= value <= _UINT64_MAX:
        raise status.invalid_argument(f"Expected 64-bit unsigned integer, but received: {_json_text(value)}")
    return int(value)


def _parse_ranged_int(value: Any, lo: int, hi: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer() and lo <= value <= hi:
        value, ok = int(value), True
    if not ok or not lo <= value <= hi:
        raise status.invalid_argument(f"Expected integer in the range [{lo}, {hi}], but received: {_json_text(value)}")
    return int(value)


def _parse_limit(value: Any) -> Any:
    if value == "shared" and isinstance(value, str):
        return "shared"
    return _parse_ranged_int(value, 1, _UINT64_MAX)


def _json_text(value: Any) -> str:
    """A value as nlohmann::json prints it in error messages (``true``, ``1e+30``, ``"x"``)."""
    return dump_compact(value)


def _enum(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        names = ", ".join(json.dumps(c) for c in choices)
        raise status.invalid_argument(f"Expected one of {names}, but received: {dump_compact(value)}")

    return parse


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_RE = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|ms|s|m|h)")


def duration_seconds(text: str) -> float:
    """Seconds in an absl duration string such as ``"1m30s"``; ``"inf"`` gives ``math.inf``."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "inf":
        return sign * math.inf
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        m = _DURATION_RE.match(body, pos)
        if m is None or m.group(1) in ("", "."):
            raise ValueError(text)
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(text)
    return sign * total


def _parse_duration(value: Any) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        duration_seconds(value)
    except ValueError:
        raise status.invalid_argument(
            'Expected Duration formatted as a string using time units "ns", "us" "ms", "s", "m", or "h".'
            f", but received: {dump_compact(value)}"
        ) from None
    return value


def _object_kind(
    members: dict[str, tuple[Callable[[Any], Any], Any, bool]],
) -> tuple[Callable[[Any], Any], Callable[[Any, bool], Any]]:
    """Parser/printer for an object resource: member -> (parse, default, shown with include_defaults).

    A default of ``None`` means "absent unless given".
    """

    def parse(value: Any) -> Any:
        reader = ObjectReader(value)
        out = {}
        for name, (fn, default, _) in members.items():
            v = reader.get(name, fn, None)
            out[name] = default if v is None else v
        reader.finish()
        return out

    def unparse(value: Any, include_defaults: bool) -> Any:
        out = {}
        for name, (_, default, shown) in members.items():
            v = value.get(name)
            if v is None or (v == default and not (include_defaults and shown)):
                continue
            out[name] = v
        return out

    return parse, unparse


# ---------------------------------------------------------------------------------------------
# Built-in resource objects


@dataclass(eq=False)
class CachePool:
    """A chunk cache budget; ``total_bytes_limit == 0`` (the default) means no caching."""

    total_bytes_limit: int
    state: dict[str, Any] = field(default_factory=dict)
    """Free slot for the chunk cache implementation."""


class ConcurrencyLimit:
    """A concurrency limit (``{"limit": n}`` or ``"shared"``) and the executor sized from it.

    ``shared`` uses the process-wide pools of :mod:`tsexplore.future`; a number gets a private
    pool of that many threads, created on first use.
    """

    def __init__(self, kind: str, limit: Any, shared_limit: Callable[[], int], shared_pool: Callable[[], Any]) -> None:
        self.kind = kind
        self.shared = limit == "shared"
        self._limit = None if self.shared else int(limit)
        self._shared_limit = shared_limit
        self._shared_pool = shared_pool
        self._pool: Any = None
        self._sem: Any = None
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        """The effective number of concurrent operations."""
        return self._shared_limit() if self._limit is None else min(self._limit, 1 << 16)

    def executor(self) -> Any:
        """A ``concurrent.futures.Executor`` running at most :attr:`limit` jobs at once."""
        if self.shared:
            return self._shared_pool()
        with self._lock:
            if self._pool is None:
                import concurrent.futures

                self._pool = concurrent.futures.ThreadPoolExecutor(
                    self.limit, thread_name_prefix=f"tsexplore-{self.kind}"
                )
            return self._pool

    def semaphore(self) -> threading.BoundedSemaphore:
        """A thread semaphore bounding concurrent operations to :attr:`limit`."""
        with self._lock:
            if self._sem is None:
                self._sem = threading.BoundedSemaphore(self.limit)
            return self._sem  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"ConcurrencyLimit({self.kind!r}, limit={'shared' if self.shared else self._limit!r})"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry settings of ``*_retries`` resources, delays in seconds."""

    max_retries: int
    initial_delay: float
    max_delay: float


def _cpu_limit() -> int:
    from .future import cpu_pool

    return cpu_pool()._max_workers


def _io_limit() -> int:
    from .future import io_pool

    return io_pool()._max_workers


def _cpu_executor() -> Any:
    from .future import cpu_pool

    return cpu_pool()


def _io_executor() -> Any:
    from .future import io_pool

    return io_pool()


def _register_builtins() -> None:
    cp_parse, cp_unparse = _object_kind({"total_bytes_limit": (_parse_uint64, 0, True)})
    register_resource(
        "cache_pool",
        {"total_bytes_limit": 0},
        lambda spec: CachePool(spec["total_bytes_limit"]),
        parse=cp_parse,
        unparse=cp_unparse,
    )
    lim_parse, lim_unparse = _object_kind({"limit": (_parse_limit, "shared", True)})
    for name, shared_limit, shared_pool in (
        ("data_copy_concurrency", _cpu_limit, _cpu_executor),
        ("file_io_concurrency", _io_limit, _io_executor),
        ("gcs_request_concurrency", lambda: 32, _io_executor),
        ("s3_request_concurrency", lambda: 32, _io_executor),
        ("http_request_concurrency", lambda: 32, _io_executor),
    ):

        def make(spec: Any, name: str = name, sl: Any = shared_limit, sp: Any = shared_pool) -> Any:
            return ConcurrencyLimit(name, spec["limit"], sl, sp)

        register_resource(name, {"limit": "shared"}, make, parse=lim_parse, unparse=lim_unparse)

    register_resource("file_io_sync", True, bool)
    for name, retries in (
        ("file_io_retries", 0),
        ("gcs_request_retries", 32),
        ("s3_request_retries", 32),
        ("http_request_retries", 32),
    ):
        r_parse, r_unparse = _object_kind(
            {
                "initial_delay": (_parse_duration, "1s", True),
                "max_delay": (_parse_duration, "32s", True),
                "max_retries": (lambda v: _parse_ranged_int(v, 0, _INT64_MAX), retries, True),
            }
        )
        register_resource(
            name,
            {"initial_delay": "1s", "max_delay": "32s", "max_retries": retries},
            _make_retry_policy,
            parse=r_parse,
            unparse=r_unparse,
        )
    simple: dict[str, dict[str, tuple[Callable[[Any], Any], Any, bool]]] = {
        "file_io_locking": {
            "acquire_timeout": (_parse_duration, None, True),
            "mode": (_enum("os", "lockfile", "none", "non_atomic"), "os", False),
        },
        "file_io_mode": {"mode": (_enum("default", "memmap", "direct"), "default", False)},
        "ocdbt_coordinator": {
            "address": (expect_string, None, True),
            "lease_duration": (_parse_duration, None, True),
            "security": (expect_object, None, True),
        },
        "gcs_user_project": {"project_id": (expect_string, None, True)},
        "experimental_gcs_rate_limiter": {
            "doubling_time": (_parse_duration, None, True),
            "read_rate": (lambda v: float(_parse_number(v)), None, True),
            "write_rate": (lambda v: float(_parse_number(v)), None, True),
        },
    }
    for name, members in simple.items():
        s_parse, s_unparse = _object_kind(members)
        register_resource(name, {}, dict, parse=s_parse, unparse=s_unparse)
    register_resource("aws_credentials", {"type": "default"}, dict, parse=_parse_aws, unparse=lambda v, d: dict(v))


def _make_retry_policy(spec: Any) -> RetryPolicy:
    return RetryPolicy(
        spec["max_retries"], duration_seconds(spec["initial_delay"]), duration_seconds(spec["max_delay"])
    )


def _parse_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise status.invalid_argument(f"Expected number, but received: {dump_compact(value)}")
    return float(value)


def _parse_aws(value: Any) -> Any:
    obj = expect_object(value)
    if not isinstance(obj.get("type"), str):
        raise status.invalid_argument(
            'Failed to parse AWS credentials spec: Error parsing object member "type": '
            "Expected string, but member is missing"
        )
    return obj


_register_builtins()


# ---------------------------------------------------------------------------------------------
# Python-literal pretty printing (tensorstore's repr of JSON values)


def _py_string(s: str) -> str:
    return "'" + c_hex_escape(s) + "'"


def _number_text(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)  # shortest round-trip form, as nlohmann::json prints it
    return str(value)


def _single_line(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_py_string(str(k))}: {_single_line(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_single_line(v) for v in value) + "]"
    if isinstance(value, str):
        return _py_string(value)
    if value is True:
        return "True"
    if value is False:
        return "False"
    if value is None:
        return "None"
    return _number_text(value)


def _pretty(value: Any, width: int, cur_indent: int, sub_indent: int, indent: int) -> str:
    text = _single_line(value)
    if len(text) <= width - cur_indent or not isinstance(value, (Mapping, list, tuple)) or not value:
        return text
    inner = sub_indent + indent
    pad = " " * inner
    parts = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            key = _py_string(str(k))
            parts.append(f"\n{pad}{key}: {_pretty(v, width - 1, inner + len(key) + 2, inner, indent)},")
        return "{" + "".join(parts) + "\n" + " " * sub_indent + "}"
    for v in value:
        parts.append(f"\n{pad}{_pretty(v, width - 1, inner, inner, indent)},")
    return "[" + "".join(parts) + "\n" + " " * sub_indent + "]"


def pretty_json_repr(prefix: str, value: Any, suffix: str = ")", width: int = 80) -> str:
    """``prefix + value + suffix`` with ``value`` printed as tensorstore prints JSON in reprs.

    Single line while it fits in ``width`` columns, otherwise one member per line with 2-space
    indentation and trailing commas (as in ``Context.Spec({...})`` and ``TensorStore({...})``).
    """
    return prefix + _pretty(value, width, 0, 0, 2) + suffix


# ---------------------------------------------------------------------------------------------
# Context.Spec


class _Ref(str):
    """A reference to another resource identifier inside a context spec."""


def _check_json_ints(value: Any) -> None:
    # pybind11 converts the whole Python value to JSON before parsing; huge ints fail there.
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -(2**63) <= value <= _UINT64_MAX:
            raise OverflowError("int too big to convert")
    elif isinstance(value, Mapping):
        for v in value.values():
            _check_json_ints(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_json_ints(v)


def _parse_entry(ident: str, kind: ResourceKind, value: Any) -> Any:
    """A context-spec member: None, a :class:`_Ref`, or normalized JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        target = _split_identifier(value)
        if target is None or target[1] is not kind:
            try:
                kind.parse(value)
                detail = f"Expected object, but received: {json.dumps(value)}"
            except status.StatusError as e:
                detail = e.message
            raise status.invalid_argument(
                f"Invalid spec or reference to {json.dumps(kind.name)} resource: {json.dumps(value)} ({detail})"
            )
        return _Ref(value)
    return kind.parse(value)


def _entry_json(kind: ResourceKind, entry: Any, include_defaults: bool) -> Any:
    if entry is None:
        return None
    if isinstance(entry, _Ref):
        return str(entry)
    return kind.unparse(entry, include_defaults)


class _ContextSpec:
    """``ts.Context.Spec``: the parsed JSON form of a context (identifier -> spec or reference)."""

    __slots__ = ("_entries",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) + len(kwargs) != 1 or (kwargs and "json" not in kwargs):
            raise TypeError(
                "__init__(): incompatible constructor arguments. "
                "The following argument types are supported:\n"
                "    1. tensorstore.Context.Spec(json: Any)\n" + status.invoked_with(args, kwargs)
            )
        json = args[0] if args else kwargs["json"]
        _check_json_ints(json)
        obj = expect_object(json)
        entries: dict[str, tuple[ResourceKind, Any]] = {}
        for ident in sorted(obj):
            if not isinstance(ident, str):
                raise TypeError(f"JSON object keys must be strings, not {type(ident).__name__}")
            kind = _check_identifier(ident)
            entries[ident] = (kind, _parse_entry(ident, kind, obj[ident]))
        self._entries = entries

    def to_json(self, include_defaults: bool = False) -> Any:
        return {ident: _entry_json(kind, entry, include_defaults) for ident, (kind, entry) in self._entries.items()}

    def __repr__(self) -> str:
        return pretty_json_repr("Context.Spec(", self.to_json())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ContextSpec, (self.to_json(include_defaults=True),))


# ---------------------------------------------------------------------------------------------
# Context.Resource


class _ContextResource:
    """``ts.Context.Resource``: one resolved, shared resource (compared by identity)."""

    __slots__ = ("__weakref__", "_kind", "_lock", "_object", "_spec")
    _kind: ResourceKind
    _spec: Any
    _lock: threading.Lock
    _object: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("tensorstore.Resource: No constructor defined!")

    @classmethod
    def _make(cls, kind: ResourceKind, spec: Any) -> _ContextResource:
        self = cls.__new__(cls)
        self._kind = kind
        self._spec = spec
        self._lock = threading.Lock()
        self._object = _UNSET
        return self

    @property
    def object(self) -> Any:
        """The shared object built by the kind's ``create`` (built on first use)."""
        obj = self._object
        if obj is _UNSET:
            with self._lock:
                if self._object is _UNSET:
                    self._object = self._kind.create(self._spec)
                obj = self._object
        return obj

    def to_json(self, include_defaults: bool = False) -> Any:
        return self._kind.unparse(self._spec, include_defaults)

    def __repr__(self) -> str:
        return pretty_json_repr("Context.Resource(", self.to_json())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_resource, (self._kind.name, self._spec))


_UNSET: Any = object()


def _restore_resource(kind_name: str, spec: Any) -> _ContextResource:
    kind = _kind(kind_name)
    if kind is None:
        raise ValueError(f"Invalid context resource identifier: {json.dumps(kind_name)}")
    return _ContextResource._make(kind, spec)


# ---------------------------------------------------------------------------------------------
# Context


_CTOR_HELP = (
    "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
    "    1. tensorstore.Context()\n"
    "    2. tensorstore.Context(spec: tensorstore.Context.Spec, parent: tensorstore.Context | None = None)\n"
    "    3. tensorstore.Context(json: Any, parent: tensorstore.Context | None = None)\n"
)


class Context:
    """Shared resources for opened stores, like ``tensorstore.Context``.

    ``Context()`` is a fresh root with only default resources; ``Context(json_or_spec, parent)``
    binds identifiers; unbound identifiers resolve in ``parent``.
    """

    Spec = _ContextSpec
    Resource = _ContextResource

    __slots__ = ("__weakref__", "_lock", "_parent", "_resources", "_spec")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        spec, parent = self._parse_args(args, kwargs)
        self._spec = spec
        self._parent = parent
        self._resources: dict[str, _ContextResource] = {}
        self._lock = threading.RLock()

    @staticmethod
    def _parse_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[_ContextSpec | None, Context | None]:
        if not args and not kwargs:
            return None, None
        names = ("json", "parent")
        if len(args) > 2 or any(k not in names and k != "spec" for k in kwargs):
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        values: dict[str, Any] = {}
        for i, a in enumerate(args):
            values[names[i]] = a
        for k, v in kwargs.items():
            key = "json" if k == "spec" else k
            if key in values:
                raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
            values[key] = v
        if "json" not in values:
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        if "spec" in kwargs and not isinstance(kwargs["spec"], _ContextSpec):
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        parent = values.get("parent")
        if parent is not None and not isinstance(parent, Context):
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        source = values["json"]
        spec = source if isinstance(source, _ContextSpec) else _ContextSpec(source)
        return spec, parent

    # -- public API -----------------------------------------------------------------------------
    @property
    def spec(self) -> _ContextSpec | None:
        """The spec this context was made from (``None`` for ``Context()``)."""
        return self._spec

    @property
    def parent(self) -> Context | None:
        return self._parent

    def __getitem__(self, key: str) -> _ContextResource:
        if not isinstance(key, str):
            raise TypeError(
                "__getitem__(): incompatible function arguments. "
                "The following argument types are supported:\n"
                "    1. (self: tensorstore.Context, key: str) -> tensorstore.Context.Resource\n\n"
                f"Invoked with: {self!r}, {key!r}"
            )
        _check_identifier(key)
        return self._lookup(key, [])

    # -- engine API -----------------------------------------------------------------------------
    def resource(self, kind: str, spec: Any = None) -> Any:
        """The shared object for resource ``kind`` as referenced by a driver spec member ``spec``.

        ``None`` uses this context's binding of ``kind`` (else the parent's, else the default);
        a string is a reference such as ``"cache_pool#big"``; anything else is an inline spec and
        gives a fresh, unshared resource.  Raises ``StatusError`` (a ``ValueError``) on bad input.
        """
        return self.resource_handle(kind, spec).object

    def resource_handle(self, kind: str, spec: Any = None) -> _ContextResource:
        """Like :meth:`resource` but returns the ``Context.Resource`` (for ``to_json``/identity)."""
        if isinstance(spec, _ContextResource):
            return spec
        k = _check_identifier(kind)
        if spec is None:
            return self._lookup(kind, [])
        entry = _parse_entry(kind, k, spec)
        if isinstance(entry, _Ref):
            return self._lookup(str(entry), [])
        return _ContextResource._make(k, entry)

    # -- resolution -----------------------------------------------------------------------------
    def _lookup(self, ident: str, chain: list[tuple[str, str]]) -> _ContextResource:
        ctx: Context | None = self
        while ctx is not None:
            found = ctx._resolve_here(ident, chain)
            if found is not None:
                return found
            if ctx._parent is None:
                return ctx._default(ident)
            ctx = ctx._parent
        raise AssertionError("unreachable")

    def _resolve_here(self, ident: str, chain: list[tuple[str, str]]) -> _ContextResource | None:
        with self._lock:
            cached = self._resources.get(ident)
            if cached is not None:
                return cached
        if self._spec is None or ident not in self._spec._entries:
            return None
        kind, entry = self._spec._entries[ident]
        if isinstance(entry, _Ref):
            link = (ident, str(entry))
            if any(i == ident for i, _ in chain):
                raise _cycle_error(dict(chain), ident)
            res = self._lookup(str(entry), [*chain, link])
        else:
            res = _ContextResource._make(kind, kind.parse(kind.default_spec) if entry is None else entry)
        with self._lock:
            return self._resources.setdefault(ident, res)

    def _default(self, ident: str) -> _ContextResource:
        if "#" in ident:
            raise status.invalid_argument(f"Resource not defined: {json.dumps(ident)}")
        kind = _check_identifier(ident)
        with self._lock:
            res = self._resources.get(ident)
            if res is None:
                res = _ContextResource._make(kind, kind.parse(kind.default_spec))
                self._resources[ident] = res
            return res

    # -- pickling -------------------------------------------------------------------------------
    def __reduce__(self) -> tuple[Any, ...]:
        with self._lock:
            resources = dict(self._resources)
        return (_restore_context, (self._spec, self._parent, resources))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import context_bundle

        return context_bundle(self)

    def __repr__(self) -> str:
        return f"<tsexplore.Context object at {id(self):#x}>"


def _cycle_error(blocked_on: dict[str, str], waited: str) -> status.StatusError:
    """tensorstore's cycle message: Brent's algorithm from the awaited node picks the start."""
    power = lam = 1
    tortoise, hare = waited, blocked_on.get(waited)
    while hare is not None and hare != tortoise:
        if power == lam:
            tortoise, power, lam = hare, power * 2, 0
        hare = blocked_on.get(hare)
        lam += 1
    start = tortoise if hare is None else hare
    parts, node = [], start
    while True:
        target = blocked_on[node]
        parts.append(f"{json.dumps(node)}:{json.dumps(target)}")
        node = target
        if node == start:
            break
    return status.invalid_argument("Context resource reference cycle: " + " -> ".join(parts))


def _restore_context(
    spec: _ContextSpec | None, parent: Context | None, resources: dict[str, _ContextResource]
) -> Context:
    ctx = Context.__new__(Context)
    ctx._spec = spec
    ctx._parent = parent
    ctx._resources = dict(resources)
    ctx._lock = threading.RLock()
    return ctx


# Python's own error messages print ``__name__``; match tensorstore's type names there.
Context.__name__ = "tensorstore.Context"
_ContextSpec.__name__ = "tensorstore.Spec"
_ContextResource.__name__ = "tensorstore.Resource"
