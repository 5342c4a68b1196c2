"""TransactionPanel's plain-Python model: stage edits on a selection, inspect them, diff, Commit or Abort.

Writes go through ``store.with_transaction(txn)``, so nothing reaches storage before Commit.  The staged list
comes from the transaction's own inspection API (``txn.staged()``); "before" reads the store without the
transaction and "after" reads through it.  Commit and Abort always leave a fresh transaction behind; their
errors (conflicts included) are recorded, logged and re-raised through the returned Future, never swallowed.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..future import Future
from ._async import after, log

__all__ = ["ChunkRow", "Estimate", "OpChunk", "StagedOp", "TransactionPanelModel", "estimate", "parse_value"]


@dataclass(frozen=True)
class Estimate:
    """What writing a selection touches, from the write-chunk grid alone (no I/O)."""

    chunks: int
    partial: int  # chunks only partly covered: read-modify-write at commit
    nbytes: int  # decoded bytes of the touched chunks

    def __str__(self) -> str:
        s = "s" if self.chunks != 1 else ""
        return (f"touches {self.chunks:,} chunk{s} ({self.partial:,} partial \u2192 read-modify-write), "
                f"{_size(self.nbytes)}")


@dataclass(frozen=True)
class OpChunk:
    """One key an operation staged: its name, whether the op covers it fully, and the bytes it staged."""

    key: str
    kind: str  # "full" | "partial (read-modify-write)"
    nbytes: int


@dataclass(frozen=True)
class StagedOp:
    """One staged assignment: ``store[<expression>] = <value_text>``; ``value`` and ``index`` allow a replay."""

    expression: str
    value_text: str
    shape: tuple[int, ...]
    value: Any = None
    index: Any = None
    estimate: Estimate | None = None
    chunks: tuple[OpChunk, ...] = ()

    @property
    def row(self) -> str:
        n = len(self.chunks)
        return f"[{self.expression or '...'}] = {self.value_text} · {n} chunk{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class ChunkRow:
    """One staged key of the transaction: its description, staged bytes and the regions written."""

    key: str
    nbytes: int
    writes: int
    regions: tuple[str, ...]


def parse_value(text: str, store: Any, namespace: dict[str, Any] | None = None) -> Any:
    """A number, ``nan``/``inf``, ``fill`` (the store's fill value) or a variable *named* in ``namespace``.

    Nothing is evaluated: an identifier is looked up, anything else must parse as a number.
    """
    t = text.strip()
    if t == "fill":
        fv = store.fill_value
        return np.zeros((), store.dtype.numpy_dtype) if fv is None else np.asarray(fv)
    if t.lower() in ("nan", "inf", "-inf", "+inf"):
        return float(t)
    for conv in (int, float, complex):
        try:
            return conv(t)
        except ValueError:
            pass
    if t.isidentifier():
        if namespace is None or t not in namespace:
            raise NameError(f"no variable named {t!r} in the notebook (values are looked up by name, not evaluated)")
        return namespace[t]
    raise ValueError(f"cannot stage {t!r}: give a number, nan, fill, or the name of a notebook variable")


def _cast(value: Any, store: Any) -> Any:
    """Cast a plain Python number to the store's dtype (so ``7`` can be written to uint8, like C assignment)."""
    dt = np.dtype(store.dtype.numpy_dtype)
    if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
        if dt.kind in "iu" and isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"cannot store {value} in {dt.name}")
        return np.asarray(value).astype(dt)
    return value


def _touched(transform: Any) -> list[Any] | None:
    """Per output dim, the sorted distinct indices the transform reaches (index arrays included)."""
    out = []
    dom = transform.domain
    for m in transform.output:
        if m.index_array is not None:
            idx = np.unique(m.offset + m.stride * np.asarray(m.index_array, np.int64))
        elif m.input_dimension is None:
            idx = np.array([m.offset], np.int64)
        else:
            d = dom[m.input_dimension]
            idx = m.offset + m.stride * np.arange(d.inclusive_min, d.exclusive_max, dtype=np.int64)
            idx = np.unique(idx)
        out.append(idx)
    return out


def estimate(store: Any, index: Any = None) -> Estimate:
    """Chunks, partial chunks and decoded bytes that ``store[index] = v`` touches (EXPLORER 2.6, before staging)."""
    import tsexplore as ts

    t = ts.IndexTransform(store.domain)
    if index is not None:
        t = t[index]
    touched = _touched(t)
    layout = store.chunk_layout
    shape = layout.write_chunk.shape
    origin = layout.grid_origin
    dom = store.domain
    chunks, full, nbytes = 1, 1, int(np.dtype(store.dtype.numpy_dtype).itemsize)
    for j, idx in enumerate(touched or []):
        lo, hi = int(dom[j].inclusive_min), int(dom[j].exclusive_max)
        c = None if shape is None or shape[j] is None else int(shape[j])
        o = 0 if origin is None or origin[j] is None else int(origin[j])
        if idx.size == 0:
            return Estimate(0, 0, 0)
        if c is None or c <= 0:
            c, o = max(1, hi - lo), lo
        cells, counts = np.unique((idx - o) // c, return_counts=True)
        extent = np.minimum((cells + 1) * c + o, hi) - np.maximum(cells * c + o, lo)
        chunks *= int(cells.size)
        full *= int(np.count_nonzero(counts == extent))
        nbytes *= int(extent.sum())
    return Estimate(chunks, chunks - full, nbytes)


def _size(n: int) -> str:
    x = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if x < 1024 or unit == "TiB":
            return f"{int(x)} B" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1024
    return f"{n} B"


class TransactionPanelModel:
    """A store, its current Transaction, the staged operations and the last result or error."""

    def __init__(self, store: Any, *, repeatable_read: bool = False, atomic: bool = False,
                 store_name: str = "store") -> None:
        if getattr(store, "transaction", None) is not None:
            raise ValueError("TransactionPanel needs a store without a bound transaction; it manages its own")
        self.store = store
        self.store_name = store_name
        self.repeatable_read = repeatable_read
        self.atomic = atomic
        self._lock = threading.RLock()
        self._listeners: list[Callable[[TransactionPanelModel], None]] = []
        self.ops: list[StagedOp] = []
        self.state = "open"  # open | committing | replaying | conflict | failed
        self.error: str | None = None
        self.message = ""
        self.history: list[str] = []
        self.selection_text = ""
        self.selection: Any = None  # an IndexTransform / domain-like index for store[...]
        self.conflict_key: str | None = None
        self.txn: Any = self._new_txn()

    def _new_txn(self) -> Any:
        import tsexplore as ts

        return ts.Transaction(atomic=self.atomic, repeatable_read=self.repeatable_read)

    # -- observers --------------------------------------------------------------------------------------------
    def observe(self, callback: Callable[[TransactionPanelModel], None]) -> None:
        self._listeners.append(callback)

    def _emit(self) -> None:
        for cb in list(self._listeners):
            cb(self)

    # -- selection --------------------------------------------------------------------------------------------
    def set_selection(self, expression: str, index: Any = None) -> None:
        """The region edits apply to: ``store[index]``; ``expression`` is its text (``ts.d['z'][3]``)."""
        self.selection_text = expression
        self.selection = index
        self._emit()

    def _view(self, store: Any, index: Any = None) -> Any:
        idx = self.selection if index is None else index
        return store if idx is None else store[idx]

    @property
    def staged_store(self) -> Any:
        """The store bound to the current transaction."""
        return self.store.with_transaction(self.txn)

    # -- staging ----------------------------------------------------------------------------------------------
    def estimate(self, index: Any = None) -> Estimate:
        """What staging on the selection (or ``index``) would touch; shown before Stage."""
        return estimate(self.store, self.selection if index is None else index)

    def _covers(self, region: Any) -> bool:
        """Whether a staged region is its whole chunk (clipped to the domain): then no read-modify-write."""
        lo_r = getattr(region, "inclusive_min", None)
        hi_r = getattr(region, "exclusive_max", None)
        if lo_r is None or hi_r is None:
            return False
        layout = self.store.chunk_layout
        shape, origin, dom = layout.write_chunk.shape, layout.grid_origin, self.store.domain
        for j, (a, b) in enumerate(zip(lo_r, hi_r)):
            lo, hi = int(dom[j].inclusive_min), int(dom[j].exclusive_max)
            c = None if shape is None or shape[j] is None else int(shape[j])
            if c is None:
                if (a, b) != (lo, hi):
                    return False
                continue
            o = 0 if origin is None or origin[j] is None else int(origin[j])
            cell = (int(a) - o) // c
            if (int(a), int(b)) != (max(lo, cell * c + o), min(hi, (cell + 1) * c + o)):
                return False
        return True

    def _snapshot(self, txn: Any) -> dict[str, int]:
        return {_key_name(k): len(k.mutations) for k in txn.staged()}

    def _write(self, txn: Any, index: Any, value: Any) -> Future[Any]:
        target = self.store.with_transaction(txn)
        target = target if index is None else target[index]
        return _commit_future(target.write(value))

    def stage(self, value: Any, *, value_text: str | None = None, index: Any = None,
              expression: str | None = None) -> Future[None]:
        """Write ``value`` to the selection through the transaction (staged, not stored)."""
        if self.state in ("committing", "conflict"):
            what = "a commit is in progress; wait for it" if self.state == "committing" else \
                "resolve the conflict first (Abort or Re-read & re-apply)"
            return _failed(ValueError(f"{what} before staging"))
        idx = self.selection if index is None else index
        target = self._view(self.staged_store, idx)
        value = _cast(value, self.store)
        expr = self.selection_text if expression is None else expression
        text = value_text if value_text is not None else _value_code(value)
        est = self.estimate(idx)
        txn = self.txn
        before = self._snapshot(txn)
        fut = self._write(txn, idx, value)

        def done(_res: Any, exc: BaseException | None) -> None:
            if exc is not None:
                self._record_error(f"staging {self.store_name}[{expr}] = {text}", exc)
                raise exc
            rows = []
            for k in txn.staged():
                name = _key_name(k)
                new_muts = k.mutations[before.get(name, 0):]
                if new_muts:
                    covered = any(self._covers(m.region) for m in new_muts)
                    kind = "full" if covered else "partial (read-modify-write)"
                    rows.append(OpChunk(name, kind, sum(int(m.nbytes) for m in new_muts)))
            with self._lock:
                self.ops.append(StagedOp(expr, text, tuple(target.shape), value, idx, est, tuple(rows)))
                self.state, self.error = "open", None
                self.message = f"staged {self.store_name}[{expr}] = {text} ({est})"
            self._emit()

        return after(fut, done)

    def _replay(self, ops: list[StagedOp], message: str) -> Future[None]:
        """A fresh transaction from the stored base with ``ops`` re-staged in order (Undo-last, Re-read)."""
        with self._lock:
            if self.state == "committing":
                return _failed(ValueError("a commit is in progress; wait for it"))
            old = self.txn
            if old.open:
                old.abort()
            txn = self._new_txn()
            self.txn, self.ops, self.state, self.conflict_key = txn, [], "replaying", None
        self._emit()
        out: Future[None] = Future.pending()

        def step(i: int) -> None:
            if i == len(ops):
                with self._lock:
                    self.ops = list(ops)
                    self.state, self.error, self.message = "open", None, message
                    self.history.append(message)
                self._emit()
                out._set(None, None)
                return
            op = ops[i]

            def next_(_r: Any, exc: BaseException | None) -> None:
                if exc is not None:
                    with self._lock:
                        self.ops = list(ops[:i])
                        self.state = "open"
                    self._record_error(f"re-applying {self.store_name}[{op.expression}] = {op.value_text}", exc)
                    out._set(None, exc)
                    return
                step(i + 1)

            after(self._write(txn, op.index, op.value), next_)

        step(0)
        return out

    def undo_last(self) -> Future[None]:
        """Drop the last operation: the others are replayed onto a fresh transaction from the stored base."""
        if not self.ops:
            return _failed(ValueError("nothing staged to undo"))
        last = self.ops[-1]
        return self._replay(self.ops[:-1], f"undid {self.store_name}[{last.expression}] = {last.value_text}")

    def clear(self) -> None:
        """Drop every staged operation (storage is not touched)."""
        self.abort()

    def reapply(self) -> Future[None]:
        """After a conflict: re-read the stored data (now including the other writer's) and re-stage every op."""
        n = len(self.ops)
        return self._replay(list(self.ops), f"re-read and re-applied {n} edit(s) onto the current data")

    def staged_chunks(self) -> list[ChunkRow]:
        """What the transaction holds, from its inspection API (no I/O)."""
        rows = []
        for k in self.txn.staged():
            regions = tuple(str(m.region) for m in k.mutations if m.region is not None)
            rows.append(ChunkRow(_key_name(k), sum(int(m.nbytes) for m in k.mutations), len(k.mutations), regions))
        return rows

    @property
    def can_commit(self) -> bool:
        return bool(self.ops) and self.state == "open"

    @property
    def abort_needs_confirmation(self) -> bool:
        """Abort asks first when more than one operation would be lost."""
        return len(self.ops) > 1

    @property
    def atomicity(self) -> str:
        """Stated before Commit: whether all staged keys land together (ERRATA 8.2)."""
        kv = getattr(self.store, "kvstore", None)
        driver = getattr(kv, "_driver", None)
        name = "this"
        with contextlib.suppress(Exception):
            name = str(kv.spec().to_json().get("driver", "this")) if kv is not None else "this"
        if driver is not None and getattr(driver, "atomic_multi_key", False):
            return f"atomic: yes \u2014 the {name} kvstore commits all keys together"
        return f"atomic: no \u2014 the {name} kvstore cannot commit 2+ keys atomically"

    # -- diff -------------------------------------------------------------------------------------------------
    def before(self, index: Any = None) -> Future[Any]:
        """The selection as stored (read without the transaction)."""
        return self._view(self.store, index).read()  # type: ignore[no-any-return]

    def after(self, index: Any = None) -> Future[Any]:
        """The selection as it will be after Commit (read through the transaction)."""
        return self._view(self.staged_store, index).read()  # type: ignore[no-any-return]

    def diff(self, index: Any = None) -> Future[tuple[Any, Any]]:
        b, a = self.before(index), self.after(index)
        return after(b, lambda bv, be: _pair(bv, be, a))

    # -- commit / abort ---------------------------------------------------------------------------------------
    def commit(self) -> Future[None]:
        """Commit.  Success leaves a fresh transaction; a conflict keeps the ops (nothing of ours was written to the
        conflicting key, the other writer's data stays) and offers :meth:`abort` or :meth:`reapply`."""
        with self._lock:
            if self.state == "committing":
                return _failed(ValueError("a commit is already in progress"))
            txn, n_ops, n_keys = self.txn, len(self.ops), len(self.staged_chunks())
            self.state, self.message = "committing", f"committing {n_keys} key(s)\u2026 ({self.atomicity})"
        self._emit()

        def done(_res: Any, exc: BaseException | None) -> None:
            with self._lock:
                self.txn = self._new_txn()
                if exc is not None:
                    key = _conflict_key(exc)
                    if key is not None:
                        self.state, self.conflict_key = "conflict", key
                        self._record_error(f"conflict on {key}: another writer changed it since it was read; "
                                           "its data was kept. Abort, or Re-read & re-apply", exc, emit=False)
                    else:
                        self.ops = []
                        self.state = "failed"
                        self._record_error("commit failed (nothing was written by this transaction's failing "
                                           "keys)", exc, emit=False)
                else:
                    self.ops = []
                    self.state, self.error = "open", None
                    self.message = f"committed {n_ops} edit(s) to {n_keys} key(s)"
                    self.history.append(self.message)
            self._emit()
            if exc is not None:
                raise exc

        return after(txn.commit_async(), done)

    def abort(self) -> None:
        with self._lock:
            n = len(self.ops)
            if self.txn.open:
                self.txn.abort()
            self.txn, self.ops = self._new_txn(), []
            self.state, self.error, self.conflict_key = "open", None, None
            self.message = f"aborted {n} staged edit(s); storage unchanged"
            self.history.append(self.message)
        self._emit()

    def _record_error(self, what: str, exc: BaseException, *, emit: bool = True) -> None:
        self.error = f"{what}: {type(exc).__name__}: {exc}"
        self.message = ""
        log.error("tsexplore TransactionPanel: %s", self.error)
        if self.state not in ("failed", "conflict"):
            self.state = "open"
        if emit:
            self._emit()

    # -- code -------------------------------------------------------------------------------------------------
    @property
    def code(self) -> str:
        """Python that reproduces the staged edits and the commit."""
        lines = [f"txn = ts.Transaction(atomic={self.atomic}, repeatable_read={self.repeatable_read})",
                 f"staged = {self.store_name}.with_transaction(txn)"]
        for op in self.ops:
            expr = op.expression or "..."
            target = f"staged{expr}" if expr.startswith("[") else f"staged[{expr}]"
            lines.append(f"{target} = {op.value_text}")
        lines.append("txn.commit_sync()")
        return "\n".join(lines)


def _value_code(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    return f"<array {arr.dtype} {arr.shape}>"


def _pair(bv: Any, be: BaseException | None, a: Future[Any]) -> tuple[Any, Any]:
    if be is not None:
        raise be
    return bv, a.result()


def _key_name(k: Any) -> str:
    try:
        return str(k.describe())
    except Exception:
        return repr(k.key)


def _conflict_key(exc: BaseException) -> str | None:
    """The key named by a generation-mismatch error (``Error writing local file "a/c/0/0": Generation mismatch``)."""
    import re

    text = str(exc)
    if "Generation mismatch" not in text and "ABORTED" not in text:
        return None
    m = re.search(r'"([^"]+)"', text)
    return m.group(1) if m else text


def _commit_future(fut: Any) -> Future[None]:
    """``WriteFutures.commit`` (staged, inside a transaction) or the Future itself."""
    c = getattr(fut, "commit", None)
    return c if isinstance(c, Future) else fut


def _failed(exc: BaseException) -> Future[Any]:
    f: Future[Any] = Future.pending()
    f._set(None, exc)
    return f
