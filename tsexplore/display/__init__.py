"""Rich display: pure functions from public objects to ``_repr_mimebundle_`` bundles (HTML + text/plain).

Rendering never performs I/O and never blocks.
"""

from __future__ import annotations

from typing import Any

__all__ = ["future_bundle"]


def future_bundle(fut: Any) -> dict[str, str]:
    """Bundle for a Future: its state, and the result's own repr once done."""
    if fut.cancelled():
        state = "cancelled"
    elif not fut.done():
        state = "pending"
    elif fut.exception() is not None:
        state = f"failed: {type(fut.exception()).__name__}: {fut.exception()}"
    else:
        state = "done"
    text = f"Future({state})"
    import html

    return {"text/plain": text, "text/html": f"<code>{html.escape(text)}</code>"}
