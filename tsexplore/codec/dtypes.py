"""Data types of zarr v2 (``.zarray`` ``dtype``) and zarr v3 (``data_type``) as numpy dtypes.

Codecs work on numpy arrays, so every stored type is first turned into one numpy dtype.  zarr v2
keeps the byte order in the dtype string (``>f4``); zarr v3 keeps it in the ``bytes`` codec, so
v3 names map to native-order dtypes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from .. import status
from ..jsonb import dump_compact

__all__ = [
    "V2Field",
    "V2DType",
    "V3_DATA_TYPES",
    "parse_v2_dtype",
    "parse_v3_data_type",
    "v2_dtype_json",
    "v3_data_type_name",
]

# zarr v3 data_type name -> numpy dtype (native order)
V3_DATA_TYPES: dict[str, np.dtype[Any]] = {
    "bool": np.dtype(np.bool_),
    "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
    "int16": np.dtype(np.int16),
    "uint16": np.dtype(np.uint16),
    "int32": np.dtype(np.int32),
    "uint32": np.dtype(np.uint32),
    "int64": np.dtype(np.int64),
    "uint64": np.dtype(np.uint64),
    "float8_e3m4": np.dtype(ml_dtypes.float8_e3m4),
    "float8_e4m3fn": np.dtype(ml_dtypes.float8_e4m3fn),
    "float8_e4m3fnuz": np.dtype(ml_dtypes.float8_e4m3fnuz),
    "float8_e4m3b11fnuz": np.dtype(ml_dtypes.float8_e4m3b11fnuz),
    "float8_e5m2": np.dtype(ml_dtypes.float8_e5m2),
    "float8_e5m2fnuz": np.dtype(ml_dtypes.float8_e5m2fnuz),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "complex64": np.dtype(np.complex64),
    "complex128": np.dtype(np.complex128),
}

_V3_BY_DTYPE = {dt: name for name, dt in V3_DATA_TYPES.items()}


def parse_v3_data_type(value: Any) -> np.dtype[Any]:
    """The numpy dtype for a zarr v3 ``data_type`` JSON value."""
    if not isinstance(value, str):
        raise status.invalid_argument(f"Expected string, but received: {dump_compact(value)}")
    dt = V3_DATA_TYPES.get(value)
    if dt is None:
        raise status.invalid_argument(f"Unsupported zarr data type: {json.dumps(value)}")
    return dt


def v3_data_type_name(dtype: Any) -> str:
    """The zarr v3 ``data_type`` name of a numpy dtype (byte order ignored)."""
    dt = np.dtype(dtype)
    name = _V3_BY_DTYPE.get(dt.newbyteorder("=")) if dt.byteorder not in ("|",) else _V3_BY_DTYPE.get(dt)
    if name is None:
        raise status.invalid_argument(f"Data type not supported: {dt}")
    return name


# ---------------------------------------------------------------------------------------- zarr v2

_V2_KINDS = {"b": 1, "i": 0, "u": 0, "f": 0, "c": 0}
_V2_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8), "c": (8, 16)}


@dataclass(frozen=True)
class V2Field:
    """One field of a zarr v2 dtype: its name ("" for a plain dtype), scalar type and sub-shape."""

    name: str
    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    json: Any


@dataclass(frozen=True)
class V2DType:
    """A parsed zarr v2 dtype: the numpy dtype of stored elements, and its fields.

    A chunk decodes to an array of ``chunk_shape + inner_shape`` and dtype ``numpy`` (stored byte
    order; ``native`` is the same in machine order).  ``|S4`` / ``|V4`` become ``S1`` / ``V1``
    with ``inner_shape == (4,)``, as tensorstore exposes them as ``char`` / ``byte`` plus one
    dimension; structured dtypes decode to a numpy structured dtype (the driver picks a field).
    """

    numpy: np.dtype[Any]
    inner_shape: tuple[int, ...]
    fields: tuple[V2Field, ...]
    has_fields: bool

    @property
    def native(self) -> np.dtype[Any]:
        return _to_native(self.numpy)

    def to_json(self) -> Any:
        if self.has_fields:
            out = []
            for f in self.fields:
                out.append([f.name, f.json, list(f.shape)] if f.shape else [f.name, f.json])
            return out
        return self.fields[0].json


def _to_native(dt: np.dtype[Any]) -> np.dtype[Any]:
    if dt.names is not None:
        return np.dtype([(n, _to_native(dt.fields[n][0])) for n in dt.names])  # type: ignore[index]
    if dt.subdtype is not None:
        return np.dtype((_to_native(dt.subdtype[0]), dt.subdtype[1]))
    return dt.newbyteorder("=") if dt.byteorder in "<>" else dt


def _unsupported(value: Any) -> status.StatusError:
    return status.invalid_argument(f"Unsupported zarr dtype: {dump_compact(value)}")


def _parse_base(value: Any) -> tuple[np.dtype[Any], tuple[int, ...], str]:
    """Scalar v2 dtype string -> (numpy dtype with byte order, extra inner shape, canonical json)."""
    if not isinstance(value, str):
        raise status.invalid_argument(f"Expected string, but received: {dump_compact(value)}")
    if value == "bfloat16":
        return np.dtype(ml_dtypes.bfloat16), (), value
    if len(value) < 3 or value[0] not in "<>|":
        raise _unsupported(value)
    order, kind, size_text = value[0], value[1], value[2:]
    if not size_text.isdigit():
        raise _unsupported(value)
    size = int(size_text)
    if kind in ("S", "V"):
        if order != "|" or size <= 0:
            raise _unsupported(value)
        return np.dtype(f"|{kind}1") if kind == "S" else np.dtype("|V1"), (size,), value
    sizes = _V2_SIZES.get(kind)
    if sizes is None or size not in sizes:
        raise _unsupported(value)
    if order == "|" and size != 1:
        raise _unsupported(value)
    np_kind = "b1" if kind == "b" else f"{kind}{size}"
    return np.dtype(f"{'|' if size == 1 else order}{np_kind}"), (), value


def parse_v2_dtype(value: Any) -> V2DType:
    """Parse a ``.zarray`` ``dtype`` member (string or structured list)."""
    if isinstance(value, str):
        dt, inner, js = _parse_base(value)
        return V2DType(dt, inner, (V2Field("", dt, inner, js),), False)
    if not isinstance(value, list) or not value:
        raise _unsupported(value)
    fields: list[V2Field] = []
    for item in value:
        if not isinstance(item, list) or len(item) not in (2, 3) or not isinstance(item[0], str):
            raise _unsupported(value)
        dt, inner, js = _parse_base(item[1])
        shape: tuple[int, ...] = ()
        if len(item) == 3:
            if not isinstance(item[2], list) or not all(isinstance(n, int) and n > 0 for n in item[2]):
                raise _unsupported(value)
            shape = tuple(item[2])
        fields.append(V2Field(item[0], dt, shape + inner, js))
    names = [f.name for f in fields]
    if len(set(names)) != len(names) or "" in names:
        raise _unsupported(value)
    np_dt = np.dtype([(f.name, f.dtype, f.shape) if f.shape else (f.name, f.dtype) for f in fields])
    return V2DType(np_dt, (), tuple(fields), True)


def v2_dtype_json(dtype: Any) -> str:
    """The ``.zarray`` dtype string tensorstore writes for a numpy dtype (little endian by default)."""
    dt = np.dtype(dtype)
    if dt == np.dtype(ml_dtypes.bfloat16):
        return "bfloat16"
    if dt.kind in "biu" and dt.itemsize == 1:
        return f"|{dt.kind}1"
    if dt.kind in "iufc":
        order = ">" if dt.byteorder == ">" else "<"
        return f"{order}{dt.kind}{dt.itemsize}"
    raise status.invalid_argument(f"Data type not supported: {dt}")
