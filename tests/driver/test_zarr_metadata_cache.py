"""``recheck_cached_metadata`` / ``assume_cached_metadata``: the metadata cache of a ``cache_pool``.

Each case opens an array in a context, changes its metadata from another context (resize), then
opens it again in the first context; the shape seen must be tensorstore's.
"""

from __future__ import annotations

import gc
import itertools
import pathlib
from typing import Any

import pytest
import tensorstore as real_ts

import tsexplore as ts

MATRIX = list(itertools.product([0, 1 << 20], [True, False], [False, "open", True, None, 0, 2e9]))


def _scenario(mod: Any, root: pathlib.Path, limit: int, hold: bool, recheck: Any, *, kind: str) -> Any:
    spec = {"driver": kind, "kvstore": {"driver": "file", "path": str(root) + "/"}}
    ctx = mod.Context({"cache_pool": {"total_bytes_limit": limit}})
    mod.open(spec, create=True, dtype="uint8", shape=[4, 4]).result()
    a = mod.open(spec, context=ctx).result()
    if not hold:
        del a
        gc.collect()
    mod.open(spec).result().resize(exclusive_max=[6, 6]).result()  # from another context
    kw = {} if recheck is None else {"recheck_cached_metadata": recheck}
    b = mod.open(spec, context=ctx, **kw).result()
    c = mod.open(spec, context=ctx, recheck_cached=False).result()
    return (b.shape, c.shape)


@pytest.mark.parametrize(("limit", "hold", "recheck"), MATRIX)
@pytest.mark.parametrize("kind", ["zarr3", "zarr"])
def test_recheck_cached_metadata_matches_tensorstore(
    tmp_path: pathlib.Path, limit: int, hold: bool, recheck: Any, kind: str
) -> None:
    expected = _scenario(real_ts, tmp_path / "real", limit, hold, recheck, kind=kind)
    assert _scenario(ts, tmp_path / "ours", limit, hold, recheck, kind=kind) == expected


@pytest.mark.parametrize("cached", [True, False])
@pytest.mark.parametrize(
    "kw", [{"dtype": "uint8", "shape": [5, 5]}, {"dtype": "int16", "shape": [4, 4]}, {"dtype": "uint8"}]
)
def test_assume_cached_metadata(tmp_path: pathlib.Path, cached: bool, kw: dict[str, Any]) -> None:
    """tensorstore 0.1.86 assumes the metadata the spec implies (the cache is not consulted)."""
    out = []
    for mod, root in ((real_ts, tmp_path / "real"), (ts, tmp_path / "ours")):
        spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(root) + "/"}}
        ctx = mod.Context({"cache_pool": {"total_bytes_limit": 1 << 20}})
        mod.open(spec, create=True, dtype="uint8", shape=[4, 4]).result()
        if cached:
            mod.open(spec, context=ctx).result()
        mod.open(spec).result().resize(exclusive_max=[6, 6]).result()
        try:
            s = mod.open(spec, context=ctx, assume_cached_metadata=True, **kw).result()
        except ValueError as e:
            out.append(str(e).split(" [")[0])
        else:
            out.append((s.shape, s.dtype.name))
    assert out[1] == out[0]
