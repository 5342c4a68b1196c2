"""Data type names and fill value JSON for zarr v2 and v3, compared with what tensorstore writes and reads."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pytest

from tests.codec.conftest import ts, ts_open
from tsexplore import status
from tsexplore.codec import (
    V3_DATA_TYPES,
    decode_v2_fill_value,
    decode_v3_fill_value,
    encode_v2_fill_value,
    encode_v3_fill_value,
    parse_v2_dtype,
    parse_v3_data_type,
    v2_dtype_json,
    v3_data_type_name,
)

NAMES = [
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "float8_e4m3fn",
    "float8_e5m2",
]
VALUES: list[tuple[str, Any]] = [
    *((n, None) for n in NAMES),
    ("float32", float("nan")),
    ("float32", float("inf")),
    ("float32", -float("inf")),
    ("float64", 1.5),
    ("float16", float("nan")),
    ("bfloat16", float("nan")),
    ("bfloat16", 1.0),
    ("float16", 0.1),
    ("complex64", 1 + 2j),
    ("complex64", complex(float("nan"), float("inf"))),
    ("bool", True),
    ("uint64", 2**64 - 1),
    ("int64", -(2**63)),
    ("float32", -0.0),
    ("float64", 1e300),
    ("float32", 0.1),
    ("int8", -128),
    ("complex128", complex(-float("inf"), 0.25)),
    ("float8_e5m2", float("-inf")),
]


def _bits(a: Any) -> bytes:
    return np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize(("name", "value"), VALUES, ids=str)
def test_v3_fill_value_written_like_tensorstore(tmp_path: pathlib.Path, name: str, value: Any) -> None:
    kw = {} if value is None else {"fill_value": value}
    store = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path)}},
        create=True,
        dtype=name,
        shape=[2],
        **kw,
    ).result()
    meta = json.loads((tmp_path / "zarr.json").read_text())
    assert meta["data_type"] == name
    dt = parse_v3_data_type(name)
    assert v3_data_type_name(dt) == name
    fill = np.asarray(store.fill_value)
    assert json.dumps(encode_v3_fill_value(fill, dt)) == json.dumps(meta["fill_value"])
    decoded = decode_v3_fill_value(meta["fill_value"], dt)
    assert decoded.dtype == dt and _bits(decoded) == _bits(fill.astype(dt))


STORED: list[tuple[str, Any]] = [
    ("float32", "0x7fc00001"),
    ("float32", "0x3f800000"),
    ("float32", "NaN"),
    ("float32", "0x7FC00000"),
    ("float64", "0x7ff8000000000001"),
    ("float16", "0x7e01"),
    ("bfloat16", "0x3f80"),
    ("complex64", ["0x7fc00001", 1.0]),
    ("float32", "Infinity"),
    ("float32", 1e40),
    ("uint64", 1.0),
    ("float32", "0x7fc0000"),
    ("int8", 1.0),
    ("float32", "0xffc00000"),
    # errors
    ("int32", "0x10"),
    ("float32", "nan"),
    ("bool", 0),
    ("int8", 128),
    ("int8", 1.5),
    ("uint8", -1),
    ("float32", None),
    ("complex64", [1.0]),
    ("complex64", 1.0),
    ("float32", "0x1ffffffff"),
]


@pytest.mark.parametrize(("name", "value"), STORED, ids=str)
def test_v3_fill_value_read_like_tensorstore(tmp_path: pathlib.Path, name: str, value: Any) -> None:
    meta = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [2],
        "data_type": name,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default"},
        "fill_value": value,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    }
    (tmp_path / "zarr.json").write_text(json.dumps(meta))
    dt = parse_v3_data_type(name)
    try:
        store = ts_open("zarr3", tmp_path)
    except ValueError as e:
        msg = str(e).split(" [tensorstore_spec=")[0]
        with pytest.raises(status.StatusError) as info:
            decode_v3_fill_value(value, dt)
        assert msg.endswith('Error parsing object member "fill_value": ' + str(info.value)), (msg, info.value)
        return
    got = decode_v3_fill_value(value, dt)
    assert _bits(got) == _bits(np.asarray(store.fill_value))
    assert encode_v3_fill_value(got, dt) == store.spec().to_json()["metadata"]["fill_value"]


V2_VALUES: list[tuple[str, Any]] = [
    *((n, None) for n in NAMES if not n.startswith("float8")),
    ("float32", float("nan")),
    ("float32", float("inf")),
    ("float32", -float("inf")),
    ("float64", 1.5),
    ("bfloat16", 1.0),
    ("complex64", complex(float("nan"), float("inf"))),
    ("bool", True),
    ("bool", False),
    ("uint64", 2**64 - 1),
    ("int64", -(2**63)),
    ("float32", 0.1),
    ("int16", 7),
    ("uint8", 0),
]


@pytest.mark.parametrize(("name", "value"), V2_VALUES, ids=str)
def test_v2_dtype_and_fill_value_written_like_tensorstore(
    tmp_path: pathlib.Path, name: str, value: Any
) -> None:
    kw = {} if value is None else {"fill_value": value}
    store = ts.open(
        {"driver": "zarr", "kvstore": {"driver": "file", "path": str(tmp_path)}},
        create=True,
        dtype=name,
        shape=[2],
        **kw,
    ).result()
    meta = json.loads((tmp_path / ".zarray").read_text())
    dt = V3_DATA_TYPES[name]
    assert v2_dtype_json(dt) == meta["dtype"]
    parsed = parse_v2_dtype(meta["dtype"])
    assert parsed.native == dt and parsed.to_json() == meta["dtype"]
    fill = None if store.fill_value is None else np.asarray(store.fill_value)
    assert json.dumps(encode_v2_fill_value(fill, parsed)) == json.dumps(meta["fill_value"])
    decoded = decode_v2_fill_value(meta["fill_value"], parsed)
    if fill is None:
        assert decoded is None
    else:
        assert decoded is not None and _bits(decoded) == _bits(fill)


V2_STORED: list[tuple[Any, Any]] = [
    (">f4", 1.5),
    (">i2", 3),
    ("|S4", None),
    ("|V4", None),
    ([["a", "<i4", [2]]], None),
    ("<f4", "0x7fc00001"),
    ("<c8", [1, 2]),
    ("<i4", 1.0),
    ("|i1", None),
    ("<i1", None),
    ("<f4", "NaN"),
    ("<b1", None),
    (">u1", None),
    ("|S4", "YWJjZA=="),
    ("<f8", "1.25"),
    ("<f4", -1e39),
    # errors
    ("<M8[ns]", 0),
    ("<m8[s]", 0),
    ("<U4", None),
    ("|O", None),
    ("bool", None),
    ("b1", None),
    ("|u2", None),
    ("<f16", None),
    ("<f4", "AAAgQQ=="),
    ("|b1", 0),
    ("<i8", "1"),
]


@pytest.mark.parametrize(("dtype", "value"), V2_STORED, ids=str)
def test_v2_metadata_read_like_tensorstore(tmp_path: pathlib.Path, dtype: Any, value: Any) -> None:
    meta = {
        "zarr_format": 2,
        "shape": [2],
        "chunks": [2],
        "dtype": dtype,
        "compressor": None,
        "fill_value": value,
        "order": "C",
        "filters": None,
    }
    (tmp_path / ".zarray").write_text(json.dumps(meta))
    try:
        store = ts_open("zarr", tmp_path)
    except ValueError as e:
        msg = str(e).split(" [tensorstore_spec=")[0]
        with pytest.raises(status.StatusError) as info:
            parsed = parse_v2_dtype(dtype)
            decode_v2_fill_value(value, parsed)
        member = "dtype" if "dtype" in msg else "fill_value"
        assert msg.endswith(f'Error parsing object member "{member}": ' + str(info.value)), (msg, info.value)
        return
    parsed = parse_v2_dtype(dtype)
    assert parsed.to_json() == store.spec().to_json()["metadata"]["dtype"]
    extra = store.domain.shape[1:]
    assert parsed.inner_shape == tuple(extra) or parsed.has_fields
    got = decode_v2_fill_value(value, parsed)
    if store.fill_value is None or parsed.inner_shape:
        assert (got is None) == (value is None)
    else:
        assert got is not None and _bits(got) == _bits(np.asarray(store.fill_value))
        assert encode_v2_fill_value(got, parsed) == store.spec().to_json()["metadata"]["fill_value"]
