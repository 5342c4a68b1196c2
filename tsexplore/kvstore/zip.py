"""The ``zip`` adapter driver: the entries of a ZIP archive stored under a key of a base kvstore.

The central directory is found with byte-range reads of the base value (end-of-central-directory
record, zip64 locator and record when present) and cached per base generation, so each read costs
one conditional check of the archive plus the entry's own byte range.  Writes rebuild the whole
archive and store it with ``if_equal`` on the archive's generation, as tensorstore does.
"""

from __future__ import annotations

import asyncio
import io
import struct
import zipfile
import zlib
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from .. import jsonb, status
from . import _ctx
from .driver import Driver, DriverSpec, ResourceMember, byte_range_bounds, now, register_driver
from .types import NO_VALUE, KeyRange, ReadOptions, ReadResult, TimestampedStorageGeneration
from .url import decode_path, encode_path, parse_generic, register_adapter_scheme

__all__ = ["ZipDriver", "ZipSpec"]

_COMPRESSIONS = ("store", "deflate", "zstd", "xz")
_EOCD_SIG = b"PK\x05\x06"
_EOCD64_LOCATOR_SIG = b"PK\x06\x07"
_CDIR_SIG = b"PK\x01\x02"
_LOCAL_SIG = b"PK\x03\x04"
_EOCD_MAX = 22 + 0xFFFF  # fixed record + the longest comment


def _parse_base(value: Any) -> Any:
    from .spec import Spec

    if isinstance(value, Spec):
        return value.copy()
    if not isinstance(value, (str, dict)):
        raise status.invalid_argument(f"Expected object, but received: {jsonb.dump_compact(value)}")
    return Spec(value)


def _parse_compression(value: Any) -> str:
    if value not in _COMPRESSIONS:
        choices = ", ".join(f'"{c}"' for c in _COMPRESSIONS)
        raise status.invalid_argument(f"Expected one of {choices}, but received: {jsonb.dump_compact(value)}")
    return str(value)


@register_driver
class ZipSpec(DriverSpec):
    driver = "zip"
    resources = (
        ResourceMember("cache_pool", "cache_pool"),
        ResourceMember("data_copy_concurrency", "data_copy_concurrency"),
    )

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        if not reader.has("base"):
            raise status.invalid_argument('Error parsing object member "base": Expected object, but member is missing')
        self.base = reader.get("base", _parse_base)
        self.compression = reader.get("compression", _parse_compression, "deflate")

    def _validate(self) -> None:
        # tensorstore elides a resource member that names the default resource
        for res in self.resources:
            if self.resource_values.get(res.member) == res.kind:
                del self.resource_values[res.member]

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"base": self.base.to_json(include_defaults=include_defaults)}
        if include_defaults or self.compression != "deflate":
            out["compression"] = self.compression
        return out

    def url(self, path: str) -> str:
        return f"{self.base.url}|zip:{encode_path(path)}"

    async def open(self, context: Any) -> Driver:
        base = self.base
        ctx = base._bound if base._bound is not None else _ctx.child(context, base._context)
        base._driver.check_path(base._path)
        base_driver = await base._driver.open(ctx)
        driver = ZipDriver(self, context, base_driver, base._path.encode("utf-8", "surrogateescape"))
        driver.base_context = ctx
        return driver


def _parse_zip_url(url: str, base: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_generic(url)
    if parsed.has_authority:
        raise status.invalid_argument('Scheme "zip:" not present in url')
    if parsed.query:
        raise status.invalid_argument("Query string not supported")
    if parsed.fragment:
        raise status.invalid_argument("Fragment identifier not supported")
    out: dict[str, Any] = {"driver": "zip", "base": base}
    path = decode_path(parsed.path)
    if path:
        out["path"] = path
    return out


register_adapter_scheme("zip", _parse_zip_url)


@dataclass(frozen=True)
class _Entry:
    method: int
    compressed_size: int
    size: int
    header_offset: int


_data_loss = status.invalid_argument  # tensorstore reports a corrupt archive as INVALID_ARGUMENT


def _find_eocd(tail: bytes) -> tuple[int, int] | int:
    """``(cd_size, cd_offset)`` from the archive's tail, or the zip64 EOCD record's offset."""
    pos = tail.rfind(_EOCD_SIG)
    while pos != -1 and len(tail) - pos < 22:
        pos = tail.rfind(_EOCD_SIG, 0, pos)
    if pos == -1:
        raise _data_loss("Failed to find valid ZIP EOCD")
    _, _, _, _, _, cd_size, cd_offset, _ = struct.unpack_from("<4s4H2LH", tail, pos)
    loc = pos - 20
    if loc >= 0 and tail[loc : loc + 4] == _EOCD64_LOCATOR_SIG:
        (eocd64_offset,) = struct.unpack_from("<Q", tail, loc + 8)
        return int(eocd64_offset)
    return cd_size, cd_offset


def _parse_entries(cd: bytes) -> dict[bytes, _Entry]:
    entries: dict[bytes, _Entry] = {}
    pos = 0
    while pos + 46 <= len(cd) and cd[pos : pos + 4] == _CDIR_SIG:
        (_flags, method) = struct.unpack_from("<2H", cd, pos + 8)
        csize, usize = struct.unpack_from("<2L", cd, pos + 20)
        nlen, xlen, clen = struct.unpack_from("<3H", cd, pos + 28)
        (offset,) = struct.unpack_from("<L", cd, pos + 42)
        name = cd[pos + 46 : pos + 46 + nlen]
        extra = cd[pos + 46 + nlen : pos + 46 + nlen + xlen]
        usize, csize, offset = _zip64_sizes(extra, usize, csize, offset)
        if not name.endswith(b"/"):
            entries[name] = _Entry(method, csize, usize, offset)
        pos += 46 + nlen + xlen + clen
    return entries


def _zip64_sizes(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<2H", extra, i)
        if tag == 1:
            body, j = extra[i + 4 : i + 4 + size], 0
            if usize == 0xFFFFFFFF and j + 8 <= len(body):
                (usize,) = struct.unpack_from("<Q", body, j)
                j += 8
            if csize == 0xFFFFFFFF and j + 8 <= len(body):
                (csize,) = struct.unpack_from("<Q", body, j)
                j += 8
            if offset == 0xFFFFFFFF and j + 8 <= len(body):
                (offset,) = struct.unpack_from("<Q", body, j)
        i += 4 + size
    return usize, csize, offset


class ZipDriver(Driver):
    def __init__(self, spec: ZipSpec, context: Any, base: Driver, base_key: bytes) -> None:
        super().__init__(spec, context)
        self.zip_spec = spec
        self.base = base
        self.base_key = base_key
        self._cache: tuple[bytes, dict[bytes, _Entry]] | None = None
        self.base_context: Any = context  # the context the base kvstore was opened in
        self._lock = asyncio.Lock()

    @property
    def identity(self) -> Hashable:
        return ("zip", self.base.identity, self.base_key)

    async def _base_read(self, byte_range: tuple[int, int | None] | None, if_not_equal: bytes = b"") -> ReadResult:
        return await self.base.read(self.base_key, ReadOptions(byte_range=byte_range, if_not_equal=if_not_equal))

    async def _directory(self) -> tuple[bytes, dict[bytes, _Entry]]:
        """The archive's generation and entries (``NO_VALUE`` and none when the archive is missing)."""
        cached = self._cache
        probe = await self._base_read((0, 0), cached[0] if cached else b"")
        gen = probe.stamp.generation
        if probe.state == "missing":
            return NO_VALUE, {}
        if cached is not None and probe.state == "unspecified":
            return cached
        try:
            tail_r = await self._base_read((-_EOCD_MAX, None))
        except status.StatusError as e:
            if e.code != "OUT_OF_RANGE":
                raise
            tail_r = await self._base_read(None)
        tail = tail_r.value
        found_ = _find_eocd(tail)
        if isinstance(found_, int):
            rec = (await self._base_read((found_, found_ + 56))).value
            if rec[:4] != b"PK\x06\x06":
                raise _data_loss("Failed to find valid ZIP64 EOCD")
            cd_size, cd_offset = struct.unpack_from("<2Q", rec, 40)
        else:
            cd_size, cd_offset = found_
        cd = (await self._base_read((cd_offset, cd_offset + cd_size))).value
        entries = _parse_entries(cd)
        self._cache = (tail_r.stamp.generation or gen, entries)
        return self._cache

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        gen, entries = await self._directory()
        entry = entries.get(key)
        stamp = TimestampedStorageGeneration._make(gen, now())
        if entry is None:
            return ReadResult._make("missing", b"", stamp)
        if options.if_not_equal and options.if_not_equal == gen:
            return ReadResult._make("unspecified", b"", stamp)
        start, end = byte_range_bounds(entry.size, options.byte_range)
        header = (await self._base_read((entry.header_offset, entry.header_offset + 30))).value
        if header[:4] != _LOCAL_SIG:
            raise _data_loss(
                f"Failed to read ZIP local header for {jsonb.dump_compact(key.decode('utf-8', 'replace'))}"
            )
        nlen, xlen = struct.unpack_from("<2H", header, 26)
        data_start = entry.header_offset + 30 + nlen + xlen
        if entry.method == 0:
            value = (await self._base_read((data_start + start, data_start + end))).value if end > start else b""
            return ReadResult._make("value", value, stamp)
        raw = (await self._base_read((data_start, data_start + entry.compressed_size))).value
        if entry.method == 8:
            value = zlib.decompress(raw, -15)
        else:
            raise status.unimplemented(f"Unsupported ZIP compression method {entry.method}")
        return ReadResult._make("value", value[start:end], stamp)

    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        _, entries = await self._directory()
        return sorted(k for k in entries if key_range.contains(k))

    async def _rewrite(self, changes: dict[bytes, bytes | None], if_equal: dict[bytes, bytes]) -> bytes | None:
        """Rebuild the archive with ``changes``; ``None`` if a condition failed."""
        async with self._lock:
            gen, entries = await self._directory()
            for key, cond in if_equal.items():
                current = gen if key in entries else NO_VALUE
                if cond and cond != current:
                    return None
            values: dict[bytes, bytes] = {}
            for key in entries:
                if key not in changes:
                    values[key] = (await self.read(key, ReadOptions())).value
            values.update({k: v for k, v in changes.items() if v is not None})
            method = {"store": zipfile.ZIP_STORED, "deflate": zipfile.ZIP_DEFLATED}.get(
                self.zip_spec.compression, zipfile.ZIP_DEFLATED
            )
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", compression=method) as zf:
                for key in sorted(values):
                    zf.writestr(key.decode("utf-8", "surrogateescape"), values[key])
            stamp = await self.base.write(self.base_key, buf.getvalue(), gen)
            if not stamp.generation:
                raise status.aborted("ZIP archive changed during write")
            self._cache = None
            return stamp.generation

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        new_gen = await self._rewrite({key: value}, {key: if_equal})
        if new_gen is None:
            return TimestampedStorageGeneration(b"", now())
        return TimestampedStorageGeneration(new_gen if value is not None else NO_VALUE, now())

    async def delete_range(self, key_range: KeyRange) -> None:
        if key_range.empty:
            return
        keys = await self.list_keys(key_range)
        if keys:
            await self._rewrite(dict.fromkeys(keys), {})

    def describe_key(self, key: bytes) -> str:
        return jsonb.dump_compact(key.decode("utf-8", "backslashreplace"))
