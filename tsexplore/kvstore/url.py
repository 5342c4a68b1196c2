"""Kvstore URL syntax (``scheme://authority/path?query#fragment``) and tensorstore's quoting.

Follows tensorstore's generic URI parser: the scheme runs up to the first ``:``; ``//`` starts an
authority that ends at the next ``/``; the query and fragment are cut off first.  Percent-decoding
errors and quoted strings in messages reproduce tensorstore's texts (C-style hex escapes of the
UTF-8 bytes, and its quirky negative "position").
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import status
from .driver import driver_for_scheme, url_scheme_kind

__all__ = [
    "ParsedUri",
    "decode_path",
    "encode_path",
    "parse_generic",
    "parse_url",
    "quote",
    "register_adapter_scheme",
    "split_url",
]

# Adapter URL schemes (``base|zip:path``): scheme -> parse(component, base spec JSON).
_ADAPTERS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {}


def register_adapter_scheme(scheme: str, parse: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
    """``parse(component, base)`` returns the JSON spec of the adapter wrapping ``base``."""
    _ADAPTERS[scheme] = parse


def _ensure_adapters() -> None:
    from . import zip  # noqa: F401  - registers the zip: adapter scheme


# Characters tensorstore leaves unescaped in a kvstore URL path (besides ASCII letters and digits).
_SAFE = "/!$&'()*+,-.:;=_~"
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("'"): "\\'", ord("\\"): "\\\\"}


def quote(text: str | bytes) -> str:
    """tensorstore's ``QuoteString``: ``"..."`` around absl's ``CHexEscape`` of the UTF-8 bytes."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    out: list[str] = []
    last_hex = False
    for b in data:
        esc = _ESCAPES.get(b)
        if esc is not None:
            out.append(esc)
            last_hex = False
        elif b < 0x20 or b >= 0x7F or (last_hex and b in _HEX):
            out.append(f"\\x{b:02x}")
            last_hex = True
        else:
            out.append(chr(b))
            last_hex = False
    return '"' + "".join(out) + '"'


def encode_path(path: str, *, allow_at: bool = False) -> str:
    """Percent-encode a kvstore URL path; ``@`` stays only in ``file:`` URLs (a plain URI path)."""
    return urllib.parse.quote(path, safe=_SAFE + "@" if allow_at else _SAFE)


def decode_path(text: str) -> str:
    """Percent-decode, rejecting malformed escapes and non-UTF-8 results with tensorstore's messages."""
    i = text.find("%")
    while i != -1:
        esc = text[i + 1 : i + 3]
        if len(esc) < 2 or not all(c in "0123456789abcdefABCDEF" for c in esc):
            # tensorstore reports the byte offset with the wrong sign (0 for a leading '%').
            offset = len(text[:i].encode("utf-8", "surrogateescape"))
            raise status.invalid_argument(f"Invalid percent-encoding at position {-offset}: {quote(text)}")
        i = text.find("%", i + 3)
    raw = urllib.parse.unquote_to_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise status.invalid_argument(f"Invalid UTF-8 percent-encoding sequence: {quote(text)}") from None


@dataclass(frozen=True)
class ParsedUri:
    scheme: str
    authority: str
    path: str
    query: str
    fragment: str
    has_authority: bool

    @property
    def authority_and_path(self) -> str:
        return self.authority + self.path


def parse_generic(uri: str) -> ParsedUri:
    """tensorstore's ``ParseGenericUri`` (no validation; the parts are raw, still percent-encoded)."""
    scheme, rest = "", uri
    for i, ch in enumerate(uri):
        if i == 0 and not (ch.isascii() and ch.isalpha()):
            break
        if ch in _SCHEME_CHARS:
            continue
        if ch == ":":
            scheme, rest = uri[:i], uri[i + 1 :]
        break
    fragment = query = ""
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    if "?" in rest:
        rest, query = rest.split("?", 1)
    if rest.startswith("//"):
        rest = rest[2:]
        slash = rest.find("/")
        authority, path = (rest, "") if slash == -1 else (rest[:slash], rest[slash:])
        return ParsedUri(scheme, authority, path, query, fragment, True)
    return ParsedUri(scheme, "", rest, query, fragment, False)


def split_url(url: str, scheme: str) -> ParsedUri:
    """Parse ``scheme://...``, requiring the ``//`` and rejecting non-empty queries and fragments."""
    parsed = parse_generic(url)
    if parsed.scheme != scheme or not parsed.has_authority:
        raise status.invalid_argument(f'Scheme "{scheme}://" not present in url')
    if parsed.query:
        raise status.invalid_argument("Query string not supported")
    if parsed.fragment:
        raise status.invalid_argument("Fragment identifier not supported")
    return parsed


def _component_spec(component: str, *, root: bool, base: dict[str, Any] | None = None) -> dict[str, Any]:
    if not component:
        raise status.invalid_argument("URL must be non-empty")
    if ":" in component:
        scheme = component.split(":", 1)[0]
    elif root:
        raise status.invalid_argument(f"URL scheme must be specified in {quote(component)}")
    else:
        scheme, component = component, component + ":"
    parser = driver_for_scheme(scheme) if root else None
    adapter = None if root else _ADAPTERS.get(scheme)
    if parser is None and adapter is None:
        kind = url_scheme_kind(scheme)
        extra = f": {quote(scheme)} is a {kind} URL scheme" if kind else ""
        raise status.invalid_argument(f"unsupported URL scheme {quote(scheme)} in {quote(component)}{extra}")
    try:
        if adapter is not None:
            return adapter(component, base or {})
        assert parser is not None
        return parser(component, scheme)
    except status.StatusError as e:
        raise status.StatusError(e.code, f"Invalid kvstore URL component {quote(component)}: {e.message}") from None


def parse_url(url: str) -> dict[str, Any]:
    """JSON spec of a kvstore URL, with tensorstore's ``Parsing spec from url`` errors.

    Each ``|adapter:`` component wraps the spec built so far as its ``base``.
    """
    _ensure_adapters()
    if not url:
        raise status.invalid_argument("URL must be non-empty")
    components = url.split("|")
    try:
        spec = _component_spec(components[0], root=True)
        for comp in components[1:]:
            spec = _component_spec(comp, root=False, base=spec)
        return spec
    except status.StatusError as e:
        raise status.StatusError(e.code, f"Parsing spec from url: {quote(url)}: {e.message}") from None
