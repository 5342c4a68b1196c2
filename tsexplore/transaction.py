"""Transactions: staged writes, isolation, and optimistic commits.

A transaction stages *mutations* per ``(kvstore driver, key)``.  A mutation is a re-appliable
function from a key's stored value to its new value: a raw KvStore write replaces the value, a
partial-chunk write decodes, assigns the written region and re-encodes.  Because mutations are
re-applied on top of whatever is stored at commit time, two transactions that write disjoint
regions of one chunk both survive (tensorstore's default, ``repeatable_read=False``).

Commit writes each key conditionally on the generation it read (``if_equal``); if the key changed
underneath, the mutations are re-applied to the new content and the write retried.  With
``repeatable_read=True`` every key read through the transaction must still have the generation
it was read at, else the commit fails with ``ABORTED: ... Generation mismatch``.  ``atomic=True``
refuses, at the write that would need it, a second key on a kvstore that cannot commit several
keys atomically.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from . import status
from .future import Future, spawn

__all__ = ["Mutation", "StagedKey", "Transaction"]


@dataclass
class Mutation:
    """One staged change of a key: ``apply(old) -> new`` (``None`` means missing / delete).

    ``region`` describes what was written (for the transaction panel), ``nbytes`` what it holds.
    """

    apply: Callable[[bytes | None], bytes | None]
    nbytes: int = 0
    region: Any = None


@dataclass
class StagedKey:
    """What a transaction holds for one key of one kvstore."""

    driver: Any
    key: bytes
    mutations: list[Mutation] = field(default_factory=list)
    #: generation observed by the first read through the transaction (None: never read)
    read_generation: bytes | None = None

    @property
    def written(self) -> bool:
        return bool(self.mutations)

    def describe(self) -> str:
        return str(self.driver.describe_key(self.key))

    def apply(self, value: bytes | None) -> bytes | None:
        for m in self.mutations:
            value = m.apply(value)
        return value


class Transaction:
    """``ts.Transaction(atomic=False, repeatable_read=False)``."""

    def __init__(self, atomic: bool = False, repeatable_read: bool = False) -> None:
        self._atomic = bool(atomic)
        self._repeatable_read = bool(repeatable_read)
        self._lock = threading.Lock()
        self._keys: dict[tuple[Hashable, bytes], StagedKey] = {}
        self._state = "open"  # open | committing | committed | failed | aborted
        self._future: Future[None] = Future.pending()

    # -- properties ---------------------------------------------------------------------------
    @property
    def atomic(self) -> bool:
        return self._atomic

    @property
    def repeatable_read(self) -> bool:
        return self._repeatable_read

    @property
    def open(self) -> bool:
        return self._state == "open"

    @property
    def aborted(self) -> bool:
        return self._state == "aborted"

    @property
    def commit_started(self) -> bool:
        return self._state in ("committing", "committed", "failed")

    @property
    def future(self) -> Future[None]:
        return self._future

    # -- lifecycle ----------------------------------------------------------------------------
    def commit_async(self) -> Future[None]:
        with self._lock:
            if self._state == "aborted":
                return _failed(status.cancelled("Transaction aborted"))
            if self._state != "open":
                return self._future
            self._state = "committing"
        spawn(self._commit()).add_done_callback(self._finish)
        return self._future

    def commit_sync(self) -> None:
        self.commit_async().result()

    def abort(self) -> None:
        with self._lock:
            if self._state != "open":
                return
            self._state = "aborted"
            self._keys.clear()
        self._future._set(None, status.cancelled("Transaction aborted"))

    def _finish(self, fut: Future[None]) -> None:
        exc = fut.exception()
        with self._lock:
            self._state = "failed" if exc else "committed"
        self._future._set(None, exc)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit_sync()
        else:
            self.abort()

    async def __aenter__(self) -> Transaction:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            await self.commit_async()
        else:
            self.abort()

    def __repr__(self) -> str:
        return f"<tsexplore.Transaction object at {id(self):#x}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import transaction_bundle

        return transaction_bundle(self)

    # -- inspection ---------------------------------------------------------------------------
    def staged(self) -> list[StagedKey]:
        """The keys this transaction will write, in staging order (for the transaction panel)."""
        with self._lock:
            return [k for k in self._keys.values() if k.written]

    def staged_bytes(self) -> int:
        return sum(m.nbytes for k in self.staged() for m in k.mutations)

    # -- engine API ---------------------------------------------------------------------------
    def check_open(self) -> None:
        if self._state == "aborted":
            raise ValueError("Transaction not open (aborted)")
        if self._state != "open":
            raise ValueError("Transaction not open (commit already started)")

    def _node(self, driver: Any, key: bytes) -> StagedKey:
        """The staged entry for ``key``, enforcing the atomic single-kvstore rule."""
        with self._lock:
            self.check_open()
            ident = (driver.identity, key)
            node = self._keys.get(ident)
            if node is not None:
                return node
            node = StagedKey(driver, key)
            if self._atomic and self._keys and not self._can_join_atomically(driver):
                other = next(iter(self._keys.values()))
                self._state = "aborted"
                self._keys.clear()
                err = ValueError(
                    f"Cannot read/write {node.describe()} and read/write {other.describe()} "
                    "as single atomic transaction"
                )
                self._future._set(None, err)
                raise err
            self._keys[ident] = node
            return node

    def _can_join_atomically(self, driver: Any) -> bool:
        drivers = {k.driver.identity for k in self._keys.values()}
        return bool(getattr(driver, "atomic_multi_key", False)) and drivers == {driver.identity}

    async def read(self, driver: Any, key: bytes) -> tuple[bytes | None, bytes]:
        """The value of ``key`` as this transaction sees it, and the stored generation."""
        from .kvstore.types import ReadOptions

        node = self._node(driver, key)
        result = await driver.read(key, ReadOptions())
        generation = bytes(result.stamp.generation)
        if node.read_generation is None:
            node.read_generation = generation
        value = result.value if result.state == "value" else None
        return node.apply(value), generation

    def stage(self, driver: Any, key: bytes, mutation: Mutation) -> None:
        node = self._node(driver, key)
        with self._lock:
            self.check_open()
            node.mutations.append(mutation)

    # -- commit -------------------------------------------------------------------------------
    async def _commit(self) -> None:
        with self._lock:
            nodes = list(self._keys.values())
        if not nodes:
            return
        driver = nodes[0].driver
        if len(nodes) > 1 and getattr(driver, "atomic_multi_key", False) and all(
            n.driver.identity == driver.identity for n in nodes
        ):
            await self._commit_atomic(driver, nodes)
            return
        await asyncio.gather(*(self._commit_key(n) for n in nodes))

    def _check_generation(self, node: StagedKey, generation: bytes) -> None:
        if self._repeatable_read and node.read_generation is not None and node.read_generation != generation:
            raise status.aborted(f"Error writing {node.describe()}: Generation mismatch")

    async def _commit_key(self, node: StagedKey) -> None:
        from .kvstore.types import NO_VALUE, ReadOptions

        while True:
            result = await node.driver.read(node.key, ReadOptions())
            generation = bytes(result.stamp.generation)
            self._check_generation(node, generation)
            if not node.written:
                return  # read-only key: validated above
            old = result.value if result.state == "value" else None
            new = node.apply(old)
            if new == old:
                return
            stamp = await node.driver.write(node.key, new, generation if old is not None else NO_VALUE)
            if stamp.generation != b"":
                return
            if self._repeatable_read:
                raise status.aborted(f"Error writing {node.describe()}: Generation mismatch")

    async def _commit_atomic(self, driver: Any, nodes: list[StagedKey]) -> None:
        from .kvstore.types import NO_VALUE, ReadOptions

        while True:
            results = await asyncio.gather(*(driver.read(n.key, ReadOptions()) for n in nodes))
            writes: list[tuple[bytes, bytes | None, bytes]] = []
            for node, result in zip(nodes, results):
                generation = bytes(result.stamp.generation)
                self._check_generation(node, generation)
                old = result.value if result.state == "value" else None
                # read-only keys take part as conditions, so the whole commit is one consistent step
                new = node.apply(old) if node.written else old
                writes.append((node.key, new, generation if old is not None else NO_VALUE))
            if await driver.commit_atomic(writes) is not None:
                return
            if self._repeatable_read:
                raise status.aborted(f"Error writing {nodes[0].describe()}: Generation mismatch")


def _failed(exc: BaseException) -> Future[None]:
    fut: Future[None] = Future.pending()
    fut._set(None, exc)
    return fut
