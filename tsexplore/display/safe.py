"""Reprs must never raise: attribute reads go through :func:`safe`, and failures render as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._html import cap_string, esc

__all__ = ["Safe", "safe"]


@dataclass(frozen=True)
class Safe:
    value: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def html(self) -> str:
        return f'<span class="tsx-error">unavailable ({esc(self.error)})</span>'


def safe(fn: Callable[[], Any]) -> Safe:
    """Call ``fn``; an exception becomes ``Safe(error='Type: message')`` instead of breaking the repr."""
    try:
        return Safe(fn())
    except Exception as e:
        return Safe(error=cap_string(f"{type(e).__name__}: {e}") or type(e).__name__)
