"""Shared HTML building blocks for every repr: one static CSS string, escaping, caps, sections.

Modelled on xarray's ``formatting_html``: pure string functions, checkbox collapsibles (no JavaScript),
JupyterLab CSS variables with fallbacks so light and dark themes both work, and a ``<pre>`` text copy that
renderers which strip ``<style>`` (GitHub, untrusted notebooks) show instead of the rich view.
"""

from __future__ import annotations

import html
import json
import math
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "CSS",
    "HTML_CAP",
    "JSON_CAP",
    "ROW_CAP",
    "STRING_CAP",
    "TEXT_CAP",
    "bundle",
    "cap_string",
    "cap_text",
    "esc",
    "fmt_bytes",
    "json_block",
    "kv_table",
    "new_id",
    "redact",
    "section",
    "table",
]

#: Caps from EXPLORER.md 2.1: HTML <= 64 KiB, text <= 4 KiB, strings cut at 200 chars, long tables collapse.
HTML_CAP = 64 * 1024
TEXT_CAP = 4 * 1024
STRING_CAP = 200
JSON_CAP = 16 * 1024
ROW_CAP = 25

_FG0 = "var(--jp-content-font-color0, var(--vscode-editor-foreground, #222))"
_FG2 = "var(--jp-content-font-color2, var(--vscode-descriptionForeground, #555))"
_BG0 = "var(--jp-layout-color0, var(--vscode-editor-background, #fff))"
_BG2 = "var(--jp-layout-color2, var(--vscode-editorWidget-background, #eee))"
_BORDER = "var(--jp-border-color2, var(--vscode-widget-border, #ccc))"
_ACCENT = "var(--jp-brand-color1, var(--vscode-focusBorder, #1976d2))"
_ERR = "var(--jp-error-color1, var(--vscode-errorForeground, #b71c1c))"

CSS = (
    ":root{--tsx-fg0:" + _FG0 + ";--tsx-fg2:" + _FG2 + ";--tsx-bg0:" + _BG0 + ";--tsx-bg2:" + _BG2
    + ";--tsx-border:" + _BORDER + ";--tsx-accent:" + _ACCENT + ";--tsx-err:" + _ERR + "}"
    "html[theme=dark],html[data-theme=dark],body[data-theme=dark],body.vscode-dark{"
    "--tsx-fg0:var(--jp-content-font-color0,var(--vscode-editor-foreground,#eee));"
    "--tsx-fg2:var(--jp-content-font-color2,var(--vscode-descriptionForeground,#aaa));"
    "--tsx-bg0:var(--jp-layout-color0,var(--vscode-editor-background,#111));"
    "--tsx-bg2:var(--jp-layout-color2,var(--vscode-editorWidget-background,#2a2a2a));"
    "--tsx-border:var(--jp-border-color2,var(--vscode-widget-border,#555));"
    "--tsx-err:var(--jp-error-color1,var(--vscode-errorForeground,#ff8a80))}"
    "pre.tsx-fallback{display:none}"
    ".tsx-wrap{display:block!important;min-width:300px;max-width:860px;color:var(--tsx-fg0);"
    "font-family:var(--jp-content-font-family,sans-serif);font-size:13px;line-height:1.4}"
    ".tsx-header{padding:4px 0 6px;border-bottom:1px solid var(--tsx-border);margin-bottom:4px}"
    ".tsx-type{font-weight:bold}.tsx-sub{color:var(--tsx-fg2)}"
    ".tsx-wrap .tsx-sections{list-style:none;padding:0;margin:0}"  # beats JupyterLab's `.jp-RenderedHTMLCommon ul`
    ".tsx-wrap .tsx-section{list-style:none;margin:2px 0}"
    ".tsx-toggle{position:absolute;opacity:0;width:1px;height:1px}"
    ".tsx-toggle+label{cursor:pointer;color:var(--tsx-fg0);font-weight:600;display:inline-block}"
    ".tsx-toggle+label:before{content:'\\25B8';display:inline-block;width:1.1em;color:var(--tsx-fg2)}"
    ".tsx-toggle:checked+label:before{content:'\\25BE'}"
    ".tsx-toggle:focus-visible+label{outline:2px solid var(--tsx-accent);outline-offset:1px}"
    ".tsx-toggle~.tsx-body{display:none;margin:2px 0 6px 1.1em}"
    ".tsx-toggle:checked~.tsx-body{display:block}"
    ".tsx-count{color:var(--tsx-fg2);font-weight:normal}"
    ".tsx-table{border-collapse:collapse;font-family:var(--jp-code-font-family,monospace);font-size:12px}"
    ".tsx-table th,.tsx-table td{padding:1px 10px 1px 0;text-align:left;vertical-align:top;"
    "color:var(--tsx-fg0);background:transparent;border:none}"
    ".tsx-table th{color:var(--tsx-fg2);font-weight:normal}"
    ".tsx-json{max-height:320px;overflow:auto;margin:0;padding:4px;background:var(--tsx-bg2);"
    "color:var(--tsx-fg0);font-size:12px;white-space:pre}"
    ".tsx-code{font-family:var(--jp-code-font-family,monospace)}"
    ".tsx-note{color:var(--tsx-fg2);font-style:italic}.tsx-error{color:var(--tsx-err)}"
    ".tsx-grid line{stroke:var(--tsx-fg2);stroke-width:1}.tsx-grid rect{fill:var(--tsx-bg2);"
    "stroke:var(--tsx-fg0);stroke-width:1.5}"
)


def esc(value: object) -> str:
    """HTML-escape any value (labels may hold ``<script>``)."""
    return html.escape(str(value), quote=True)


def fmt_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``."""
    if not math.isfinite(n):
        return "∞ B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{int(n)} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def cap_string(s: str, cap: int = STRING_CAP) -> str:
    """Cut ``s`` to ``cap`` characters, saying how much was left out."""
    if len(s) <= cap:
        return s
    rest = len(s.encode("utf-8", "surrogateescape")) - len(s[:cap].encode("utf-8", "surrogateescape"))
    return f"{s[:cap]}… ({fmt_bytes(rest)} more)"


def cap_text(s: str, cap: int = TEXT_CAP) -> str:
    """Cut a text/plain repr to ``cap`` characters on a line boundary."""
    if len(s) <= cap:
        return s
    cut = s.rfind("\n", 0, cap)
    cut = cut if cut > cap // 2 else cap
    return s[:cut] + f"\n… ({len(s) - cut} more characters)"


def new_id() -> str:
    """A fresh element id, so two reprs on one page never toggle each other's sections."""
    return "tsx-" + uuid.uuid4().hex[:12]


_SECRET_WORDS = ("secret", "token", "password", "credential", "access_key", "private_key", "auth")


def redact(value: Any) -> Any:
    """Copy of a JSON value with credential-like members replaced by ``'***'``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if any(w in str(k).lower() for w in _SECRET_WORDS) and v not in (None, False, ""):
                out[k] = "***"
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and "://" in value and "@" in value.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = value.split("://", 1)
        host_part, _, tail = rest.partition("/")
        return f"{scheme}://***@{host_part.rsplit('@', 1)[1]}" + (f"/{tail}" if tail else "")
    return value


def json_text(value: Any, cap: int = JSON_CAP) -> str:
    """Indented JSON (redacted), cut at ``cap`` characters."""
    try:
        text = json.dumps(redact(value), indent=2, sort_keys=False, default=str)
    except (TypeError, ValueError) as e:  # pragma: no cover - defensive: reprs never raise
        text = f"<not JSON serialisable: {e}>"
    if len(text) > cap:
        text = text[:cap] + f"\n… ({fmt_bytes(len(text) - cap)} more)"
    return text


def json_block(value: Any, cap: int = JSON_CAP) -> str:
    """JSON in a scrolling ``max-height`` box."""
    return f'<pre class="tsx-json">{esc(json_text(value, cap))}</pre>'


def section(title: str, body: str, *, count: int | None = None, open: bool = True) -> str:
    """A collapsible section: hidden checkbox + ``<label for>`` toggles the body with CSS only."""
    ident = new_id()
    checked = " checked" if open else ""
    n = f' <span class="tsx-count">({count})</span>' if count is not None else ""
    return (
        f'<li class="tsx-section"><input id="{ident}" class="tsx-toggle" type="checkbox"{checked}>'
        f'<label for="{ident}" title="Show/hide {esc(title)}">{esc(title)}{n}</label>'
        f'<div class="tsx-body">{body}</div></li>'
    )


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, row_cap: int = ROW_CAP) -> str:
    """A table of already-escaped cells; rows past ``row_cap`` collapse into a note."""
    rows = list(rows)
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    shown = rows[:row_cap]
    body = "".join(
        "<tr>" + "".join(f'<th scope="row">{c}</th>' if j == 0 else f"<td>{c}</td>" for j, c in enumerate(r))
        + "</tr>"
        for r in shown
    )
    more = ""
    if len(rows) > row_cap:
        more = f'<div class="tsx-note">… {len(rows) - row_cap} more rows</div>'
    return f'<table class="tsx-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'


def kv_table(items: Iterable[tuple[str, str]]) -> str:
    """Two-column name/value table; values are already escaped."""
    body = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>' for k, v in items)
    return f'<table class="tsx-table"><tbody>{body}</tbody></table>'


def bundle(text: str, type_name: str, subtitle: str, sections: Sequence[str]) -> dict[str, str]:
    """Assemble the mime bundle: ``text/plain`` plus style, text fallback and the rich div."""
    text = cap_text(text)
    header = (
        f'<div class="tsx-header"><span class="tsx-type">{esc(type_name)}</span>'
        + (f' <span class="tsx-sub">{esc(cap_string(subtitle, 400))}</span>' if subtitle else "")
        + "</div>"
    )
    secs = f'<ul class="tsx-sections">{"".join(sections)}</ul>' if sections else ""
    prefix = f'<style>{CSS}</style><pre class="tsx-fallback">{esc(text)}</pre>'
    div = f'<div class="tsx-wrap" style="display:none">{header}{secs}</div>'
    out = prefix + div
    if len(out.encode("utf-8", "surrogateescape")) > HTML_CAP:
        # Too big even after per-section caps: keep the header and say so, never exceed the budget.
        note = '<div class="tsx-note">(details omitted: the full view would exceed 64 KiB)</div>'
        out = prefix + f'<div class="tsx-wrap" style="display:none">{header}{note}</div>'
        if len(out.encode("utf-8", "surrogateescape")) > HTML_CAP:
            out = f"<style>{CSS}</style><pre>{esc(text[: HTML_CAP // 8])}</pre>"
    return {"text/plain": text, "text/html": out}
