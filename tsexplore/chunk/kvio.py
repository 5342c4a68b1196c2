"""Chunk-engine access to a kvstore driver: keys relative to the array, blocking and async forms.

A chunk read is cheapest as one pool task doing read + decode + copy, so drivers whose
primitives are really blocking calls (``file``, ``memory``) are called directly from the pool
thread.  Other drivers (s3, gcs, http) are awaited on the I/O loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

from ..future import io_loop
from ..kvstore.driver import Driver, found, missing, now
from ..kvstore.types import ReadOptions, ReadResult, TimestampedStorageGeneration

__all__ = ["KvAccess"]


class KvAccess:
    """An open kvstore driver plus the array's path prefix."""

    def __init__(self, driver: Driver, path: str) -> None:
        self.driver = driver
        self.path = path
        self.prefix = path.encode("utf-8", "surrogateescape")
        self._read_sync: Any = None
        self._write_sync: Any = None
        from ..kvstore.file import FileDriver
        from ..kvstore.memory import MemoryDriver

        if isinstance(driver, FileDriver):
            from ..kvstore import file as f

            sync, locking = driver.sync, driver.locking

            def fread(key: bytes, options: ReadOptions) -> ReadResult:
                f.validate_key(key)
                return f._read_blocking(key, options)

            def fwrite(key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
                f.validate_key(key)
                return f._write_blocking(key, value, if_equal, sync, locking)

            self._read_sync, self._write_sync = fread, fwrite
        elif isinstance(driver, MemoryDriver):
            store = driver.store

            def mread(key: bytes, options: ReadOptions) -> ReadResult:
                with store.lock:
                    entry = store.data.get(key)
                if entry is None:
                    return missing(options)
                return found(entry[0], entry[1], options)

            def mwrite(key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
                gens = store.apply([(key, value, if_equal)])
                return TimestampedStorageGeneration(b"" if gens is None else gens[0], now())

            self._read_sync, self._write_sync = mread, mwrite

    @property
    def blocking(self) -> bool:
        """Whether :meth:`read_blocking` / :meth:`write_blocking` avoid the I/O loop."""
        return self._read_sync is not None

    @property
    def identity(self) -> Hashable:
        return self.driver.identity

    def full_key(self, key: str) -> bytes:
        return self.prefix + key.encode("utf-8", "surrogateescape")

    def describe(self, key: str) -> str:
        """How messages name a key, e.g. ``local file "a.zarr/c/0/0"``."""
        return self.driver.describe_key(self.full_key(key))

    # -- async -----------------------------------------------------------------------------------
    async def read(self, key: str, options: ReadOptions | None = None) -> ReadResult:
        return await self.driver.read(self.full_key(key), options or ReadOptions())

    async def write(self, key: str, value: bytes | None, if_equal: bytes = b"") -> TimestampedStorageGeneration:
        return await self.driver.write(self.full_key(key), value, if_equal)

    # -- blocking (from a pool thread, never from the I/O loop) ----------------------------------
    def read_blocking(self, key: str, options: ReadOptions | None = None) -> ReadResult:
        opts = options or ReadOptions()
        if self._read_sync is not None:
            return self._read_sync(self.full_key(key), opts)  # type: ignore[no-any-return]
        return asyncio.run_coroutine_threadsafe(self.read(key, opts), io_loop()).result()

    def write_blocking(self, key: str, value: bytes | None, if_equal: bytes = b"") -> TimestampedStorageGeneration:
        if self._write_sync is not None:
            return self._write_sync(self.full_key(key), value, if_equal)  # type: ignore[no-any-return]
        return asyncio.run_coroutine_threadsafe(self.write(key, value, if_equal), io_loop()).result()
