"""The ``memory`` driver: a dict shared through the ``memory_key_value_store`` context resource."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from typing import Any

from .. import jsonb
from ..future import Future
from . import _ctx
from .driver import (
    Driver,
    DriverSpec,
    ResourceMember,
    found,
    missing,
    now,
    register_driver,
    register_url_scheme,
)
from .types import NO_VALUE, KeyRange, ReadOptions, ReadResult, TimestampedStorageGeneration
from .url import decode_path, encode_path, split_url

__all__ = ["MemoryDriver", "MemorySpec", "MemoryStore"]


class MemoryStore:
    """The shared object of one ``memory_key_value_store`` resource: key -> (value, generation)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: dict[bytes, tuple[bytes, bytes]] = {}
        self._counter = 0

    def next_generation(self) -> bytes:
        gen = b"\x00" + self._counter.to_bytes(8, "little")
        self._counter += 1
        return gen

    def _current(self, key: bytes) -> bytes:
        entry = self.data.get(key)
        return NO_VALUE if entry is None else entry[1]

    def apply(self, writes: Sequence[tuple[bytes, bytes | None, bytes]]) -> list[bytes] | None:
        """Apply writes atomically under the lock; ``None`` if any ``if_equal`` fails."""
        with self.lock:
            for key, _, cond in writes:
                if cond and self._current(key) != cond:
                    return None
            out = []
            for key, value, _ in writes:
                if value is None:
                    self.data.pop(key, None)
                    out.append(NO_VALUE)
                else:
                    gen = self.next_generation()
                    self.data[key] = (value, gen)
                    out.append(gen)
            return out


_ctx.register_resource("memory_key_value_store", {}, lambda spec: MemoryStore())


@register_driver
class MemorySpec(DriverSpec):
    driver = "memory"
    resources = (ResourceMember("memory_key_value_store", "memory_key_value_store"),)

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        self.atomic = reader.get("atomic", jsonb.expect_bool, True)

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        return {"atomic": self.atomic} if include_defaults or not self.atomic else {}

    def url(self, path: str) -> str:
        return "memory://" + encode_path(path)

    async def open(self, context: Any) -> Driver:
        store = _ctx.resolve(context, "memory_key_value_store", self.resource_values.get("memory_key_value_store"))
        return MemoryDriver(self, context, store)


def _parse_memory_url(url: str, scheme: str) -> dict[str, Any]:
    parsed = split_url(url, scheme)
    out: dict[str, Any] = {"driver": "memory"}
    path = decode_path(parsed.authority_and_path)
    if path:
        out["path"] = path
    return out


register_url_scheme("memory", _parse_memory_url)


class MemoryDriver(Driver):
    atomic_multi_key = True

    def __init__(self, spec: MemorySpec, context: Any, store: MemoryStore) -> None:
        super().__init__(spec, context)
        self.store = store

    @property
    def identity(self) -> Hashable:
        return ("memory", id(self.store))

    def _read_now(self, key: bytes, options: ReadOptions) -> ReadResult:
        with self.store.lock:
            entry = self.store.data.get(key)
        if entry is None:
            return missing(options)
        return found(entry[0], entry[1], options)

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        return self._read_now(key, options)

    def read_future(self, key: bytes, options: ReadOptions) -> Future[ReadResult]:
        """A dict lookup never blocks: complete the future here instead of on the I/O loop."""
        fut: Future[ReadResult] = Future.pending()
        try:
            fut._set(self._read_now(key, options), None)
        except Exception as e:  # an out-of-range byte_range, delivered through the future
            fut._set(None, e)
        return fut

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        gens = self.store.apply([(key, value, if_equal)])
        return TimestampedStorageGeneration(b"" if gens is None else gens[0], now())

    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        with self.store.lock:
            keys = list(self.store.data)
        return sorted(k for k in keys if key_range.contains(k))

    async def delete_range(self, key_range: KeyRange) -> None:
        with self.store.lock:
            for k in [k for k in self.store.data if key_range.contains(k)]:
                del self.store.data[k]

    async def commit_atomic(
        self, writes: Sequence[tuple[bytes, bytes | None, bytes]]
    ) -> list[TimestampedStorageGeneration] | None:
        gens = self.store.apply(writes)
        if gens is None:
            return None
        t = now()
        return [TimestampedStorageGeneration(g, t) for g in gens]
