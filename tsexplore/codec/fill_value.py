"""Fill value JSON for zarr v2 (``.zarray``) and zarr v3 (``zarr.json``), as tensorstore reads and writes it.

v3 floats are numbers, ``"NaN"``/``"Infinity"``/``"-Infinity"``, or a hex bit pattern such as
``"0x7fc00001"`` (written only for non-canonical NaNs); complex values are ``[re, im]``.  v2 allows
``null`` (no fill value), writes every NaN as ``"NaN"``, and stores byte strings and structured
values as base64 of the stored bytes.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np

from .. import status
from ..jsonb import dump_compact, parse_elements
from .dtypes import V2DType

__all__ = ["decode_v2_fill_value", "decode_v3_fill_value", "encode_v2_fill_value", "encode_v3_fill_value"]

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _uint_for(dt: np.dtype[Any]) -> np.dtype[Any]:
    return np.dtype(f"<u{dt.itemsize}")


def _is_float(dt: np.dtype[Any]) -> bool:
    # ml_dtypes floats report kind 'V'; treat anything numpy can take a float as float
    return dt.kind == "f" or (dt.kind == "V" and dt.names is None and dt.itemsize <= 2 and _accepts_float(dt))


def _accepts_float(dt: np.dtype[Any]) -> bool:
    try:
        np.array(1.5, dtype=dt)
    except (TypeError, ValueError):
        return False
    return True


def _int_range(dt: np.dtype[Any]) -> tuple[int, int]:
    info = np.iinfo(dt)
    return int(info.min), int(info.max)


def _is_int_json(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


def _decode_bool(value: Any, dt: np.dtype[Any]) -> np.ndarray[Any, Any]:
    if not isinstance(value, bool):
        raise status.invalid_argument(f"Expected boolean, but received: {dump_compact(value)}")
    return np.array(value, dtype=dt)


def _decode_int(value: Any, dt: np.dtype[Any]) -> np.ndarray[Any, Any]:
    lo, hi = _int_range(dt)
    if not _is_int_json(value) or not lo <= int(value) <= hi:
        raise status.invalid_argument(
            f"Expected integer in the range [{lo}, {hi}], but received: {dump_compact(value)}"
        )
    return np.array(int(value), dtype=dt)


def _complex_pair(value: Any, dt: np.dtype[Any]) -> tuple[list[Any], np.dtype[Any]]:
    """A complex fill value is ``[re, im]``: the two JSON parts and the float dtype of each."""
    if not isinstance(value, list):
        raise status.invalid_argument(f"Expected array, but received: {dump_compact(value)}")
    if len(value) != 2:
        raise status.invalid_argument(f"Array has length {len(value)} but should have length 2")
    return value, np.dtype(f"f{dt.itemsize // 2}")


def _decode_number(value: Any, dt: np.dtype[Any], expected: str) -> np.ndarray[Any, Any]:
    """A JSON number (not a bool) as a float of ``dt`` (overflow gives infinity, as tensorstore)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise status.invalid_argument(f"Expected {expected}, but received: {dump_compact(value)}")
    with np.errstate(over="ignore"):
        return np.array(float(value), dtype=dt)


def _encode_float(x: np.ndarray[Any, Any], nan_bits: bool) -> Any:
    """A float as JSON; with ``nan_bits`` (v3) a non-canonical NaN keeps its bit pattern as hex."""
    f = float(x)
    if math.isnan(f):
        if not nan_bits or x.tobytes() == np.array(np.nan, dtype=x.dtype).tobytes():
            return "NaN"
        bits = int(np.frombuffer(x.tobytes(), dtype=_uint_for(x.dtype).newbyteorder("="))[0])
        return f"0x{bits:0{2 * x.dtype.itemsize}x}"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


def _encode_scalar(x: np.ndarray[Any, Any], dt: np.dtype[Any], v3: bool) -> Any:
    """bool, integer, complex and float fill values (the part v2 and v3 write alike)."""
    if dt.kind == "b":
        return bool(x)
    if dt.kind in "iu":
        return int(x)
    if dt.kind == "c":
        return [_encode_float(np.array(x.real), v3), _encode_float(np.array(x.imag), v3)]
    if v3 and not _is_float(dt):
        raise status.invalid_argument(f"Unsupported fill value data type: {dt}")
    return _encode_float(x, v3)


# ---------------------------------------------------------------------------------------- zarr v3


def _decode_v3_float(value: Any, dt: np.dtype[Any]) -> np.ndarray[Any, Any]:
    if isinstance(value, str):
        if value in _SPECIAL:
            return np.array(_SPECIAL[value], dtype=dt)
        if value.startswith("0x"):
            try:
                bits = int(value[2:], 16)
            except ValueError:
                bits = -1
            if 0 <= bits < (1 << (8 * dt.itemsize)):
                return np.array(bits, dtype=_uint_for(dt)).astype(_uint_for(dt).newbyteorder("=")).view(dt)
        raise status.invalid_argument(
            f'Expected "Infinity", "-Infinity", "NaN", or hex string, but received: {dump_compact(value)}'
        )
    return _decode_number(value, dt, "floating-point number")


def decode_v3_fill_value(value: Any, dtype: Any) -> np.ndarray[Any, Any]:
    """A 0-d native-order array for a zarr v3 ``fill_value`` of ``dtype``."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return _decode_bool(value, dt)
    if dt.kind in "iu":
        return _decode_int(value, dt)
    if dt.kind == "c":
        value, part = _complex_pair(value, dt)
        comps = parse_elements(value, lambda v: _decode_v3_float(v, part))
        out = np.zeros((), dtype=dt)
        out.real, out.imag = comps
        return out
    if _is_float(dt):
        return _decode_v3_float(value, dt)
    raise status.invalid_argument(f"Unsupported fill value data type: {dt}")


def encode_v3_fill_value(value: Any, dtype: Any) -> Any:
    """The JSON tensorstore writes into ``zarr.json`` for ``value`` cast to ``dtype``."""
    dt = np.dtype(dtype)
    x = np.asarray(value).astype(dt.newbyteorder("=") if dt.byteorder in "<>" else dt).reshape(())
    return _encode_scalar(x, dt, v3=True)


# ---------------------------------------------------------------------------------------- zarr v2


def _decode_v2_float(value: Any, dt: np.dtype[Any]) -> np.ndarray[Any, Any]:
    if isinstance(value, str):
        if value in _SPECIAL:
            return np.array(_SPECIAL[value], dtype=dt)
        try:
            f = float.fromhex(value) if value.lower().lstrip("+-").startswith("0x") else float(value)
        except ValueError:
            raise status.invalid_argument(f"Invalid floating-point value: {dump_compact(value)}") from None
        with np.errstate(over="ignore"):
            return np.array(f, dtype=dt)
    return _decode_number(value, dt, "number")


def decode_v2_fill_value(value: Any, dtype: V2DType) -> np.ndarray[Any, Any] | None:
    """The fill value of a ``.zarray`` (``None`` for ``null``), in native byte order.

    Plain dtypes give a 0-d array; ``|S``/``|V`` give an array of ``inner_shape``; structured
    dtypes give a 0-d structured array.
    """
    if value is None:
        return None
    dt = dtype.native
    if dtype.has_fields or dtype.inner_shape:
        if not isinstance(value, str):
            raise status.invalid_argument(f"Expected string, but received: {dump_compact(value)}")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            bad = dump_compact(value)
            raise status.invalid_argument(f"Invalid base64-encoded fill value: {bad}") from None
        stored = np.dtype((dtype.numpy, dtype.inner_shape)) if dtype.inner_shape else dtype.numpy
        if len(raw) != stored.itemsize:
            raise status.invalid_argument(
                f"Expected {stored.itemsize} base64-encoded bytes, but received {len(raw)} bytes: "
                + dump_compact(value)
            )
        arr = np.frombuffer(raw, dtype=dtype.numpy).reshape(dtype.inner_shape).astype(dt)
        return arr
    if dt.kind == "b":
        return _decode_bool(value, dt)
    if dt.kind in "iu":
        if not _is_int_json(value):
            what = "64-bit signed integer" if dt.kind == "i" else "64-bit unsigned integer"
            raise status.invalid_argument(f"Expected {what}, but received: {dump_compact(value)}")
        return _decode_int(value, dt)
    if dt.kind == "c":
        value, part = _complex_pair(value, dt)
        out = np.zeros((), dtype=dt)
        out.real, out.imag = (_decode_v2_float(v, part) for v in value)
        return out
    return _decode_v2_float(value, dt)


def encode_v2_fill_value(value: Any, dtype: V2DType) -> Any:
    """The ``.zarray`` ``fill_value`` JSON tensorstore writes (``None`` -> ``null``)."""
    if value is None:
        return None
    dt = dtype.native
    if dtype.has_fields or dtype.inner_shape:
        arr = np.asarray(value).astype(dtype.numpy)
        arr = np.broadcast_to(arr, dtype.inner_shape) if dtype.inner_shape else arr.reshape(())
        return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")
    return _encode_scalar(np.asarray(value).astype(dt).reshape(()), dt, v3=False)
