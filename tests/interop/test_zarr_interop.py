"""Interop matrix: arrays written by tensorstore and zarr-python are read by tsexplore, and arrays
written by tsexplore are read by tensorstore and zarr-python, with identical values, shapes and labels.

Cases vary dtype x codecs x sharding x chunk shape x missing chunks x fill value x order.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import tensorstore
import zarr

from tests.driver.chunked_harness import open_store

_BYTES = {"name": "bytes", "configuration": {"endian": "little"}}
_BIG = {"name": "bytes", "configuration": {"endian": "big"}}
_CODECS3 = {
    "raw": [_BYTES],
    "big": [_BIG],
    "blosc": [_BYTES, {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}}],
    "zstd": [_BYTES, {"name": "zstd", "configuration": {"level": 3}}],
    "gzip+crc": [_BYTES, {"name": "gzip", "configuration": {"level": 5}}, {"name": "crc32c"}],
    "transpose": [{"name": "transpose", "configuration": {"order": [1, 0]}}, _BYTES],
}
_COMP2 = {
    "blosc": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
    "zlib": {"id": "zlib", "level": 1},
    "none": None,
    "zstd": {"id": "zstd", "level": 1},
}


def _cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    dtypes = ["uint8", "int16", "float32", "float64", "int64", "uint32"]
    chunks = [(4, 5), (7, 3), (16, 16)]
    for k, (dt, codec, sharded) in enumerate(itertools.product(dtypes, list(_CODECS3), [False, True])):
        if sharded and codec == "transpose":
            continue
        chunk = chunks[k % 3]
        fill = [0, 3, None][k % 3]
        codecs = _CODECS3[codec]
        if sharded:
            codecs = [{"name": "sharding_indexed", "configuration": {"chunk_shape": list(chunk), "codecs": codecs}}]
            chunk = (chunk[0] * 2, chunk[1] * 3)
        out.append(
            {
                "driver": "zarr3",
                "dtype": dt,
                "codecs": codecs,
                "chunk": chunk,
                "fill": fill,
                "names": k % 2 == 0,
                "id": f"z3-{dt}-{codec}-{'sh' if sharded else 'ns'}-{k}",
            }
        )
    for k, (dt, comp, order) in enumerate(itertools.product(["uint8", "int32", "float32", "<f8", ">i2"], _COMP2, "CF")):
        out.append(
            {
                "driver": "zarr",
                "dtype": dt,
                "compressor": _COMP2[comp],
                "order": order,
                "chunk": chunks[k % 3],
                "fill": [None, 0, 5][k % 3],
                "id": f"z2-{dt}-{comp}-{order}-{k}",
            }
        )
    return out


CASES = _cases()
SHAPE = (19, 23)


def _metadata(case: dict[str, Any]) -> dict[str, Any]:
    if case["driver"] == "zarr3":
        md: dict[str, Any] = {
            "zarr_format": 3,
            "node_type": "array",
            "shape": list(SHAPE),
            "data_type": case["dtype"],
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(case["chunk"])}},
            "chunk_key_encoding": {"name": "default"},
            "codecs": case["codecs"],
            "fill_value": case["fill"] if case["fill"] is not None else 0,
        }
        if case["names"]:
            md["dimension_names"] = ["y", "x"]
        return md
    dt = case["dtype"]
    dt = np.dtype(dt).str
    return {
        "zarr_format": 2,
        "shape": list(SHAPE),
        "chunks": list(case["chunk"]),
        "dtype": dt,
        "compressor": case["compressor"],
        "fill_value": case["fill"],
        "order": case["order"],
        "filters": None,
    }


def _data(case: dict[str, Any]) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(len(case["id"]))
    dt = np.dtype(case["dtype"]).newbyteorder("=")
    return rng.integers(0, 100, size=SHAPE).astype(dt)


def _region() -> Any:
    return np.s_[2:11, 1:14]  # leaves chunks missing


def _expected(case: dict[str, Any]) -> np.ndarray[Any, Any]:
    fill = case["fill"] if case["fill"] is not None else 0
    exp = np.full(SHAPE, fill, dtype=np.dtype(case["dtype"]).newbyteorder("="))
    exp[_region()] = _data(case)[_region()]
    return exp


def _spec(case: dict[str, Any], path: str) -> dict[str, Any]:
    return {"driver": case["driver"], "kvstore": {"driver": "file", "path": path}}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_tensorstore_writes_tsexplore_reads(case: dict[str, Any], tmp_path: Any) -> None:
    p = str(tmp_path / "a") + "/"
    t = tensorstore.open({**_spec(case, p), "metadata": _metadata(case)}, create=True).result()
    t[_region()] = _data(case)[_region()]
    s = open_store(_spec(case, p))
    got = s[...]
    np.testing.assert_array_equal(got, _expected(case))
    assert got.dtype == t.dtype.numpy_dtype
    assert s.driver.domain().shape == t.domain.shape
    assert s.driver.domain().labels == t.domain.labels
    np.testing.assert_array_equal(s[3:9:2, 20:4:-3], t[3:9:2, 20:4:-3].read().result())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_tsexplore_writes_others_read(case: dict[str, Any], tmp_path: Any) -> None:
    p = str(tmp_path / "b") + "/"
    s = open_store({**_spec(case, p), "metadata": _metadata(case)}, create=True)
    s[_region()] = _data(case)[_region()]
    t = tensorstore.open(_spec(case, p)).result()
    np.testing.assert_array_equal(t.read().result(), _expected(case))
    assert t.domain.labels == s.driver.domain().labels
    z = zarr.open_array(p, mode="r")
    np.testing.assert_array_equal(z[...], _expected(case))


ZCASES = [c for c in CASES if c["driver"] == "zarr3" and c["dtype"] in ("int16", "float32")][:10] + [
    c for c in CASES if c["driver"] == "zarr"
][:6]


@pytest.mark.parametrize("case", ZCASES, ids=[c["id"] for c in ZCASES])
def test_zarr_python_writes_tsexplore_reads(case: dict[str, Any], tmp_path: Any) -> None:
    p = str(tmp_path / "c") + "/"
    t = tensorstore.open({**_spec(case, p), "metadata": _metadata(case)}, create=True).result()
    del t  # tensorstore writes the metadata; zarr-python writes the chunks
    z = zarr.open_array(p, mode="r+")
    z[_region()] = _data(case)[_region()]
    got = open_store(_spec(case, p))[...]
    np.testing.assert_array_equal(got, _expected(case))
