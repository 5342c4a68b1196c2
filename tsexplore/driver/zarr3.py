"""The ``zarr3`` driver: zarr v3 arrays (``zarr.json``) over any kvstore, all codecs incl. sharding.

``dimension_names`` become the domain's labels and ``attributes.dimension_units`` the units.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np

from .. import status
from ..chunk.format import ChunkFormat
from ..chunk.zarr3_meta import (
    ChunkKeyEncoding,
    Zarr3Format,
    Zarr3Metadata,
    parse_data_type,
    parse_zarr3_metadata,
)
from ..codec import CodecChainSpec, decode_v3_fill_value, encode_v3_fill_value
from ..codec_spec import register_codec
from ..index.transform import IndexDomain
from ..jsonb import dump_compact, expect_object
from .kvs_backed import ChunkedDriverSpec, MetadataFormat, default_chunk_shape, schema_attr
from .registry import register_driver

__all__ = ["Zarr3DriverSpec", "Zarr3MetadataFormat"]


def unit_text(unit: Any) -> str:
    """A unit as zarr3 ``dimension_units`` stores it (``'4 nm'``; dimensionless ``'1'``)."""
    if unit is None:
        return "1"
    mult, base = float(unit.multiplier), str(unit.base_unit)
    m = int(mult) if mult.is_integer() else mult
    if not base:
        return str(m)
    return base if m == 1 else f"{m} {base}"


def _np_dtype(dt: Any) -> np.dtype[Any]:
    out: np.dtype[Any] = np.dtype(getattr(dt, "numpy_dtype", dt))
    return out


class Zarr3MetadataFormat(MetadataFormat):
    driver_name: ClassVar[str] = "zarr3"
    schema_domain_first: ClassVar[bool] = True
    invalid_json_code: ClassVar[str] = "DATA_LOSS"
    metadata_key: ClassVar[str] = "zarr.json"

    def parse(self, value: Any) -> Zarr3Metadata:
        return parse_zarr3_metadata(value)

    def to_json(self, meta: Zarr3Metadata, include_defaults: bool = False) -> dict[str, Any]:
        return meta.to_json(include_defaults)

    def spec_metadata(self, meta: Zarr3Metadata) -> dict[str, Any]:
        return meta.to_json(spec=True)

    def shape(self, meta: Zarr3Metadata) -> tuple[int, ...]:
        return meta.shape

    def with_shape(self, meta: Zarr3Metadata, shape: tuple[int, ...]) -> Zarr3Metadata:
        return meta.with_shape(shape)

    def labels(self, meta: Zarr3Metadata) -> tuple[str, ...]:
        if meta.dimension_names is None:
            return ("",) * meta.rank
        return tuple(n or "" for n in meta.dimension_names)

    def dimension_units(self, meta: Zarr3Metadata) -> tuple[Any, ...] | None:
        units = (meta.attributes or {}).get("dimension_units")
        if not isinstance(units, list):
            return None
        from ..unit import Unit

        return tuple(None if u is None else Unit(u) for u in units)

    def codec_json(self, meta: Zarr3Metadata) -> dict[str, Any]:
        return {"codecs": meta.codecs.to_json(True), "driver": "zarr3"}

    def chunk_format(self, meta: Zarr3Metadata, options: dict[str, Any]) -> ChunkFormat:
        return Zarr3Format(meta)

    def implied_domain(self, constraints: dict[str, Any], options: dict[str, Any]) -> IndexDomain | None:
        shape = constraints.get("shape")
        if not isinstance(shape, list):
            return None
        n = len(shape)
        names = constraints.get("dimension_names")
        labels = tuple(x or "" for x in names) if isinstance(names, list) and len(names) == n else ("",) * n
        return IndexDomain._make(((0,) * n, tuple(int(x) for x in shape), (False,) * n, (True,) * n, labels))

    def implied_dtype(self, constraints: dict[str, Any], options: dict[str, Any]) -> Any:
        return parse_data_type(constraints["data_type"]) if "data_type" in constraints else None

    def check_constraints(self, value: Any) -> dict[str, Any]:
        obj = expect_object(value)
        if "fill_value" in obj and "data_type" not in obj:
            raise status.invalid_argument(
                'Error parsing object member "fill_value": must be specified in conjunction with "data_type"'
            )
        return obj

    # -- create ------------------------------------------------------------------------------------
    def create(self, c: dict[str, Any], schema: Any) -> Zarr3Metadata:
        sdt = schema_attr(schema, "dtype")
        if "data_type" in c:
            dtype = parse_data_type(c["data_type"])
        elif sdt is not None:
            dtype = _np_dtype(sdt)
        else:
            raise status.invalid_argument("dtype must be specified")
        domain = schema_attr(schema, "domain")
        if "shape" in c:
            shape = tuple(int(x) for x in c["shape"])
        elif domain is not None:
            if any(o != 0 for o in domain.inclusive_min):
                raise status.invalid_argument(f"Domain {domain} does not have origin of 0")
            shape = tuple(int(x) for x in domain.shape)
        else:
            raise status.invalid_argument("domain must be specified")
        rank = len(shape)
        layout = schema_attr(schema, "chunk_layout")
        write_shape = _grid_shape(layout, "write_chunk", rank)
        read_shape = _grid_shape(layout, "read_chunk", rank)
        if "chunk_grid" in c:
            chunk = tuple(c["chunk_grid"]["configuration"]["chunk_shape"])
        elif write_shape is not None:
            chunk = write_shape
        elif read_shape is not None and "codecs" not in c:
            chunk = read_shape
        else:
            chunk = default_chunk_shape(shape)
        codec = schema_attr(schema, "codec")
        if "codecs" in c:
            codecs_json = c["codecs"]
        elif codec is not None and "codecs" in codec.to_json():
            codecs_json = codec.to_json()["codecs"]
        elif read_shape is not None and tuple(read_shape) != tuple(chunk):
            codecs_json = [{"name": "sharding_indexed", "configuration": {"chunk_shape": list(read_shape)}}]
        else:
            codecs_json = [{"name": "bytes"}]
        pipeline = CodecChainSpec.from_json(codecs_json).resolve(dtype, chunk)
        sfill = schema_attr(schema, "fill_value")
        if "fill_value" in c:
            fill = decode_v3_fill_value(c["fill_value"], dtype)
        elif sfill is not None:
            fill = np.asarray(sfill).astype(dtype).reshape(())
        else:
            fill = np.zeros((), dtype=dtype)
        attributes = dict(c["attributes"]) if "attributes" in c else None
        units = schema_attr(schema, "dimension_units")
        if units is not None and any(u is not None for u in units):
            attributes = dict(attributes or {})
            attributes["dimension_units"] = [unit_text(u) for u in units]
        names = c.get("dimension_names")
        if names is None and domain is not None and any(domain.labels):
            names = list(domain.labels)
        cke = ChunkKeyEncoding.from_json(c["chunk_key_encoding"]) if "chunk_key_encoding" in c else ChunkKeyEncoding()
        meta = Zarr3Metadata(
            shape,
            dtype,
            tuple(int(x) for x in chunk),
            fill,
            pipeline,
            cke,
            attributes,
            None if names is None else tuple(names),
        )
        # round-trip through the stored form so created metadata obeys the same validation
        return parse_zarr3_metadata(json.loads(json.dumps(meta.to_json())))

    # -- validate ------------------------------------------------------------------------------------
    def validate(self, meta: Zarr3Metadata, c: dict[str, Any], schema: Any, options: dict[str, Any]) -> None:
        stored = meta.to_json()
        if "data_type" in c and c["data_type"] != stored["data_type"]:
            raise status.failed_precondition(
                f'Expected "data_type" of {json.dumps(dump_compact(c["data_type"]))} but received: '
                f"{json.dumps(dump_compact(stored['data_type']))}"
            )
        for name in ("shape", "dimension_names"):
            if name in c and list(c[name]) != stored.get(name):
                raise status.failed_precondition(
                    f'Expected "{name}" of {dump_compact(c[name])} but received: {dump_compact(stored.get(name))}'
                )
        if "chunk_grid" in c:
            want = c["chunk_grid"].get("configuration", {}).get("chunk_shape")
            if want is not None and list(want) != list(meta.chunk_shape):
                raise status.failed_precondition(
                    f'Expected "chunk_shape" of {dump_compact(want)} but received: '
                    f"{dump_compact(list(meta.chunk_shape))}"
                )
        if "fill_value" in c:
            want_fill = encode_v3_fill_value(decode_v3_fill_value(c["fill_value"], meta.dtype), meta.dtype)
            if want_fill != stored["fill_value"]:
                raise status.failed_precondition(
                    f'Expected "fill_value" of {dump_compact(want_fill)} but received: '
                    f"{dump_compact(stored['fill_value'])}"
                )
        if "codecs" in c:
            want_codecs = CodecChainSpec.from_json(c["codecs"]).resolve(meta.dtype, meta.chunk_shape).to_json()
            if want_codecs != stored["codecs"]:
                raise status.failed_precondition(
                    f'Expected "codecs" of {dump_compact(want_codecs)} but received: {dump_compact(stored["codecs"])}'
                )
        _validate_schema(self, meta, schema, "data_type", meta.fill_value, options=options)


def _grid_shape(layout: Any, grid: str, rank: int) -> tuple[int, ...] | None:
    if layout is None:
        return None
    try:
        shape = getattr(layout, grid).shape
    except Exception:
        return None
    if shape is None or len(shape) != rank or any(s is None or s <= 0 for s in shape):
        return None
    return tuple(int(s) for s in shape)


def _validate_schema(
    fmt: MetadataFormat, meta: Any, schema: Any, dt_name: str, fill: Any, *, options: dict[str, Any]
) -> None:
    """Stored metadata against schema constraints (dtype, rank, domain, chunk shape, fill value)."""
    shape = fmt.shape(meta)
    rank = schema_attr(schema, "rank")
    if rank is not None and rank != len(shape):
        if fmt.driver_name == "zarr3":
            raise status.failed_precondition(
                f"Rank specified by schema ({rank}) does not match rank specified by metadata ({len(shape)})"
            )
        raise status.failed_precondition(f"Rank is {len(shape)}, but schema specifies rank of {rank}")
    sdt = schema_attr(schema, "dtype")
    cf = fmt.chunk_format(meta, options)
    if sdt is not None and _np_dtype(sdt) != cf.dtype:
        from ..dtype import dtype as ts_dtype

        raise status.failed_precondition(
            f"{dt_name} from metadata ({ts_dtype(cf.dtype).name}) does not match dtype in schema "
            f"({ts_dtype(_np_dtype(sdt)).name})"
        )
    domain = schema_attr(schema, "domain")
    if domain is not None and len(domain.shape) == len(shape):
        for i, (lo, hi, s) in enumerate(zip(domain.inclusive_min, domain.exclusive_max, shape)):
            if lo != 0 or (hi != s and not domain.implicit_upper_bounds[i]):
                stored_txt = "{ " + ", ".join(f"[0, {x}*)" for x in shape) + " }"
                what = "Lower" if lo != 0 else "Upper"
                if fmt.driver_name == "zarr":
                    raise status.invalid_argument(
                        f"domain from metadata does not match domain in schema: Cannot merge index domain "
                        f"{stored_txt} with index domain {domain}: Mismatch in dimension {i}: "
                        f"{what} bounds do not match"
                    )
                raise status.failed_precondition(
                    f"Mismatch between metadata and schema: Cannot merge index domain {domain} with index domain "
                    f"{stored_txt}: Mismatch in dimension {i}: {what} bounds do not match"
                )
    layout = schema_attr(schema, "chunk_layout")
    write = _grid_shape(layout, "write_chunk", len(shape))
    if write is not None and tuple(write) != tuple(cf.chunk_shape[: len(shape)]):
        i = next(k for k, (a, b) in enumerate(zip(cf.chunk_shape, write)) if a != b)
        raise status.invalid_argument(
            f"Error setting write_chunk shape: New hard constraint ({cf.chunk_shape[i]}) for dimension {i} "
            f"does not match existing hard constraint ({write[i]})"
        )
    sfill = schema_attr(schema, "fill_value")
    if sfill is not None:
        want = np.asarray(sfill).astype(cf.dtype)
        have = fill
        same = have is not None and (
            bool(np.all(want == have)) or bool(np.all(np.isnan(want) & np.isnan(have)))
            if cf.dtype.kind in "fc"
            else have is not None and bool(np.all(want == have))
        )
        if not same:

            def show(x: Any) -> str:
                v = np.asarray(x).reshape(-1)[0].item()
                return str(float(v)) if cf.dtype.kind == "f" else str(v)

            got = "no fill value" if have is None else f"fill value of {show(have)}"
            raise status.failed_precondition(
                f"Invalid fill_value: schema requires fill value of {show(want)}, but metadata specifies {got}"
            )


def _normalize_codec(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k != "codecs":
            raise status.invalid_argument(f'Object includes extra members: "{k}"')
        CodecChainSpec.from_json(v)
        out[k] = v
    return out


register_codec("zarr3", _normalize_codec)


@register_driver
class Zarr3DriverSpec(ChunkedDriverSpec):
    driver_name: ClassVar[str] = "zarr3"
    url_scheme: ClassVar[str | None] = "zarr3"
    format: ClassVar[MetadataFormat] = Zarr3MetadataFormat()

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        out = super().to_json(include_defaults=include_defaults)
        if self.metadata or include_defaults:  # tensorstore always states the node type
            out["metadata"] = dict(sorted({**self.metadata, "node_type": "array"}.items()))
        return out
