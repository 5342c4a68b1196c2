"""Differential-test helpers: run one call against real tensorstore and tsexplore, compare.

An *outcome* is either ``("ok", text)`` with the normalised ``repr`` of the result, or
``("raise", public_type, message)``.  The public type is the first builtin/asyncio class in
the exception's MRO (tsexplore's ``StatusError`` is a ``ValueError``, as tensorstore raises).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import tensorstore as real_ts

import tsexplore as our_ts

MODULES = (real_ts, our_ts)

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def normalize(text: str) -> str:
    """Drop object addresses and spell tsexplore's type names as tensorstore's."""
    return _ADDRESS.sub(" at 0x", text).replace("tsexplore.", "tensorstore.")


def public_type(exc: BaseException) -> type:
    for cls in type(exc).__mro__:
        if cls.__module__ in ("builtins", "asyncio.exceptions"):
            return cls
    return type(exc)


def outcome(fn: Callable[[ModuleType], Any], ts: ModuleType, *, value: bool = False) -> tuple[Any, ...]:
    try:
        result = fn(ts)
    except BaseException as e:  # every failure is compared, KeyboardInterrupt aside
        if isinstance(e, KeyboardInterrupt):
            raise
        return ("raise", public_type(e), normalize(str(e)))
    return ("ok", result if value else normalize(repr(result)))


def assert_same(
    fn: Callable[[ModuleType], Any], *, value: bool = False, message: bool = True
) -> tuple[Any, ...]:
    """Assert that ``fn(tensorstore)`` and ``fn(tsexplore)`` behave alike; return the real outcome.

    ``value=True`` compares results with ``==`` instead of by ``repr``; ``message=False`` compares
    only the exception type.
    """
    expected = outcome(fn, real_ts, value=value)
    actual = outcome(fn, our_ts, value=value)
    if not message and expected[0] == actual[0] == "raise":
        assert actual[1] is expected[1], (actual, expected)
    else:
        assert actual == expected, (actual, expected)
    return expected
