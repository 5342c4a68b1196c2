"""n5 stores for the shared spec round-trip factories (imported by ``factories.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import tsexplore as ts
from tests.driver.factories import register_factory


@register_factory("n5")
def _n5(tmp_path: Path) -> Any:
    s = ts.open(
        {"driver": "n5", "kvstore": {"driver": "file", "path": str(tmp_path / "n5") + "/"}},
        create=True,
        dtype=ts.float32,
        shape=[3, 10, 20],
        chunk_layout=ts.ChunkLayout(chunk_shape=[1, 5, 6]),
        dimension_units=["", "4nm", "4nm"],
    ).result()
    s[1, 2:4] = 5
    return s


@register_factory("n5_view")
def _n5_view(tmp_path: Path) -> Any:
    s = ts.open(
        {
            "driver": "n5",
            "kvstore": {"driver": "file", "path": str(tmp_path / "n5v") + "/"},
            "metadata": {"compression": {"type": "gzip"}, "axes": ["y", "x"]},
        },
        create=True,
        dtype=ts.int16,
        shape=[8, 12],
        chunk_layout=ts.ChunkLayout(chunk_shape=[3, 5]),
    ).result()
    s[...] = np.arange(96, dtype=np.int16).reshape(8, 12)
    return s[1:7:2, ::-1]
