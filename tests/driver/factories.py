"""Store factories shared by the driver round-trip tests; other drivers append to ``STORE_FACTORIES``.

A factory takes ``tmp_path`` and returns an open ``tsexplore.TensorStore`` with known contents.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tsexplore as ts

StoreFactory = Callable[[Path], Any]
STORE_FACTORIES: dict[str, StoreFactory] = {}


def register_factory(name: str) -> Callable[[StoreFactory], StoreFactory]:
    def deco(fn: StoreFactory) -> StoreFactory:
        STORE_FACTORIES[name] = fn
        return fn

    return deco


@register_factory("array")
def _array(tmp_path: Path) -> Any:
    return ts.array(np.arange(24, dtype=np.int32).reshape(4, 6))


@register_factory("array_view")
def _array_view(tmp_path: Path) -> Any:
    a = ts.array(np.arange(24, dtype=np.float64).reshape(4, 6))
    return a[ts.d[:].label["y", "x"]][1:3, ::2]


@register_factory("cast")
def _cast(tmp_path: Path) -> Any:
    return ts.cast(ts.array(np.arange(12, dtype=np.int16).reshape(3, 4)), "float32")

from tests.driver import n5_factories as _n5_factories  # noqa: E402,F401  (n5 cases)
from tests.driver import zarr_factories as _zarr_factories  # noqa: E402,F401  (zarr/zarr3 cases)
