"""The chunk cache: decoded chunks in an LRU bounded by ``cache_pool.total_bytes_limit``.

Entries are keyed by ``(kvstore identity, full key)`` and carry the storage generation they were
read at and when, so a ``recheck_cached_data`` policy can decide between using an entry as is,
revalidating it with a conditional read (``if_not_equal``), or ignoring it.  With a limit of 0
the engine never creates a cache.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import status
from ..jsonb import dump_compact

__all__ = [
    "CacheEntry",
    "ChunkCache",
    "MetadataCache",
    "MetadataEntry",
    "cache_for",
    "metadata_cache_for",
    "staleness_bound",
]


@dataclass(frozen=True)
class CacheEntry:
    generation: bytes
    array: np.ndarray[Any, Any] | None  # None: the key was missing
    time: float


class ChunkCache:
    """A thread-safe LRU of decoded chunks (arrays are stored read-only)."""

    def __init__(self, limit: int) -> None:
        self.limit = int(limit)
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[Hashable, bytes], tuple[CacheEntry, int]] = OrderedDict()
        self.nbytes = 0

    def get(self, key: tuple[Hashable, bytes]) -> CacheEntry | None:
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            self._entries.move_to_end(key)
            return item[0]

    def put(self, key: tuple[Hashable, bytes], entry: CacheEntry) -> None:
        size = 0 if entry.array is None else int(entry.array.nbytes)
        if size > self.limit:
            self.discard(key)
            return
        if entry.array is not None:
            entry.array.flags.writeable = False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            self._entries[key] = (entry, size)
            self.nbytes += size
            while self.nbytes > self.limit and self._entries:
                _, (_, n) = self._entries.popitem(last=False)
                self.nbytes -= n

    def discard(self, key: tuple[Hashable, bytes]) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]

    def __len__(self) -> int:
        return len(self._entries)


_create_lock = threading.Lock()


def cache_for(pool: Any) -> ChunkCache | None:
    """The chunk cache of a ``CachePool`` resource, or ``None`` when its limit is 0."""
    limit = int(getattr(pool, "total_bytes_limit", 0) or 0)
    if limit <= 0:
        return None
    state: dict[str, Any] = pool.state
    cache = state.get("chunk_cache")
    if cache is None:
        with _create_lock:
            cache = state.setdefault("chunk_cache", ChunkCache(limit))
    return cache  # type: ignore[no-any-return]


def staleness_bound(policy: Any, open_time: float) -> float:
    """Time after which a cached entry may be used without revalidation.

    ``True`` (tensorstore's default for data): always revalidate; ``False``: never; ``"open"``:
    entries read since the array was opened are fresh; a number: a time in seconds.
    """
    if policy is None or policy is True:
        return time.time()
    if policy is False:
        return -math.inf
    if policy == "open":
        return open_time
    if isinstance(policy, (int, float)) and not isinstance(policy, bool):
        return float(policy)
    raise status.invalid_argument(f"Invalid staleness bound: {dump_compact(policy)}")


class MetadataEntry:
    """Validated metadata of one array and when it was read (or written) here."""

    __slots__ = ("__weakref__", "meta", "time")

    def __init__(self, meta: Any, when: float) -> None:
        self.meta = meta
        self.time = when


class MetadataCache:
    """Metadata by ``(kvstore identity, full metadata key)``, shared through a ``cache_pool``.

    As in tensorstore, with ``total_bytes_limit`` 0 an entry lives only while an open array holds
    it (the arrays keep their :class:`MetadataEntry`); with a positive limit entries stay.
    """

    def __init__(self, keep: bool) -> None:
        self._lock = threading.Lock()
        self._entries: Any = {} if keep else weakref.WeakValueDictionary()

    def get(self, key: tuple[Hashable, bytes]) -> MetadataEntry | None:
        with self._lock:
            return self._entries.get(key)  # type: ignore[no-any-return]

    def put(self, key: tuple[Hashable, bytes], entry: MetadataEntry) -> MetadataEntry:
        with self._lock:
            self._entries[key] = entry
        return entry


def metadata_cache_for(pool: Any) -> MetadataCache:
    """The metadata cache of a ``CachePool`` resource (created on first use)."""
    state: dict[str, Any] = pool.state
    cache = state.get("metadata_cache")
    if cache is None:
        keep = int(getattr(pool, "total_bytes_limit", 0) or 0) > 0
        with _create_lock:
            cache = state.setdefault("metadata_cache", MetadataCache(keep))
    return cache  # type: ignore[no-any-return]
