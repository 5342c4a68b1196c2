"""neuroglancer_precomputed volumes written by real tensorstore are read by tsexplore, and the reverse.

Each case is one scale (or a second scale added to a volume): values, domain, labels, units and
the stored ``info`` must agree; raw and compressed-segmentation chunks are compared exactly,
jpeg within a tolerance (and tsexplore decodes tensorstore's own jpeg bytes exactly as Pillow does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tsexplore as ts

tensorstore = pytest.importorskip("tensorstore")

# (dtype, channels, encoding, size, offset, chunk, extra scale members)
CASES: list[tuple[str, int, str, tuple[int, int, int], tuple[int, int, int], tuple[int, int, int], dict[str, Any]]] = [
    ("uint8", 1, "raw", (20, 15, 7), (0, 0, 0), (8, 8, 4), {}),
    ("uint16", 2, "raw", (10, 7, 5), (1, 2, 3), (4, 4, 2), {}),
    ("int16", 1, "raw", (9, 9, 9), (-5, 3, 100), (4, 5, 3), {}),
    ("float32", 3, "raw", (12, 6, 4), (7, 0, 2), (5, 6, 4), {}),
    ("int32", 1, "raw", (16, 16, 3), (0, 0, 0), (16, 16, 3), {}),
    ("uint64", 1, "raw", (11, 13, 2), (4, 4, 4), (6, 6, 1), {}),
    ("uint32", 1, "compressed_segmentation", (20, 18, 9), (3, 1, 0), (10, 9, 9), {}),
    ("uint64", 2, "compressed_segmentation", (17, 12, 5), (0, 5, 1), (8, 8, 5), {}),
    ("uint32", 1, "compressed_segmentation", (13, 11, 7), (0, 0, 0), (13, 11, 7),
     {"compressed_segmentation_block_size": [4, 3, 2]}),
    ("uint8", 1, "png", (16, 10, 4), (2, 2, 2), (8, 5, 4), {}),
    ("uint8", 3, "png", (9, 8, 3), (0, 0, 0), (4, 8, 3), {}),
    ("uint16", 1, "png", (9, 8, 3), (0, 1, 0), (4, 4, 3), {}),
    ("uint8", 1, "jpeg", (16, 16, 2), (0, 0, 0), (16, 16, 2), {"jpeg_quality": 95}),
    ("uint8", 3, "jpeg", (24, 16, 2), (8, 0, 0), (8, 16, 1), {}),
]
IDS = [f"{c[0]}x{c[1]}-{c[2]}-{'x'.join(map(str, c[5]))}" for c in CASES]


def _spec(path: Path, case: Any, resolution: tuple[float, float, float] = (4.0, 4.0, 40.0)) -> dict[str, Any]:
    dtype, channels, enc, size, offset, chunk, extra = case
    return {
        "driver": "neuroglancer_precomputed",
        "kvstore": {"driver": "file", "path": str(path) + "/"},
        "multiscale_metadata": {"data_type": dtype, "num_channels": channels},
        "scale_metadata": {
            "size": list(size), "voxel_offset": list(offset), "chunk_size": list(chunk),
            "resolution": list(resolution), "encoding": enc, **extra,
        },
    }


def _data(case: Any, seed: int) -> np.ndarray[Any, Any]:
    dtype, channels, enc, size, _, _, _ = case
    rng = np.random.default_rng(seed)
    shape = (*size, channels)
    if enc == "jpeg":  # smooth data so lossy coding stays close
        x = np.arange(size[0])[:, None, None, None]
        y = np.arange(size[1])[None, :, None, None]
        z = np.arange(size[2])[None, None, :, None]
        c = np.arange(channels)[None, None, None, :]
        return np.asarray(20 + 2 * x + 2 * y + 10 * z + 40 * c, dtype=np.uint8)
    if enc == "compressed_segmentation":  # few labels per block, some large ids
        labels = np.array([0, 7, 2**31 + 5, 12345], dtype=np.uint64)
        if dtype == "uint64":
            labels[3] = 2**40 + 3
        return labels[rng.integers(0, 4, size=shape)].astype(dtype)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(np.dtype(dtype))
    return rng.integers(max(info.min, -1000), min(info.max, 60000), size=shape, endpoint=True).astype(dtype)


def _check(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], enc: str) -> None:
    if enc == "jpeg":
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 8
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tensorstore_writes_tsexplore_reads(tmp_path: Path, case: Any) -> None:
    data = _data(case, 1)
    spec = _spec(tmp_path, case)
    src = tensorstore.open(spec, create=True).result()
    src.write(data).result()
    dst = ts.open({"driver": "neuroglancer_precomputed", "kvstore": spec["kvstore"]}).result()
    assert dst.domain.inclusive_min == src.domain.inclusive_min
    assert dst.domain.exclusive_max == src.domain.exclusive_max
    assert dst.domain.labels == src.domain.labels == ("x", "y", "z", "channel")
    assert [str(u) for u in dst.dimension_units] == [str(u) for u in src.dimension_units]
    expect = src.read().result()
    if case[2] == "jpeg":
        np.testing.assert_array_equal(dst.read().result(), expect)  # same decoder output as tensorstore
    else:
        np.testing.assert_array_equal(dst.read().result(), expect)
    _check(expect, data, case[2])
    # a strided, offset sub-box
    lo = [o + s // 3 for o, s in zip(case[4], case[3])]
    np.testing.assert_array_equal(
        dst[lo[0] :: 2, lo[1] :, lo[2]].read().result(), src[lo[0] :: 2, lo[1] :, lo[2]].read().result()
    )
    assert json.dumps(dst.spec().to_json()) == json.dumps(src.spec().to_json()).replace(
        json.dumps(src.spec().to_json()["kvstore"]), json.dumps(dst.spec().to_json()["kvstore"])
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tsexplore_writes_tensorstore_reads(tmp_path: Path, case: Any) -> None:
    data = _data(case, 2)
    spec = _spec(tmp_path / "a", case)
    dst = ts.open(spec, create=True).result()
    dst.write(data).result()
    src = tensorstore.open({"driver": "neuroglancer_precomputed", "kvstore": spec["kvstore"]}).result()
    assert src.domain == tensorstore.IndexDomain(json=dst.domain.to_json())
    got = src.read().result()
    _check(got, data, case[2])
    np.testing.assert_array_equal(got, dst.read().result())
    # info and (raw / compressed_segmentation) chunk bytes equal to tensorstore's for the same data
    twin = _spec(tmp_path / "b", case)
    ref = tensorstore.open(twin, create=True).result()
    ref.write(data).result()
    a, b = tmp_path / "a", tmp_path / "b"
    assert json.loads((a / "info").read_text()) == json.loads((b / "info").read_text())
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if case[2] == "raw":
        for f in files_a:
            assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_multiscale_both_ways(tmp_path: Path) -> None:
    """A second scale added by each library to the other's volume; each opens every scale."""
    base = CASES[1]
    coarse = ("uint16", 2, "raw", (5, 4, 3), (0, 1, 1), (3, 3, 3), {})
    d1, d2 = _data(base, 3), _data(coarse, 4)
    for first, second in ((tensorstore, ts), (ts, tensorstore)):
        path = tmp_path / first.__name__
        first.open(_spec(path, base, (4.0, 4.0, 40.0)), create=True).result().write(d1).result()
        second.open(_spec(path, coarse, (8.0, 8.0, 40.0)), create=True).result().write(d2).result()
        kv = {"driver": "file", "path": str(path) + "/"}
        for lib in (ts, tensorstore):
            for index, (case, data) in enumerate(((base, d1), (coarse, d2))):
                s = lib.open({"driver": "neuroglancer_precomputed", "kvstore": kv, "scale_index": index}).result()
                assert list(s.domain.inclusive_min) == [*case[4], 0]
                np.testing.assert_array_equal(s.read().result(), data)
            by_key = lib.open(
                {"driver": "neuroglancer_precomputed", "kvstore": kv, "scale_metadata": {"key": "8_8_40"}}
            ).result()
            np.testing.assert_array_equal(by_key.read().result(), d2)
        info = json.loads((path / "info").read_text())
        assert [s["key"] for s in info["scales"]] == ["4_4_40", "8_8_40"]
