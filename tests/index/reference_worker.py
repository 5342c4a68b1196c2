"""Evaluate indexing cases with real tensorstore in a separate process.

tensorstore 0.1.86 segfaults on a few exotic chains, so it runs in a persistent worker that
streams one result per case back; when the worker dies, the case it was on is reported as
``("crash",)``, the worker is restarted and the batch resumes after that case.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any

from .cases import Case, evaluate


def _real_read(t: Any, data: Any, origin: Any) -> Any:
    import tensorstore as real

    store = real.array(data)
    if data.ndim:
        store = store[real.d[:].translate_to[list(origin)]]
    view = store[t]
    return view.domain, lambda: view.read().result()


def _serve(conn: Connection) -> None:
    import tensorstore as real

    while True:
        cases = conn.recv()
        if cases is None:
            return
        for c in cases:
            conn.send(evaluate(real, _real_read, c))


class Reference:
    """A persistent tensorstore worker, restarted after a crash."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self.crashes: list[Case] = []
        self._start()

    def _start(self) -> None:
        self._conn, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), daemon=True)
        self._proc.start()
        child.close()

    def submit(self, cases: list[Case]) -> None:
        """Start evaluating ``cases``; collect with :meth:`results` (lets the caller work meanwhile)."""
        self._pending = list(cases)
        self._conn.send(self._pending)

    def results(self) -> list[Any]:
        out: list[Any] = []
        pending = self._pending
        fresh = 0  # results since the last (re)start
        while len(out) < len(pending):
            try:
                out.append(self._conn.recv())
                fresh += 1
            except (EOFError, OSError):
                if fresh == 0 and self.crashes and self.crashes[-1] is pending[len(out) - 1]:
                    raise RuntimeError("tensorstore reference worker keeps dying at start-up") from None
                fresh = 0
                self.crashes.append(pending[len(out)])
                out.append(("crash",))
                self._proc.join(5)
                self._start()
                rest = pending[len(out) :]
                if rest:
                    self._conn.send(rest)
        return out

    def evaluate(self, cases: list[Case]) -> list[Any]:
        self.submit(cases)
        return self.results()

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send(None)
        self._proc.join(5)
