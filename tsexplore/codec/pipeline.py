"""A zarr v3 codec chain: parse the ``codecs`` JSON list, resolve it for a chunk, encode and decode.

Order rule (checked while parsing, as tensorstore does): array->array codecs, then at most one
array->bytes codec, then bytes->bytes codecs.  A missing array->bytes codec becomes ``bytes``
when resolving for a new array.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import status
from ..jsonb import ObjectReader, dump_compact, expect_array, expect_string, member_error
from ._compress import as_bytes_array, copy_decoded
from ._json import required_string
from .registry import V3_CODECS
from .v3_base import ArrayToArrayCodec, ArrayToBytesCodec, BytesToBytesCodec, ChainState, V3Codec

__all__ = ["CodecChainSpec", "CodecPipeline", "parse_codec"]


def parse_codec(value: Any) -> V3Codec:
    """One element of a ``codecs`` list: ``"name"`` or ``{"name": ..., "configuration": {...}}``."""
    if isinstance(value, str):
        value = {"name": value}
    reader = ObjectReader(value)
    required_string(reader.obj, "name")
    cls = reader.get("name", lambda v: V3_CODECS.lookup(expect_string(v)))
    config = reader.get("configuration", _expect_config, {})
    reader.finish()
    creader = ObjectReader(config)
    try:
        codec: V3Codec = cls.from_configuration(creader)
        creader.finish()
    except status.StatusError as e:
        raise member_error("configuration", e) from None
    return codec


def _expect_config(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise status.invalid_argument(f"Expected object, but received: {dump_compact(value)}")
    return value


@dataclass(frozen=True)
class CodecChainSpec:
    """A parsed, not yet resolved ``codecs`` list (only the members the JSON gave)."""

    array_to_array: tuple[ArrayToArrayCodec, ...]
    array_to_bytes: ArrayToBytesCodec | None
    bytes_to_bytes: tuple[BytesToBytesCodec, ...]

    @classmethod
    def from_json(cls, value: Any) -> CodecChainSpec:
        codecs = expect_array(value, parse_codec)
        aa: list[ArrayToArrayCodec] = []
        ab: ArrayToBytesCodec | None = None
        bb: list[BytesToBytesCodec] = []
        for c in codecs:
            if not bb and ab is None and isinstance(c, ArrayToArrayCodec):
                aa.append(c)
            elif not bb and ab is None and isinstance(c, ArrayToBytesCodec):
                ab = c
            elif isinstance(c, BytesToBytesCodec):
                bb.append(c)
            else:
                raise status.invalid_argument(f"Expected bytes -> bytes codec, but received: {c.describe()}")
        return cls(tuple(aa), ab, tuple(bb))

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.codecs]

    @property
    def codecs(self) -> list[V3Codec]:
        mid: list[V3Codec] = [] if self.array_to_bytes is None else [self.array_to_bytes]
        return [*self.array_to_array, *mid, *self.bytes_to_bytes]

    def resolve(self, dtype: Any, shape: Sequence[int], *, strict: bool = False) -> CodecPipeline:
        """Fill in defaults for a chunk of ``dtype`` and ``shape``.

        ``strict`` is for metadata read from storage: options tensorstore requires there (such as
        ``bytes`` ``endian`` for multi-byte types, or the array->bytes codec) are not defaulted.
        """
        from .v3_codecs import BytesCodec

        state = ChainState(np.dtype(dtype), tuple(int(n) for n in shape), None, strict)
        aa = []
        for c in self.array_to_array:
            try:
                rc, state = c.resolve(state)
            except status.StatusError as e:
                raise status.StatusError(
                    e.code, f"Error propagating data type and shape through codec {c.describe()}: {e.message}"
                ) from None
            aa.append(rc)
        ab_spec = self.array_to_bytes
        if ab_spec is None:
            if strict:
                raise status.invalid_argument("Missing array -> bytes codec")
            ab_spec = BytesCodec()
        ab, state = ab_spec.resolve(state)
        if ab.is_sharding and self.bytes_to_bytes:
            rest = dump_compact([c.to_json() for c in self.bytes_to_bytes])
            raise status.invalid_argument(
                f"Sharding codec {ab_spec.describe()} is not compatible with subsequent "
                f"bytes -> bytes codecs {rest} that apply to the entire shard.  Instead, "
                "bytes -> bytes codecs may be specified as inner codecs that apply to each sub-chunk "
                "individually."
            )
        bb: list[BytesToBytesCodec] = []
        for b in self.bytes_to_bytes:
            rb, state = b.resolve(state)
            bb.append(rb)
        return CodecPipeline(np.dtype(dtype), tuple(int(n) for n in shape), tuple(aa), ab, tuple(bb))


class CodecPipeline:
    """A resolved codec chain for chunks of one dtype and shape.  Immutable and thread-safe."""

    def __init__(
        self,
        dtype: np.dtype[Any],
        shape: tuple[int, ...],
        array_to_array: tuple[ArrayToArrayCodec, ...],
        array_to_bytes: ArrayToBytesCodec,
        bytes_to_bytes: tuple[BytesToBytesCodec, ...],
    ) -> None:
        self.dtype = dtype
        self.shape = shape
        self.array_to_array = array_to_array
        self.array_to_bytes = array_to_bytes
        self.bytes_to_bytes = bytes_to_bytes
        raw = array_to_bytes.raw_layout()
        # decode straight into a destination's memory: raw element bytes, no array->array codec
        self._direct = raw if (raw is not None and not array_to_array) else None

    @classmethod
    def from_json(cls, codecs: Any, dtype: Any, shape: Sequence[int], *, strict: bool = False) -> CodecPipeline:
        return CodecChainSpec.from_json(codecs).resolve(dtype, shape, strict=strict)

    @property
    def codecs(self) -> list[V3Codec]:
        return [*self.array_to_array, self.array_to_bytes, *self.bytes_to_bytes]

    def to_json(self, include_defaults: bool = False) -> list[dict[str, Any]]:
        """The ``codecs`` list as tensorstore writes it into ``zarr.json``.

        ``include_defaults`` also prints members ``zarr.json`` leaves out but ``spec().to_json()``
        shows (sharding's ``index_location: "end"``).
        """
        return [c.to_json(include_defaults) for c in self.codecs]

    @property
    def sharding(self) -> Any:
        """The resolved ``ShardingCodec`` when this chain shards, else ``None``."""
        return self.array_to_bytes if self.array_to_bytes.is_sharding else None

    @property
    def read_chunk_shape(self) -> tuple[int, ...]:
        """The smallest independently decodable block, in this chunk's (decoded) coordinates.

        The chunk itself, or the innermost sharding sub-chunk mapped back through any transposes.
        """
        inner = self.sharding
        if inner is None:
            return self.shape
        shape = inner.inner.read_chunk_shape  # in the sharding codec's (encoded) coordinates
        for c in reversed(self.array_to_array):
            order = getattr(c, "order", None)
            if order is None:
                continue
            decoded = [0] * len(shape)
            for i, dim in enumerate(order):
                decoded[dim] = shape[i]
            shape = tuple(decoded)
        return tuple(shape)

    def __repr__(self) -> str:
        return f"CodecPipeline({json.dumps(self.to_json())}, dtype={self.dtype}, shape={self.shape})"

    def encode(self, array: Any, fill_value: Any = None) -> bytes:
        """Encode one chunk.  ``fill_value`` lets sharding leave out inner chunks equal to it."""
        arr = np.asarray(array)
        if arr.shape != self.shape:
            raise status.invalid_argument(f"Chunk array has shape {arr.shape}, expected {self.shape}")
        arr = arr.astype(self.dtype, copy=False)
        for c in self.array_to_array:
            arr = c.encode(arr)
        data = self.array_to_bytes.encode(arr, fill_value)
        for b in self.bytes_to_bytes:
            data = b.encode(data)
        return data

    def decode(
        self,
        data: bytes,
        key: str | None = None,
        out: np.ndarray[Any, Any] | None = None,
        fill_value: Any = None,
    ) -> np.ndarray[Any, Any]:
        """Decode one chunk (into ``out`` when given; it may be any strided view of the right shape).

        ``fill_value`` fills the inner chunks a shard does not store (default 0).
        """
        if out is not None and (out.shape != self.shape or out.dtype != self.dtype):
            raise status.invalid_argument(
                f"Decode destination has shape {out.shape} and dtype {out.dtype}, expected {self.shape} {self.dtype}"
            )
        data = bytes(data)
        bbs = self.bytes_to_bytes
        if self._direct is not None:
            direct = out if (out is not None and out.flags.c_contiguous and out.flags.writeable) else None
            target = direct if direct is not None else np.empty(self.shape, self.dtype)
            raw = as_bytes_array(target)
            for b in reversed(bbs[1:]):
                data = b.decode(data, key)
            if bbs:
                bbs[0].decode_into(data, raw, key)
            else:
                copy_decoded(self.array_to_bytes.name, data, raw, key)
            if not self._direct.isnative:
                target[...] = target.view(self._direct).astype(self.dtype)
            if out is not None and target is not out:
                np.copyto(out, target)
                return out
            return target
        for b in reversed(bbs):
            data = b.decode(data, key)
        if not self.array_to_array:
            return self.array_to_bytes.decode(data, key, out, fill_value)
        arr = self.array_to_bytes.decode(data, key, None, fill_value)
        for c in reversed(self.array_to_array):
            arr = c.decode(arr)
        if out is not None:
            np.copyto(out, arr)
            return out
        return np.ascontiguousarray(arr)

    def encoded_size(self) -> int | None:
        """Bytes per encoded chunk when that is fixed (raw ``bytes`` plus checksums), else None."""
        from .v3_codecs import BytesCodec

        ab = self.array_to_bytes
        if not isinstance(ab, BytesCodec):
            return None
        size = ab.nbytes
        for b in self.bytes_to_bytes:
            if b.fixed_overhead is None:
                return None
            size += b.fixed_overhead
        return size
