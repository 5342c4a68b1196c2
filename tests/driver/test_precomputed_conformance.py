"""neuroglancer_precomputed (raw, compressed_segmentation) runs the chunked-driver conformance checks.

The shared checks use rank-2 arrays with origin 0; a precomputed scale is rank 4 with its origin
at ``voxel_offset``, so the arrays here are ``size = (*shape, 1)`` volumes with one channel, seen
through ``[x, y, z0, 0]`` translated to origin 0.  Resizing (explicit bounds) and implicit-bound
checks do not apply to this format; its own create/open/error behaviour is in test_precomputed.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tsexplore as ts
from tests.driver import conformance as c
from tests.driver.chunked_harness import Store
from tsexplore import status

# (Case, voxel_offset, encoding)
CASES = [
    (c.Case("neuroglancer_precomputed", dtype="int16", fill=None, chunk=(4, 5)), (0, 0, 0), "raw"),
    (c.Case("neuroglancer_precomputed", dtype="float32", fill=None, chunk=(8, 3)), (5, -3, 2), "raw"),
    (c.Case("neuroglancer_precomputed", dtype="uint32", fill=None, chunk=(4, 6)), (1, 2, 3), "compressed_segmentation"),
]
ids = [f"{k}-{case[2]}-{case[0]}" for k, case in enumerate(CASES)]


def _view(store: Any, offset: tuple[int, int, int]) -> Store:
    return Store(store[ts.d["z", "channel"][offset[2], 0]][ts.d["x", "y"].translate_to[0]])


@pytest.fixture(params=CASES, ids=ids)
def case(request: Any, monkeypatch: pytest.MonkeyPatch) -> c.Case:
    cs, offset, encoding = request.param

    def make(case: c.Case, path: str, shape: tuple[int, ...] = (13, 17), *, context: Any = None, **kw: Any) -> Store:
        spec = {
            "driver": "neuroglancer_precomputed",
            "kvstore": {"driver": "file", "path": path},
            "multiscale_metadata": {"data_type": case.dtype, "num_channels": 1},
            "scale_metadata": {
                "size": [*shape, 1], "voxel_offset": list(offset), "chunk_size": [*case.chunk, 1],
                "resolution": [1, 1, 1], "encoding": encoding,
            },
        }
        opts: dict[str, Any] = {"create": True, **kw}
        if context is not None:
            opts["context"] = context
        return _view(ts.open(spec, **opts).result(), offset)

    def reopen(case: c.Case, path: str, **kw: Any) -> Store:
        spec = {"driver": "neuroglancer_precomputed", "kvstore": {"driver": "file", "path": path}}
        return _view(ts.open(spec, **kw).result(), offset)

    monkeypatch.setattr(c, "make", make)
    monkeypatch.setattr(c, "reopen", reopen)
    return cs


@pytest.mark.parametrize("seed", range(3))
def test_random_transforms(case: c.Case, tmp_path: Any, seed: int) -> None:
    c.check_random_transforms(case, tmp_path, seed)


def test_missing_and_fill(case: c.Case, tmp_path: Any) -> None:
    c.check_missing_and_fill(case, tmp_path)
    # tensorstore stores no chunk equal to zero (the implied fill value)
    s = c.make(case, str(tmp_path / "z") + "/")
    s[0:2, 0:2] = 1
    s[0:2, 0:2] = 0
    assert [k for k in s.ts.kvstore.list().result() if k != b"info"] == []


@pytest.mark.parametrize("limit", [0, 1 << 20])
def test_cache(case: c.Case, tmp_path: Any, limit: int) -> None:
    c.check_cache(case, tmp_path, limit)


def test_concurrent_disjoint(case: c.Case, tmp_path: Any) -> None:
    c.check_concurrent_disjoint(case, tmp_path)


def test_corrupt_chunk(case: c.Case, tmp_path: Any) -> None:
    p = str(tmp_path / "k") + "/"
    s = c.make(case, p)
    s[...] = 5
    fmt = s.driver.chunk_fmt
    key = fmt.key((0, 0, 0, 0))
    with open(p + key, "wb") as f:
        f.write(b"garbage")
    with pytest.raises(status.StatusError) as e:
        s[...]
    assert key in str(e.value)
    assert (s[fmt.chunk_shape[0] :, :] == 5).all()


def test_transaction_edge_chunks(case: c.Case, tmp_path: Any) -> None:
    """Staged partial writes of truncated edge chunks commit to the right keys."""
    p = str(tmp_path / "t") + "/"
    s = c.make(case, p)
    model = np.zeros((13, 17), dtype=case.dtype)
    s[...] = model + 3
    model[...] = 3
    txn = ts.Transaction()
    view = s.ts.with_transaction(txn)
    view[10:13, 15:17] = np.full((3, 2), 9, dtype=case.dtype)
    view[0:2, 0:2] = np.full((2, 2), 8, dtype=case.dtype)
    txn.commit_async().result()
    model[10:13, 15:17] = 9
    model[0:2, 0:2] = 8
    np.testing.assert_array_equal(c.reopen(case, p)[...], model)
