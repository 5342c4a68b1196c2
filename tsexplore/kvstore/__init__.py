"""Key-value stores: the ``KvStore`` API, URL parsing, and the memory, file and fsspec-based drivers.

Knows nothing of arrays.

New drivers subclass :class:`~tsexplore.kvstore.driver.DriverSpec` and
:class:`~tsexplore.kvstore.driver.Driver` and register with
:func:`~tsexplore.kvstore.driver.register_driver` / :func:`~tsexplore.kvstore.driver.register_url_scheme`.
"""

from __future__ import annotations

from . import memory as _memory  # registers the memory_key_value_store context resource
from . import zip as _zip  # registers the zip driver and the |zip: adapter URL scheme
from .kvstore import KvStore
from .types import KeyRange, ReadResult, TimestampedStorageGeneration

__all__ = ["KeyRange", "KvStore", "ReadResult", "TimestampedStorageGeneration"]

del _memory, _zip
