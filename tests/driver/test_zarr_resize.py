"""Shrinking a zarr/zarr3 array: chunks (shards) entirely outside the new shape are deleted, chunks
partly outside keep their out-of-bounds elements (tensorstore does not clear them: growing the array
again shows them), ``resize_metadata_only`` deletes nothing.  Compared with real tensorstore."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

SHARDED = {"codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2]}}]}


def _scenario(mod: Any, root: pathlib.Path, kind: str, metadata_only: bool) -> Any:
    driver = "zarr" if kind == "zarr" else "zarr3"
    spec: dict[str, Any] = {"driver": driver, "kvstore": {"driver": "file", "path": str(root) + "/"}}
    meta: dict[str, Any] = {"fill_value": 0, "dtype": "|u1"} if kind == "zarr" else {}
    if kind == "sharded":
        meta = SHARDED
    a = mod.open(
        {**spec, "metadata": meta},
        create=True,
        dtype="uint8",
        shape=[10, 10],
        chunk_layout=mod.ChunkLayout(write_chunk_shape=[4, 4]),
    ).result()
    a[...] = np.arange(100, dtype=np.uint8).reshape(10, 10)
    a.resize(exclusive_max=[6, 5], resize_metadata_only=metadata_only).result()
    files = sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, names in os.walk(root)
        for f in names
        if f not in ("zarr.json", ".zarray") and not f.startswith(".")
    )
    fresh = mod.open(spec).result()
    shrunk = fresh.read().result().tolist()
    fresh.resize(exclusive_max=[10, 10]).result()
    return files, shrunk, mod.open(spec).result().read().result().tolist(), fresh.domain.to_json()


@pytest.mark.parametrize("kind", ["zarr", "zarr3", "sharded"])
@pytest.mark.parametrize("metadata_only", [False, True])
def test_shrink_then_grow_matches_tensorstore(tmp_path: pathlib.Path, kind: str, metadata_only: bool) -> None:
    expected = _scenario(real_ts, tmp_path / "real", kind, metadata_only)
    assert _scenario(ts, tmp_path / "ours", kind, metadata_only) == expected


def test_resize_result_has_the_new_bounds() -> None:
    shapes = []
    for mod in (real_ts, ts):
        a = mod.open({"driver": "zarr3", "kvstore": "memory://"}, create=True, dtype="uint8", shape=[10, 10]).result()
        shapes.append(a.resize(exclusive_max=[6, 5]).result().shape)
    assert shapes[1] == shapes[0]
