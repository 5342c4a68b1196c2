"""n5 through ``ts.open``: stored ``attributes.json``, spec JSON, layout/codec/units and error texts equal
real tensorstore's."""

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
    {"dtype": "uint8", "shape": [100, 100]},
    {"dtype": "int8", "shape": [4000, 3000]},
    {"dtype": "uint64", "shape": [7], "dimension_units": ["2.5s"], "metadata": {"resolution": [2.5]}},
    {"dtype": "int32", "shape": [], "metadata": {"compression": {"type": "raw"}}},
    {"dtype": "float64", "shape": [6, 5], "metadata": {"compression": {"type": "gzip"}, "foo": {"b": [1]}}},
    {"metadata": {"dimensions": [5, 6], "dataType": "uint16", "axes": ["y", "x"], "compression": {"type": "xz"}}},
    {"metadata": {"dimensions": [5], "blockSize": [2], "dataType": "int64", "compression": {"type": "bzip2"}}},
    {"dtype": "uint32", "shape": [9, 9], "codec": {"driver": "n5", "compression": {"type": "zstd"}}},
    {"dtype": "uint32", "shape": [9, 9], "read_chunk_shape": [3, 4]},
    {"dtype": "float32", "domain": {"labels": ["a", "b"], "shape": [3, 4]}},
    {"dtype": "int16", "shape": [4, 5], "metadata": {"resolution": [2, 3], "units": ["nm", "um"]}},
]


def _open(mod: Any, path: str, kw: dict[str, Any], **extra: Any) -> Any:
    kw = dict(kw)
    spec: dict[str, Any] = {"driver": "n5", "kvstore": {"driver": "file", "path": path}}
    if "metadata" in kw:
        spec["metadata"] = kw.pop("metadata")
    layout = {k: kw.pop(k) for k in ("chunk_shape", "write_chunk_shape", "read_chunk_shape") if k in kw}
    if layout:
        kw["chunk_layout"] = mod.ChunkLayout(**layout)
    if "codec" in kw:
        kw["codec"] = mod.CodecSpec(kw["codec"])
    if "domain" in kw:
        kw["domain"] = mod.IndexDomain(**kw["domain"])
    return mod.open(spec, **kw, **extra).result()


def _same_spec(a: dict[str, Any], b: dict[str, Any]) -> None:
    a["kvstore"]["path"] = b["kvstore"]["path"]
    assert a == b


@pytest.mark.parametrize("k", range(len(OPEN_KW)))
def test_create_matches_tensorstore(k: int, tmp_path: Any) -> None:
    kw = OPEN_KW[k]
    os.chdir(tmp_path)
    mine = _open(ts, "a/", kw, create=True)
    real = _open(tensorstore, "b/", kw, create=True)
    assert (tmp_path / "a" / "attributes.json").read_text() == (tmp_path / "b" / "attributes.json").read_text()
    _same_spec(mine.spec().to_json(), real.spec().to_json())
    _same_spec(mine.spec(minimal_spec=True).to_json(), real.spec(minimal_spec=True).to_json())
    assert str(mine.domain) == str(real.domain)
    assert mine.chunk_layout.to_json() == real.chunk_layout.to_json()
    assert mine.codec.to_json() == real.codec.to_json()
    assert [str(u) for u in mine.dimension_units] == [str(u) for u in real.dimension_units]
    assert mine.fill_value is None and real.fill_value is None
    shape = tuple(real.domain.shape)
    data = (np.arange(int(np.prod(shape))) % 120).reshape(shape).astype(real.dtype.numpy_dtype)
    mine.write(data).result()
    got = tensorstore.open({"driver": "n5", "kvstore": {"driver": "file", "path": "a/"}}).result().read().result()
    np.testing.assert_array_equal(got, data)
    reopened = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": "b/"}}).result()
    _same_spec(reopened.spec().to_json(), real.spec().to_json())


def _error(mod: Any, spec: dict[str, Any], kw: dict[str, Any]) -> str:
    with pytest.raises(ValueError) as e:
        _open(mod, spec["kvstore"]["path"], {**kw, "metadata": spec.get("metadata", {})}, **spec.get("open", {}))
    return str(e.value).split(" [tensorstore_spec")[0]


CREATE_ERRORS: list[dict[str, Any]] = [
    {"dtype": "bool", "shape": [4]},
    {"dtype": "complex64", "shape": [4]},
    {"dtype": "int8", "shape": [4], "fill_value": 0},
    {"metadata": {"dataType": "int8", "blockSize": [4]}},
    {"metadata": {"dimensions": [4], "blockSize": [4]}},
    {"metadata": {"dimensions": [4], "blockSize": [4]}, "dtype": "int8", "shape": [5]},
    {"metadata": {"dimensions": [4], "dataType": "int8", "resolution": [3]}, "dimension_units": ["2nm"]},
    {
        "metadata": {"dimensions": [4], "dataType": "int8", "resolution": [3], "units": ["um"]},
        "dimension_units": ["2nm"],
    },
    {
        "metadata": {"dimensions": [4], "dataType": "int8", "compression": {"type": "gzip"}},
        "codec": {"driver": "n5", "compression": {"type": "raw"}},
    },
    {
        "metadata": {"dimensions": [4], "dataType": "int8"},
        "codec": {"driver": "zarr", "compressor": None, "filters": None},
    },
    {"metadata": {"dimensions": [4], "dataType": "int8"}, "write_chunk_shape": [4], "read_chunk_shape": [2]},
    {"metadata": {"dimensions": [4], "dataType": "int64", "blockSize": [(1 << 28) + 1]}},
    {"metadata": {"compression": {"type": "lz4"}}, "dtype": "int8", "shape": [4]},
    {"metadata": {"compression": {"type": "blosc", "cname": "lz4"}}, "dtype": "int8", "shape": [4]},
    {
        "metadata": {"compression": {"type": "blosc", "cname": "foo", "clevel": 1, "shuffle": 0}},
        "dtype": "int8",
        "shape": [4],
    },
    {"metadata": {"compression": {"type": "gzip", "level": 10}}, "dtype": "int8", "shape": [4]},
    {"metadata": {"compression": {"type": "gzip", "useZlib": 1}}, "dtype": "int8", "shape": [4]},
    {"metadata": {"compression": {"type": "zstd", "level": 23}}, "dtype": "int8", "shape": [4]},
    {"metadata": {"compression": {"type": "raw", "x": 1}}, "dtype": "int8", "shape": [4]},
    {"metadata": {"compression": {}}, "dtype": "int8", "shape": [4]},
    {"metadata": {"compression": None}, "dtype": "int8", "shape": [4]},
    {"metadata": {"dataType": "foo", "dimensions": [4]}},
    {"metadata": {"dataType": "float16", "dimensions": [4]}},
    {"metadata": {"dataType": "int8", "dimensions": [4], "blockSize": [0]}},
    {"metadata": {"dataType": "int8", "dimensions": [4], "blockSize": [4, 4]}},
    {"metadata": {"dataType": "int8", "dimensions": [-1]}},
    {"metadata": {"dataType": "int8", "dimensions": [4], "axes": ["a", "b"]}},
    {"metadata": {"dataType": "int8", "dimensions": [4], "units": [3]}},
    {"metadata": {"dataType": "int8", "dimensions": [4], "resolution": ["x"]}},
    {"metadata": {"dataType": "int8", "dimensions": [4]}, "dtype": "int16"},
    {"dtype": "int8", "domain": {"inclusive_min": [1, 0], "shape": [4, 5]}},
]


@pytest.mark.parametrize("k", range(len(CREATE_ERRORS)))
def test_create_errors_match_tensorstore(k: int, tmp_path: Any) -> None:
    kw = dict(CREATE_ERRORS[k])
    os.chdir(tmp_path)
    md = kw.pop("metadata", {})
    spec = {"kvstore": {"path": "x/"}, "metadata": md, "open": {"create": True}}
    assert _error(ts, spec, kw) == _error(tensorstore, spec, kw)


_GOOD = {
    "dimensions": [4, 5],
    "blockSize": [2, 2],
    "dataType": "int16",
    "compression": {"type": "raw"},
    "units": ["nm", "s"],
    "foo": {"a": 1},
}
OPEN_ERRORS: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ({"dimensions": None}, {}, {}),
    ({"blockSize": None}, {}, {}),
    ({"dataType": None}, {}, {}),
    ({"compression": None}, {}, {}),
    ({"axes": ["a"]}, {}, {}),
    ({"axes": ["a", "a"]}, {}, {}),
    ({"blockSize": [2, 2, 2]}, {}, {}),
    ({}, {"dimensions": [4, 6]}, {}),
    ({}, {"blockSize": [2, 3]}, {}),
    ({}, {"dataType": "int32"}, {}),
    ({}, {"compression": {"type": "gzip"}}, {}),
    ({}, {"axes": ["a", "b"]}, {}),
    ({}, {"units": ["nm", "m"]}, {}),
    ({}, {"resolution": [1, 2]}, {}),
    ({}, {"foo": {"a": 2}}, {}),
    ({}, {"foo": {"a": 1}, "bar": 1}, {}),
    ({}, {}, {"dimension_units": ["nm", "2s"]}),
    ({}, {}, {"dimension_units": ["um", None]}),
    ({"units": None, "resolution": [1, 3]}, {}, {"dimension_units": ["nm", "2s"]}),
    ({}, {}, {"dtype": "int32"}),
    ({}, {}, {"shape": [4, 6]}),
    ({}, {}, {"rank": 3}),
    ({}, {}, {"fill_value": 0}),
    ({}, {}, {"codec": {"driver": "n5", "compression": {"type": "gzip"}}}),
    ({}, {}, {"chunk_shape": [2, 3]}),
]


@pytest.mark.parametrize("k", range(len(OPEN_ERRORS) + 2))
def test_open_errors_match_tensorstore(k: int, tmp_path: Any) -> None:
    stored_change, md, kw = OPEN_ERRORS[k] if k < len(OPEN_ERRORS) else ({}, {}, {})
    stored = {**_GOOD, **stored_change}
    text = json.dumps({n: v for n, v in stored.items() if v is not None})
    text = {len(OPEN_ERRORS): "{bad", len(OPEN_ERRORS) + 1: "[1]"}.get(k, text)
    os.chdir(tmp_path)
    os.makedirs("x")
    (tmp_path / "x" / "attributes.json").write_text(text)
    spec = {"kvstore": {"path": "x/"}, "metadata": md}
    assert _error(ts, spec, kw) == _error(tensorstore, spec, kw)


def test_open_matches_when_compatible(tmp_path: Any) -> None:
    os.chdir(tmp_path)
    os.makedirs("x")
    (tmp_path / "x" / "attributes.json").write_text(json.dumps(_GOOD))
    kw = {"metadata": {"foo": {"a": 1}, "units": ["nm", "s"]}, "dimension_units": ["nm", None], "dtype": "int16"}
    mine, real = _open(ts, "x/", kw), _open(tensorstore, "x/", kw)
    _same_spec(mine.spec().to_json(), real.spec().to_json())
    assert [str(u) for u in mine.dimension_units] == [str(u) for u in real.dimension_units]


@pytest.mark.parametrize(
    "url",
    ["memory://|n5:", "memory://|n5:foo", "memory://a/|n5:"],
)
def test_url_specs(url: str) -> None:
    assert ts.Spec(url).to_json() == tensorstore.Spec(url).to_json()


def test_store_url(tmp_path: Any) -> None:
    p = str(tmp_path / "u") + "/"
    spec = {"driver": "n5", "kvstore": {"driver": "file", "path": p}}
    mine = ts.open(spec, create=True, dtype="int8", shape=[3]).result()
    real = tensorstore.open({"driver": "n5", "kvstore": {"driver": "file", "path": p}}).result()
    assert mine.url == real.url


@pytest.mark.parametrize(
    "md",
    [
        {"dimensions": [3, 4]},
        {"dataType": "int8"},
        {"axes": ["a", "b"]},
        {"compression": {"type": "gzip"}, "foo": 3},
        {"units": ["nm", "m"], "resolution": [1, 2], "dimensions": [3, 4]},
    ],
)
def test_spec_json_matches(md: dict[str, Any]) -> None:
    spec = {"driver": "n5", "kvstore": "memory://", "metadata": md}
    mine, real = ts.Spec(spec), tensorstore.Spec(spec)
    assert mine.to_json() == real.to_json()
    assert str(mine.domain) == str(real.domain)
    assert str(mine.dtype) == str(real.dtype)
