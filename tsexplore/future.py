"""Futures, promises and the shared background runtime.

TensorStore's API is future-based.  One background asyncio loop per process (the *I/O loop*)
orchestrates requests; CPU work (decode, encode, large copies) runs in a thread pool.  A
:class:`Future` is thread-safe: ``result()`` blocks the calling thread (never the I/O loop, so a
notebook's own running asyncio loop cannot deadlock it), and ``await fut`` works in any loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar, cast, overload

_allocate_lock = threading.Lock

__all__ = [
    "Future",
    "Promise",
    "cpu_pool",
    "io_loop",
    "io_pool",
    "on_io_loop",
    "run_blocking",
    "spawn",
]

T = TypeVar("T")
U = TypeVar("U")


class Future(Generic[T]):
    """The result of an asynchronous operation, like ``tensorstore.Future``.

    ``Future(value)`` gives a ready future; ``Future(other)`` adopts another ``Future``, an
    ``asyncio``/``concurrent`` future or a coroutine (which runs on the I/O loop).
    """

    __slots__ = (
        "__weakref__", "_callbacks", "_cancel_hook", "_exception", "_force_hook", "_lock", "_result", "_state",
        "_waiters",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        future_like, loop = _future_args(args, kwargs)
        self._init()
        if isinstance(future_like, Future):
            _link(future_like, self)
        elif inspect.iscoroutine(future_like):
            _adopt_concurrent(self, asyncio.run_coroutine_threadsafe(future_like, loop or io_loop()))
        elif isinstance(future_like, concurrent.futures.Future):
            _adopt_concurrent(self, future_like)
        elif isinstance(future_like, asyncio.Future):
            _adopt_asyncio(self, future_like)
        else:
            self._set(future_like, None)

    @classmethod
    def pending(cls) -> Future[Any]:
        """A new, not yet completed future (engine use; users get one from ``Promise.new()``)."""
        fut: Future[Any] = cls.__new__(cls)
        fut._init()
        return fut

    def _init(self) -> None:
        # Cheap to create: a plain lock; the waiter list and the callback list are made on demand
        # (thousands of futures per second go through the kvstore read path).
        self._lock = _allocate_lock()
        self._state = "pending"  # pending | done | cancelled
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[Future[T]], object]] | None = None
        self._waiters: list[Any] | None = None  # locks held until completion, one per blocked thread
        self._cancel_hook: Callable[[], object] | None = None
        # run by a thread about to block in result(): it may do the pending work itself (a queued
        # file read), which beats a wake-up hand-off from a worker thread
        self._force_hook: Callable[[Future[Any]], object] | None = None

    # -- completion (used by Promise and by the runtime) -------------------------------------
    def _set(self, result: Any, exception: BaseException | None, state: str = "done") -> bool:
        with self._lock:
            if self._state != "pending":
                return False
            self._result, self._exception, self._state = result, exception, state
            callbacks, self._callbacks = self._callbacks, None
            waiters, self._waiters = self._waiters, None
            self._cancel_hook = self._force_hook = None
        if waiters is not None:
            for w in waiters:
                w.release()
        if callbacks is not None:
            for cb in callbacks:
                _run_callback(cb, self)
        return True

    # -- public API ---------------------------------------------------------------------------
    def done(self) -> bool:
        return self._state != "pending"

    def cancelled(self) -> bool:
        return self._state == "cancelled"

    def cancel(self) -> bool:
        """Cancel if not yet done; returns whether this call cancelled it (False once done)."""
        with self._lock:
            hook = self._cancel_hook if self._state == "pending" else None
        if not self._set(None, None, "cancelled"):
            return False
        if hook is not None:
            hook()
        return True

    def force(self) -> None:
        """Start deferred work.  Work starts eagerly here, so this does nothing."""

    def _wait(self, timeout: float | None, deadline: float | None, method: str = "result") -> None:
        timeout, deadline = _seconds(timeout, method, self), _seconds(deadline, method, self)
        if self._state != "pending":
            return
        if timeout is None and deadline is not None:
            timeout = max(0.0, deadline - time.time())
        elif timeout is not None and deadline is not None:
            timeout = min(timeout, max(0.0, deadline - time.time()))
        if on_io_loop():
            raise RuntimeError(
                "Future.result() called on the tsexplore I/O loop thread while the future is pending; "
                "use 'await' there"
            )
        hook = self._force_hook
        if hook is not None and timeout is None:
            self._force_hook = None
            hook(self)
        with self._lock:
            if self._state != "pending":
                return
            waiter = _allocate_lock()
            waiter.acquire()
            if self._waiters is None:
                self._waiters = [waiter]
            else:
                self._waiters.append(waiter)
        if timeout is None:
            waiter.acquire()
        elif not waiter.acquire(True, max(0.0, timeout)):
            with self._lock:
                if self._state == "pending":
                    if self._waiters is not None:
                        self._waiters.remove(waiter)
                    raise TimeoutError()

    def result(self, timeout: float | None = None, deadline: float | None = None) -> T:
        if self._state != "done" or timeout is not None or deadline is not None:
            self._wait(timeout, deadline)
            if self._state == "cancelled":
                raise asyncio.CancelledError()
        if self._exception is not None:
            raise self._exception
        return cast(T, self._result)

    def exception(self, timeout: float | None = None, deadline: float | None = None) -> BaseException | None:
        self._wait(timeout, deadline, "exception")
        if self._state == "cancelled":
            raise asyncio.CancelledError()
        return self._exception

    def add_done_callback(self, callback: Callable[[Future[T]], object]) -> None:
        """Call ``callback(self)`` when done; on a done future it runs now and its errors propagate."""
        with self._lock:
            if self._state == "pending":
                if self._callbacks is None:
                    self._callbacks = [callback]
                else:
                    self._callbacks.append(callback)
                return
        if on_io_loop():
            _run_callback(callback, self)
        else:
            callback(self)

    def remove_done_callback(self, callback: Callable[[Future[T]], object]) -> int:
        with self._lock:
            if not self._callbacks:
                return 0
            before = len(self._callbacks)
            self._callbacks = [cb for cb in self._callbacks if cb != callback]
            return before - len(self._callbacks)

    def __await__(self) -> Generator[Any, None, T]:
        if self._state == "pending":
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()

            def wake(_: Future[T]) -> None:
                def settle() -> None:
                    if not waiter.done():
                        waiter.set_result(None)

                loop.call_soon_threadsafe(settle)

            self.add_done_callback(wake)
            try:
                yield from waiter.__await__()
            except asyncio.CancelledError:
                self.cancel()
                raise
        return self.result()

    # -- helpers for the engine ---------------------------------------------------------------
    def then(self, fn: Callable[[T], U]) -> Future[U]:
        """A future of ``fn(result)``, run on the completing thread (keep ``fn`` cheap)."""
        out: Future[U] = Future.pending()

        def chain(f: Future[T]) -> None:
            if f.cancelled():
                out.cancel()
                return
            exc = f._exception
            if exc is not None:
                out._set(None, exc)
                return
            try:
                out._set(fn(f._result), None)
            except BaseException as e:
                out._set(None, e)

        self.add_done_callback(chain)
        out._cancel_hook = self.cancel
        return out

    def __repr__(self) -> str:
        return f"<tsexplore.Future object at {id(self):#x}>"

    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle 'tensorstore.Future' object")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import future_bundle

        return future_bundle(self)


class Promise(Generic[T]):
    """The producer side of a :class:`Future`; ``Promise.new()`` returns ``(promise, future)``."""

    __slots__ = ("_future",)
    _future: Future[T]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("cannot create 'tensorstore.Promise' instances")

    @staticmethod
    def new() -> tuple[Promise[Any], Future[Any]]:
        fut: Future[Any] = Future.pending()
        promise: Promise[Any] = Promise.__new__(Promise)
        promise._future = fut
        return promise, fut

    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle 'tensorstore.Promise' object")

    def __del__(self) -> None:
        # An abandoned promise fails its future, as tensorstore does ("UNKNOWN: ").
        fut = getattr(self, "_future", None)
        if fut is not None and fut._state == "pending":
            from .status import StatusError

            fut._set(None, StatusError("UNKNOWN", ""))

    def set_result(self, result: T) -> None:
        self._future._set(result, None)

    def set_exception(self, exception: BaseException) -> None:
        self._future._set(None, exception)

    def __repr__(self) -> str:
        return f"<tsexplore.Promise object at {id(self):#x}>"


_FUTURE_CTOR_HELP = (
    "__new__(): incompatible function arguments. The following argument types are supported:\n"
    "    1. (self: object, future: tensorstore.FutureLike, *, loop: asyncio.AbstractEventLoop | None = None)"
    " -> tensorstore.Future\n\nInvoked with: "
)


def _future_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """``(future_like, loop)`` from ``Future(future, *, loop=None)``, with pybind11's error text."""
    extra = {k: v for k, v in kwargs.items() if k not in ("future", "loop")}
    given = len(args) + ("future" in kwargs)
    if extra or given != 1 or len(args) > 1:
        invoked = ", ".join(["<class 'tensorstore.Future'>", *(repr(a) for a in args)])
        if kwargs:
            invoked += "; kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        raise TypeError(_FUTURE_CTOR_HELP + invoked)
    return (args[0] if args else kwargs["future"]), kwargs.get("loop")


def _seconds(value: Any, method: str, fut: Future[Any]) -> float | None:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{method}(): incompatible function arguments. The following argument types are supported:\n"
            "    1. (self: tensorstore.Future, "
            "timeout: typing.SupportsFloat | typing.SupportsIndex | None = None, "
            "deadline: typing.SupportsFloat | typing.SupportsIndex | None = None) -> "
            + ("T" if method == "result" else "object")
            + f"\n\nInvoked with: {fut!r}, {value!r}"
        ) from None


def _run_callback(cb: Callable[[Future[Any]], object], fut: Future[Any]) -> None:
    # User callbacks must never run on the I/O loop: one that blocks on another future would
    # stall every request in flight.  Hand them to the callback pool instead.
    if on_io_loop():
        try:
            _callback_pool().submit(_call_logged, cb, fut)
        except RuntimeError:  # the interpreter is shutting down and the pool is gone: run it here
            _call_logged(cb, fut)
    else:
        _call_logged(cb, fut)


def _call_logged(cb: Callable[[Future[Any]], object], fut: Future[Any]) -> None:
    try:
        cb(fut)
    except Exception:  # a callback's failure must not break the future; report it like asyncio does
        import logging

        logging.getLogger("tsexplore").exception("exception in Future done callback %r", cb)


def _link(src: Future[Any], dst: Future[Any]) -> None:
    def copy(f: Future[Any]) -> None:
        if f.cancelled():
            dst.cancel()
        else:
            dst._set(f._result, f._exception)

    dst._cancel_hook = src.cancel
    src.add_done_callback(copy)


def _adopt_concurrent(dst: Future[Any], cf: concurrent.futures.Future[Any]) -> None:
    def copy(f: concurrent.futures.Future[Any]) -> None:
        if f.cancelled():
            dst.cancel()
            return
        exc = f.exception()
        if isinstance(exc, asyncio.CancelledError):
            dst.cancel()
        elif exc is not None:
            dst._set(None, exc)
        else:
            dst._set(f.result(), None)

    dst._cancel_hook = cf.cancel
    cf.add_done_callback(copy)


def _adopt_asyncio(dst: Future[Any], af: asyncio.Future[Any]) -> None:
    loop = af.get_loop()

    def copy(f: asyncio.Future[Any]) -> None:
        if f.cancelled():
            dst.cancel()
        elif f.exception() is not None:
            dst._set(None, f.exception())
        else:
            dst._set(f.result(), None)

    dst._cancel_hook = lambda: loop.call_soon_threadsafe(af.cancel)
    loop.call_soon_threadsafe(af.add_done_callback, copy)


# ---------------------------------------------------------------------------------------------
# The runtime: one I/O loop thread and two pools, created on first use (fork-safe).

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: threading.Thread | None = None
_pools: dict[str, concurrent.futures.ThreadPoolExecutor] = {}
_pid = os.getpid()


def _reset_after_fork() -> None:
    global _loop, _loop_thread, _pid, _lock
    _loop, _loop_thread, _pid = None, None, os.getpid()
    _pools.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def io_loop() -> asyncio.AbstractEventLoop:
    """The process-wide background event loop that runs all I/O coroutines."""
    global _loop, _loop_thread
    loop = _loop
    if loop is not None:
        return loop
    with _lock:
        if _loop is None:
            new_loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(new_loop)
                new_loop.call_soon(started.set)
                new_loop.run_forever()

            thread = threading.Thread(target=run, name="tsexplore-io", daemon=True)
            thread.start()
            started.wait()
            _loop, _loop_thread = new_loop, thread
        return _loop


def on_io_loop() -> bool:
    """Whether the calling thread is the I/O loop's thread."""
    return _loop_thread is not None and threading.current_thread() is _loop_thread


def _pool(name: str, workers: int) -> concurrent.futures.ThreadPoolExecutor:
    pool = _pools.get(name)
    if pool is None:
        with _lock:
            pool = _pools.get(name)
            if pool is None:
                pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=f"tsexplore-{name}")
                _pools[name] = pool
    return pool


def cpu_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Shared pool for decode/encode/copy work (``data_copy_concurrency: shared`` = core count)."""
    return _pool("cpu", max(1, os.cpu_count() or 1))


def io_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Shared pool for blocking file I/O (``file_io_concurrency: shared``, tensorstore's default 64)."""
    return _pool("io", 64)


def _callback_pool() -> concurrent.futures.ThreadPoolExecutor:
    return _pool("callbacks", 4)


def spawn(coro: Coroutine[Any, Any, T] | Awaitable[T]) -> Future[T]:
    """Run ``coro`` on the I/O loop and return a :class:`Future` of its result."""

    async def wrap() -> T:
        return await coro

    target = coro if inspect.iscoroutine(coro) else wrap()
    out: Future[T] = Future.pending()
    _adopt_concurrent(out, asyncio.run_coroutine_threadsafe(target, io_loop()))
    return out


async def run_blocking(
    fn: Callable[..., T], *args: Any, pool: concurrent.futures.Executor | None = None
) -> T:
    """Await ``fn(*args)`` run in ``pool`` (default: the CPU pool) from a coroutine."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool or cpu_pool(), fn, *args)


@overload
def ready(value: T) -> Future[T]: ...
@overload
def ready(value: None = None) -> Future[None]: ...
def ready(value: Any = None) -> Future[Any]:
    """A future that is already done with ``value``."""
    return Future(value)


def failed(exc: BaseException) -> Future[Any]:
    """A future that is already done with ``exc``."""
    fut: Future[Any] = Future.pending()
    fut._set(None, exc)
    return fut


# Python's own error messages print ``__name__``; match tensorstore's type names there.
Future.__name__ = "tensorstore.Future"
Promise.__name__ = "tensorstore.Promise"
