"""Kvstore URL syntax: ``scheme://rest``, percent-encoding as tensorstore does it."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from .. import status
from .driver import driver_for_scheme, is_adapter_scheme

__all__ = ["decode_path", "encode_path", "parse_url", "split_url"]

# Characters tensorstore leaves unescaped in a URL path (besides ASCII letters and digits).
_SAFE = "/!$&'()*+,-.:;=_~"


def encode_path(path: str) -> str:
    return urllib.parse.quote(path, safe=_SAFE)


def decode_path(text: str) -> str:
    """Percent-decode, rejecting malformed escapes with tensorstore's message."""
    i = text.find("%")
    while i != -1:
        esc = text[i + 1 : i + 3]
        if len(esc) < 2:
            raise status.invalid_argument(f"Invalid percent-encoding at position -1: {json.dumps(text)}")
        if not all(c in "0123456789abcdefABCDEF" for c in esc):
            raise status.invalid_argument(f"Invalid percent-encoding at position {i}: {json.dumps(text[i:])}")
        i = text.find("%", i + 3)
    return urllib.parse.unquote(text, errors="surrogateescape")


def split_url(url: str, scheme: str, *, allow_query: bool = False) -> tuple[str, str]:
    """``(rest, query)`` of ``scheme://rest?query``; rejects fragments (and queries unless allowed)."""
    prefix = scheme + "://"
    if not url.startswith(prefix):
        raise status.invalid_argument(f"Scheme {json.dumps(prefix)} not present in url")
    rest = url[len(prefix) :]
    if "#" in rest:
        raise status.invalid_argument("Fragment identifier not supported")
    query = ""
    if "?" in rest:
        if not allow_query:
            raise status.invalid_argument("Query string not supported")
        rest, query = rest.split("?", 1)
    return rest, query


def parse_url(url: str) -> dict[str, Any]:
    """JSON spec of a kvstore URL, with tensorstore's ``Parsing spec from url`` errors."""
    try:
        component = url.split("|", 1)[0]
        if "|" in url:
            raise status.invalid_argument(
                f"unsupported URL scheme in {json.dumps(url)}: only a single kvstore URL component is supported"
            )
        colon = component.find(":")
        if colon <= 0:
            raise status.invalid_argument(f"URL scheme must be specified in {json.dumps(component)}")
        scheme = component[:colon]
        parser = driver_for_scheme(scheme)
        if parser is None:
            extra = f": {json.dumps(scheme)} is a kvstore adapter URL scheme" if is_adapter_scheme(scheme) else ""
            raise status.invalid_argument(
                f"unsupported URL scheme {json.dumps(scheme)} in {json.dumps(component)}{extra}"
            )
        try:
            return parser(component, scheme)
        except status.StatusError as e:
            raise status.StatusError(
                e.code, f"Invalid kvstore URL component {json.dumps(component)}: {e.message}"
            ) from None
    except status.StatusError as e:
        raise status.StatusError(e.code, f"Parsing spec from url: {json.dumps(url)}: {e.message}") from None
