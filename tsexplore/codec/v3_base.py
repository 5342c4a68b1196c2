"""The three kinds of zarr v3 codec and the state threaded through a chain while resolving it.

A codec is parsed from JSON into an *unresolved* instance (only the members the user gave) and
then resolved against the array it will see (dtype, chunk shape), which fills in defaults as
tensorstore does.  Both are the same frozen dataclass; ``to_json`` prints the members that are set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..jsonb import ObjectReader, dump_compact

__all__ = ["ArrayToArrayCodec", "ArrayToBytesCodec", "BytesToBytesCodec", "ChainState", "V3Codec"]


@dataclass(frozen=True)
class ChainState:
    """What a codec sees: the decoded dtype and shape, and the item size of the bytes (if known)."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    item_bytes: int | None = None
    strict: bool = False  # True when resolving stored metadata: no defaults for required options


class V3Codec:
    """Common interface; ``name`` is the JSON ``name``."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    is_sharding: ClassVar[bool] = False

    @classmethod
    def from_configuration(cls, reader: ObjectReader) -> V3Codec:
        raise NotImplementedError

    def configuration(self, include_defaults: bool = False) -> dict[str, Any] | None:
        """The ``configuration`` object, or ``None`` to leave it out."""
        return None

    def to_json(self, include_defaults: bool = False) -> dict[str, Any]:
        config = self.configuration(include_defaults)
        return {"name": self.name} if config is None else {"configuration": config, "name": self.name}

    def describe(self) -> str:
        """Compact JSON as tensorstore quotes a codec in messages."""
        return dump_compact(self.to_json())


class ArrayToArrayCodec(V3Codec):
    kind: ClassVar[str] = "array_to_array"

    def resolve(self, state: ChainState) -> tuple[ArrayToArrayCodec, ChainState]:
        raise NotImplementedError

    def encode(self, array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        raise NotImplementedError

    def decode(self, array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        raise NotImplementedError


class ArrayToBytesCodec(V3Codec):
    kind: ClassVar[str] = "array_to_bytes"

    def resolve(self, state: ChainState) -> tuple[ArrayToBytesCodec, ChainState]:
        raise NotImplementedError

    def encode(self, array: np.ndarray[Any, Any], fill_value: Any = None) -> bytes:
        raise NotImplementedError

    def decode(
        self, data: bytes, key: str | None, out: np.ndarray[Any, Any] | None, fill_value: Any = None
    ) -> np.ndarray[Any, Any]:
        raise NotImplementedError

    def raw_layout(self) -> np.dtype[Any] | None:
        """The stored dtype when the encoded bytes are the array's raw C-order memory, else None."""
        return None


class BytesToBytesCodec(V3Codec):
    kind: ClassVar[str] = "bytes_to_bytes"
    fixed_overhead: ClassVar[int | None] = None  # bytes added independent of content, or None

    def resolve(self, state: ChainState) -> tuple[BytesToBytesCodec, ChainState]:
        return self._resolved(self, state)

    @staticmethod
    def _resolved(codec: BytesToBytesCodec, state: ChainState) -> tuple[BytesToBytesCodec, ChainState]:
        """``codec`` with the state after it: same dtype and shape, bytes of unknown item size."""
        return codec, ChainState(state.dtype, state.shape, None, state.strict)

    def encode(self, data: bytes) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes, key: str | None) -> bytes:
        raise NotImplementedError

    def decode_into(self, data: bytes, out: np.ndarray[Any, Any], key: str | None) -> None:
        """Decode into flat uint8 ``out``; the default decodes then copies."""
        from ._compress import copy_decoded

        copy_decoded(self.name, self.decode(data, key), out, key)
