"""``ts.Unit``: a physical unit as ``multiplier * base_unit`` (``"4nm"`` is ``Unit(4, "nm")``).

Parsing follows tensorstore: an optional leading number (decimal, optional exponent, no
inf/nan/hex; out-of-range numbers are not numbers), then the rest, trimmed, is the base unit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from . import status
from .jsonb import dump_compact

__all__ = ["Unit", "c_hex_escape", "format_g"]

_OUTER_SPACE = " \t\n\v\f\r"
_INNER_SPACE = " \t\n\f\r"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DBL_MIN = 2.2250738585072014e-308

_CTOR_HELP = (
    "__init__(): incompatible constructor arguments. The following argument types are supported:\n"
    "    1. tensorstore.Unit(multiplier: typing.SupportsFloat | typing.SupportsIndex = 1)\n"
    "    2. tensorstore.Unit(unit: str)\n"
    "    3. tensorstore.Unit(multiplier: typing.SupportsFloat | typing.SupportsIndex, base_unit: str)\n"
    "    4. tensorstore.Unit(unit: tuple[typing.SupportsFloat | typing.SupportsIndex, str])\n"
    "    5. tensorstore.Unit(*, json: Any)\n"
)


def format_g(value: float) -> str:
    """A double as C++ ``std::ostream`` prints it by default (``%g``, 6 digits, ``-nan``)."""
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    return format(value, "g")


def c_hex_escape(text: str) -> str:
    """``absl::CHexEscape`` of the UTF-8 bytes of ``text`` (used in tensorstore's reprs)."""
    out: list[str] = []
    last_hex = False
    for b in text.encode("utf-8", "surrogatepass"):
        ch = chr(b)
        special = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\"}.get(ch)
        if special is not None:
            out.append(special)
            last_hex = False
        elif b < 0x20 or b >= 0x7F or (last_hex and ch in "0123456789abcdefABCDEF"):
            out.append(f"\\x{b:02x}")
            last_hex = True
        else:
            out.append(ch)
            last_hex = False
    return "".join(out)


def _parse_unit_string(text: str) -> tuple[float, str]:
    text = text.strip(_OUTER_SPACE)
    m = _NUMBER.match(text)
    if m is not None:
        number = float(m.group())
        mantissa = re.split("[eE]", m.group())[0]
        zero_ok = number == 0.0 and not any(c in "123456789" for c in mantissa)
        if math.isfinite(number) and (zero_ok or abs(number) >= _DBL_MIN):
            return number, text[m.end() :].lstrip(_INNER_SPACE)
    return 1.0, text


def _as_float(value: Any) -> float | None:
    """pybind11's ``float`` argument conversion: real numbers and ``__float__``/``__index__``."""
    if isinstance(value, (str, bytes, complex)):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return None
    for conv in ("__float__", "__index__"):
        if hasattr(type(value), conv):
            try:
                return float(getattr(value, conv)())
            except (OverflowError, TypeError, ValueError):
                return None
    return None


def _as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return None


def _parse_json(value: Any) -> tuple[float, str]:
    if isinstance(value, str):
        return _parse_unit_string(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), ""
    if not isinstance(value, (list, tuple)):
        raise status.invalid_argument(f"Expected array, but received: {dump_compact(value)}")
    if len(value) != 2:
        raise status.invalid_argument(f"Array has length {len(value)} but should have length 2")
    mult, base = value
    if isinstance(mult, bool) or not isinstance(mult, (int, float)):
        raise status.invalid_argument(
            "Error parsing value at position 0: Expected 64-bit floating-point number, "
            f"but received: {dump_compact(mult)}"
        )
    if not isinstance(base, str):
        raise status.invalid_argument(
            f"Error parsing value at position 1: Expected string, but received: {dump_compact(base)}"
        )
    return float(mult), base


class Unit:
    """A unit of measure, like ``tensorstore.Unit``: ``multiplier`` times ``base_unit``."""

    __slots__ = ("_base_unit", "_multiplier")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        parsed = self._from_args(args, kwargs)
        if parsed is None:
            raise TypeError(_CTOR_HELP + status.invoked_with(args, kwargs))
        self._multiplier, self._base_unit = parsed

    @staticmethod
    def _from_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[float, str] | None:
        # Tried in order, like pybind11's overloads.
        if "json" in kwargs:
            if args or len(kwargs) != 1:
                return None
            return _parse_json(kwargs["json"])
        params: dict[str, Any] = {}
        names_by_arity = {0: (), 1: ("x",), 2: ("multiplier", "base_unit")}
        if len(args) > 2:
            return None
        for name, value in zip(names_by_arity[len(args)], args, strict=True):
            params[name] = value
        if len(args) == 1:
            single = args[0]
            if kwargs.keys() == {"base_unit"}:
                params = {"multiplier": single, "base_unit": kwargs["base_unit"]}
            elif kwargs:
                return None
            else:
                m = _as_float(single)
                if m is not None:
                    return m, ""
                s = _as_str(single)
                if s is not None:
                    return _parse_unit_string(s)
                return Unit._from_pair(single)
        else:
            for k, v in kwargs.items():
                if k in params or k not in ("multiplier", "base_unit", "unit"):
                    return None
                params[k] = v
        if "unit" in params:
            if len(params) != 1:
                return None
            u = params["unit"]
            s = _as_str(u)
            return _parse_unit_string(s) if s is not None else Unit._from_pair(u)
        if "base_unit" in params:
            if "multiplier" not in params:
                return None
            m, s = _as_float(params["multiplier"]), _as_str(params["base_unit"])
            return None if m is None or s is None else (m, s)
        if "multiplier" in params:
            m = _as_float(params["multiplier"])
            return None if m is None else (m, "")
        return 1.0, ""

    @staticmethod
    def _from_pair(value: Any) -> tuple[float, str] | None:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
            return None
        m, s = _as_float(value[0]), _as_str(value[1])
        return None if m is None or s is None else (m, s)

    # -- properties -----------------------------------------------------------------------------
    @property
    def multiplier(self) -> float:
        return self._multiplier

    @multiplier.setter
    def multiplier(self, value: Any) -> None:
        raise AttributeError("property of 'Unit' object has no setter")

    @property
    def base_unit(self) -> str:
        return self._base_unit

    @base_unit.setter
    def base_unit(self, value: Any) -> None:
        raise AttributeError("property of 'Unit' object has no setter")

    def to_json(self) -> list[Any]:
        return [self._multiplier, self._base_unit]

    # -- arithmetic -----------------------------------------------------------------------------
    def __mul__(self, other: Any) -> Unit:
        f = _as_float(other)
        if f is None:
            raise TypeError(self._op_help("__mul__", "multiplier", other))
        return _make(self._multiplier * f, self._base_unit)

    def __truediv__(self, other: Any) -> Unit:
        f = _as_float(other)
        if f is None:
            raise TypeError(self._op_help("__truediv__", "divisor", other))
        return _make(_divide(self._multiplier, f), self._base_unit)

    def _op_help(self, op: str, arg: str, other: Any) -> str:
        return (
            f"{op}(): incompatible function arguments. The following argument types are supported:\n"
            f"    1. (self: tensorstore.Unit, {arg}: typing.SupportsFloat | typing.SupportsIndex) "
            f"-> tensorstore.Unit\n\nInvoked with: {self!r}, {other!r}"
        )

    # -- comparison -----------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unit):
            raise TypeError(
                "__eq__(): incompatible function arguments. The following argument types are supported:\n"
                "    1. (self: tensorstore.Unit, other: tensorstore.Unit) -> bool\n\n"
                f"Invoked with: {self!r}, {other!r}"
            )
        return self._multiplier == other._multiplier and self._base_unit == other._base_unit

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    # -- text -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import unit_bundle

        return unit_bundle(self)

    def __repr__(self) -> str:
        return f'Unit({format_g(self._multiplier)}, "{c_hex_escape(self._base_unit)}")'

    def __str__(self) -> str:
        if not self._base_unit:
            return format_g(self._multiplier)
        if self._multiplier == 1:
            return self._base_unit
        return f"{format_g(self._multiplier)} {self._base_unit}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unit, (self._multiplier, self._base_unit))


def _make(multiplier: float, base_unit: str) -> Unit:
    u = Unit.__new__(Unit)
    u._multiplier, u._base_unit = multiplier, base_unit
    return u


def _divide(a: float, b: float) -> float:
    """IEEE division (``x / 0`` is ``±inf``, ``0 / 0`` is ``-nan`` as on x86), never an exception."""
    if b != 0.0:
        return a / b
    if math.isnan(a) or a == 0.0:
        return -math.nan if not math.isnan(a) else a
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


# Python prints a type's ``__name__`` in its own error messages ("unhashable type: ...",
# "... object has no attribute ..."); tensorstore's types print as "tensorstore.Unit" there.
Unit.__name__ = "tensorstore.Unit"
