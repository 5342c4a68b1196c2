"""Writing one field of a structured zarr v2 dtype (read-modify-write of the records) vs tensorstore."""

from __future__ import annotations

import base64
import pathlib
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

DTYPE = [["a", "<i4"], ["b", "<f4", [2]], ["c", "|u1"]]


def _run(mod: Any, root: pathlib.Path, fill: Any, txn: bool) -> dict[str, Any]:
    kv = {"driver": "file", "path": str(root) + "/"}
    meta = {"shape": [5, 3], "chunks": [2, 2], "dtype": DTYPE, "fill_value": fill, "compressor": None}
    spec: dict[str, Any] = {"driver": "zarr", "kvstore": kv, "metadata": meta}
    a = mod.open({**spec, "field": "a"}, create=True).result()
    b = mod.open({"driver": "zarr", "kvstore": kv, "field": "b"}).result()
    c = mod.open({"driver": "zarr", "kvstore": kv, "field": "c"}).result()
    if txn:
        t = mod.Transaction()
        a.with_transaction(t)[1:4, 0:2] = np.arange(6, dtype=np.int32).reshape(3, 2) + 1
        b.with_transaction(t)[0:2, 2] = [[1.5, 2.5], [3.5, 4.5]]
        t.commit_async().result()
    else:
        a[1:4, 0:2] = np.arange(6, dtype=np.int32).reshape(3, 2) + 1
        b[0:2, 2] = [[1.5, 2.5], [3.5, 4.5]]
    c[4, :] = 9
    c[4, :] = 0  # back to the fill (or zero) in this row only
    files = {p.name: p.read_bytes() for p in sorted(root.iterdir()) if not p.name.startswith(".")}
    return {
        "a": a.read().result().tolist(),
        "b": b.read().result().tolist(),
        "c": c.read().result().tolist(),
        "files": files,
    }


def _fill(record: tuple[Any, ...]) -> str:
    """A structured fill value as zarr v2 stores it: the record's bytes, base64."""
    dt = np.dtype([(n, t) if len(rest) == 0 else (n, t, tuple(rest[0])) for n, t, *rest in DTYPE])
    return base64.b64encode(np.array(record, dtype=dt).tobytes()).decode()


@pytest.mark.parametrize(
    "fill", [None, _fill((0, (0, 0), 0)), _fill((7, (1.0, -1.0), 3))], ids=["none", "zero", "nonzero"]
)
@pytest.mark.parametrize("txn", [False, True], ids=["direct", "transaction"])
def test_field_writes_match_tensorstore(tmp_path: pathlib.Path, fill: Any, txn: bool) -> None:
    expected = _run(real_ts, tmp_path / "real", fill, txn)
    got = _run(ts, tmp_path / "ours", fill, txn)
    assert got == expected
