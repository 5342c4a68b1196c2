"""TransactionPanel's plain-Python model: stage edits on a selection, inspect them, diff, Commit or Abort.

Writes go through ``store.with_transaction(txn)``, so nothing reaches storage before Commit.  The staged list
comes from the transaction's own inspection API (``txn.staged()``); "before" reads the store without the
transaction and "after" reads through it.  Commit and Abort always leave a fresh transaction behind; their
errors (conflicts included) are recorded, logged and re-raised through the returned Future, never swallowed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..future import Future
from ._async import after, log

__all__ = ["ChunkRow", "StagedOp", "TransactionPanelModel", "parse_value"]


@dataclass(frozen=True)
class StagedOp:
    """One staged assignment: ``store[<expression>] = <value_text>``."""

    expression: str
    value_text: str
    shape: tuple[int, ...]


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
        self.state = "open"  # open | committing | committed | aborted | failed
        self.error: str | None = None
        self.message = ""
        self.history: list[str] = []
        self.selection_text = ""
        self.selection: Any = None  # an IndexTransform / domain-like index for store[...]
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
    def stage(self, value: Any, *, value_text: str | None = None, index: Any = None,
              expression: str | None = None) -> Future[None]:
        """Write ``value`` to the selection through the transaction (staged, not stored)."""
        if self.state == "committing":
            return _failed(ValueError("a commit is in progress; wait for it before staging"))
        target = self._view(self.staged_store, index)
        value = _cast(value, self.store)
        expr = self.selection_text if expression is None else expression
        text = value_text if value_text is not None else _value_code(value)
        fut = target.write(value)

        def done(_res: Any, exc: BaseException | None) -> None:
            if exc is not None:
                self._record_error(f"staging {self.store_name}[{expr}] = {text}", exc)
                raise exc
            with self._lock:
                self.ops.append(StagedOp(expr, text, tuple(target.shape)))
                self.state, self.error = "open", None
                self.message = f"staged {self.store_name}[{expr}] = {text}"
            self._emit()

        return after(_commit_future(fut), done)

    def staged_chunks(self) -> list[ChunkRow]:
        """What the transaction holds, from its inspection API (no I/O)."""
        rows = []
        for k in self.txn.staged():
            try:
                key = k.describe()
            except Exception:
                key = repr(k.key)
            regions = tuple(str(m.region) for m in k.mutations if m.region is not None)
            rows.append(ChunkRow(key, sum(int(m.nbytes) for m in k.mutations), len(k.mutations), regions))
        return rows

    @property
    def can_commit(self) -> bool:
        return bool(self.ops) and self.state == "open"

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
        """Commit; on success or failure a new transaction replaces this one (the error stays visible)."""
        with self._lock:
            if self.state == "committing":
                return _failed(ValueError("a commit is already in progress"))
            txn, n_ops, n_keys = self.txn, len(self.ops), len(self.staged_chunks())
            self.state, self.message = "committing", f"committing {n_keys} key(s)…"
        self._emit()

        def done(_res: Any, exc: BaseException | None) -> None:
            with self._lock:
                self.txn, self.ops = self._new_txn(), []
                if exc is not None:
                    self.state = "failed"
                    self._record_error("commit failed (nothing was written by this transaction's failing keys)",
                                       exc, emit=False)
                else:
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
            self.txn.abort()
            self.txn, self.ops = self._new_txn(), []
            self.state, self.error = "open", None
            self.message = f"aborted {n} staged edit(s); storage unchanged"
            self.history.append(self.message)
        self._emit()

    def _record_error(self, what: str, exc: BaseException, *, emit: bool = True) -> None:
        self.error = f"{what}: {type(exc).__name__}: {exc}"
        self.message = ""
        log.error("tsexplore TransactionPanel: %s", self.error)
        if self.state != "failed":
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


def _commit_future(fut: Any) -> Future[None]:
    """``WriteFutures.commit`` (staged, inside a transaction) or the Future itself."""
    c = getattr(fut, "commit", None)
    return c if isinstance(c, Future) else fut


def _failed(exc: BaseException) -> Future[Any]:
    f: Future[Any] = Future.pending()
    f._set(None, exc)
    return f
