"""Differential tests: kvstore specs, URLs and parse errors against real tensorstore.

Each case runs the same expression on ``tensorstore`` and ``tsexplore`` and compares the outcome:
the value, or the exception type (``ValueError`` for tsexplore's ``StatusError``) and message.
Spec parsing needs no network, so the s3/gcs/http forms are compared too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tensorstore

import tsexplore

MODULES = (tensorstore, tsexplore)


def outcome(fn: Callable[[Any], Any], mod: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(mod))
    except Exception as e:  # the exception is the result being compared
        name = "ValueError" if isinstance(e, ValueError) else type(e).__name__
        return (name, str(e))


def same(fn: Callable[[Any], Any]) -> tuple[str, Any]:
    expected, actual = (outcome(fn, m) for m in MODULES)
    assert actual == expected
    return expected


JSON_SPECS: list[Any] = [
    {"driver": "memory"},
    {"driver": "memory", "path": "a/b"},
    {"driver": "memory", "path": "a b%c+d?#@ü"},
    {"driver": "memory", "atomic": False},
    {
        "driver": "memory",
        "memory_key_value_store": "memory_key_value_store#x",
        "context": {"memory_key_value_store#x": {}},
    },
    {"driver": "memory", "memory_key_value_store": {}},
    {"driver": "file", "path": "/tmp/x/"},
    {"driver": "file", "path": "rel/x"},
    {"driver": "file", "path": "/tmp/a b/ü%?#+@"},
    {"driver": "file", "path": "a\\b"},
    {"driver": "file", "path": ""},
    {"driver": "file"},
    {"driver": "file", "path": "/"},
    {"driver": "file", "path": "/x", "file_io_concurrency": {"limit": 3}},
    {"driver": "file", "path": "/x", "file_io_concurrency": {"limit": "shared"}},
    {"driver": "file", "path": "/x", "file_io_concurrency": "file_io_concurrency#a"},
    {"driver": "file", "path": "/x", "file_io_sync": False},
    {"driver": "file", "path": "/x", "file_io_mode": {"mode": "direct"}},
    {"driver": "file", "path": "/x", "file_io_locking": {"mode": "none"}},
    {"driver": "file", "path": "/x", "context": {"file_io_concurrency": {"limit": "shared"}, "cache_pool": {}}},
    {"driver": "s3", "bucket": "my-bucket", "path": "p/q"},
    {"driver": "s3", "bucket": "my-bucket", "endpoint": "http://localhost:9000"},
    {"driver": "s3", "endpoint": "http://localhost:9000"},
    {"driver": "s3", "bucket": "my-bucket", "aws_region": "us-west-2", "requester_pays": True},
    {"driver": "s3", "bucket": "Old_Style_Bucket"},
    {"driver": "s3", "bucket": "abc", "aws_credentials": {"type": "anonymous"}},
    {"driver": "gcs", "bucket": "my-bucket", "path": "p q/r"},
    {"driver": "gcs", "bucket": "abc", "gcs_request_concurrency": {"limit": 4}},
    {"driver": "http", "base_url": "http://example.com/a/b", "path": "c"},
    {"driver": "http", "base_url": "http://example.com/a/", "path": "c"},
    {"driver": "http", "base_url": "https://example.com", "path": "/c d"},
    {"driver": "http", "base_url": "https://example.com/x?q=1"},
    {"driver": "http", "base_url": "https://example.com/", "headers": ["A: b", "c:d"]},
    {"driver": "http", "base_url": "http://x/a%20b"},
    {"driver": "http", "base_url": "http://x/a%2Fb/c"},
]

BAD_SPECS: list[Any] = [
    {},
    [1],
    "x",
    3,
    {"driver": 1},
    {"driver": "nope"},
    {"driver": "memory", "bogus": 1},
    {"driver": "memory", "path": 3},
    {"driver": "memory", "atomic": "x"},
    {"driver": "memory", "context": 3},
    {"driver": "memory", "context": {"bogus": {}}},
    {"driver": "memory", "memory_key_value_store": 3},
    {"driver": "memory", "memory_key_value_store": {"x": 1}},
    {"driver": "file", "path": "../x"},
    {"driver": "file", "path": "a/./b"},
    {"driver": "file", "path": "a//b"},
    {"driver": "file", "path": "/a/.."},
    {"driver": "file", "path": "a.__lock"},
    {"driver": "file", "path": "ü'\"\t/../x"},
    {"driver": "file", "path": "/x", "file_io_concurrency": {"limit": 0}},
    {"driver": "file", "path": "/x", "file_io_concurrency": "cache_pool"},
    {"driver": "file", "path": "/x", "file_io_sync": "x"},
    {"driver": "file", "path": "/x", "file_io_sync": None},
    {"driver": "file", "path": "/x", "file_io_mode": {"mode": "bogus"}},
    {"driver": "s3"},
    {"driver": "s3", "bucket": 3},
    {"driver": "s3", "bucket": "ab"},
    {"driver": "s3", "bucket": "a..b"},
    {"driver": "s3", "bucket": "sthree-x"},
    {"driver": "s3", "bucket": "ü12"},
    {"driver": "s3", "bucket": "ab", "aws_region": 3},
    {"driver": "s3", "host_header": "x", "bucket": "abc"},
    {"driver": "s3", "bucket": "abc", "requester_pays": "x"},
    {"driver": "gcs"},
    {"driver": "gcs", "bucket": 3},
    {"driver": "gcs", "bucket": "Bad"},
    {"driver": "gcs", "bucket": "a" * 64},
    {"driver": "http"},
    {"driver": "http", "base_url": 3},
    {"driver": "http", "base_url": "ftp://x"},
    {"driver": "http", "base_url": "HTTP://X/"},
    {"driver": "http", "base_url": "x"},
    {"driver": "http", "base_url": "http://x#f"},
    {"driver": "http", "base_url": "http://x/a", "path": "/abs"},
    {"driver": "http", "base_url": "http://x", "headers": "a"},
    {"driver": "http", "base_url": "http://x", "headers": [1]},
    {"driver": "http", "base_url": "http://x", "headers": ["ok: 1", "nocolon"]},
    {"driver": "http", "base_url": "http://x", "headers": [":x"]},
    {"driver": "http", "base_url": "http://x", "headers": ["a b: c"]},
    {"driver": "http", "base_url": "http://x", "headers": ["a: \x01"]},
]

URLS = [
    "memory://",
    "memory://a/b",
    "memory://a%20b",
    "memory://a b",
    "memory://ü/%C3%BC",
    "memory://a+b;c=d@e",
    "memory://%2F",
    "memory://a?",
    "memory://a#",
    "file:///tmp/x/",
    "file:///tmp/a%20b/",
    "file:///tmp/../x",
    "file:///tmp/./x/.",
    "file:///a/b/..",
    "file:///a//b/./c/../",
    "file:///..",
    "file:///%2e%2e/x",
    "file:///a%5Cb",
    "file://localhost/x",
    "file:///",
    "s3://bucket/path",
    "s3://bucket",
    "s3://bucket/",
    "s3://Old_Style/x",
    "s3://b-1/x%2Fy",
    "gs://bucket/p q",
    "gs://bucket",
    "gs://bucket/%41",
    "http://host/a/b",
    "https://host:8080/a?x=1",
    "http://host",
    "http://host/",
    "http:x",
    "http:///x",
    "http://h?q#",
    "http://u:p@h:1/a?b=c&d",
    "https://h/a%2Fb",
    "http://h/ü",
]

BAD_URLS = [
    "",
    ":x",
    "noscheme",
    "MEMORY://x",
    "ftp://x",
    "zip://x",
    "zarr3://x",
    "memory://|file:///x",
    "memory://|bogus:",
    "memory://|",
    "a|b",
    "memory:",
    "memory:/x",
    "memory://a?x",
    "memory://a#f",
    "memory://%zz",
    "memory://%4",
    "memory://a%4",
    "memory://ab%zzcd",
    "memory://%41%4",
    "memory://ü%zz",
    "memory://%FF",
    "file://host/tmp",
    "file://tmp",
    "file://",
    "file:",
    "file:///x?q",
    "file:///a.__lock",
    "s3:",
    "s3://",
    "s3:///x",
    "s3://a..b/x",
    "s3://b/ü",
    "s3://a/b?c",
    "gs://",
    "gs://B/x",
    "gs://b_/x",
    "gs://a/b?c",
    "http://host/a#f",
]


@pytest.mark.parametrize("spec", JSON_SPECS, ids=repr)
@pytest.mark.parametrize("include_defaults", [False, True])
def test_json_spec_to_json(spec: Any, include_defaults: bool) -> None:
    kind, _ = same(lambda m: m.KvStore.Spec(spec).to_json(include_defaults=include_defaults))
    assert kind == "ok"


@pytest.mark.parametrize("spec", JSON_SPECS, ids=repr)
def test_json_spec_url_path_repr_roundtrip(spec: Any) -> None:
    same(lambda m: m.KvStore.Spec(spec).url)
    same(lambda m: m.KvStore.Spec(spec).path)
    same(lambda m: repr(m.KvStore.Spec(spec)))
    # to_json() parses back to the same spec
    same(lambda m: m.KvStore.Spec(m.KvStore.Spec(spec).to_json()).to_json(include_defaults=True))
    same(lambda m: m.KvStore.Spec(spec) == m.KvStore.Spec(m.KvStore.Spec(spec).to_json()))


@pytest.mark.parametrize("spec", BAD_SPECS, ids=repr)
def test_bad_json_spec_errors(spec: Any) -> None:
    kind, _ = same(lambda m: m.KvStore.Spec(spec).to_json())
    assert kind != "ok"


@pytest.mark.parametrize("url", URLS)
def test_url_roundtrip(url: str) -> None:
    kind, _ = same(lambda m: m.KvStore.Spec(url).to_json())
    assert kind == "ok"
    same(lambda m: m.KvStore.Spec(url).url)
    same(lambda m: m.KvStore.Spec(m.KvStore.Spec(url).url).to_json())


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_url_errors(url: str) -> None:
    kind, _ = same(lambda m: m.KvStore.Spec(url))
    assert kind != "ok"


JOIN_BASES = [
    {"driver": "memory"},
    {"driver": "memory", "path": "a"},
    {"driver": "memory", "path": "a/"},
    {"driver": "file", "path": "/a"},
    {"driver": "file", "path": "/a/"},
    {"driver": "gcs", "bucket": "abc", "path": "p"},
]


@pytest.mark.parametrize("base", JOIN_BASES, ids=repr)
@pytest.mark.parametrize("part", ["b", "/b", "b/", "", "../x", "ü c", b"raw"])
def test_spec_joins(base: Any, part: Any) -> None:
    same(lambda m: (m.KvStore.Spec(base) / part).to_json())
    same(lambda m: (m.KvStore.Spec(base) + part).to_json())
    same(lambda m: (m.KvStore.Spec(base) / part).url)


def _open_spec_outcomes(mod: Any, spec: Any) -> dict[str, Any]:
    kv = mod.KvStore.open(spec).result()
    out: dict[str, Any] = {"url": outcome(lambda _: kv.url, mod), "repr": repr(kv), "path": kv.path}
    for kw in ({}, {"retain_context": True}, {"unbind_context": True}):
        for dflt in (False, True):
            out[f"{kw} {dflt}"] = kv.spec(**kw).to_json(include_defaults=dflt)
    for part in ("b", "/b", "c/"):
        out[f"/{part}"] = (kv / part).spec().to_json()
        out[f"+{part}"] = (kv + part).spec().to_json()
        out[f"url /{part}"] = outcome(lambda _, p=part: (kv / p).url, mod)
    return out


@pytest.mark.parametrize(
    "spec",
    [
        {"driver": "memory"},
        {"driver": "memory", "path": "p/ü q"},
        {"driver": "memory", "atomic": False},
        {
            "driver": "memory",
            "memory_key_value_store": "memory_key_value_store#x",
            "context": {"memory_key_value_store#x": {}},
        },
        "memory://x%20y/",
        {"driver": "file", "path": "FILEROOT/sub dir/"},
        {"driver": "file", "path": "FILEROOT/a+b@c", "file_io_concurrency": {"limit": 2}},
        {
            "driver": "file",
            "path": "FILEROOT/x",
            "file_io_sync": False,
            "context": {"file_io_concurrency": {"limit": 3}},
        },
        "file://FILEROOT/u%C3%BC/",
    ],
    ids=repr,
)
def test_open_store_spec_and_url(spec: Any, tmp_path: Path) -> None:
    root = str(tmp_path)
    if isinstance(spec, str):
        spec = spec.replace("FILEROOT", root)
    elif "path" in spec:
        spec = {**spec, "path": spec["path"].replace("FILEROOT", root)}
    expected, actual = (_open_spec_outcomes(m, spec) for m in MODULES)
    assert actual == expected


def test_open_relative_file_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    expected, actual = (_open_spec_outcomes(m, {"driver": "file", "path": "rel/dir/"}) for m in MODULES)
    assert actual == expected
