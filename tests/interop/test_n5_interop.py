"""n5 interop matrix: arrays written by tensorstore are read by tsexplore and the reverse, with identical
values, domains, labels and units (zarr-python cannot read n5, so tensorstore is the oracle).

Cases vary dtype x compression x chunk shape (edge chunks) x missing chunks; chunks truncated at the
array edge (as n5-java / zarr's N5Store write them) are read identically by both.
"""

from __future__ import annotations

import gzip
import itertools
import os
from typing import Any

import numpy as np
import pytest
import tensorstore

from tests.driver.chunked_harness import open_store

_COMPRESSIONS: dict[str, dict[str, Any]] = {
    "raw": {"type": "raw"},
    "gzip": {"type": "gzip", "level": 5},
    "zlib": {"type": "gzip", "useZlib": True},
    "bzip2": {"type": "bzip2", "blockSize": 3},
    "xz": {"type": "xz", "preset": 2},
    "blosc-lz4": {"type": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1},
    "blosc-zstd-bit": {"type": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2},
    "zstd": {"type": "zstd", "level": 3},
}
_DTYPES = ["uint8", "int16", "uint32", "int64", "float32", "float64", "int8", "uint64", "uint16", "int32"]
_CHUNKS = [(4, 5), (7, 3), (16, 16), (19, 23), (5, 8, 3)]


def _cases() -> list[dict[str, Any]]:
    out = []
    for k, (dt, comp) in enumerate(itertools.product(_DTYPES[:6], _COMPRESSIONS)):
        chunk = _CHUNKS[k % len(_CHUNKS)]
        shape = (19, 23) if len(chunk) == 2 else (11, 17, 5)
        out.append({"dtype": dt, "comp": comp, "chunk": chunk, "shape": shape, "id": f"{dt}-{comp}-{k}"})
    for k, dt in enumerate(_DTYPES[6:]):
        comp = list(_COMPRESSIONS)[k]
        out.append({"dtype": dt, "comp": comp, "chunk": (3, 4), "shape": (10, 9), "id": f"{dt}-{comp}-x{k}"})
    return out


CASES = _cases()


def _metadata(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "dimensions": list(case["shape"]),
        "blockSize": list(case["chunk"]),
        "dataType": case["dtype"],
        "compression": _COMPRESSIONS[case["comp"]],
        "axes": ["z", "y", "x"][-len(case["shape"]) :],
        "units": ["nm"] * len(case["shape"]),
        "resolution": [4.0] * len(case["shape"]),
        "n5": "2.5.1",
    }


def _data(case: dict[str, Any]) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(len(case["id"]))
    dt = np.dtype(case["dtype"])
    info = np.iinfo(dt) if dt.kind in "iu" else None
    if info is not None:
        return rng.integers(info.min, info.max, size=case["shape"], dtype=dt, endpoint=True)
    return (rng.standard_normal(case["shape"]) * 1e3).astype(dt)


def _region(case: dict[str, Any]) -> Any:
    shape = case["shape"]
    return tuple(slice(1, s - 1) if i == 0 else slice(s // 3, s) for i, s in enumerate(shape))  # leaves chunks missing


def _expected(case: dict[str, Any]) -> np.ndarray[Any, Any]:
    exp = np.zeros(case["shape"], dtype=case["dtype"])
    exp[_region(case)] = _data(case)[_region(case)]
    return exp


def _spec(path: str) -> dict[str, Any]:
    return {"driver": "n5", "kvstore": {"driver": "file", "path": path}}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_tensorstore_writes_tsexplore_reads(case: dict[str, Any], tmp_path: Any) -> None:
    p = str(tmp_path / "a") + "/"
    t = tensorstore.open({**_spec(p), "metadata": _metadata(case)}, create=True).result()
    t[_region(case)] = _data(case)[_region(case)]
    s = open_store(_spec(p))
    got = s[...]
    np.testing.assert_array_equal(got, _expected(case))
    assert got.dtype == t.dtype.numpy_dtype
    assert s.ts.domain.shape == t.domain.shape
    assert s.ts.domain.labels == t.domain.labels
    assert [str(u) for u in s.ts.dimension_units] == [str(u) for u in t.dimension_units]
    idx = tuple(slice(None, None, -2) if i == 0 else slice(1, None, 3) for i in range(len(case["shape"])))
    np.testing.assert_array_equal(s[idx], t[idx].read().result())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_tsexplore_writes_tensorstore_reads(case: dict[str, Any], tmp_path: Any) -> None:
    p = str(tmp_path / "b") + "/"
    s = open_store({**_spec(p), "metadata": _metadata(case)}, create=True)
    s[_region(case)] = _data(case)[_region(case)]
    t = tensorstore.open(_spec(p)).result()
    np.testing.assert_array_equal(t.read().result(), _expected(case))
    assert t.domain.labels == s.ts.domain.labels
    assert t.domain.shape == s.ts.domain.shape
    # the same chunk keys are stored (missing chunks stay missing)
    mine = sorted(k for k in tensorstore.KvStore.open({"driver": "file", "path": p}).result().list().result())
    q = str(tmp_path / "c") + "/"
    t2 = tensorstore.open({**_spec(q), "metadata": _metadata(case)}, create=True).result()
    t2[_region(case)] = _data(case)[_region(case)]
    theirs = sorted(k for k in tensorstore.KvStore.open({"driver": "file", "path": q}).result().list().result())
    assert mine == theirs


def _truncated_chunk(block: np.ndarray[Any, Any], comp: str) -> bytes:
    """An n5 chunk holding only ``block`` (shape <= blockSize), as edge-truncating writers store it."""
    head = np.array([0, block.ndim], ">u2").tobytes() + np.array(block.shape, ">u4").tobytes()
    payload = np.asarray(block, dtype=block.dtype.newbyteorder(">")).reshape(-1, order="F").tobytes()
    return head + (gzip.compress(payload) if comp == "gzip" else payload)


@pytest.mark.parametrize("comp", ["raw", "gzip"])
def test_truncated_edge_chunks_read_like_tensorstore(comp: str, tmp_path: Any) -> None:
    shape, chunk = (10, 7), (4, 3)
    p = str(tmp_path / "t") + "/"
    md = {"dimensions": list(shape), "blockSize": list(chunk), "dataType": "int32", "compression": {"type": comp}}
    tensorstore.open({**_spec(p), "metadata": md}, create=True).result()
    data = np.arange(70, dtype=np.int32).reshape(shape) - 20
    for i, j in itertools.product(range(3), range(3)):
        block = data[i * 4 : i * 4 + 4, j * 3 : j * 3 + 3]
        os.makedirs(os.path.join(p, str(i)), exist_ok=True)
        with open(os.path.join(p, str(i), str(j)), "wb") as f:
            f.write(_truncated_chunk(block, comp))
    real = tensorstore.open(_spec(p)).result().read().result()
    np.testing.assert_array_equal(real, data)  # the oracle agrees with the model
    np.testing.assert_array_equal(open_store(_spec(p))[...], real)


def test_invalid_chunks_fail_like_tensorstore(tmp_path: Any) -> None:
    p = str(tmp_path / "v") + "/"
    md = {"dimensions": [4, 4], "blockSize": [2, 2], "dataType": "uint8", "compression": {"type": "raw"}}
    tensorstore.open({**_spec(p), "metadata": md}, create=True).result()
    os.makedirs(p + "0")
    bad = {
        "short": b"\x00\x00\x00",
        "varlength": np.array([1, 2], ">u2").tobytes() + np.array([2, 2, 4], ">u4").tobytes() + b"\x01" * 4,
        "mode": np.array([3, 2], ">u2").tobytes() + np.array([2, 2], ">u4").tobytes() + b"\x01" * 4,
        "rank": np.array([0, 1], ">u2").tobytes() + np.array([4], ">u4").tobytes() + b"\x01" * 4,
        "too big": np.array([0, 2], ">u2").tobytes() + np.array([3, 2], ">u4").tobytes() + b"\x01" * 6,
    }
    for name, chunk in bad.items():
        with open(p + "0/0", "wb") as f:
            f.write(chunk)
        with pytest.raises(ValueError) as real:
            tensorstore.open(_spec(p)).result()[0:2, 0:2].read().result()
        with pytest.raises(ValueError) as mine:
            open_store(_spec(p))[0:2, 0:2]
        want = str(real.value).split(" [tensorstore_spec")[0].replace(p, "")
        got = str(mine.value).split(" [codec")[0].replace(p, "")
        assert got == want, name


def test_resize_by_tsexplore_read_by_tensorstore(tmp_path: Any) -> None:
    p = str(tmp_path / "r") + "/"
    md = {"dimensions": [10, 9], "blockSize": [4, 4], "dataType": "uint16", "compression": {"type": "gzip"}}
    t = tensorstore.open({**_spec(p), "metadata": md}, create=True).result()
    data = np.arange(90, dtype=np.uint16).reshape(10, 9) + 1
    t[...] = data
    s = open_store(_spec(p))
    s.resize(exclusive_max=[5, 12])
    real = tensorstore.open(_spec(p)).result()
    assert real.domain.shape == (5, 12)
    exp = np.zeros((5, 12), np.uint16)
    exp[:5, :9] = data[:5, :9]
    np.testing.assert_array_equal(real.read().result(), exp)
    np.testing.assert_array_equal(s[...], exp)
