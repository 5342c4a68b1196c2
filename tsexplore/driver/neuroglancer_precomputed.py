"""The ``neuroglancer_precomputed`` driver: one scale of a precomputed multiscale volume.

A scale opens as a rank-4 array ``x y z channel`` over ``[voxel_offset, voxel_offset + size)``
with explicit bounds, units from ``resolution`` (nm).  The I/O is the shared chunked driver with
its grid origin at ``voxel_offset``; :class:`~tsexplore.chunk.precomputed_meta.PrecomputedChunkFormat`
names, truncates and codes the chunks.  Creating adds a scale to the ``info`` file (or writes a new
one).  Sharded scales (``neuroglancer_uint64_sharded_v1``) are not supported yet.
"""

from __future__ import annotations

import copy as _copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import jsonb, status
from ..chunk.format import ChunkFormat
from ..chunk.kvio import KvAccess
from ..chunk.precomputed_meta import (
    MultiscaleInfo,
    PrecomputedChunkFormat,
    Scale,
    check_encoding_dtype,
    parse_data_type,
    parse_encoding,
    parse_info,
    scale_key_from_resolution,
)
from ..codec_spec import register_codec
from ..index.interval import INF
from ..index.transform import IndexDomain, IndexTransform
from ..kvstore.types import NO_VALUE
from .base import Driver, DriverSpec, OpenRequest, SpecOptions
from .kvs_backed import ChunkedDriver, MetadataFormat, _open_kvstore, _parse_stored, _read_metadata, schema_attr
from .registry import register_driver

__all__ = ["PrecomputedDriver", "PrecomputedDriverSpec"]

Array = np.ndarray[Any, Any]
LABELS = ("x", "y", "z", "channel")
_TARGET_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class OpenedScale:
    """The metadata an open array holds: the whole ``info`` and the scale it reads."""

    info: MultiscaleInfo
    index: int

    @property
    def scale(self) -> Scale:
        return self.info.scales[self.index]


def _int3(value: Any, minimum: int | None = None) -> list[int]:
    items = jsonb.expect_int_list(value, minimum=minimum)
    if len(items) != 3:
        raise status.invalid_argument(f"Array has length {len(items)} but should have length 3")
    return items


def _float3(value: Any) -> list[float]:
    items = jsonb.expect_array(value, jsonb.expect_number)
    if len(items) != 3:
        raise status.invalid_argument(f"Array has length {len(items)} but should have length 3")
    return items


def parse_scale_constraints(value: Any) -> dict[str, Any]:
    """A spec's ``scale_metadata`` member (every member optional), normalised."""
    r = jsonb.ObjectReader(value)
    out: dict[str, Any] = {}
    if r.has("key"):
        out["key"] = r.get("key", jsonb.expect_string)
    if r.has("resolution"):
        out["resolution"] = r.get("resolution", _float3)
    if r.has("sharding"):
        out["sharding"] = r.get("sharding", lambda v: None if v is None else jsonb.expect_object(v))
    enc = r.get("encoding", parse_encoding, None)
    if enc is not None:
        out["encoding"] = enc

    def only(name: str, want: str, parse: Callable[[Any], Any]) -> None:
        if r.has(name):

            def check(v: Any) -> Any:
                if enc != want:
                    raise status.invalid_argument(f'Only valid for "{want}" encoding')
                return parse(v)

            out[name] = r.get(name, check)

    only("jpeg_quality", "jpeg", lambda v: jsonb.expect_int(v, minimum=0, maximum=100))
    only("png_level", "png", lambda v: jsonb.expect_int(v, minimum=0, maximum=9))
    only("compressed_segmentation_block_size", "compressed_segmentation", lambda v: _int3(v, 1))
    if r.has("size"):
        out["size"] = r.get("size", lambda v: _int3(v, 0))
    if r.has("voxel_offset"):

        def offset(v: Any) -> list[int]:
            if "size" not in out:
                raise status.invalid_argument('cannot be specified without "size"')
            return _int3(v)

        out["voxel_offset"] = r.get("voxel_offset", offset)
    if r.has("chunk_size"):
        out["chunk_size"] = r.get("chunk_size", lambda v: _int3(v, 1))
    r.finish()
    return out


def parse_multiscale_constraints(value: Any) -> dict[str, Any]:
    r = jsonb.ObjectReader(value)
    out: dict[str, Any] = {}
    if r.has("type"):
        out["type"] = r.get("type", jsonb.expect_string)
    if r.has("data_type"):
        out["data_type"] = r.get("data_type", lambda v: parse_data_type(v).name)
    if r.has("num_channels"):
        out["num_channels"] = r.get("num_channels", lambda v: jsonb.expect_int(v, minimum=1))
    r.finish()
    return out


def _mismatch(name: str, want: Any, got: Any) -> status.StatusError:
    return status.failed_precondition(
        f"Expected {json.dumps(name)} of {jsonb.dump_compact(want)} but received: {jsonb.dump_compact(got)}"
    )


def _check_multiscale(c: dict[str, Any], info: MultiscaleInfo) -> None:
    if "data_type" in c and c["data_type"] != info.dtype.name:
        raise _mismatch("data_type", c["data_type"], info.dtype.name)
    if "type" in c and c["type"] != info.type:
        raise _mismatch("type", c["type"], info.type)
    if "num_channels" in c and c["num_channels"] != info.num_channels:
        raise _mismatch("num_channels", c["num_channels"], info.num_channels)


def _check_scale(c: dict[str, Any], s: Scale) -> None:
    if "chunk_size" in c and tuple(c["chunk_size"]) not in s.chunk_sizes:
        raise _mismatch("chunk_size", c["chunk_size"], [list(x) for x in s.chunk_sizes])
    if "size" in c and tuple(c["size"]) != s.size:
        raise _mismatch("size", c["size"], list(s.size))
    if "voxel_offset" in c and tuple(c["voxel_offset"]) != s.voxel_offset:
        raise _mismatch("voxel_offset", c["voxel_offset"], list(s.voxel_offset))
    if "encoding" in c and c["encoding"] != s.encoding:
        raise _mismatch("encoding", c["encoding"], s.encoding)
    if "compressed_segmentation_block_size" in c and tuple(c["compressed_segmentation_block_size"]) != s.block_size:
        raise _mismatch("compressed_segmentation_block_size", c["compressed_segmentation_block_size"], s.block_size)
    if "sharding" in c and c["sharding"] != s.sharding:
        raise _mismatch("sharding", c["sharding"], s.sharding)


def _unit_resolution(schema: Any) -> list[float | None]:
    units = schema_attr(schema, "dimension_units")
    out: list[float | None] = [None, None, None]
    if units is None:
        return out
    for i, u in enumerate(list(units)[:3]):
        if u is not None:
            if str(u.base_unit) != "nm":
                raise status.invalid_argument(
                    f'Dimension units for dimension {i} must be specified in "nm", but received: {u}'
                )
            out[i] = float(u.multiplier)
    return out


def _default_chunk(shape: list[int], channels: int, target: int = _TARGET_ELEMENTS) -> list[int]:
    """tensorstore's default chunk: near-cubic, about ``target`` elements with all channels."""
    free = [0, 1, 2]
    chunk = [0, 0, 0]
    budget = target / max(1, channels)
    while free:
        side = max(1, int(budget ** (1.0 / len(free)) + 1e-9))
        small = [d for d in free if max(1, shape[d]) <= side]
        if not small:
            for d in free:
                chunk[d] = side
            break
        for d in small:
            chunk[d] = max(1, shape[d])
            budget /= chunk[d]
            free.remove(d)
    return chunk


def _grid(layout: Any, name: str) -> list[int] | None:
    if layout is None:
        return None
    try:
        shape = getattr(layout, name).shape
    except Exception:
        return None
    if shape is None or len(shape) < 3 or any(s is None or s <= 0 for s in list(shape)[:3]):
        return None
    return [int(s) for s in list(shape)[:3]]


class PrecomputedMetadataFormat(MetadataFormat):
    """The metadata hooks the shared chunked driver calls (``meta`` is an :class:`OpenedScale`)."""

    driver_name: ClassVar[str] = "neuroglancer_precomputed"
    metadata_key: ClassVar[str] = "info"

    def parse(self, value: Any) -> MultiscaleInfo:
        return parse_info(value)

    def to_json(self, meta: Any, include_defaults: bool = False) -> dict[str, Any]:
        info = meta.info if isinstance(meta, OpenedScale) else meta
        return info.to_json()

    def create(self, constraints: dict[str, Any], schema: Any) -> Any:
        raise status.StatusError("UNIMPLEMENTED", "use PrecomputedDriverSpec.open")

    def validate(self, meta: Any, constraints: dict[str, Any], schema: Any, options: dict[str, Any]) -> None:
        return None

    def chunk_format(self, meta: OpenedScale, options: dict[str, Any]) -> ChunkFormat:
        return PrecomputedChunkFormat(meta.info, meta.scale, f"{meta.scale.key}/")

    def shape(self, meta: OpenedScale) -> tuple[int, ...]:
        return (*meta.scale.size, meta.info.num_channels)

    def with_shape(self, meta: OpenedScale, shape: tuple[int, ...]) -> OpenedScale:
        return meta

    def labels(self, meta: OpenedScale) -> tuple[str, ...]:
        return LABELS

    def dimension_units(self, meta: OpenedScale) -> tuple[Any, ...]:
        from ..unit import Unit

        return (*(Unit(float(r), "nm") for r in meta.scale.resolution), None)

    def codec_json(self, meta: OpenedScale) -> dict[str, Any]:
        s = meta.scale
        out: dict[str, Any] = {"driver": "neuroglancer_precomputed", "encoding": s.encoding}
        if s.encoding == "jpeg":
            out["jpeg_quality"] = s.jpeg_quality
        if s.encoding == "png" and s.png_level is not None:
            out["png_level"] = s.png_level
        return out

    def fill_value(self, meta: Any, fmt: ChunkFormat) -> Array | None:
        return None


_FORMAT = PrecomputedMetadataFormat()


class PrecomputedDriver(ChunkedDriver):
    """An open scale: the shared chunked driver with a ``voxel_offset`` origin and explicit bounds."""

    resizable: ClassVar[bool] = False

    @property
    def origin(self) -> tuple[int, ...]:
        return (*self.meta.scale.voxel_offset, 0)

    async def refresh(self, transaction: Any = None) -> None:
        return None  # bounds are explicit: nothing to re-read

    def spec(self, options: SpecOptions) -> DriverSpec:
        from ..schema import Schema

        spec = PrecomputedDriverSpec(Schema(dtype=self.dtype))
        spec.kvstore = self._kv.spec()
        spec.resource_values = dict(self.open_spec.resource_values)
        spec.scale_index = self.meta.index
        if not options.minimal_spec:
            spec.scale_metadata = self.meta.scale.spec_json()
            spec.multiscale_metadata = {"num_channels": self.meta.info.num_channels, "type": self.meta.info.type}
        spec.store_data_equal_to_fill_value = self.open_spec.store_data_equal_to_fill_value
        spec.fill_missing_data_reads = self.open_spec.fill_missing_data_reads
        return spec

    @property
    def chunk_layout(self) -> Any:
        from ..chunk_layout import ChunkLayout

        shape = list(self.chunk_fmt.chunk_shape)
        kw: dict[str, Any] = {}
        s = self.meta.scale
        if s.encoding == "compressed_segmentation" and s.block_size is not None:
            kw["codec_chunk_shape"] = [*s.block_size, 1]
        return ChunkLayout(
            grid_origin=list(self.origin),
            inner_order=[3, 2, 1, 0],
            write_chunk_shape=shape,
            read_chunk_shape=shape,
            **kw,
        )


def _normalize_codec(value: dict[str, Any]) -> dict[str, Any]:
    r = jsonb.ObjectReader(value)
    out: dict[str, Any] = {}
    enc = r.get("encoding", parse_encoding, None)
    if enc is not None:
        out["encoding"] = enc
    if r.has("jpeg_quality"):
        out["jpeg_quality"] = r.get("jpeg_quality", lambda v: jsonb.expect_int(v, minimum=0, maximum=100))
    if r.has("png_level"):
        out["png_level"] = r.get("png_level", lambda v: jsonb.expect_int(v, minimum=0, maximum=9))
    if r.has("shard_data_encoding"):
        out["shard_data_encoding"] = r.get("shard_data_encoding", jsonb.expect_string)
    r.finish()
    return out


register_codec("neuroglancer_precomputed", _normalize_codec)


@register_driver
class PrecomputedDriverSpec(DriverSpec):
    driver_name: ClassVar[str] = "neuroglancer_precomputed"
    uses_kvstore: ClassVar[bool] = True
    kvstore_is_directory: ClassVar[bool] = True
    context_resources: ClassVar[tuple[str, ...]] = ("cache_pool", "data_copy_concurrency")

    scale_index: int | None = None
    scale_metadata: dict[str, Any]
    multiscale_metadata: dict[str, Any]
    store_data_equal_to_fill_value: bool = False
    fill_missing_data_reads: bool = True
    options: dict[str, Any]

    def __init__(self, schema: Any) -> None:
        super().__init__(schema)
        self.scale_metadata = {}
        self.multiscale_metadata = {}
        self.options = {}

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Any) -> PrecomputedDriverSpec:
        self = cls(schema)
        self.scale_index = reader.get("scale_index", _expect_u64, None)
        self.scale_metadata = reader.get("scale_metadata", parse_scale_constraints, {})
        self.multiscale_metadata = reader.get("multiscale_metadata", parse_multiscale_constraints, {})
        self.store_data_equal_to_fill_value = reader.get("store_data_equal_to_fill_value", jsonb.expect_bool, False)
        self.fill_missing_data_reads = reader.get("fill_missing_data_reads", jsonb.expect_bool, True)
        if "encoding" in self.scale_metadata:
            dt = self.multiscale_metadata.get("data_type")
            try:
                check_encoding_dtype(
                    self.scale_metadata["encoding"],
                    None if dt is None else np.dtype(dt),
                    self.multiscale_metadata.get("num_channels"),
                )
            except status.StatusError as e:
                raise e.prefixed('Error parsing object member "scale_metadata"') from None
        return self

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.multiscale_metadata:
            out["multiscale_metadata"] = dict(sorted(self.multiscale_metadata.items()))
        if self.scale_index is not None:
            out["scale_index"] = self.scale_index
        if self.scale_metadata:
            out["scale_metadata"] = dict(sorted(self.scale_metadata.items()))
        if include_defaults or self.store_data_equal_to_fill_value:
            out["store_data_equal_to_fill_value"] = self.store_data_equal_to_fill_value
        if include_defaults or not self.fill_missing_data_reads:
            out["fill_missing_data_reads"] = self.fill_missing_data_reads
        return out

    def strip_for_minimal(self) -> DriverSpec:
        clone = _copy.copy(self)
        clone.scale_metadata = {}
        clone.multiscale_metadata = {}
        return clone

    # -- schema implied by the members -----------------------------------------------------------------
    def spec_domain(self) -> IndexDomain:
        c = self.scale_metadata
        ch = self.multiscale_metadata.get("num_channels")
        if "size" in c:
            lo = tuple(c.get("voxel_offset", [0, 0, 0]))
            hi = tuple(a + s for a, s in zip(lo, c["size"]))
            ilo, ihi = (False,) * 3, (False,) * 3
        else:
            lo, hi = (-INF,) * 3, (INF + 1,) * 3
            ilo, ihi = (True,) * 3, (True,) * 3
        hi4 = INF + 1 if ch is None else int(ch)
        return IndexDomain._make(((*lo, 0), (*hi, hi4), (*ilo, False), (*ihi, ch is None), LABELS))

    def effective_schema(self) -> Any:
        from ..dtype import dtype as ts_dtype
        from ..schema import merge_domains

        out = self.schema.copy()
        if out.dtype is None and "data_type" in self.multiscale_metadata:
            out._dtype = ts_dtype(self.multiscale_metadata["data_type"])
        dom = self.spec_domain()
        sdom = schema_attr(self.schema, "domain")
        out._domain = dom if sdom is None else merge_domains(sdom, dom)
        out._rank = 4
        return out

    def implied_transform(self) -> IndexTransform | None:
        return IndexTransform(self.effective_schema()._domain)

    # -- open ------------------------------------------------------------------------------------------
    async def open(self, request: OpenRequest) -> Driver:
        if self.kvstore is None:
            raise status.invalid_argument('"kvstore" must be specified')
        kv = await _open_kvstore(self.kvstore, request.context)
        access = KvAccess(kv.driver, kv.path)
        txn = request.transaction
        if txn is not None:
            txn.check_open()
        if request.delete_existing:
            from ..kvstore.types import KeyRange

            await kv.driver.delete_range(KeyRange.prefix(access.prefix))
        where = access.describe("info")
        opened: OpenedScale | None = None
        if request.assume_metadata or request.assume_cached_metadata:
            info, index = self._new_scale(None, request.schema)
            opened = OpenedScale(info, index)
        else:
            stamp_gen = NO_VALUE
            if txn is None:
                res = await access.read("info")
                value = res.value if res.state == "value" else None
                if value is not None:
                    stamp_gen = res.stamp.generation
            else:
                value = await _read_metadata(access, "info", txn)
            existing = None if value is None else _parse_stored(_FORMAT, value, where)
            if existing is None and not request.create:
                raise status.not_found(f"Metadata at {where} does not exist")
            if existing is not None and request.open:
                try:
                    opened = OpenedScale(existing, self._open_scale(existing, request.schema))
                except status.StatusError as e:
                    if not request.create or e.code != "NOT_FOUND":
                        raise
            if opened is None:
                try:
                    info, index = self._new_scale(existing, request.schema)
                except status.StatusError as e:
                    raise e.prefixed(f"Error writing {where}") from None
                data = jsonb.dump_compact(info.to_json()).encode()
                if txn is not None:
                    from ..transaction import Mutation

                    txn.stage(access.driver, access.full_key("info"), Mutation(lambda old: data, len(data)))
                else:
                    written = await access.write("info", data, stamp_gen)
                    if written.generation == b"":
                        raise status.aborted(f"Error writing {where}: Generation mismatch")
                opened = OpenedScale(info, index)
        self._validate_schema(opened, request.schema)
        # the shared driver uses only members this spec has too (options, resource values, flags)
        spec: Any = self
        return PrecomputedDriver(type(spec), _FORMAT, opened, kv, access, request, spec)

    def _open_scale(self, info: MultiscaleInfo, schema: Any) -> int:
        """tensorstore's OpenScale: by ``scale_index``, else the first matching key / resolution."""
        _check_multiscale(self.multiscale_metadata, info)
        c = self.scale_metadata
        if self.scale_index is not None:
            if self.scale_index >= len(info.scales):
                raise status.failed_precondition(
                    f"Scale {self.scale_index} does not exist, number of scales is {len(info.scales)}"
                )
            index = self.scale_index
        else:
            res = _unit_resolution(schema)
            if "resolution" in c:
                res = [float(x) for x in c["resolution"]]
            found = [
                i
                for i, s in enumerate(info.scales)
                if ("key" not in c or s.key == c["key"])
                and all(r is None or r == sr for r, sr in zip(res, s.resolution))
            ]
            if not found:
                parts = []
                if any(r is not None for r in res):
                    parts.append(
                        "dimension_units=[" + ", ".join("null" if r is None else f'"{r:g} nm"' for r in res) + ', null]'
                    )
                if "key" in c:
                    parts.append(f"key={json.dumps(c['key'])}")
                raise status.not_found("No scale found matching " + ", ".join(parts))
            index = found[0]
        _check_scale(c, info.scales[index])
        return index

    def _new_scale(self, existing: MultiscaleInfo | None, schema: Any) -> tuple[MultiscaleInfo, int]:
        """The ``info`` with a new scale built from the constraints (tensorstore's CreateScale)."""
        m, c = self.multiscale_metadata, self.scale_metadata
        sdt = schema_attr(schema, "dtype")
        dtype_name = m.get("data_type") or (None if sdt is None else np.dtype(sdt.numpy_dtype).name)
        if existing is not None:
            dtype_name = dtype_name or existing.dtype.name
        if dtype_name is None:
            raise status.invalid_argument("dtype must be specified")
        dtype = parse_data_type(dtype_name)
        dom = self.effective_schema()._domain
        if dom is None or any(abs(x) >= INF for x in (*dom.inclusive_min[:3], *dom.exclusive_max[:3])):
            raise status.invalid_argument("domain must be specified")
        if "num_channels" not in m and dom.implicit_upper_bounds[3] and existing is None:
            channels = 1 if dom.exclusive_max[3] > INF else int(dom.shape[3])
        else:
            channels = int(m.get("num_channels", existing.num_channels if existing else dom.shape[3]))
        offset = [int(x) for x in dom.inclusive_min[:3]]
        size = [int(x) for x in dom.shape[:3]]
        kind = m.get("type") or ("segmentation" if dtype_name in ("uint32", "uint64") else "image")
        res = _unit_resolution(schema)
        resolution = [float(x) for x in c["resolution"]] if "resolution" in c else [r or 1.0 for r in res]
        codec = schema_attr(schema, "codec")
        cj = {} if codec is None else dict(codec.to_json())
        encoding = c.get("encoding") or cj.get("encoding") or "raw"
        layout = schema_attr(schema, "chunk_layout")
        chunk = c.get("chunk_size") or _grid(layout, "read_chunk") or _grid(layout, "write_chunk")
        if chunk is None:
            chunk = _default_chunk(size, channels)
        block = None
        if encoding == "compressed_segmentation":
            given = c.get("compressed_segmentation_block_size") or _grid(layout, "codec_chunk")
            block = tuple(given or _default_chunk(list(chunk), 1, 512))
        if c.get("sharding") is not None:
            raise status.StatusError("UNIMPLEMENTED", "tsexplore: sharded neuroglancer_precomputed is not supported")
        key = c.get("key") or scale_key_from_resolution((resolution[0], resolution[1], resolution[2]))
        if existing is None:
            if self.scale_index not in (None, 0):
                raise status.failed_precondition(f"Cannot create scale {self.scale_index} in new multiscale volume")
            base = MultiscaleInfo(kind, dtype, channels, ())
        else:
            _check_multiscale(m, existing)
            if self.scale_index is not None:
                if self.scale_index < len(existing.scales):
                    raise status.already_exists(f"Scale index {self.scale_index} already exists")
                if self.scale_index != len(existing.scales):
                    raise status.failed_precondition(
                        f"Scale index to create ({self.scale_index}) must equal the existing number of scales "
                        f"({len(existing.scales)})"
                    )
            else:
                for s in existing.scales:
                    if s.key == key:
                        raise status.already_exists(f"Scale with key {json.dumps(key)} already exists")
                if "key" not in c:
                    for s in existing.scales:
                        if list(s.resolution) == resolution:
                            raise status.already_exists(
                                f"Scale with resolution {jsonb.dump_compact([float(r) for r in resolution])} "
                                "already exists"
                            )
            base = existing
        try:
            check_encoding_dtype(encoding, base.dtype, base.num_channels)
        except status.StatusError as e:
            raise status.failed_precondition(e.message) from None
        scale = Scale(
            key,
            (size[0], size[1], size[2]),
            (offset[0], offset[1], offset[2]),
            ((int(chunk[0]), int(chunk[1]), int(chunk[2])),),
            (resolution[0], resolution[1], resolution[2]),
            encoding,
            int(c.get("jpeg_quality", cj.get("jpeg_quality", 75))),
            c.get("png_level", cj.get("png_level")),
            None if block is None else (int(block[0]), int(block[1]), int(block[2])),
        )
        info = base.with_scale(scale)
        return info, len(info.scales) - 1

    def _validate_schema(self, opened: OpenedScale, schema: Any) -> None:
        from ..dtype import dtype as ts_dtype

        sdt = schema_attr(schema, "dtype")
        if sdt is not None and np.dtype(sdt.numpy_dtype) != opened.info.dtype:
            raise status.failed_precondition(
                f"data_type from metadata ({opened.info.dtype.name}) does not match dtype in schema "
                f"({ts_dtype(np.dtype(sdt.numpy_dtype)).name})"
            )
        if schema_attr(schema, "fill_value") is not None:
            raise status.invalid_argument("fill_value not supported by neuroglancer_precomputed format")
        sdom = schema_attr(schema, "domain")
        if sdom is not None:
            s = opened.scale
            lo = (*s.voxel_offset, 0)
            hi = tuple(a + b for a, b in zip(lo, (*s.size, opened.info.num_channels)))
            have = IndexDomain._make((lo, hi, (False,) * 4, (False,) * 4, LABELS))
            from ..schema import merge_domains

            try:
                merge_domains(have, sdom)
            except status.StatusError as e:
                raise status.failed_precondition(
                    f"domain from metadata does not match domain in schema: {e.message}"
                ) from None
        if opened.scale.sharding is not None:
            raise status.StatusError(
                "UNIMPLEMENTED", "tsexplore: sharded neuroglancer_precomputed scales are not supported"
            )


def _expect_u64(value: Any) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if not ok:
        raise status.invalid_argument(f"Expected 64-bit unsigned integer, but received: {jsonb.dump_compact(value)}")
    return int(value)
