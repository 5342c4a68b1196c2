"""The ``zarr`` driver: zarr v2 arrays (``.zarray``) over any kvstore (URL scheme ``zarr2:``).

Creation defaults as tensorstore: blosc lz4 compressor, ``dimension_separator '.'``, ``fill_value
null``, C order.  Dimension units are rejected (zarr v2 has nowhere to store them).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import status
from ..chunk.format import Array, ChunkFormat
from ..chunk.zarr2_meta import Zarr2Format, Zarr2Metadata, parse_zarr2_metadata
from ..codec import decode_v2_fill_value, normalize_v2_compressor, parse_v2_compressor, parse_v2_dtype, v2_dtype_json
from ..codec_spec import register_codec
from ..index.transform import IndexDomain
from ..jsonb import dump_compact, expect_string
from .kvs_backed import ChunkedDriverSpec, MetadataFormat, default_chunk_shape, schema_attr
from .registry import register_driver
from .zarr3 import _grid_shape, _np_dtype, _validate_schema

__all__ = ["ZarrDriverSpec", "ZarrMetadataFormat"]


class _DTypeOnly:
    """Just enough metadata for :meth:`ZarrMetadataFormat.extra_dims`."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype


_DEFAULT_COMPRESSOR = {"blocksize": 0, "clevel": 5, "cname": "lz4", "id": "blosc", "shuffle": -1}


class ZarrMetadataFormat(MetadataFormat):
    driver_name: ClassVar[str] = "zarr"
    metadata_key: ClassVar[str] = ".zarray"

    def parse(self, value: Any) -> Zarr2Metadata:
        return parse_zarr2_metadata(value)

    def to_json(self, meta: Zarr2Metadata, include_defaults: bool = False) -> dict[str, Any]:
        return meta.to_json()

    def shape(self, meta: Zarr2Metadata) -> tuple[int, ...]:
        return meta.shape

    def with_shape(self, meta: Zarr2Metadata, shape: tuple[int, ...]) -> Zarr2Metadata:
        return meta.with_shape(shape)

    def extra_dims(self, meta: Zarr2Metadata, options: dict[str, Any]) -> tuple[int, ...]:
        field = options.get("field")
        if field is None:
            return tuple(meta.dtype.inner_shape)
        for f in meta.dtype.fields:
            if f.name == field:
                return tuple(f.shape)
        return ()

    def implied_domain(self, constraints: dict[str, Any], options: dict[str, Any]) -> IndexDomain | None:
        shape = constraints.get("shape")
        if not isinstance(shape, list) or "dtype" not in constraints:
            return None  # the dtype decides the extra (field / array) dimensions
        dtype = parse_v2_dtype(constraints["dtype"])
        if dtype.has_fields and options.get("field") is None:
            names = ",".join(f'"{f.name}"' for f in dtype.fields)
            raise status.failed_precondition(f'Must specify a "field" that is one of: [{names}]')
        extra = self.extra_dims(_DTypeOnly(dtype), options)  # type: ignore[arg-type]
        full = tuple(int(x) for x in shape) + tuple(extra)
        n, m = len(full), len(shape)
        upper = (True,) * m + (False,) * (n - m)
        return IndexDomain._make(((0,) * n, full, (False,) * n, upper, ("",) * n))

    def implied_dtype(self, constraints: dict[str, Any], options: dict[str, Any]) -> Any:
        if "dtype" not in constraints:
            return None
        dt = parse_v2_dtype(constraints["dtype"])
        field = options.get("field")
        if field is None:
            return None if dt.has_fields else dt.native
        for f in dt.fields:
            if f.name == field:
                base = np.dtype(f.dtype)
                return base.newbyteorder("=") if base.byteorder in "<>" else base
        return None

    def codec_json(self, meta: Zarr2Metadata) -> dict[str, Any]:
        comp = None if meta.compressor is None else meta.compressor.to_json()
        return {"compressor": comp, "driver": "zarr", "filters": None}

    def chunk_format(self, meta: Zarr2Metadata, options: dict[str, Any]) -> ChunkFormat:
        return Zarr2Format(meta, options.get("field"))

    def fill_value(self, meta: Zarr2Metadata, fmt: ChunkFormat) -> Array | None:
        return None if meta.fill_value is None else fmt.fill_value

    def create(self, c: dict[str, Any], schema: Any) -> Zarr2Metadata:
        if any(u is not None for u in (schema_attr(schema, "dimension_units") or ())):
            raise status.invalid_argument("Dimension units not supported by zarr driver")
        sdt = schema_attr(schema, "dtype")
        if "dtype" in c:
            dtype = parse_v2_dtype(c["dtype"])
        elif sdt is not None:
            dtype = parse_v2_dtype(v2_dtype_json(_np_dtype(sdt)))
        else:
            raise status.invalid_argument("dtype must be specified")
        domain = schema_attr(schema, "domain")
        if "shape" in c:
            shape = tuple(int(x) for x in c["shape"])
        elif domain is not None:
            shape = tuple(int(x) for x in domain.shape)
        else:
            raise status.invalid_argument("domain must be specified")
        layout = schema_attr(schema, "chunk_layout")
        write = _grid_shape(layout, "write_chunk", len(shape)) or _grid_shape(layout, "read_chunk", len(shape))
        chunks = tuple(c["chunks"]) if "chunks" in c else (write or default_chunk_shape(shape))
        codec = schema_attr(schema, "codec")
        cjson = codec.to_json() if codec is not None else {}
        if "compressor" in c:
            comp = parse_v2_compressor(c["compressor"])
        elif "compressor" in cjson:
            comp = parse_v2_compressor(cjson["compressor"])
        else:
            comp = parse_v2_compressor(_DEFAULT_COMPRESSOR)
        sfill = schema_attr(schema, "fill_value")
        if "fill_value" in c:
            fill = decode_v2_fill_value(c["fill_value"], dtype)
        elif sfill is not None:
            fill = np.asarray(sfill).astype(dtype.native)
        else:
            fill = None
        meta = Zarr2Metadata(
            shape,
            tuple(int(x) for x in chunks),
            dtype,
            comp,
            fill,
            c.get("order", "C"),
            c.get("dimension_separator", "."),
        )
        return parse_zarr2_metadata(meta.to_json())

    def validate(self, meta: Zarr2Metadata, c: dict[str, Any], schema: Any, options: dict[str, Any]) -> None:
        stored = meta.to_json()
        for name in ("dtype", "shape", "chunks", "order", "dimension_separator", "compressor", "fill_value"):
            if name not in c:
                continue
            want = c[name]
            if name == "compressor":
                want = normalize_v2_compressor(want)
            elif name == "dtype":
                want = parse_v2_dtype(want).to_json()
            elif name == "fill_value":
                want = self.to_json(meta)["fill_value"] if want == stored["fill_value"] else want
            if want != stored[name]:
                raise status.failed_precondition(
                    f'Expected "{name}" of {dump_compact(want)} but received: {dump_compact(stored[name])}'
                )
        if any(u is not None for u in (schema_attr(schema, "dimension_units") or ())):
            raise status.invalid_argument("Dimension units not supported by zarr driver")
        fill = None if meta.fill_value is None else np.asarray(meta.fill_value)
        _validate_schema(self, meta, schema, "dtype", fill, options=options)


def _normalize_codec(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k == "compressor":
            out[k] = normalize_v2_compressor(v)
        elif k == "filters":
            out[k] = None
        else:
            raise status.invalid_argument(f'Object includes extra members: "{k}"')
    return out


register_codec("zarr", _normalize_codec)


@register_driver
class ZarrDriverSpec(ChunkedDriverSpec):
    driver_name: ClassVar[str] = "zarr"
    url_scheme: ClassVar[str | None] = "zarr2"
    format: ClassVar[MetadataFormat] = ZarrMetadataFormat()
    extra_members: ClassVar[tuple[str, ...]] = ("field",)

    @classmethod
    def from_json(cls, reader: Any, schema: Any) -> ChunkedDriverSpec:
        if reader.has("field"):
            reader.get("field", expect_string)
        return super().from_json(reader, schema)
