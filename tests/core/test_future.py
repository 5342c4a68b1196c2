"""ts.Future / ts.Promise against real tensorstore: readiness, timeouts, callbacks, cancel, await."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import pickle
import threading
import time
from types import ModuleType
from typing import Any

import pytest

import tsexplore as our_ts
from tsexplore.future import Future, spawn

from .diff import assert_same, public_type

READY = [
    lambda ts: ts.Future(5).result(),
    lambda ts: ts.Future(None).result(),
    lambda ts: ts.Future(5).done(),
    lambda ts: ts.Future(5).exception(),
    lambda ts: ts.Future(5).cancelled(),
    lambda ts: ts.Future(5).cancel(),
    lambda ts: ts.Future(5).force(),
    lambda ts: ts.Future(5).result(timeout=0),
    lambda ts: ts.Future(5).exception(timeout=0),
    lambda ts: ts.Future(5).result(deadline=0),
    lambda ts: ts.Future(5).result(timeout=None, deadline=time.time() - 1),
    lambda ts: ts.Future(ts.Future(7)).result(),
    lambda ts: ts.Future(ValueError("x")).result(),
    lambda ts: ts.Future(5) == ts.Future(5),
    lambda ts: isinstance(ts.Future(5), ts.Future),
    lambda ts: ts.Future(5).remove_done_callback(len),
    lambda ts: ts.Future(),
    lambda ts: ts.Future(5, 6),
    lambda ts: ts.Future(value=5),
    lambda ts: ts.Promise(),
    lambda ts: pickle.dumps(ts.Future(5)),
    lambda ts: ts.Future(5).foo,
    lambda ts: sorted(n for n in dir(ts.Promise) if not n.startswith("_")),
]


@pytest.mark.parametrize("fn", READY, ids=range(len(READY)))
def test_ready_future(fn: Any) -> None:
    assert_same(fn)


def test_public_methods() -> None:
    real = assert_same(lambda ts: None)  # both modules import
    assert real == ("ok", "None")
    expected = {"add_done_callback", "cancel", "cancelled", "done", "exception", "force",
                "remove_done_callback", "result"}
    assert expected <= {n for n in dir(our_ts.Future) if not n.startswith("_")}


PENDING_TIMEOUTS = [
    lambda f: f.done(),
    lambda f: f.result(timeout=0.01),
    lambda f: f.result(0.01),
    lambda f: f.result(timeout=-1),
    lambda f: f.result(deadline=time.time() + 0.01),
    lambda f: f.result(deadline=0),
    lambda f: f.exception(timeout=0.01),
    lambda f: f.exception(deadline=0),
]


def _pending(ts: ModuleType, op: Any) -> Any:
    promise, fut = ts.Promise.new()  # the promise must stay alive: dropping it fails the future
    try:
        return op(fut)
    finally:
        promise.set_result(None)


@pytest.mark.parametrize("op", PENDING_TIMEOUTS, ids=range(len(PENDING_TIMEOUTS)))
def test_pending_timeouts(op: Any) -> None:
    assert_same(lambda ts: _pending(ts, op))


def test_bad_timeout_type() -> None:
    assert_same(lambda ts: _pending(ts, lambda f: f.result(timeout="x")), message=False)


def test_abandoned_promise_fails_future() -> None:
    def run(ts: ModuleType, finish: Any) -> Any:
        p, f = ts.Promise.new()
        finish(p, f)
        del p
        exc = None if f.cancelled() else f.exception()
        return f.done(), f.cancelled(), exc if exc is None else (public_type(exc), str(exc))

    finishers: list[Any] = [lambda p, f: None, lambda p, f: p.set_result(3), lambda p, f: f.cancel()]
    for finish in finishers:
        assert_same(functools.partial(run, finish=finish))
    assert_same(lambda ts: ts.Promise.new()[1].result())


def test_callbacks_and_removal() -> None:
    def run(ts: ModuleType) -> Any:
        p, f = ts.Promise.new()
        calls: list[Any] = []

        def cb(fut: Any) -> None:
            calls.append(("cb", fut.result(), fut is f))

        f.add_done_callback(cb)
        f.add_done_callback(cb)
        removed = (f.remove_done_callback(cb), f.remove_done_callback(cb))
        f.add_done_callback(cb)
        before = list(calls)
        p.set_result(7)
        after_set = list(calls)
        f.add_done_callback(cb)  # already done: runs immediately
        p.set_result(8)  # ignored
        p.set_exception(ValueError("late"))  # ignored
        return removed, before, after_set, calls, f.result()

    assert_same(run, value=True)


def test_done_callback_errors_propagate_when_already_done() -> None:
    def bad(fut: Any) -> None:
        raise RuntimeError("cb")

    assert_same(lambda ts: ts.Future(5).add_done_callback(bad))
    assert_same(lambda ts: ts.Future(5).add_done_callback(5))


def test_exceptions() -> None:
    def run(ts: ModuleType, exc: BaseException) -> Any:
        p, f = ts.Promise.new()
        p.set_exception(exc)
        return f.done(), f.cancelled(), repr(f.exception())

    errors: list[BaseException] = [ValueError("boom"), KeyError("k"), TypeError("t")]
    for exc in errors:
        assert_same(functools.partial(run, exc=exc))

    def raise_it(ts: ModuleType, exc: BaseException) -> Any:
        p, f = ts.Promise.new()
        p.set_exception(exc)
        return f.result()

    raised: list[BaseException] = [ValueError("boom"), KeyError("k"), asyncio.CancelledError()]
    for exc in raised:
        assert_same(functools.partial(raise_it, exc=exc))


def test_cancel() -> None:
    def run(ts: ModuleType) -> Any:
        p, f = ts.Promise.new()
        first = f.cancel()
        state = (f.cancelled(), f.done(), f.cancel())
        p.set_result(1)
        return first, state, f.cancelled()

    assert_same(run, value=True)
    for op in (lambda f: f.result(), lambda f: f.exception()):

        def cancelled_op(ts: ModuleType, op: Any = op) -> Any:
            _p, f = ts.Promise.new()
            f.cancel()
            return op(f)

        assert_same(cancelled_op)


def test_cancelled_error_exception_is_not_cancelled() -> None:
    def run(ts: ModuleType) -> Any:
        p, f = ts.Promise.new()
        p.set_exception(asyncio.CancelledError())
        return f.cancelled(), f.done()

    assert_same(run, value=True)


def test_await() -> None:
    async def ready_and_later(ts: ModuleType) -> Any:
        x = await ts.Future(3)
        p, f = ts.Promise.new()
        asyncio.get_running_loop().call_later(0.01, p.set_result, 9)
        return x, await f

    async def from_thread(ts: ModuleType) -> Any:
        p, f = ts.Promise.new()
        threading.Timer(0.02, lambda: p.set_result(4)).start()
        return await f

    async def failing(ts: ModuleType) -> Any:
        p, f = ts.Promise.new()
        p.set_exception(ValueError("v"))
        return await f

    async def awaiting_cancelled(ts: ModuleType) -> Any:
        _p, f = ts.Promise.new()
        f.cancel()
        return await f

    async def cancel_task(ts: ModuleType) -> Any:
        _p, f = ts.Promise.new()
        task = asyncio.ensure_future(f)
        await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return f.cancelled(), f.done()

    async def wait_for_timeout(ts: ModuleType) -> Any:
        _p, f = ts.Promise.new()
        return await asyncio.wait_for(f, 0.02)

    def run(ts: ModuleType, coro_fn: Any) -> Any:
        return asyncio.run(coro_fn(ts))

    for coro_fn in (ready_and_later, from_thread, failing, awaiting_cancelled, cancel_task, wait_for_timeout):
        assert_same(functools.partial(run, coro_fn=coro_fn))


def test_result_from_thread_while_loop_runs_in_main_thread() -> None:
    async def main(ts: ModuleType) -> Any:
        p, f = ts.Promise.new()
        out: list[Any] = []
        th = threading.Thread(target=lambda: out.append(f.result(timeout=5)))
        th.start()
        await asyncio.sleep(0.02)
        p.set_result(11)
        await asyncio.sleep(0.02)
        th.join()
        return out

    assert_same(lambda ts: asyncio.run(main(ts)), value=True)


def test_blocking_result_inside_running_loop_does_not_deadlock() -> None:
    # A notebook's own loop runs in the main thread; tsexplore's work runs on its I/O loop.
    async def main() -> Any:
        async def work() -> int:
            await asyncio.sleep(0.01)
            return 5

        return spawn(work()).result(timeout=5)

    assert asyncio.run(main()) == 5


def test_then_and_chaining() -> None:
    p, f = our_ts.Promise.new()
    g = f.then(lambda v: v * 2)
    p.set_result(21)
    assert g.result(timeout=5) == 42
    _q, h = our_ts.Promise.new()
    k = h.then(lambda v: v)
    assert k.cancel() and h.cancelled()
    fail: Future[int] = Future(5).then(lambda v: 1 // 0)
    with pytest.raises(ZeroDivisionError):
        fail.result()


def test_future_completing_during_interpreter_exit_is_quiet(tmp_path: Any) -> None:
    """A future whose done-callback fires while the interpreter exits must not print a traceback."""
    import subprocess
    import sys

    script = tmp_path / "exit.py"
    script.write_text(
        "import asyncio, time\n"
        "import tsexplore.future as f\n"
        "async def slow():\n"
        "    await asyncio.sleep(0.3)\n"
        "    return 1\n"
        "fut = f.spawn(slow())\n"
        "fut.add_done_callback(lambda x: None)\n"
        "f.cpu_pool().submit(time.sleep, 0.6)\n"
    )
    proc = subprocess.run([sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr, proc.stderr
