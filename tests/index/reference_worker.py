"""Evaluate indexing cases in a separate process so a tensorstore crash cannot take pytest down."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any

import numpy as np


def evaluate(ts: Any, read: Any, case: tuple[str, str, tuple[int, ...], tuple[int, ...]]) -> tuple[Any, ...]:
    """Run one case with module ``ts``; ``read(final, array, origin)`` reads values through the transform."""
    base_expr, chain, origin, shape = case
    try:
        t = eval(base_expr + chain, {"ts": ts, "np": np})
    except Exception as e:
        return ("err", next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins"))
    dom = getattr(t, "domain", t)
    result: tuple[Any, ...] = ("ok", repr(dom), t.to_json())
    if dom is t:
        return result
    size = int(np.prod(shape)) if shape else 1
    if size == 0:
        return (*result, "empty")
    data = np.arange(size, dtype=np.int32).reshape(shape)
    try:
        values = read(t, data, origin)
    except Exception:
        return (*result, "readerr")
    return (*result, np.asarray(values).tolist())


def _real_read(t: Any, data: Any, origin: Any) -> Any:
    import tensorstore as real

    store = real.array(data)[real.d[:].translate_to[list(origin)]] if data.ndim else real.array(data)
    return store[t].read().result()


def _serve(conn: Connection) -> None:
    import tensorstore as real

    while True:
        cases = conn.recv()
        if cases is None:
            return
        conn.send([evaluate(real, _real_read, c) for c in cases])


class Reference:
    """A persistent tensorstore worker, restarted after a crash."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self._conn, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), daemon=True)
        self._proc.start()

    def _run(self, cases: list[Any]) -> list[Any] | None:
        try:
            self._conn.send(cases)
            return list(self._conn.recv())
        except (EOFError, OSError, BrokenPipeError):
            self._proc.join(1)
            self._start()
            return None

    def evaluate(self, cases: list[Any]) -> list[Any]:
        """Results per case; a case that crashes the worker yields ``("crash",)``."""
        got = self._run(cases)
        if got is not None:
            return got
        out = []
        for c in cases:
            one = self._run([c])
            out.append(one[0] if one is not None else ("crash",))
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send(None)
        self._proc.join(5)
