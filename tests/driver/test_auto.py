"""The ``auto`` driver (format detection from a bare kvstore URL), compared with tensorstore."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import tensorstore

import tsexplore


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("auto")
    for driver, name in (("zarr3", "a3"), ("zarr", "a2")):
        s = tensorstore.open(
            {"driver": driver, "kvstore": {"driver": "file", "path": str(base / name) + "/"}},
            create=True, dtype="int16", shape=[3, 4],
        ).result()
        s.write(np.arange(12, dtype=np.int16).reshape(3, 4)).result()
    return base


def _builtin(e: BaseException) -> str:
    return next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")


def _open(m: ModuleType, url_or_spec: Any, **kw: Any) -> Any:
    try:
        s = m.open(url_or_spec, **kw).result()
        j = s.spec().to_json()
        kvstore = j.get("kvstore") or j["base"].get("kvstore")
        return ("ok", j["driver"], kvstore, str(s.domain), s.read().result().tolist())
    except Exception as e:
        # the tensorstore_spec note lists every context resource tensorstore knows; compare the rest
        return ("error", _builtin(e), re.sub(r" \[tensorstore_spec=.*\]$", "", str(e)))


@pytest.mark.parametrize("suffix", ["a3/", "a3", "a2/", "", "a3/|cast:int32", "missing/"])
def test_open_by_url_like_tensorstore(root: Path, suffix: str) -> None:
    url = f"file://{root}/{suffix}"
    assert _open(tsexplore, url) == _open(tensorstore, url)


def test_auto_refuses_create() -> None:
    spec = {"driver": "auto", "kvstore": "memory://"}
    kw = {"create": True, "dtype": "int8", "shape": [2]}
    assert _open(tsexplore, spec, **kw) == _open(tensorstore, spec, **kw)


@pytest.mark.parametrize("url", ["file:///tmp/x/", "memory://", "memory://|cast:int32", "file:///tmp/x/|auto:"])
def test_auto_spec_json_and_url(url: str) -> None:
    ours, theirs = tsexplore.Spec(url), tensorstore.Spec(url)
    assert ours.to_json() == theirs.to_json()
    assert ours.url == theirs.url
