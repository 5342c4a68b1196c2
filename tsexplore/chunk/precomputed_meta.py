"""neuroglancer precomputed ``info`` metadata and the chunk hooks of one scale.

The ``info`` file describes a multiscale volume: ``data_type``, ``num_channels``, ``type`` and a
list of ``scales``, each with its own ``key`` (directory), ``size``, ``voxel_offset``,
``chunk_sizes``, ``resolution`` and ``encoding``.  A scale opens as a rank-4 array ``x y z
channel`` whose chunk grid starts at ``voxel_offset``; chunk keys name the chunk's box
(``x0-x1_y0-y1_z0-z1``, truncated to the volume), and edge chunks are stored truncated.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import jsonb, status
from ..codec import precomputed as pc
from .format import ChunkFormat

__all__ = [
    "DATA_TYPES",
    "ENCODINGS",
    "MultiscaleInfo",
    "PrecomputedChunkFormat",
    "Scale",
    "parse_info",
    "scale_key_from_resolution",
]

Array = np.ndarray[Any, Any]

DATA_TYPES = ("uint8", "uint16", "uint32", "int8", "int16", "int32", "uint64", "float32")
ENCODINGS = ("raw", "png", "jpeg", "compressed_segmentation")


def encoding_error(value: Any) -> status.StatusError:
    names = ", ".join(f'"{e}"' for e in ENCODINGS)
    return status.invalid_argument(f"Expected one of {names}, but received: {jsonb.dump_compact(value)}")


def parse_encoding(value: Any) -> str:
    if value not in ENCODINGS:
        raise encoding_error(value)
    return str(value)


def parse_data_type(value: Any) -> np.dtype[Any]:
    name = jsonb.expect_string(value)
    if name not in DATA_TYPES:
        from ..dtype import dtype as ts_dtype

        try:
            ts_dtype(name)
        except Exception:
            raise status.invalid_argument(f"Unsupported data type: {jsonb.dump_compact(value)}") from None
        raise status.invalid_argument(
            f"{name} data type is not one of the supported data types: {', '.join(DATA_TYPES)}"
        )
    return np.dtype(name)


def check_encoding_dtype(encoding: str, dtype: np.dtype[Any] | None, channels: int | None) -> None:
    """tensorstore's ValidateEncodingDataType (INVALID_ARGUMENT texts)."""
    name = None if dtype is None else dtype.name
    if encoding == "png":
        if name is not None and name not in ("uint8", "uint16"):
            raise status.invalid_argument(f'"png" encoding only supported for uint8 and uint16, not for {name}')
        if channels is not None and not 1 <= channels <= 4:
            raise status.invalid_argument(f'"png" encoding only supports 1 to 4 channels, not {channels}')
    elif encoding == "jpeg":
        if name is not None and name != "uint8":
            raise status.invalid_argument(f'"jpeg" encoding only supported for uint8, not for {name}')
        if channels is not None and channels not in (1, 3):
            raise status.invalid_argument(f'"jpeg" encoding only supports 1 or 3 channels, not {channels}')
    elif encoding == "compressed_segmentation" and name is not None and name not in ("uint32", "uint64"):
        raise status.invalid_argument(
            f"compressed_segmentation encoding only supported for uint32 and uint64, not for {name}"
        )


def _int3(value: Any, minimum: int | None = None) -> tuple[int, int, int]:
    items = jsonb.expect_int_list(value, minimum=minimum)
    if len(items) != 3:
        raise status.invalid_argument(f"Array has length {len(items)} but should have length 3")
    return (items[0], items[1], items[2])


def _float3(value: Any) -> tuple[float, float, float]:
    items = jsonb.expect_array(value, jsonb.expect_number)
    if len(items) != 3:
        raise status.invalid_argument(f"Array has length {len(items)} but should have length 3")
    return (items[0], items[1], items[2])


def scale_key_from_resolution(resolution: tuple[float, float, float]) -> str:
    """tensorstore's default scale key: ``'4_4_40'`` (absl's shortest float text)."""
    return "_".join(f"{r:g}" if float(r).is_integer() or abs(r) >= 1e-4 else repr(r) for r in resolution)


@dataclass(frozen=True)
class Scale:
    """One entry of ``scales``; ``extra`` keeps members this code does not interpret."""

    key: str
    size: tuple[int, int, int]
    voxel_offset: tuple[int, int, int]
    chunk_sizes: tuple[tuple[int, int, int], ...]
    resolution: tuple[float, float, float]
    encoding: str = "raw"
    jpeg_quality: int = 75
    png_level: int | None = None
    block_size: tuple[int, int, int] | None = None
    sharding: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            chunk_sizes=[list(c) for c in self.chunk_sizes],
            encoding=self.encoding,
            key=self.key,
            resolution=[float(r) for r in self.resolution],
            size=list(self.size),
            voxel_offset=list(self.voxel_offset),
        )
        if self.encoding == "jpeg":
            out["jpeg_quality"] = self.jpeg_quality
        if self.encoding == "png" and self.png_level is not None:
            out["png_level"] = self.png_level
        if self.encoding == "compressed_segmentation" and self.block_size is not None:
            out["compressed_segmentation_block_size"] = list(self.block_size)
        if self.sharding is not None:
            out["sharding"] = self.sharding
        return dict(sorted(out.items()))

    def spec_json(self) -> dict[str, Any]:
        """``scale_metadata`` as ``spec().to_json()`` shows it (one ``chunk_size``, ``sharding``)."""
        out: dict[str, Any] = {
            "chunk_size": list(self.chunk_sizes[0]),
            "encoding": self.encoding,
            "key": self.key,
            "resolution": [float(r) for r in self.resolution],
            "sharding": self.sharding,
            "size": list(self.size),
            "voxel_offset": list(self.voxel_offset),
        }
        if self.encoding == "jpeg":
            out["jpeg_quality"] = self.jpeg_quality
        if self.encoding == "png" and self.png_level is not None:
            out["png_level"] = self.png_level
        if self.encoding == "compressed_segmentation" and self.block_size is not None:
            out["compressed_segmentation_block_size"] = list(self.block_size)
        return dict(sorted(out.items()))


def _check_bounds(size: tuple[int, ...], offset: tuple[int, ...]) -> None:
    limit = 2**62
    if any(s < 0 or abs(o) >= limit or abs(o + s) >= limit for s, o in zip(size, offset)):
        raise status.invalid_argument(
            f'"size" of {jsonb.dump_compact(list(size))} and "voxel_offset" of '
            f"{jsonb.dump_compact(list(offset))} do not specify a valid region"
        )


def _encoding_members(r: jsonb.ObjectReader, encoding: str | None) -> dict[str, Any]:
    """``jpeg_quality``/``png_level``/``compressed_segmentation_block_size`` (each only with its encoding)."""
    out: dict[str, Any] = {}

    def only(name: str, enc: str, parse: Any) -> None:
        if not r.has(name):
            r.ignore(name)
            return

        def check(v: Any) -> Any:
            if encoding != enc:
                raise status.invalid_argument(f'Only valid for "{enc}" encoding')
            return parse(v)

        out[name] = r.get(name, check)

    only("jpeg_quality", "jpeg", lambda v: jsonb.expect_int(v, minimum=0, maximum=100))
    only("png_level", "png", lambda v: jsonb.expect_int(v, minimum=0, maximum=9))
    only("compressed_segmentation_block_size", "compressed_segmentation", lambda v: _int3(v, 1))
    return out


def parse_scale(value: Any) -> Scale:
    r = jsonb.ObjectReader(value)
    key = r.get("key", jsonb.expect_string)
    resolution = r.get("resolution", _float3)
    sharding = r.get("sharding", lambda v: None if v is None else jsonb.expect_object(v), None)
    encoding = r.get("encoding", parse_encoding)
    enc = _encoding_members(r, encoding)
    if encoding == "compressed_segmentation" and "compressed_segmentation_block_size" not in enc:
        raise status.invalid_argument('"compressed_segmentation_block_size" must be specified')
    size = r.get("size", lambda v: _int3(v, 0))
    offset = r.get("voxel_offset", _int3, (0, 0, 0))
    chunks = r.get("chunk_sizes", lambda v: jsonb.expect_array(v, lambda c: _int3(c, 1)))
    if not chunks:
        raise status.invalid_argument("At least one chunk size must be specified")
    if sharding is not None and len(chunks) != 1:
        raise status.invalid_argument("Sharded format does not support more than one chunk size")
    _check_bounds(size, offset)
    return Scale(
        key,
        size,
        offset,
        tuple(chunks),
        resolution,
        encoding,
        enc.get("jpeg_quality", 75),
        enc.get("png_level"),
        enc.get("compressed_segmentation_block_size"),
        sharding,
        r.rest(),
    )


@dataclass(frozen=True)
class MultiscaleInfo:
    """The whole ``info`` file."""

    type: str
    dtype: np.dtype[Any]
    num_channels: int
    scales: tuple[Scale, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.extra)
        out.update(
            {
                "@type": "neuroglancer_multiscale_volume",
                "data_type": self.dtype.name,
                "num_channels": self.num_channels,
                "scales": [s.to_json() for s in self.scales],
                "type": self.type,
            }
        )
        return dict(sorted(out.items()))

    def with_scale(self, scale: Scale) -> MultiscaleInfo:
        extra = copy.deepcopy(self.extra)
        return MultiscaleInfo(self.type, self.dtype, self.num_channels, (*self.scales, scale), extra)


def _expect_type_id(value: Any) -> str:
    if value != "neuroglancer_multiscale_volume":
        raise status.invalid_argument(
            f'Expected "neuroglancer_multiscale_volume", but received: {jsonb.dump_compact(value)}'
        )
    return str(value)


def parse_info(value: Any) -> MultiscaleInfo:
    r = jsonb.ObjectReader(value)
    if r.has("@type"):
        r.get("@type", _expect_type_id)
    kind = r.get("type", jsonb.expect_string)
    dtype = r.get("data_type", parse_data_type)
    channels = r.get("num_channels", lambda v: jsonb.expect_int(v, minimum=1))
    scales = r.get("scales", lambda v: jsonb.expect_array(v, parse_scale))
    info = MultiscaleInfo(kind, dtype, channels, tuple(scales), r.rest())
    for s in scales:
        check_encoding_dtype(s.encoding, dtype, channels)
    return info


class PrecomputedChunkFormat(ChunkFormat):
    """Chunk hooks of one unsharded scale.

    The engine's coordinates are ``(x, y, z, channel)`` relative to ``voxel_offset``; a chunk is
    stored as ``(channel, z, y, x)`` truncated to the volume, so coding needs the chunk's cell.
    """

    def __init__(self, info: MultiscaleInfo, scale: Scale, prefix: str) -> None:
        self.info = info
        self.scale = scale
        self.prefix = prefix
        self.dtype = info.dtype
        cs = scale.chunk_sizes[0]
        self.chunk_shape = (cs[0], cs[1], cs[2], info.num_channels)
        self.fill_value = np.zeros((), dtype=info.dtype)

    # -- keys ---------------------------------------------------------------------------------------
    def box(self, cell: tuple[int, ...]) -> tuple[list[int], list[int]]:
        """Absolute ``[lo, hi)`` of grid cell ``cell`` (x, y, z), truncated to the volume."""
        s = self.scale
        lo = [s.voxel_offset[d] + cell[d] * self.chunk_shape[d] for d in range(3)]
        hi = [min(lo[d] + self.chunk_shape[d], s.voxel_offset[d] + s.size[d]) for d in range(3)]
        return lo, hi

    def key(self, cell: tuple[int, ...]) -> str:
        lo, hi = self.box(cell)
        name = "_".join(f"{a}-{b}" for a, b in zip(lo, hi))
        return f"{self.prefix}{name}"

    def _stored_shape(self, cell: tuple[int, ...]) -> tuple[int, int, int, int]:
        """``(c, z, y, x)`` of the stored (edge-truncated) chunk of grid cell ``cell``."""
        lo, hi = self.box(cell)
        return (self.info.num_channels, hi[2] - lo[2], hi[1] - lo[1], hi[0] - lo[0])

    # -- coding -------------------------------------------------------------------------------------
    def decode(self, data: bytes, cell: tuple[int, ...], key: str, out: Array | None = None) -> Array:
        shape = self._stored_shape(cell)
        s = self.scale
        if s.encoding == "raw":
            stored = pc.decode_raw(data, shape, self.dtype)
        elif s.encoding in ("jpeg", "png"):
            stored = pc.decode_image(data, s.encoding, shape, self.dtype)
        else:
            assert s.block_size is not None
            stored = pc.decode_compressed_segmentation(data, shape, self.dtype, s.block_size)
        view = stored.transpose(3, 2, 1, 0)  # (x, y, z, c)
        if view.shape == self.chunk_shape and out is None:
            return view
        dest = np.zeros(self.chunk_shape, dtype=self.dtype) if out is None else out
        if view.shape != self.chunk_shape:
            dest[...] = 0
        dest[: view.shape[0], : view.shape[1], : view.shape[2]] = view
        return dest

    def encode(self, chunk: Array, cell: tuple[int, ...]) -> bytes:
        lo, hi = self.box(cell)
        part = chunk[: hi[0] - lo[0], : hi[1] - lo[1], : hi[2] - lo[2]].transpose(3, 2, 1, 0)
        s = self.scale
        if s.encoding == "raw":
            return pc.encode_raw(part)
        if s.encoding == "jpeg":
            return pc.encode_image(part, "jpeg", quality=s.jpeg_quality)
        if s.encoding == "png":
            return pc.encode_image(part, "png", level=s.png_level)
        assert s.block_size is not None
        return pc.encode_compressed_segmentation(part, s.block_size)
