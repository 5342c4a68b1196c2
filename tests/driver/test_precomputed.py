"""neuroglancer_precomputed: spec JSON, schema, defaults and error texts compared with real tensorstore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tsexplore as ts
from tsexplore.codec import precomputed as pc

tensorstore = pytest.importorskip("tensorstore")

SCALE = {"size": [10, 7, 5], "voxel_offset": [1, 2, 3], "chunk_size": [4, 4, 2], "resolution": [4, 5, 6]}


def _base(path: Path) -> dict[str, Any]:
    return {"driver": "neuroglancer_precomputed", "kvstore": {"driver": "file", "path": str(path) + "/"}}


def _both(fn: Any) -> tuple[Any, Any]:
    """``fn(lib)`` for tensorstore and tsexplore: the results, or the error texts (spec note stripped)."""
    out = []
    for lib in (tensorstore, ts):
        try:
            out.append(fn(lib))
        except (ValueError, TypeError) as e:
            kind = "ValueError" if isinstance(e, ValueError) else "TypeError"
            out.append((kind, str(e).split(" [tensorstore_spec=")[0].replace(lib.__name__, "LIB")))
    return out[0], out[1]


def _kv_free(j: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in j.items() if k != "kvstore"}


@pytest.mark.parametrize(
    "scale",
    [
        {**SCALE, "encoding": "raw"},
        {**SCALE, "encoding": "compressed_segmentation"},
        {**SCALE, "encoding": "compressed_segmentation", "compressed_segmentation_block_size": [2, 2, 1]},
        {"size": [30, 20, 4], "chunk_size": [16, 16, 4], "resolution": [8, 8, 40], "encoding": "jpeg",
         "jpeg_quality": 80},
        {"size": [30, 20, 4], "resolution": [8, 8, 40], "encoding": "png", "key": "custom"},
    ],
)
def test_created_volume_matches(tmp_path: Path, scale: dict[str, Any]) -> None:
    dtype = "uint8" if scale["encoding"] in ("jpeg", "png") else "uint32"
    multi = {"data_type": dtype, "num_channels": 1}

    def make(lib: Any) -> Any:
        p = tmp_path / lib.__name__
        s = lib.open({**_base(p), "scale_metadata": scale, "multiscale_metadata": multi}, create=True).result()
        return s, json.loads((p / "info").read_text())

    (a, ia), (b, ib) = _both(make)
    assert ia == ib
    for opts in ({}, {"minimal_spec": True}):
        assert _kv_free(a.spec(**opts).to_json()) == _kv_free(b.spec(**opts).to_json())
    assert b.domain.to_json() == a.domain.to_json()
    assert json.loads(json.dumps(b.chunk_layout.to_json())) == a.chunk_layout.to_json()
    assert b.codec.to_json() == a.codec.to_json()
    assert [str(u) for u in b.dimension_units] == [str(u) for u in a.dimension_units]
    assert a.fill_value is None and b.fill_value is None


@pytest.mark.parametrize(
    "kw",
    [
        {"dtype": "uint32", "shape": [100, 50, 20, 1]},
        {"dtype": "uint8", "shape": [1000, 1000, 100, 1]},
        {"dtype": "uint16", "shape": [300, 200, 100, 3]},
        {"dtype": "float32", "shape": [64, 64, 64, 1], "chunk_layout": {"read_chunk": {"shape": [16, 16, 16, 1]}}},
        {"dtype": "uint64", "domain": {"inclusive_min": [5, 6, 7, 0], "exclusive_max": [35, 26, 17, 1]}},
    ],
)
def test_default_metadata(tmp_path: Path, kw: dict[str, Any]) -> None:
    def make(lib: Any) -> Any:
        p = tmp_path / lib.__name__
        args = dict(kw)
        if "chunk_layout" in args:
            args["chunk_layout"] = lib.ChunkLayout(args["chunk_layout"])
        if "domain" in args:
            args["domain"] = lib.IndexDomain(**args["domain"])
        lib.open(_base(p), create=True, **args).result()
        return json.loads((p / "info").read_text())

    a, b = _both(make)
    assert a == b


def test_errors_match(tmp_path: Path) -> None:
    p = tmp_path / "v"
    spec = {**_base(p), "scale_metadata": {**SCALE, "encoding": "raw"},
            "multiscale_metadata": {"data_type": "uint8", "num_channels": 1}}
    tensorstore.open(spec, create=True).result()
    base = _base(p)
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({**base, "scale_index": 1}, {}),
        ({**base, "scale_index": -1}, {}),
        ({**base, "scale_metadata": {"key": "zz"}}, {}),
        ({**base, "scale_metadata": {"encoding": "jpeg"}}, {}),
        ({**base, "scale_metadata": {"encoding": "foo"}}, {}),
        ({**base, "scale_metadata": {"size": [10, 7, 6]}}, {}),
        ({**base, "multiscale_metadata": {"data_type": "uint16"}}, {}),
        ({**base, "multiscale_metadata": {"num_channels": 2}}, {}),
        ({**base, "bogus": 1}, {}),
        (base, {"dtype": "float32"}),
        (spec, {"create": True}),
        ({**_base(tmp_path / "missing")}, {}),
        ({**base, "scale_metadata": {"voxel_offset": [1, 2, 3]}}, {}),
        ({**base, "scale_metadata": {"encoding": "raw", "jpeg_quality": 3}}, {}),
    ]
    for s, kw in cases:
        a, b = _both(lambda lib, s=s, kw=kw: lib.open(s, **kw).result().domain.to_json())
        assert a == b, (s, kw)


def test_add_scale_and_open_by_resolution(tmp_path: Path) -> None:
    def run(lib: Any) -> Any:
        p = tmp_path / lib.__name__
        multi = {"data_type": "uint8", "num_channels": 1}
        lib.open({**_base(p), "scale_metadata": {**SCALE}, "multiscale_metadata": multi}, create=True).result()
        lib.open({**_base(p), "scale_metadata": {"size": [5, 4, 5], "resolution": [8, 10, 6]}},
                 create=True, dtype=lib.uint8).result()
        s = lib.open(_base(p), dimension_units=["8nm", "10nm", None, None]).result()
        dup = None
        try:
            lib.open({**_base(p), "scale_metadata": {"size": [5, 4, 5], "resolution": [8, 10, 6]}},
                     create=True).result()
        except ValueError as e:
            dup = str(e).split(" [tensorstore_spec=")[0].replace(lib.__name__, "LIB")
        return s.domain.to_json(), json.loads((p / "info").read_text()), dup

    a, b = _both(run)
    assert a == b


def test_compressed_segmentation_bytes(tmp_path: Path) -> None:
    """Chunks decode from tensorstore's bytes; tsexplore's own bytes decode back (both ways via tensorstore)."""
    rng = np.random.default_rng(0)
    vals = np.array([3, 3, 9, 2**33 + 1, 70000], dtype=np.uint64)
    data = vals[rng.integers(0, 5, size=(2, 9, 10, 11))]  # (c, z, y, x)
    for bs in [(4, 4, 4), (3, 5, 2), (11, 10, 9)]:
        enc = pc.encode_compressed_segmentation(data, bs)
        np.testing.assert_array_equal(pc.decode_compressed_segmentation(enc, data.shape, data.dtype, bs), data)
    one = np.full((1, 4, 4, 4), 5, dtype=np.uint32)
    assert pc.decode_compressed_segmentation(pc.encode_compressed_segmentation(one, (2, 2, 2)), one.shape,
                                             one.dtype, (2, 2, 2)).tolist() == one.tolist()
