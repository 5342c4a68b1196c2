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
refuses, at the operation that would need it, a second key on a kvstore that cannot commit several
keys atomically.

Each key is written atomically by its kvstore (the file driver writes a temporary file, fsyncs and
renames it), so a crash in the middle of a non-atomic commit leaves every key at its old or new
value.

tsexplore extension: :meth:`Transaction.staged` lists what is staged (:class:`StagedKey` records with
the kvstore key, staged bytes and written regions) for the explorer's transaction panel.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from . import status
from .future import Future, spawn

__all__ = [
    "Mutation",
    "Region",
    "StagedKey",
    "Transaction",
    "TxnRead",
    "kv_delete_range",
    "kv_list",
    "kv_read",
    "kv_write",
]

_generation_counter = itertools.count(1)


@dataclass(frozen=True)
class Region:
    """A box ``[inclusive_min, exclusive_max)`` in array coordinates (what a chunk write covered)."""

    inclusive_min: tuple[int, ...]
    exclusive_max: tuple[int, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(f"{a}:{b}" for a, b in zip(self.inclusive_min, self.exclusive_max)) + "]"


@dataclass
class Mutation:
    """One staged change of a key: ``apply(old) -> new`` (``None`` means missing / delete).

    ``region`` describes what was written (for the transaction panel), ``nbytes`` what it holds.
    ``if_equal`` (raw KvStore writes) is a condition on the generation the mutation applies to,
    checked at commit.  ``batch`` lets consecutive mutations of one kind be applied together (the
    chunk engine decodes a chunk once for all its staged patches): ``batch(mutations, old)``.
    """

    apply: Callable[[bytes | None], bytes | None]
    nbytes: int = 0
    region: Any = None
    if_equal: bytes = b""
    batch: Callable[[list[Mutation], bytes | None], bytes | None] | None = None
    #: the generation the transaction reports for the key after this mutation
    generation: bytes = b""


@dataclass(frozen=True)
class TxnRead:
    """A key as a transaction sees it: value (``None``: missing), generation and whether it is staged."""

    value: bytes | None
    generation: bytes
    staged: bool
    time: float


@dataclass
class StagedKey:
    """What a transaction holds for one key of one kvstore."""

    driver: Any
    key: bytes
    mutations: list[Mutation] = field(default_factory=list)
    #: generation observed by the first read through the transaction (None: never read)
    read_generation: bytes | None = None
    #: called (with no arguments) once the commit has finished, e.g. to drop a cached chunk
    on_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return bool(self.mutations)

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.mutations)

    @property
    def regions(self) -> list[Any]:
        return [m.region for m in self.mutations if m.region is not None]

    def describe(self) -> str:
        """How tensorstore names the key in messages, e.g. ``local file "a.zarr/c/0/0"``."""
        return str(self.driver.describe_key(self.key))

    def apply(self, value: bytes | None, generation: bytes | None = None) -> bytes | None:
        """The value after every staged mutation; checks ``if_equal`` conditions when ``generation`` is known."""
        muts = self.mutations
        i = 0
        while i < len(muts):
            m = muts[i]
            if m.if_equal and generation is not None and m.if_equal != generation:
                raise status.aborted(f"Error writing {self.describe()}: Generation mismatch")
            if m.batch is not None:
                j = i + 1
                while j < len(muts) and muts[j].batch is m.batch and not muts[j].if_equal:
                    j += 1
                value = m.batch(muts[i:j], value)
                generation = muts[j - 1].generation
                i = j
                continue
            value = m.apply(value)
            generation = m.generation
            i += 1
        return value


def _staged_generation() -> bytes:
    return b"~" + next(_generation_counter).to_bytes(8, "little") + b"z"


class Transaction:
    """``ts.Transaction(atomic=False, repeatable_read=False)``."""

    def __init__(self, atomic: bool = False, repeatable_read: bool = False) -> None:
        self._atomic = bool(atomic)
        self._repeatable_read = bool(repeatable_read)
        self._lock = threading.RLock()
        self._keys: dict[tuple[Hashable, bytes], StagedKey] = {}
        self._state = "open"  # open | committing | committed | failed | aborted
        self._future: Future[None] = Future.pending()

    # -- properties ---------------------------------------------------------------------------
    @property
    def atomic(self) -> bool:
        return self._atomic

    @property
    def repeatable_read(self) -> bool:
        """tsexplore extension (tensorstore only takes it as a constructor argument)."""
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
                return self._future
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
            self._abort_locked(status.cancelled("Transaction aborted"))

    def _abort_locked(self, exc: BaseException) -> None:
        self._state = "aborted"
        self._keys.clear()
        self._future._set(None, exc)

    def _finish(self, fut: Future[None]) -> None:
        exc = fut.exception()
        with self._lock:
            self._state = "failed" if exc else "committed"
            nodes = list(self._keys.values())
        for node in nodes:
            for cb in node.on_commit:
                cb()
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
        from . import display

        bundle = getattr(display, "transaction_bundle", None)
        if bundle is not None:
            return dict(bundle(self))
        text = f"Transaction({self._state}, {len(self.staged())} staged keys)"
        return {"text/plain": text}

    # -- inspection (tsexplore extension) --------------------------------------------------------
    def staged(self) -> list[StagedKey]:
        """The keys this transaction will write, in staging order (no I/O).

        Each :class:`StagedKey` has ``describe()`` (the kvstore key as messages name it), ``key``,
        ``nbytes`` (staged bytes), ``mutations`` (one per staged write) and ``regions`` (the boxes
        written, in array coordinates, for chunk writes).
        """
        with self._lock:
            return [k for k in self._keys.values() if k.written]

    def staged_bytes(self) -> int:
        return sum(k.nbytes for k in self.staged())

    # -- engine API ---------------------------------------------------------------------------
    def check_open(self) -> None:
        if self._state == "aborted":
            raise ValueError("Transaction not open (aborted)")
        if self._state != "open":
            raise ValueError("Transaction not open (commit already started)")

    def node(self, driver: Any, key: bytes) -> StagedKey:
        """The staged entry for ``key`` (created: the key takes part in the transaction).

        Enforces ``atomic=True``: a second key on a kvstore that cannot commit several keys
        atomically aborts the transaction with tensorstore's message.
        """
        with self._lock:
            self.check_open()
            ident = (driver.identity, key)
            node = self._keys.get(ident)
            if node is not None:
                return node
            node = StagedKey(driver, key)
            if self._atomic and self._keys and not self._can_join_atomically(driver):
                other = next(iter(self._keys.values()))
                a, b = sorted([node, other], key=lambda n: n.key)
                err = status.invalid_argument(
                    f"Cannot read/write {a.describe()} and read/write {b.describe()} as single atomic transaction"
                )
                self._abort_locked(err)
                raise err
            self._keys[ident] = node
            return node

    def existing(self, driver: Any, key: bytes) -> StagedKey | None:
        with self._lock:
            self.check_open()
            return self._keys.get((driver.identity, key))

    def nodes_in(self, driver: Any, contains: Callable[[bytes], bool]) -> list[StagedKey]:
        """Staged entries of ``driver`` whose key satisfies ``contains``."""
        with self._lock:
            self.check_open()
            ident = driver.identity
            return [n for (d, k), n in self._keys.items() if d == ident and contains(k)]

    def _can_join_atomically(self, driver: Any) -> bool:
        drivers = {k.driver.identity for k in self._keys.values()}
        return bool(getattr(driver, "atomic_multi_key", False)) and drivers == {driver.identity}

    def check_range_atomic(self, driver: Any, first_key: bytes) -> None:
        """``delete_range`` in an atomic transaction needs a kvstore with atomic multi-key commits."""
        with self._lock:
            self.check_open()
            if self._atomic and not getattr(driver, "atomic_multi_key", False):
                err = status.invalid_argument(
                    f"Cannot delete range starting at {driver.describe_key(first_key)} as single atomic transaction"
                )
                self._abort_locked(err)
                raise err

    async def read(self, driver: Any, key: bytes, *, participate: bool = True) -> TxnRead:
        """``key`` as this transaction sees it: the stored value with the staged mutations applied.

        ``participate=False`` (raw KvStore reads without ``repeatable_read``) does not make an
        unstaged key part of the transaction, as in tensorstore.
        """
        from .kvstore.types import ReadOptions

        if participate or self._repeatable_read:
            node: StagedKey | None = self.node(driver, key)
        else:
            node = self.existing(driver, key)
        result = await driver.read(key, ReadOptions())
        generation = bytes(result.stamp.generation)
        value = result.value if result.state == "value" else None
        if node is None:
            return TxnRead(value, generation, False, result.stamp.time)
        with self._lock:
            if node.read_generation is None:
                node.read_generation = generation
            elif self._repeatable_read and node.read_generation != generation:
                raise status.aborted(f"Error reading {node.describe()}: Generation mismatch")
            muts = list(node.mutations)
        if not muts:
            return TxnRead(value, generation, False, result.stamp.time)
        applied = StagedKey(driver, key, muts).apply(value)  # if_equal conditions are checked at commit
        return TxnRead(applied, muts[-1].generation, True, result.stamp.time)

    def stage(self, driver: Any, key: bytes, mutation: Mutation) -> bytes:
        """Add ``mutation`` to ``key``; returns the generation the transaction reports for it."""
        node = self.node(driver, key)
        with self._lock:
            self.check_open()
            if not mutation.generation:
                mutation.generation = _staged_generation()
            node.mutations.append(mutation)
            return mutation.generation

    # -- commit -------------------------------------------------------------------------------
    async def _commit(self) -> None:
        with self._lock:
            nodes = list(self._keys.values())
        if not nodes:
            return
        driver = nodes[0].driver
        if (
            len(nodes) > 1
            and getattr(driver, "atomic_multi_key", False)
            and all(n.driver.identity == driver.identity for n in nodes)
        ):
            await self._commit_atomic(driver, nodes)
            return
        results = await asyncio.gather(*(self._commit_key(n) for n in nodes), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r

    def _check_generation(self, node: StagedKey, generation: bytes) -> None:
        if self._repeatable_read and node.read_generation is not None and node.read_generation != generation:
            raise status.aborted(f"Error writing {node.describe()}: Generation mismatch")

    async def _commit_key(self, node: StagedKey) -> None:
        from .kvstore.types import NO_VALUE, ReadOptions

        loop = asyncio.get_running_loop()
        while True:
            result = await node.driver.read(node.key, ReadOptions())
            generation = bytes(result.stamp.generation)
            self._check_generation(node, generation)
            if not node.written:
                return  # read-only key: validated above
            old = result.value if result.state == "value" else None
            # decode/encode work runs in the CPU pool, not on the I/O loop
            new = await loop.run_in_executor(_cpu(), node.apply, old, generation)
            if new == old:
                return
            try:
                stamp = await node.driver.write(node.key, new, generation if old is not None else NO_VALUE)
            except status.StatusError as e:
                # tensorstore names the key being committed, unless the kvstore already did
                if e.message.startswith("Error writing "):
                    raise
                raise e.prefixed(f"Error writing {node.describe()}") from None
            if stamp.generation != b"":
                return
            if self._repeatable_read:
                raise status.aborted(f"Error writing {node.describe()}: Generation mismatch")

    async def _commit_atomic(self, driver: Any, nodes: list[StagedKey]) -> None:
        from .kvstore.types import NO_VALUE, ReadOptions

        loop = asyncio.get_running_loop()
        while True:
            results = await asyncio.gather(*(driver.read(n.key, ReadOptions()) for n in nodes))
            writes: list[tuple[bytes, bytes | None, bytes]] = []
            for node, result in zip(nodes, results):
                generation = bytes(result.stamp.generation)
                self._check_generation(node, generation)
                old = result.value if result.state == "value" else None
                if not node.written:
                    continue  # read-only keys were validated above (rewriting them would bump their generation)
                new = await loop.run_in_executor(_cpu(), node.apply, old, generation)
                writes.append((node.key, new, generation if old is not None else NO_VALUE))
            if not writes or await driver.commit_atomic(writes) is not None:
                return
            # a key changed underneath: re-read; with repeatable_read the check above names it


def _cpu() -> Any:
    from .future import cpu_pool

    return cpu_pool()


# -- KvStore operations through a transaction (used by ``ts.KvStore`` bound to a transaction) --------


async def kv_read(txn: Transaction, driver: Any, key: bytes, options: Any) -> Any:
    """``KvStore.read`` through ``txn``: staged values are visible, as are their generations."""
    from .kvstore.driver import apply_byte_range
    from .kvstore.types import NO_VALUE, ReadResult, TimestampedStorageGeneration

    got = await txn.read(driver, key, participate=False)
    generation = got.generation if got.value is not None else NO_VALUE
    stamp = TimestampedStorageGeneration(generation, float("inf") if got.staged else got.time)
    if options.if_not_equal and options.if_not_equal == generation:
        return ReadResult("unspecified", b"", stamp)
    if got.value is None:
        return ReadResult("missing", b"", stamp)
    return ReadResult("value", apply_byte_range(got.value, options.byte_range), stamp)


def kv_write(txn: Transaction, driver: Any, key: bytes, value: bytes | None, if_equal: bytes) -> Any:
    """``KvStore.write`` through ``txn``: staged; ``if_equal`` is checked at commit."""
    from .kvstore.types import TimestampedStorageGeneration

    def replace(old: bytes | None) -> bytes | None:
        return value

    generation = txn.stage(driver, key, Mutation(replace, 0 if value is None else len(value), if_equal=if_equal))
    return TimestampedStorageGeneration(generation, time.time())


async def kv_list(txn: Transaction, driver: Any, key_range: Any) -> list[bytes]:
    """Keys in ``key_range`` as ``txn`` sees them: stored keys plus staged ones, minus staged deletions."""
    txn.check_open()
    keys = set(await driver.list_keys(key_range))
    for node in txn.nodes_in(driver, key_range.contains):
        if node.written:
            got = await txn.read(driver, node.key, participate=False)
            if got.value is None:
                keys.discard(node.key)
            else:
                keys.add(node.key)
    return sorted(keys)


async def kv_delete_range(txn: Transaction, driver: Any, key_range: Any) -> None:
    """Stage the deletion of every key in ``key_range`` that ``txn`` sees."""
    if key_range.empty:
        txn.check_open()
        return
    txn.check_range_atomic(driver, key_range.inclusive_min)
    for k in await kv_list(txn, driver, key_range):
        txn.stage(driver, k, Mutation(_delete))


def _delete(old: bytes | None) -> bytes | None:
    return None
