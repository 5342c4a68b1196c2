"""``TensorStore.storage_statistics`` vs real tensorstore: zarr/zarr3/sharded views of various shapes
(strided, index arrays, transposed, empty), before and after writes, adapters asking their base, the
array driver, and the ``StorageStatistics`` repr."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

SHARDED = {"codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2]}}]}
VIEWS = {
    "all": lambda a: a,
    "corner": lambda a: a[0:2, 0:2],
    "far": lambda a: a[4:, 4:],
    "chunk": lambda a: a[0:4, 0:4],
    "inside": lambda a: a[1:3, 1:3],
    "strided": lambda a: a[::4, ::4],
    "index-array": lambda a: a[[0, 1], 0],
    "transposed": lambda a: a.T[0:4, 0:4],
    "empty": lambda a: a[0:0],
}


def _stats(view: Any) -> list[str]:
    return [
        repr(view.storage_statistics(query_not_stored=n, query_fully_stored=f).result())
        for n in (False, True) for f in (False, True)
    ]


def _scenario(mod: Any, root: pathlib.Path, kind: str) -> Any:
    driver = "zarr" if kind == "zarr" else "zarr3"
    meta = SHARDED if kind == "sharded" else {}
    a = mod.open(
        {"driver": driver, "kvstore": {"driver": "file", "path": str(root)}, "metadata": meta},
        create=True, dtype="uint8", shape=[8, 8], chunk_layout=mod.ChunkLayout(write_chunk_shape=[4, 4]),
    ).result()
    out = [_stats(a)]
    for values in ((slice(0, 2), 1), (slice(0, 4), 1), (slice(None), 0)):
        a[values[0], values[0]] = values[1]
        out.append({name: _stats(v(a)) for name, v in VIEWS.items()})
    out.append(_stats(a.astype("int32")))
    out.append(_stats(mod.downsample(a, [2, 2], "mean")))
    return out


@pytest.mark.parametrize("kind", ["zarr", "zarr3", "sharded"])
def test_matches_tensorstore(tmp_path: pathlib.Path, kind: str) -> None:
    assert _scenario(ts, tmp_path / "ours", kind) == _scenario(real_ts, tmp_path / "real", kind)


def test_array_driver_and_repr() -> None:
    def run(mod: Any) -> Any:
        cls = mod.TensorStore.StorageStatistics
        return (
            _stats(mod.array(np.zeros(3))), repr(cls(not_stored=False, fully_stored=None)), repr(cls()),
            cls(not_stored=True) == cls(not_stored=True),
        )

    assert run(ts) == run(real_ts)
