"""Fork server for the crash test: one warm process forks a child per kill point.

Reads lines ``<array path> <kill_after>`` on stdin.  Each forked child opens the zarr3 array at
the path, stages ``new.npy`` (next to the array) in one transaction and commits it; while the
commit runs, every file-system mutation step (``write``, ``ftruncate``, ``utime``, ``fsync``,
``rename``, ``unlink``) is counted and the child SIGKILLs itself at step ``kill_after``.  The
parent answers one line per request: ``killed <step>`` or ``done <steps>``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import numpy as np

import tsexplore as ts

_STEPS = ("write", "ftruncate", "utime", "fsync", "rename", "unlink")


def _child(path: str, kill_after: int, report: int) -> None:
    lock = threading.Lock()
    count = [0]
    armed = [False]

    def wrap(fn):  # type: ignore[no-untyped-def]
        def step(*args, **kwargs):  # type: ignore[no-untyped-def]
            if armed[0]:
                with lock:
                    count[0] += 1
                    n = count[0]
                if n == kill_after:
                    os.write(report, f"killed {n}\n".encode())
                    os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)

        return step

    real_write = os.write
    for name in _STEPS:
        setattr(os, name, wrap(getattr(os, name)))
    new = np.load(os.path.join(os.path.dirname(path.rstrip("/")), "new.npy"))
    store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}).result()
    txn = ts.Transaction()
    store.with_transaction(txn).write(new).result()
    armed[0] = True
    txn.commit_sync()
    armed[0] = False
    real_write(report, f"done {count[0]}\n".encode())
    os._exit(0)


def _warm_up() -> None:
    """Import everything a commit needs once, here, instead of in every forked child (no threads yet)."""
    import importlib

    for name in ("tsexplore.driver.zarr3", "tsexplore.chunk.engine", "tsexplore.chunk.zarr3_meta",
                 "tsexplore.codec", "tsexplore.kvstore.file", "tsexplore.transaction", "tsexplore.open"):
        importlib.import_module(name)
    ts.Spec({"driver": "zarr3", "kvstore": {"driver": "file", "path": "/x/"}})


def main() -> None:
    _warm_up()
    for line in sys.stdin:
        path, kill_after = line.split()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                _child(path, int(kill_after), w)
            finally:
                os._exit(3)
        os.close(w)
        with os.fdopen(r) as f:
            reply = f.read().strip()
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"{reply or 'none'} {code}", flush=True)


if __name__ == "__main__":
    main()
