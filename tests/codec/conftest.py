"""Helpers: have real tensorstore write arrays to a temporary directory, and read them back."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pytest

ts = pytest.importorskip("tensorstore")


def ts_create(driver: str, path: pathlib.Path, metadata: dict[str, Any], **kw: Any) -> Any:
    spec = {"driver": driver, "kvstore": {"driver": "file", "path": str(path)}, "metadata": metadata}
    return ts.open(spec, create=True, **kw).result()


def ts_open(driver: str, path: pathlib.Path) -> Any:
    return ts.open({"driver": driver, "kvstore": {"driver": "file", "path": str(path)}}).result()


def read_json(path: pathlib.Path) -> Any:
    return json.loads(path.read_text())


def ts_error(fn: Any) -> str:
    """The text of the ValueError tensorstore raises, without its ``[tensorstore_spec=...]`` note."""
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value).split(" [tensorstore_spec=")[0]


def sample(dtype: Any, shape: tuple[int, ...], seed: int = 0) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dt.kind == "c":
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dt)
    if dt.kind in "iu":
        return rng.integers(0, 100, shape).astype(dt)
    return rng.normal(size=shape).astype(dt)
