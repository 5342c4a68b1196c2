"""zarr / zarr3 through ``ts.open``: spec JSON, stored metadata and open errors equal real tensorstore's."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pytest
import tensorstore

import tsexplore as ts

OPEN_KW: list[dict[str, Any]] = [
    {"dtype": "float32", "shape": [3, 100, 200], "chunk_shape": [1, 50, 50], "dimension_units": ["", "4nm", "4nm"]},
    {"dtype": "int16", "shape": [30, 40], "chunk_shape": [8, 8]},
    {"dtype": "uint8", "shape": [100, 100], "write_chunk_shape": [50, 50], "read_chunk_shape": [10, 10]},
]


def _open(mod: Any, driver: str, path: str, kw: dict[str, Any]) -> Any:
    kw = dict(kw)
    layout = {k: kw.pop(k) for k in ("chunk_shape", "write_chunk_shape", "read_chunk_shape") if k in kw}
    return mod.open(
        {"driver": driver, "kvstore": {"driver": "file", "path": path}},
        create=True,
        chunk_layout=mod.ChunkLayout(**layout),
        **kw,
    ).result()


@pytest.mark.parametrize("driver", ["zarr3", "zarr"])
@pytest.mark.parametrize("k", range(len(OPEN_KW)))
def test_spec_and_metadata_match_tensorstore(driver: str, k: int, tmp_path: Any) -> None:
    kw = OPEN_KW[k]
    if driver == "zarr" and ("dimension_units" in kw or "read_chunk_shape" in kw):
        pytest.skip("not representable in zarr v2")
    os.chdir(tmp_path)
    mine = _open(ts, driver, "a/", kw)
    real = _open(tensorstore, driver, "b/", kw)
    key = "zarr.json" if driver == "zarr3" else ".zarray"
    assert (tmp_path / "a" / key).read_text() == (tmp_path / "b" / key).read_text()
    a, b = mine.spec().to_json(), real.spec().to_json()
    a["kvstore"]["path"] = b["kvstore"]["path"]
    assert a == b
    a, b = mine.spec(minimal_spec=True).to_json(), real.spec(minimal_spec=True).to_json()
    a["kvstore"]["path"] = b["kvstore"]["path"]
    assert a == b
    data = np.arange(int(np.prod(kw["shape"]))).reshape(kw["shape"]).astype(kw["dtype"])
    mine.write(data).result()
    np.testing.assert_array_equal(
        tensorstore.open({"driver": driver, "kvstore": {"driver": "file", "path": "a/"}}).result().read().result(), data
    )


BAD3 = {
    "shape": None,
    "data_type": "foo",
    "zarr_format": 2,
    "bogus": 1,
    "codecs": [{"name": "lzma"}],
    "node_type": "group",
    "fill_value": "x",
    "dimension_names": ["a"],
}


@pytest.mark.parametrize("member", list(BAD3))
def test_invalid_zarr_json_error_matches(member: str, tmp_path: Any) -> None:
    good = {
        "chunk_grid": {"configuration": {"chunk_shape": [5, 5]}, "name": "regular"},
        "chunk_key_encoding": {"name": "default"},
        "codecs": [{"configuration": {"endian": "little"}, "name": "bytes"}],
        "data_type": "float32",
        "fill_value": 0.0,
        "node_type": "array",
        "shape": [10, 10],
        "zarr_format": 3,
    }
    bad = dict(good)
    if BAD3[member] is None:
        del bad[member]
    else:
        bad[member] = BAD3[member]
    os.makedirs(tmp_path / "x")
    (tmp_path / "x" / "zarr.json").write_text(json.dumps(bad))
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "x") + "/"}}
    with pytest.raises(ValueError) as real:
        tensorstore.open(spec).result()
    with pytest.raises(ValueError) as mine:
        ts.open(spec).result()
    assert str(mine.value).split(" [tensorstore_spec")[0] == str(real.value).split(" [tensorstore_spec")[0]
