"""The ``|cast:<dtype>`` URL component, compared with tensorstore."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
import tensorstore

import tsexplore


def _outcome(m: ModuleType, url: str) -> Any:
    try:
        spec = m.Spec(url)
        return ("ok", spec.to_json(), spec.url)
    except Exception as e:
        builtin = next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
        return ("error", builtin, str(e))


@pytest.mark.parametrize(
    "url",
    [
        "memory://|zarr3:|cast:int32",
        "memory://|zarr3:|cast:int32|cast:float32",
        "file:///tmp/x/|zarr2:|cast:uint8",
        "memory://|zarr3:|cast:bogus",
        "memory://|cast:int32",
    ],
)
def test_cast_url_like_tensorstore(url: str) -> None:
    assert _outcome(tsexplore, url) == _outcome(tensorstore, url)


def test_cast_view_spec_url() -> None:
    def url(m: ModuleType) -> str:
        return str(m.cast(m.Spec({"driver": "zarr3", "kvstore": {"driver": "memory"}}), "int32").url)

    assert url(tsexplore) == url(tensorstore) == "memory://|zarr3:|cast:int32"
