"""``ts.CodecSpec``: driver-specific codec constraints (``{'driver': 'zarr3', 'codecs': [...]}``).

Each array driver with codecs registers a normaliser for its codec JSON (:func:`register_codec`);
merging two codec specs of the same driver unions their members and fails on a member that differs
(``Cannot merge codec spec {...} with {...}: "compressor" does not match``).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable
from typing import Any

from . import jsonb, status
from .context import pretty_json_repr

__all__ = ["CodecSpec", "register_codec"]

# driver name -> normaliser(JSON without "driver") -> JSON without "driver" (raises StatusError)
_CODECS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
# driver name -> merge(a, b) -> merged (optional custom rule)
_MERGE: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {}


def register_codec(
    driver: str,
    normalize: Callable[[dict[str, Any]], dict[str, Any]],
    merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Make ``driver`` a valid codec driver; ``normalize`` parses/validates its members."""
    _CODECS[driver] = normalize
    if merge is not None:
        _MERGE[driver] = merge


def _ensure() -> None:
    from .driver import load_builtin_drivers

    load_builtin_drivers()


def parse_codec_json(value: Any) -> dict[str, Any]:
    """Validate codec JSON; returns the normalised JSON including ``driver``."""
    _ensure()
    obj = jsonb.expect_object(value)
    if "driver" not in obj:
        raise status.invalid_argument('Error parsing object member "driver": Expected string, but member is missing')
    name = obj["driver"]
    try:
        name = jsonb.expect_string(name)
    except status.StatusError as e:
        raise jsonb.member_error("driver", e) from None
    norm = _CODECS.get(name)
    if norm is None:
        raise status.invalid_argument(f'Error parsing object member "driver": "{name}" is not registered')
    rest = {k: v for k, v in obj.items() if k != "driver"}
    out = dict(norm(rest))
    out["driver"] = name
    return jsonb.sorted_json(out)  # type: ignore[no-any-return]


class CodecSpec:
    """Codec constraints for one driver, like ``tensorstore.CodecSpec``."""

    __slots__ = ("_json",)

    def __init__(self, json: Any) -> None:
        if isinstance(json, CodecSpec):
            self._json: dict[str, Any] = _copy.deepcopy(json._json)
        else:
            self._json = parse_codec_json(json)

    @classmethod
    def _make(cls, value: dict[str, Any]) -> CodecSpec:
        self = cls.__new__(cls)
        self._json = value
        return self

    @property
    def driver(self) -> str:
        return str(self._json["driver"])

    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        return _copy.deepcopy(self._json)

    def merged(self, other: CodecSpec) -> CodecSpec:
        """The union of two codec specs (INVALID_ARGUMENT naming both if they conflict)."""
        a, b = self._json, other._json
        prefix = f"Cannot merge codec spec {jsonb.dump_compact(a)} with {jsonb.dump_compact(b)}"
        if a["driver"] != b["driver"]:
            raise status.invalid_argument(prefix)
        custom = _MERGE.get(a["driver"])
        if custom is not None:
            try:
                return CodecSpec._make(jsonb.sorted_json(custom(a, b)))
            except status.StatusError as e:
                raise status.invalid_argument(f"{prefix}: {e.message}") from None
        out = dict(a)
        for k, v in b.items():
            if k in out and out[k] is not None and v is not None and out[k] != v:
                raise status.invalid_argument(f'{prefix}: "{k}" does not match')
            if k in out and out[k] is None and v is None:
                continue
            if k not in out or out[k] is None:
                out[k] = v
        return CodecSpec._make(jsonb.sorted_json(out))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CodecSpec):
            return NotImplemented
        return self._json == other._json

    __hash__ = None  # type: ignore[assignment]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .display import codec_spec_bundle

        return codec_spec_bundle(self)

    def __repr__(self) -> str:
        return pretty_json_repr("CodecSpec(", self._json)

    def __copy__(self) -> CodecSpec:
        return CodecSpec._make(_copy.deepcopy(self._json))

    def __deepcopy__(self, memo: Any) -> CodecSpec:
        return self.__copy__()

    def __reduce__(self) -> tuple[Any, ...]:
        return (CodecSpec._make, (self._json,))


CodecSpec.__name__ = "tensorstore.CodecSpec"
