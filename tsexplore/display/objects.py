"""Reprs for the small runtime objects: KvStore, Context, dtype, Unit, Future.

None of these performs I/O: a KvStore shows its spec, never its keys; a Future shows its state, never waits.
"""

from __future__ import annotations

from typing import Any

from ._html import bundle, cap_string, esc, json_block, kv_table, redact, section
from .safe import safe

__all__ = ["context_bundle", "dtype_bundle", "future_bundle", "kvstore_bundle", "unit_bundle"]


def kvstore_bundle(kv: Any) -> dict[str, str]:
    spec_json = safe(lambda: kv.spec().to_json())
    url = safe(lambda: kv.url)
    driver = spec_json.value.get("driver", "?") if isinstance(spec_json.value, dict) else "?"
    items = [
        ("driver", esc(driver)),
        ("url", esc(cap_string(str(redact(url.value)))) if url.ok else url.html()),
        ("path", esc(cap_string(repr(kv.path)))),
        ("transaction", "none" if kv.transaction is None else "bound"),
    ]
    sections = [section("Store", kv_table(items))]
    if spec_json.ok:
        sections.append(section("Spec JSON", json_block(spec_json.value), open=False))
    text = safe(lambda: repr(kv))
    return bundle(text.value if text.ok else f"KvStore(<{text.error}>)", "KvStore",
                  f"{driver} · {cap_string(str(redact(url.value)) if url.ok else '')}", sections)


def context_bundle(ctx: Any) -> dict[str, str]:
    spec = safe(lambda: ctx.spec)
    spec_json = safe(lambda: None if spec.value is None else spec.value.to_json())
    parent = safe(lambda: ctx.parent)
    n = len(spec_json.value) if isinstance(spec_json.value, dict) else 0
    text = (
        f"Context with {n} resource spec(s)"
        + (", with parent" if parent.ok and parent.value is not None else "")
        + (f": {spec.value!r}" if spec.ok and spec.value is not None else "")
    )
    body = json_block(spec_json.value) if spec_json.ok and spec_json.value else (
        '<span class="tsx-note">no resources specified: defaults are used</span>'
    )
    return bundle(text, "Context", f"{n} resource(s)", [section("Resources", body, count=n)])


def dtype_bundle(dt: Any) -> dict[str, str]:
    np_dt = safe(lambda: dt.numpy_dtype)
    items = [("name", esc(dt.name))]
    if np_dt.ok:
        items += [("numpy", esc(repr(np_dt.value))), ("itemsize", esc(f"{np_dt.value.itemsize} bytes"))]
    return bundle(repr(dt), "dtype", dt.name, [section("Data type", kv_table(items))])


def unit_bundle(unit: Any) -> dict[str, str]:
    items = [("multiplier", esc(repr(unit.multiplier))), ("base unit", esc(repr(unit.base_unit)))]
    return bundle(repr(unit), "Unit", str(unit), [section("Unit", kv_table(items))])


def future_state(fut: Any) -> str:
    """``pending`` / ``cancelled`` / ``done`` / ``failed: Type: message``; never blocks."""
    if fut.cancelled():
        return "cancelled"
    if not fut.done():
        return "pending"
    exc = fut.exception()
    if exc is not None:
        return f"failed: {type(exc).__name__}: {cap_string(str(exc))}"
    return "done"


def future_bundle(fut: Any) -> dict[str, str]:
    """State only: a repr must not wait for, or render, the result (that may be a whole array)."""
    state = future_state(fut)
    text = f"Future({state})"
    css = ' class="tsx-error"' if state.startswith("failed") else ""
    body = f"<span{css}>{esc(state)}</span>"
    return bundle(text, "Future", state.split(":", 1)[0], [section("State", body)])
