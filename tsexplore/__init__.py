"""tsexplore: a pure-Python implementation of the TensorStore Python API, with notebook explorers.

``import tsexplore as ts`` runs TensorStore code unchanged.  Public names are resolved from the
module that defines them on first access, so importing the package stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

# public name -> defining module (relative to this package)
_EXPORTS: dict[str, str] = {
    # runtime
    "Future": ".future",
    "Promise": ".future",
    "Context": ".context",
    "Unit": ".unit",
    # data types
    "dtype": ".dtype",
    **{
        name: ".dtype"
        for name in (
            "bool", "char", "byte", "int2", "int4", "int8", "uint8", "int16", "uint16", "int32", "uint32",
            "int64", "uint64", "float8_e3m4", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz",
            "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn", "float16", "bfloat16",
            "float32", "float64", "complex64", "complex128", "string", "ustring", "json",
        )
    },
    # index space
    **{
        name: ".index"
        for name in (
            "Dim", "IndexDomain", "IndexTransform", "OutputIndexMap", "OutputIndexMaps", "OutputIndexMethod",
            "DimExpression", "d", "inf", "newaxis",
        )
    },
    # key-value stores
    "KvStore": ".kvstore",
    # specs, schemas and open stores
    "Spec": ".spec",
    "Schema": ".schema",
    "ChunkLayout": ".chunk_layout",
    "CodecSpec": ".codec_spec",
    "OpenMode": ".open_mode",
    "open": ".open",
    "TensorStore": ".tensorstore",
    "WriteFutures": ".tensorstore",
    "array": ".driver.array",
    "cast": ".driver.cast",
    "downsample": ".driver.downsample",
    "DownsampleMethod": ".driver.downsample",
    "lazy_driver": ".driver.lazy",
    "stack": ".driver.stack",
    "concat": ".driver.stack",
    "overlay": ".driver.stack",
    "virtual_chunked": ".driver.virtual_chunked",
    "VirtualChunkedReadParameters": ".driver.virtual_chunked",
    "VirtualChunkedWriteParameters": ".driver.virtual_chunked",
    # transactions
    "Transaction": ".transaction",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tsexplore' has no attribute '{name}'")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """Keeps ``ts.dtype`` the class: importing submodule ``tsexplore.dtype`` would rebind it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == "." + name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
