"""zarr / zarr3 stores for the shared spec round-trip factories (imported by ``factories.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import tsexplore as ts
from tests.driver.factories import register_factory


@register_factory("zarr3")
def _zarr3(tmp_path: Path) -> Any:
    s = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "z3") + "/"}},
        create=True,
        dtype=ts.float32,
        shape=[3, 10, 20],
        chunk_layout=ts.ChunkLayout(chunk_shape=[1, 5, 5]),
        dimension_units=["", "4nm", "4nm"],
    ).result()
    s[1, 2:4] = 5
    return s


@register_factory("zarr3_sharded_view")
def _zarr3_sharded(tmp_path: Path) -> Any:
    s = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "z3s") + "/"}},
        create=True,
        dtype=ts.int16,
        shape=[8, 12],
        chunk_layout=ts.ChunkLayout(write_chunk_shape=[4, 6], read_chunk_shape=[2, 3]),
    ).result()
    s[...] = np.arange(96, dtype=np.int16).reshape(8, 12)
    return s[1:7:2, ::-1]


@register_factory("zarr")
def _zarr2(tmp_path: Path) -> Any:
    s = ts.open(
        {"driver": "zarr", "kvstore": {"driver": "file", "path": str(tmp_path / "z2") + "/"}},
        create=True,
        dtype=ts.uint16,
        shape=[6, 7],
        fill_value=3,
    ).result()
    s[2:4, 1:5] = 9
    return s
