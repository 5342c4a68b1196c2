"""``ts.dtype`` and the data type constants (``ts.uint8``, ``ts.bfloat16``, ``ts.json``, ...).

A TensorStore data type is named by its JSON identifier and maps to one NumPy dtype: the
extended float and small int types come from ``ml_dtypes``; ``string``, ``ustring`` and ``json``
are NumPy object arrays (holding ``bytes``, ``str`` and JSON values).
"""

from __future__ import annotations

import json as _json
from typing import Any

import ml_dtypes
import numpy as np

from . import status
from .jsonb import dump_compact

__all__ = ["DTYPE_NAMES", "as_dtype", "dtype", "dtype_from_json", "dtype_from_numpy"]

# name -> (numpy dtype, scalar type); in tensorstore's own order.
_TABLE: dict[str, tuple[np.dtype[Any], type]] = {}


def _add(name: str, np_dtype: Any, scalar: type | None = None) -> None:
    d = np.dtype(np_dtype)
    _TABLE[name] = (d, scalar if scalar is not None else d.type)


_add("bool", np.bool_)
_add("char", np.dtype("S"), np.bytes_)
_add("byte", np.dtype("V"), np.void)
for _bits in (2, 4):
    _add(f"int{_bits}", getattr(ml_dtypes, f"int{_bits}"))
for _bits in (8, 16, 32, 64):
    _add(f"int{_bits}", f"int{_bits}")
    _add(f"uint{_bits}", f"uint{_bits}")
for _name in (
    "float8_e3m4",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e4m3b11fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "float4_e2m1fn",
):
    _add(_name, getattr(ml_dtypes, _name))
_add("float16", np.float16)
_add("bfloat16", ml_dtypes.bfloat16)
_add("float32", np.float32)
_add("float64", np.float64)
_add("complex64", np.complex64)
_add("complex128", np.complex128)
_add("string", object, bytes)
_add("ustring", object, str)
_add("json", object, np.object_)

DTYPE_NAMES: tuple[str, ...] = tuple(_TABLE)
"""Every data type name, in tensorstore's order."""

# numpy dtype (native byte order) -> name, for the non-object types.
_FROM_NUMPY: dict[np.dtype[Any], str] = {d: name for name, (d, _) in _TABLE.items() if d.kind != "O" and d.itemsize > 0}

_CTOR_HELP = (
    "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
    "    1. tensorstore.dtype(dtype: tensorstore.DTypeLike)\n"
)


class dtype:
    """A TensorStore data type, like ``tensorstore.dtype``; ``dtype("float32") == np.float32``."""

    __slots__ = ("_name",)
    _name: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) == 1 and not kwargs:
            source = args[0]
        elif not args and kwargs.keys() == {"dtype"}:
            source = kwargs["dtype"]
        else:
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        name = _name_of(source)
        if name is None:
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of arrays of this type (``object`` for string/ustring/json)."""
        return _TABLE[self._name][0]

    @property
    def type(self) -> type:
        """The Python/NumPy scalar type (``bytes`` for string, ``str`` for ustring)."""
        return _TABLE[self._name][1]

    def to_json(self) -> str:
        return self._name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Convert ``arg`` to this type's scalar (or array) type, as ``self.type(arg)``."""
        if len(args) != 1 or kwargs:
            raise TypeError(
                "__call__(): incompatible function arguments. The following argument types are supported:\n"
                "    1. (self: tensorstore.dtype, arg: object) -> object\n" + status.invoked_with((self, *args), kwargs)
            )
        return self.type(args[0])

    def __eq__(self, other: object) -> bool:
        name = _name_of(other)
        if name is None:
            raise TypeError(
                "__eq__(): incompatible function arguments. The following argument types are supported:\n"
                "    1. (self: tensorstore.dtype, other: tensorstore.DTypeLike) -> bool\n"
                + status.invoked_with((self, other), {})
            )
        return name == self._name

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("tensorstore.dtype", self._name))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import dtype_bundle

        return dtype_bundle(self)

    def __repr__(self) -> str:
        return f'dtype("{self._name}")'

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (dtype, (self._name,))


def _name_of(value: Any) -> str | None:
    """The data type name of a DTypeLike (dtype, name, NumPy dtype or type); None if not one."""
    if isinstance(value, dtype):
        return value._name
    if isinstance(value, str):
        if value not in _TABLE:
            raise status.invalid_argument(f"No TensorStore data type with name: {_json.dumps(value)}")
        return value
    if value is str:
        return "ustring"
    if value is bytes:
        return "string"
    if isinstance(value, np.dtype):
        return _numpy_name(value)
    if isinstance(value, type):
        return _numpy_name(np.dtype(value))
    return None


def _numpy_name(d: np.dtype[Any]) -> str:
    # ml_dtypes types have kind "V" too, so look them up before treating "V" as byte.
    name = _FROM_NUMPY.get(d if d.isnative else d.newbyteorder("="))
    if name is None and d.kind == "S":
        name = "char"
    elif name is None and d.kind == "V" and d.type is np.void:
        name = "byte"
    if name is None:
        raise status.invalid_argument(f"No TensorStore data type corresponding to NumPy dtype: {d!r}")
    return name


def dtype_from_numpy(d: Any) -> dtype:
    """The TensorStore type of NumPy dtype ``d`` (``ValueError`` if there is none)."""
    out = dtype.__new__(dtype)
    out._name = _numpy_name(np.dtype(d))
    return out


def as_dtype(value: Any) -> dtype:
    """A DTypeLike keyword argument (``dtype=`` of open/Schema/cast) as a :class:`dtype`.

    Raises ``TypeError: Invalid dtype`` for values that are not DTypeLike, as tensorstore does.
    """
    name = _name_of(value)
    if name is None:
        raise TypeError("Invalid dtype")
    out = dtype.__new__(dtype)
    out._name = name
    return out


def dtype_from_json(value: Any) -> dtype:
    """The ``"dtype"`` member of a JSON spec (raises ``StatusError`` with tensorstore's text)."""
    if not isinstance(value, str):
        raise status.invalid_argument(f"Expected string, but received: {dump_compact(value)}")
    if value not in _TABLE:
        raise status.invalid_argument(f"Unsupported data type: {_json.dumps(value)}")
    out = dtype.__new__(dtype)
    out._name = value
    return out


# The module constants ``ts.bool`` ... ``ts.json``.  ``bool`` and ``json`` shadow builtin/module
# names, so every constant is installed through globals() after the code above no longer needs them.
globals().update({_n: dtype(_n) for _n in DTYPE_NAMES})

# Python's own error messages print ``__name__``; tensorstore's type prints as "tensorstore.dtype".
dtype.__name__ = "tensorstore.dtype"
