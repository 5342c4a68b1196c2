"""The ``n5`` driver: n5 datasets (``attributes.json``) over any kvstore (URL scheme ``n5:``).

Plugs into the shared chunked-driver base like zarr/zarr3.  As in tensorstore: ``axes`` are the
domain's labels, ``units`` x ``resolution`` the dimension units, every other attribute is kept;
there is no fill value (missing chunks read as zero, ``fill_value`` constraints are rejected);
creation defaults to blosc lz4 (bit-shuffle for 1-byte types, byte-shuffle otherwise).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, cast

import numpy as np

from .. import status
from ..chunk.format import Array, ChunkFormat
from ..chunk.n5_meta import (
    KNOWN_MEMBERS,
    N5Format,
    N5Metadata,
    check_n5_dtype,
    parse_n5_constraints,
    parse_n5_metadata,
    validate_chunk_size,
)
from ..codec.n5 import normalize_n5_compression
from ..codec_spec import register_codec
from ..index.interval import INF
from ..index.transform import IndexDomain
from ..jsonb import ObjectReader, dump_compact
from ..schema import merge_domains
from .kvs_backed import ChunkedDriver, ChunkedDriverSpec, MetadataFormat, default_chunk_shape, schema_attr
from .registry import register_driver
from .zarr3 import _grid_shape, _np_dtype

__all__ = ["N5DriverSpec", "N5MetadataFormat"]

_DISCARDED = "<discarded>"


def _units_text(units: Any) -> str:
    """tensorstore's DimensionUnitsToString: ``["nm", "2 s", null]``."""
    return "[" + ", ".join("null" if u is None else json.dumps(str(u)) for u in units) + "]"


def _metadata_units(rank: int, units: Any, resolution: Any) -> list[Any]:
    """Dimension units stored in metadata (``None`` per dimension when there are no ``units``)."""
    from ..unit import Unit

    if units is None:
        return [None] * rank
    res = resolution if resolution is not None else [1.0] * rank
    return [Unit(float(r), u) for r, u in zip(res, units)]


def _merge_units(a: list[Any], b: list[Any]) -> list[Any]:
    out = []
    for x, y in zip(a, b):
        if x is not None and y is not None and not x == y:
            raise status.invalid_argument(f"Cannot merge dimension units {_units_text(a)} and {_units_text(b)}")
        out.append(x if x is not None else y)
    return out


def _schema_units(schema: Any) -> list[Any] | None:
    units = schema_attr(schema, "dimension_units")
    return None if units is None else list(units)


def _codec_json(compression: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {} if compression is None else {"compression": compression}
    out["driver"] = "n5"
    return out


def _merge_codec(mine: dict[str, Any] | None, schema: Any) -> dict[str, Any] | None:
    """The metadata's compression merged with the schema's codec (``None``: neither says)."""
    codec = schema_attr(schema, "codec")
    if codec is None:
        return mine
    other = codec.to_json()
    head = f"Cannot merge codec spec {dump_compact(_codec_json(mine))} with {dump_compact(other)}"
    if other.get("driver") != "n5":
        raise status.invalid_argument(head)
    theirs = other.get("compression")
    if mine is not None and theirs is not None and mine != theirs:
        raise status.invalid_argument(f'{head}: "compression" does not match')
    return mine if mine is not None else theirs


def _domain_of(rank: int, shape: Any, axes: Any) -> IndexDomain:
    if shape is None:
        lo, hi = (0,) * rank, (INF + 1,) * rank
    else:
        lo, hi = (0,) * rank, tuple(int(x) for x in shape)
    labels = tuple(axes) if axes is not None else ("",) * rank
    return IndexDomain._make((lo, hi, (False,) * rank, (True,) * rank, labels))


def _effective_domain(rank: int | None, shape: Any, axes: Any, schema: Any) -> IndexDomain | None:
    """tensorstore's GetEffectiveDomain: the metadata's domain merged with the schema's."""
    sdom = schema_attr(schema, "domain")
    if shape is None and axes is None:
        return cast("IndexDomain | None", sdom)
    assert rank is not None
    implied = _domain_of(rank, shape, axes)
    if sdom is None:
        return implied
    try:
        merged = merge_domains(sdom, implied)
    except status.StatusError as e:
        raise status.invalid_argument(f"Mismatch between metadata and schema: {e.message}") from None
    lo, hi, _, _, labels = merged._f
    n = len(lo)
    return IndexDomain._make((lo, hi, (False,) * n, (True,) * n, labels))


class N5MetadataFormat(MetadataFormat):
    driver_name: ClassVar[str] = "n5"
    metadata_key: ClassVar[str] = "attributes.json"

    def parse(self, value: Any) -> N5Metadata:
        return parse_n5_metadata(value)

    def to_json(self, meta: N5Metadata, include_defaults: bool = False) -> dict[str, Any]:
        return meta.to_json()

    def shape(self, meta: N5Metadata) -> tuple[int, ...]:
        return meta.shape

    def with_shape(self, meta: N5Metadata, shape: tuple[int, ...]) -> N5Metadata:
        return meta.with_shape(shape)

    def labels(self, meta: N5Metadata) -> tuple[str, ...]:
        return meta.axes if meta.axes is not None else ("",) * meta.rank

    def dimension_units(self, meta: N5Metadata) -> tuple[Any, ...] | None:
        return tuple(_metadata_units(meta.rank, meta.units, meta.resolution))

    def codec_json(self, meta: N5Metadata) -> dict[str, Any]:
        return _codec_json(meta.compression)

    def chunk_format(self, meta: N5Metadata, options: dict[str, Any]) -> ChunkFormat:
        return N5Format(meta)

    def fill_value(self, meta: N5Metadata, fmt: ChunkFormat) -> Array | None:
        return None  # n5 has no fill value

    def check_constraints(self, value: Any) -> dict[str, Any]:
        """The spec's ``metadata`` member, normalised (compression defaults, float resolution)."""
        m = parse_n5_constraints(value)
        out: dict[str, Any] = dict(m["extra"])
        for name in KNOWN_MEMBERS:
            if name in m:
                v = m[name]
                out[name] = v.name if name == "dataType" else v
        if "resolution" in out:
            out["resolution"] = [float(x) for x in out["resolution"]]
        return out

    def implied_domain(self, constraints: dict[str, Any], options: dict[str, Any]) -> IndexDomain | None:
        shape, axes = constraints.get("dimensions"), constraints.get("axes")
        if shape is None and axes is None:
            return None
        given: list[Any] = shape if shape is not None else list(axes or ())
        return _domain_of(len(given), shape, axes)

    def implied_dtype(self, constraints: dict[str, Any], options: dict[str, Any]) -> Any:
        return np.dtype(constraints["dataType"]) if "dataType" in constraints else None

    # -- create ------------------------------------------------------------------------------------
    def create(self, c: dict[str, Any], schema: Any) -> N5Metadata:
        m = parse_n5_constraints(c)
        rank = m["rank"]
        domain = _effective_domain(rank, m.get("dimensions"), m.get("axes"), schema)
        if (
            domain is None
            or any(h > INF for h in domain.exclusive_max)
            or any(lo < -INF for lo in domain.inclusive_min)
        ):
            raise status.invalid_argument("domain must be specified")
        n = domain.rank
        shape = tuple(int(x) for x in domain.shape)
        axes = tuple(domain.labels) if any(domain.labels) else None
        sdt = schema_attr(schema, "dtype")
        if "dataType" in m:
            dtype = m["dataType"]
        elif sdt is not None:
            dtype = check_n5_dtype(str(sdt.name))
        else:
            raise status.invalid_argument("dtype must be specified")
        layout = schema_attr(schema, "chunk_layout")
        write = _grid_shape(layout, "write_chunk", n)
        read = _grid_shape(layout, "read_chunk", n)
        if write is not None and read is not None and write != read:
            i = next(k for k, (a, b) in enumerate(zip(write, read)) if a != b)
            raise status.invalid_argument(
                "write_chunk constraints not compatible with existing read_chunk constraints: Error setting "
                f"read_chunk shape: New hard constraint ({write[i]}) for dimension {i} does not match existing "
                f"hard constraint ({read[i]})"
            )
        if "blockSize" in m:
            chunks = tuple(m["blockSize"])
        else:
            chunks = write or read or default_chunk_shape(shape)
        compression = _merge_codec(m.get("compression"), schema)
        if compression is None:
            shuffle = 2 if dtype.itemsize == 1 else 1
            compression = normalize_n5_compression({"type": "blosc", "cname": "lz4", "clevel": 5, "shuffle": shuffle})
        units, resolution = m.get("units"), m.get("resolution")
        sunits = _schema_units(schema)
        if sunits is not None:
            mine = _metadata_units(n, units, resolution)
            merged = _merge_units(sunits, mine)
            if units is None and resolution is not None:
                for i, u in enumerate(merged):
                    if u is not None and float(resolution[i]) != float(u.multiplier):
                        res_txt = "{" + ", ".join(f"{x:g}" for x in resolution) + "}"
                        raise status.invalid_argument(
                            f'"resolution" from metadata {res_txt} does not match dimension units from schema '
                            f"{_units_text(sunits)}"
                        )
            if any(u is not None for u in merged):
                units = list(units) if units is not None else [""] * n
                resolution = [float(x) for x in resolution] if resolution is not None else [1.0] * n
                for i, u in enumerate(merged):
                    if u is not None:
                        resolution[i] = float(u.multiplier)
                        units[i] = str(u.base_unit)
        meta = N5Metadata(
            shape,
            tuple(int(x) for x in chunks),
            dtype,
            compression,
            axes,
            None if units is None else tuple(units),
            None if resolution is None else tuple(float(x) for x in resolution),
            dict(m["extra"]),
        )
        validate_chunk_size(meta.chunks, meta.dtype)
        self._validate_schema(meta, schema, creating=True)
        return meta

    # -- validate ------------------------------------------------------------------------------------
    def validate(self, meta: N5Metadata, c: dict[str, Any], schema: Any, options: dict[str, Any]) -> None:
        stored = meta.to_json()
        if "axes" not in stored:
            stored["axes"] = [""] * meta.rank
        for name in ("dimensions", "axes", "blockSize", "dataType", "compression", "units", "resolution"):
            if name in c and c[name] != stored.get(name):
                got = dump_compact(stored[name]) if name in stored else _DISCARDED
                raise status.failed_precondition(f'Expected "{name}" of {dump_compact(c[name])} but received: {got}')
        for name, want in c.items():
            if name in KNOWN_MEMBERS:
                continue
            if name not in meta.extra or meta.extra[name] != want:
                got = dump_compact(meta.extra[name]) if name in meta.extra else _DISCARDED
                raise status.failed_precondition(f'Expected "{name}" of {dump_compact(want)} but received: {got}')
        self._validate_schema(meta, schema, creating=False)

    def _validate_schema(self, meta: N5Metadata, schema: Any, *, creating: bool) -> None:
        """tensorstore's ValidateMetadataSchema (rank, domain, dtype, codec, chunk layout, fill value, units)."""
        rank = schema_attr(schema, "rank")
        if rank is not None and rank != meta.rank:
            raise status.failed_precondition(
                f"Rank specified by schema ({rank}) does not match rank specified by metadata ({meta.rank})"
            )
        if schema_attr(schema, "domain") is not None:
            _effective_domain(meta.rank, meta.shape, meta.axes, schema)
        sdt = schema_attr(schema, "dtype")
        if sdt is not None and _np_dtype(sdt) != meta.dtype:
            raise status.failed_precondition(
                f"dtype from metadata ({meta.dtype.name}) does not match dtype in schema ({sdt.name})"
            )
        if schema_attr(schema, "codec") is not None:
            try:
                _merge_codec(meta.compression, schema)
            except status.StatusError as e:
                raise status.failed_precondition(
                    f"codec from metadata does not match codec in schema: {e.message}"
                ) from None
        layout = schema_attr(schema, "chunk_layout")
        if layout is not None:
            self._check_layout(meta, layout)
        if schema_attr(schema, "fill_value") is not None:
            raise status.invalid_argument("fill_value not supported by N5 format")
        sunits = _schema_units(schema)
        if sunits is not None and not creating:
            mine = _metadata_units(meta.rank, meta.units, meta.resolution)
            try:
                merged = _merge_units(mine, sunits)
            except status.StatusError as e:
                raise status.failed_precondition(e.message) from None
            if any((a is None) != (b is None) or (a is not None and a != b) for a, b in zip(merged, mine)):
                raise status.failed_precondition(
                    f"Dimension units in metadata {_units_text(mine)} do not match dimension units in schema "
                    f"{_units_text(sunits)}"
                )

    def _check_layout(self, meta: N5Metadata, layout: Any) -> None:
        n = meta.rank
        order = getattr(layout, "inner_order", None)
        if order is not None and len(order) == n and tuple(order) != tuple(range(n - 1, -1, -1)):
            want = "{" + ", ".join(str(n - 1 - i) for i in range(n)) + "}"
            have = "{" + ", ".join(str(x) for x in order) + "}"
            raise status.invalid_argument(
                f"Error setting inner_order: New hard constraint ({want}) does not match existing hard "
                f"constraint ({have})"
            )
        for grid in ("write_chunk", "read_chunk"):
            shape = _grid_shape(layout, grid, n)
            if shape is not None and shape != meta.chunks:
                i = next(k for k, (a, b) in enumerate(zip(meta.chunks, shape)) if a != b)
                raise status.invalid_argument(
                    f"Error setting {grid} shape: New hard constraint ({meta.chunks[i]}) for dimension {i} "
                    f"does not match existing hard constraint ({shape[i]})"
                )


def _normalize_codec(value: dict[str, Any]) -> dict[str, Any]:
    reader = ObjectReader(value)
    out: dict[str, Any] = {}
    if reader.has("compression"):
        out["compression"] = reader.get("compression", normalize_n5_compression)
    reader.finish()
    return out


register_codec("n5", _normalize_codec)


class N5Driver(ChunkedDriver):
    """An open n5 dataset: the shared chunked driver with n5's Fortran inner order."""

    @property
    def chunk_layout(self) -> Any:
        from ..chunk_layout import ChunkLayout

        n = len(self.shape)
        chunks = list(self.chunk_fmt.chunk_shape)
        if n == 0:
            return ChunkLayout(rank=0)
        return ChunkLayout(
            grid_origin=[0] * n,
            inner_order=list(range(n - 1, -1, -1)),
            write_chunk_shape=chunks,
            read_chunk_shape=chunks,
        )


@register_driver
class N5DriverSpec(ChunkedDriverSpec):
    driver_name: ClassVar[str] = "n5"
    url_scheme: ClassVar[str | None] = "n5"
    format: ClassVar[MetadataFormat] = N5MetadataFormat()
    driver_cls: ClassVar[type[ChunkedDriver]] = N5Driver

    @classmethod
    def from_json(cls, reader: Any, schema: Any) -> ChunkedDriverSpec:
        self = super().from_json(reader, schema)
        assert isinstance(self, N5DriverSpec)
        self._check_dtype()
        return self

    def _check_dtype(self) -> None:
        want = self.metadata.get("dataType")
        have = schema_attr(self.schema, "dtype")
        if want is not None and have is not None and have.name != want:
            raise status.invalid_argument(f"Specified dtype ({have.name}) does not match existing value ({want})")

    def spec_domain(self) -> IndexDomain | None:
        """The metadata's domain merged with the schema's (schema first, as tensorstore's n5 driver)."""
        implied = self.format.implied_domain(self.metadata, self.options)
        sdom = schema_attr(self.schema, "domain")
        if implied is None:
            if sdom is not None:  # the origin is always 0
                _effective_domain(sdom.rank, None, ("",) * sdom.rank, self.schema)
            return cast("IndexDomain | None", sdom)
        shape = self.metadata.get("dimensions")
        try:
            return _effective_domain(implied.rank, shape, self.metadata.get("axes"), self.schema)
        except status.StatusError:
            return implied  # tensorstore reports the conflict when creating/opening

    def apply_schema(self, schema: Any) -> None:
        super().apply_schema(schema)
        self._check_dtype()

