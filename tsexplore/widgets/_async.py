"""Bring engine results back to the thread that owns the widgets (EXPLORER 3: never set traits from threads).

Models are plain thread-safe Python: :func:`after` applies an engine result to a model in the completing thread,
so a model Future can be awaited *or* waited on with ``.result()`` in a cell without deadlocking the kernel.
Views then repaint through :class:`UiLoop`, which remembers the asyncio loop running when the view was built (a
Jupyter kernel runs cells and widget callbacks on one loop) and calls back there with ``call_soon_threadsafe``;
with no running loop (scripts, model tests) it calls directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..future import Future

__all__ = ["UiLoop", "after", "log"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("tsexplore")


class UiLoop:
    """Runs completion handlers on the widgets' loop; each handler's result or error completes a Future."""

    def __init__(self, loop: asyncio.AbstractEventLoop | bool | None = True) -> None:
        if loop is True:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        self.loop: asyncio.AbstractEventLoop | None = loop or None

    def deliver(self, fut: Future[T], fn: Callable[[T | None, BaseException | None], R]) -> Future[R]:
        """When ``fut`` settles call ``fn(result, error)`` on the UI loop; the returned Future carries its return."""
        out: Future[R] = Future.pending()

        def apply(f: Future[T]) -> None:
            exc = f.exception() if not f.cancelled() else asyncio.CancelledError()
            value = None if exc is not None else f.result()
            try:
                res = fn(value, exc)
            except Exception as e:  # a handler bug must show, not vanish in a callback thread
                log.exception("tsexplore widget handler failed")
                out._set(None, e)
                return
            out._set(res, None)

        def done(f: Future[T]) -> None:
            loop = self.loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(apply, f)
            else:
                apply(f)

        fut.add_done_callback(done)
        return out

    def run(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` on the UI loop (directly when there is none)."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn)
        else:
            fn()


def after(fut: Future[T], fn: Callable[[T | None, BaseException | None], R]) -> Future[R]:
    """``fn(result, error)`` once ``fut`` settles, in the completing thread; the returned Future carries its return."""
    return UiLoop(None).deliver(fut, fn)
