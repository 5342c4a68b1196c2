"""Remote drivers on fsspec's async filesystems, running on the tsexplore I/O loop.

* ``s3`` (s3fs): generation = ETag; conditional writes with ``IfMatch`` / ``IfNoneMatch``.
* ``gcs`` (gcsfs): generation = object generation; conditional writes with ``ifGenerationMatch``.
  The endpoint comes from the ``TENSORSTORE_GCS_HTTP_URL`` environment variable, as in tensorstore
  (anonymous access is used when it is set).
* ``http`` (aiohttp session of fsspec's HTTPFileSystem): read-only, as in tensorstore.
* ``fsspec`` (tsexplore extension): ``{"driver": "fsspec", "url": "proto://root/"}`` for any other
  fsspec protocol.  Conditional writes there are check-then-write (not atomic across writers).

Values are fetched whole and byte ranges applied locally (simple and consistent with the
generation of the same response).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import urllib.parse
from collections.abc import Hashable
from typing import Any

from .. import jsonb, status
from ..future import io_loop, run_blocking
from .driver import (
    Driver,
    DriverSpec,
    ResourceMember,
    found,
    missing,
    now,
    register_driver,
    register_url_scheme,
)
from .spec import required_string
from .types import NO_VALUE, KeyRange, ReadOptions, ReadResult, TimestampedStorageGeneration, common_prefix
from .url import decode_path, encode_path, parse_generic, quote, split_url

__all__ = ["FsspecSpec", "GcsSpec", "HttpSpec", "S3Spec"]

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # else gcsfs probes gRPC per bucket


def _str_key(key: bytes) -> str:
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        raise status.invalid_argument(f"Invalid key: {json.dumps(key.decode('utf-8', 'replace'))}") from None


def _common_prefix(r: KeyRange) -> bytes:
    """The prefix every key of ``r`` shares (``b''`` when unbounded above)."""
    return common_prefix(r.inclusive_min, r.exclusive_max) if r.exclusive_max else b""


def _cause_code(e: BaseException) -> str:
    cause = e.__cause__ or e
    resp = getattr(cause, "response", None) or {}
    return str(resp.get("Error", {}).get("Code", "")) if isinstance(resp, dict) else ""


def _unavailable(what: str, e: BaseException) -> status.StatusError:
    return status.unavailable(f"{what}: {type(e).__name__}: {e}")


# -- S3 -------------------------------------------------------------------------------------------

_S3_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")
_GCS_CHARS = re.compile(r"^[a-z0-9._-]+$")


def _bucket_shape_valid(bucket: str, max_len: int, chars: re.Pattern[str]) -> bool:
    """Rules S3 and GCS share: 3 to ``max_len`` of ``chars``, alphanumeric ends, no ``..``/``.-``/``-.``."""
    return (
        3 <= len(bucket) <= max_len
        and chars.match(bucket) is not None
        and bucket[0].isalnum()
        and bucket[-1].isalnum()
        and not any(p in bucket for p in ("..", ".-", "-."))
    )


def _s3_bucket_valid(bucket: str) -> bool:
    """tensorstore 0.1.86's S3 rules: 3-255 chars, letters (any case), digits, ``._-``."""
    return (
        _bucket_shape_valid(bucket, 255, _S3_CHARS)
        and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket) is None
        and not bucket.startswith(("xn--", "sthree-"))
        and not bucket.endswith(("-s3alias", "--ol-s3"))
    )


def _check_s3_bucket(bucket: str) -> None:
    if not _s3_bucket_valid(bucket):
        raise status.invalid_argument(f"Invalid S3 bucket name: {quote(bucket)}")


@register_driver
class S3Spec(DriverSpec):
    driver = "s3"
    resources = (
        ResourceMember("aws_credentials", "aws_credentials"),
        ResourceMember("data_copy_concurrency", "data_copy_concurrency"),
        ResourceMember("s3_request_concurrency", "s3_request_concurrency"),
        ResourceMember("s3_request_retries", "s3_request_retries"),
    )

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        self.bucket = reader.get("bucket", jsonb.expect_string, "")
        self.endpoint: str | None = reader.get("endpoint", jsonb.expect_string, None)
        self.host_header: str | None = reader.get("host_header", jsonb.expect_string, None)
        self.aws_region = reader.get("aws_region", jsonb.expect_string, "")
        self.requester_pays = reader.get("requester_pays", jsonb.expect_bool, False)

    def _validate(self) -> None:
        if self.bucket:
            _check_s3_bucket(self.bucket)
        if self.endpoint is None:
            if not self.bucket:
                raise status.invalid_argument('"bucket" must be specified when "endpoint" is not set')
            if self.host_header is not None:
                raise status.invalid_argument('"host_header" cannot be set without also setting "endpoint"')

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.bucket or include_defaults:
            out["bucket"] = self.bucket
        if self.endpoint is not None:
            out["endpoint"] = self.endpoint
        if self.host_header is not None:
            out["host_header"] = self.host_header
        if self.aws_region or include_defaults:
            out["aws_region"] = self.aws_region
        if self.requester_pays or include_defaults:
            out["requester_pays"] = self.requester_pays
        return out

    def url(self, path: str) -> str:
        if self.endpoint is not None:
            raise NotImplementedError("S3 URL syntax not supported with explicit endpoint")
        return f"s3://{self.bucket}/{encode_path(path)}"

    async def open(self, context: Any) -> Driver:
        import s3fs

        creds = context.resource("aws_credentials", self.resource_values.get("aws_credentials"))
        kind = creds.get("type", "default") if isinstance(creds, dict) else "default"
        kwargs: dict[str, Any] = {"asynchronous": True, "loop": io_loop(), "skip_instance_cache": True}
        kwargs["config_kwargs"] = {"max_pool_connections": 64}
        if kind == "anonymous":
            kwargs["anon"] = True
        elif kind == "profile":
            kwargs["profile"] = creds.get("profile")
        if self.endpoint is not None:
            kwargs["endpoint_url"] = self.endpoint
        client: dict[str, Any] = {}
        if self.aws_region:
            client["region_name"] = self.aws_region
        if client:
            kwargs["client_kwargs"] = client
        if self.requester_pays:
            kwargs["requester_pays"] = True
        fs = s3fs.S3FileSystem(**kwargs)
        await fs.set_session()
        return S3Driver(self, context, fs)


def _parse_bucket_url(url: str, scheme: str, driver: str, check: Any) -> dict[str, Any]:
    parsed = split_url(url, scheme)
    check(parsed.authority)
    out: dict[str, Any] = {"driver": driver, "bucket": parsed.authority}
    if parsed.path:
        path = decode_path(parsed.path[1:])
        if path:
            out["path"] = path
    return out


def _parse_s3_url(url: str, scheme: str) -> dict[str, Any]:
    return _parse_bucket_url(url, scheme, "s3", _check_s3_bucket)


register_url_scheme("s3", _parse_s3_url)


class _BucketDriver(Driver):
    """S3 and GCS: an fsspec filesystem over one bucket, listed page by page under the range's prefix."""

    def __init__(self, spec: S3Spec | GcsSpec, context: Any, fs: Any) -> None:
        super().__init__(spec, context)
        self.fs = fs
        self.bucket = spec.bucket

    async def _list_page(self, prefix: str, token: str | None) -> tuple[list[str], str | None]:
        """One listing page: the object names and the next page's token (None at the end)."""
        raise NotImplementedError

    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        if key_range.empty:
            return []
        prefix = _common_prefix(key_range).decode("utf-8", "ignore")
        out: list[bytes] = []
        token: str | None = None
        while True:
            names, token = await self._list_page(prefix, token)
            out.extend(k for k in (n.encode() for n in names) if key_range.contains(k))
            if not token:
                return out


class S3Driver(_BucketDriver):
    @property
    def identity(self) -> Hashable:
        spec: Any = self.spec
        return ("s3", spec.endpoint, self.bucket)

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        try:
            resp = await self.fs._call_s3("get_object", Bucket=self.bucket, Key=_str_key(key))
            body = resp["Body"]
            data = await body.read()
            body.close()
        except FileNotFoundError:
            return missing(options)
        except OSError as e:
            raise _unavailable(f"Error reading {json.dumps(_str_key(key))} from S3", e) from None
        return found(data, resp["ETag"].encode(), options)

    async def _etag(self, key: str) -> bytes:
        try:
            head = await self.fs._call_s3("head_object", Bucket=self.bucket, Key=key)
        except FileNotFoundError:
            return NO_VALUE
        return str(head["ETag"]).encode()

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        k = _str_key(key)
        if value is None:
            # S3 has no portable conditional delete: check, then delete (documented race).
            if if_equal and await self._etag(k) != if_equal:
                return TimestampedStorageGeneration(b"", now())
            await self.fs._call_s3("delete_object", Bucket=self.bucket, Key=k)
            return TimestampedStorageGeneration(NO_VALUE, now())
        cond: dict[str, str] = {}
        if if_equal == NO_VALUE:
            cond["IfNoneMatch"] = "*"
        elif if_equal:
            cond["IfMatch"] = if_equal.decode("utf-8", "replace")
        try:
            resp = await self.fs._call_s3("put_object", Bucket=self.bucket, Key=k, Body=value, **cond)
        except (FileExistsError, FileNotFoundError):
            return TimestampedStorageGeneration(b"", now())
        except OSError as e:
            if _cause_code(e) in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"):
                return TimestampedStorageGeneration(b"", now())
            raise _unavailable(f"Error writing {json.dumps(k)} to S3", e) from None
        return TimestampedStorageGeneration(str(resp["ETag"]).encode(), now())

    async def _list_page(self, prefix: str, token: str | None) -> tuple[list[str], str | None]:
        kw: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": 1000}
        if token:
            kw["ContinuationToken"] = token
        resp = await self.fs._call_s3("list_objects_v2", **kw)
        names = [item["Key"] for item in resp.get("Contents", [])]
        return names, (resp.get("NextContinuationToken") if resp.get("IsTruncated") else None)

    async def delete_range(self, key_range: KeyRange) -> None:
        keys = await self.list_keys(key_range)
        for i in range(0, len(keys), 1000):
            objects = [{"Key": k.decode()} for k in keys[i : i + 1000]]
            await self.fs._call_s3("delete_objects", Bucket=self.bucket, Delete={"Objects": objects})


# -- GCS ------------------------------------------------------------------------------------------


def _gcs_bucket_valid(bucket: str) -> bool:
    """GCS rules as tensorstore checks them: 3-222 chars of ``[a-z0-9._-]``, dot-separated parts
    of at most 63, alphanumeric at both ends, no ``..``, ``.-`` or ``-.``."""
    return _bucket_shape_valid(bucket, 222, _GCS_CHARS) and all(len(part) <= 63 for part in bucket.split("."))


def _check_gcs_bucket(bucket: str) -> None:
    if not _gcs_bucket_valid(bucket):
        raise status.invalid_argument(f"Invalid GCS bucket name: {quote(bucket)}")


def _gcs_bucket(value: Any) -> str:
    bucket = jsonb.expect_string(value)
    _check_gcs_bucket(bucket)
    return bucket


@register_driver
class GcsSpec(DriverSpec):
    driver = "gcs"
    resources = (
        ResourceMember("data_copy_concurrency", "data_copy_concurrency"),
        ResourceMember("gcs_request_concurrency", "gcs_request_concurrency"),
        ResourceMember("gcs_request_retries", "gcs_request_retries"),
        ResourceMember("gcs_user_project", "gcs_user_project"),
    )

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        if not reader.has("bucket"):
            required_string(reader, "bucket")
        self.bucket = reader.get("bucket", _gcs_bucket)

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        return {"bucket": self.bucket}

    def url(self, path: str) -> str:
        return f"gs://{self.bucket}/{encode_path(path)}"

    async def open(self, context: Any) -> Driver:
        import gcsfs

        endpoint = os.environ.get("TENSORSTORE_GCS_HTTP_URL")
        kwargs: dict[str, Any] = {"asynchronous": True, "loop": io_loop(), "skip_instance_cache": True}
        if endpoint:
            kwargs.update(endpoint_url=endpoint.rstrip("/"), token="anon")
        project = context.resource("gcs_user_project", self.resource_values.get("gcs_user_project"))
        if isinstance(project, dict) and project.get("project_id"):
            kwargs["project"] = project["project_id"]
            kwargs["requester_pays"] = project["project_id"]
        fs = gcsfs.GCSFileSystem(**kwargs)
        await fs._set_session()
        return GcsDriver(self, context, fs)


def _parse_gcs_url(url: str, scheme: str) -> dict[str, Any]:
    return _parse_bucket_url(url, scheme, "gcs", _check_gcs_bucket)


register_url_scheme("gs", _parse_gcs_url)


class GcsDriver(_BucketDriver):
    @property
    def identity(self) -> Hashable:
        return ("gcs", self.fs._location, self.bucket)

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        k = _str_key(key)
        for _ in range(10):
            try:
                meta = await self.fs._call("GET", "b/{}/o/{}", self.bucket, k, json_out=True)
                gen = str(meta["generation"]).encode()
                if options.if_not_equal == gen:
                    return found(b"", gen, options)
                _, data = await self.fs._call(
                    "GET", "b/{}/o/{}", self.bucket, k, alt="media", ifGenerationMatch=gen.decode()
                )
            except FileNotFoundError:
                return missing(options)
            except FileExistsError:  # 412: replaced between the two requests; try again
                continue
            except OSError as e:
                raise _unavailable(f"Error reading {json.dumps(k)} from GCS", e) from None
            return found(data, gen, options)
        raise status.aborted(f"Error reading {json.dumps(k)} from GCS: object kept changing")

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        k = _str_key(key)
        cond: dict[str, str] = {}
        if if_equal == NO_VALUE:
            cond["ifGenerationMatch"] = "0"
        elif if_equal:
            if not if_equal.isdigit():
                return TimestampedStorageGeneration(b"", now())
            cond["ifGenerationMatch"] = if_equal.decode()
        try:
            if value is None:
                if if_equal == NO_VALUE:  # "delete if missing": nothing to do unless it exists
                    exists = await self._exists(k)
                    return TimestampedStorageGeneration(b"" if exists else NO_VALUE, now())
                try:
                    await self.fs._call("DELETE", "b/{}/o/{}", self.bucket, k, **cond)
                except FileNotFoundError:
                    if cond:
                        return TimestampedStorageGeneration(b"", now())
                return TimestampedStorageGeneration(NO_VALUE, now())
            # multipart upload: uploadType=media with an empty body breaks some servers (the emulator)
            head = json.dumps({"name": k}).encode()
            body = (
                b"--==0==\nContent-Type: application/json; charset=UTF-8\n\n"
                + head
                + b"\n--==0==\nContent-Type: application/octet-stream\n\n"
                + value
                + b"\n--==0==--"
            )
            meta = await self.fs._call(
                "POST",
                f"{self.fs._location}/upload/storage/v1/b/{urllib.parse.quote(self.bucket)}/o",
                uploadType="multipart",
                data=body,
                headers={"Content-Type": 'multipart/related; boundary="==0=="'},
                json_out=True,
                **cond,
            )
        except (FileExistsError, FileNotFoundError):  # HTTP 412 / 404: the condition failed
            return TimestampedStorageGeneration(b"", now())
        except OSError as e:
            raise _unavailable(f"Error writing {json.dumps(k)} to GCS", e) from None
        return TimestampedStorageGeneration(str(meta["generation"]).encode(), now())

    async def _exists(self, k: str) -> bool:
        try:
            await self.fs._call("GET", "b/{}/o/{}", self.bucket, k, json_out=True)
        except FileNotFoundError:
            return False
        return True

    async def _list_page(self, prefix: str, token: str | None) -> tuple[list[str], str | None]:
        kw: dict[str, Any] = {"prefix": prefix, "maxResults": 1000}
        if token:
            kw["pageToken"] = token
        page = await self.fs._call("GET", "b/{}/o", self.bucket, json_out=True, **kw)
        return [item["name"] for item in page.get("items", [])], page.get("nextPageToken")

    async def delete_range(self, key_range: KeyRange) -> None:
        keys = await self.list_keys(key_range)
        sem = asyncio.Semaphore(32)

        async def rm(k: bytes) -> None:
            async with sem:
                with contextlib.suppress(FileNotFoundError):
                    await self.fs._call("DELETE", "b/{}/o/{}", self.bucket, k.decode())

        await asyncio.gather(*(rm(k) for k in keys))


# -- HTTP -----------------------------------------------------------------------------------------


@register_driver
class HttpSpec(DriverSpec):
    driver = "http"
    resources = (
        ResourceMember("data_copy_concurrency", "data_copy_concurrency"),
        ResourceMember("http_request_concurrency", "http_request_concurrency"),
        ResourceMember("http_request_retries", "http_request_retries"),
    )

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        if not reader.has("base_url"):
            required_string(reader, "base_url")
        self.base_url: str = reader.get("base_url", _base_url)
        self.headers: list[str] = reader.get("headers", _header_list, [])

    def normalize_path(self, path: str) -> str:
        """tensorstore's http ``NormalizeSpec``: the base URL's (decoded) path moves into ``path``.

        A path prefix ending in a percent-encoded reserved character stays in the base URL (up to
        the next ``/``), since decoding it would change its meaning.
        """
        parsed = parse_generic(self.base_url)
        prefix = ""
        split = _rsplit_percent_encoded_reserved(parsed.path)
        if split:
            slash = parsed.path.find("/", split)
            prefix = parsed.path if slash == -1 else parsed.path[:slash]
        suffix = decode_path(parsed.path[len(prefix) :])
        query = f"?{parsed.query}" if parsed.query else ""
        base_url = f"{parsed.scheme}://{parsed.authority}{prefix.removesuffix('/')}{query}"
        if not path or path == "/":
            path = suffix
        elif not path.startswith("/"):
            from .spec import join_path

            path = join_path(suffix, path)
        elif suffix and suffix != "/":
            raise status.invalid_argument(
                f"Cannot specify absolute path {quote(path)} in conjunction with base URL "
                f"{quote(self.base_url)} which already includes the path component {quote(suffix)}"
            )
        self.base_url = base_url
        return path

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"base_url": self.base_url}
        if self.headers or include_defaults:
            out["headers"] = list(self.headers)
        return out

    def url(self, path: str) -> str:
        if not path:
            return self.base_url
        parsed = parse_generic(self.base_url)
        query = f"?{parsed.query}" if parsed.query else ""
        return (
            f"{parsed.scheme}://{parsed.authority_and_path.removesuffix('/')}/"
            f"{encode_path(path.removeprefix('/'))}{query}"
        )

    def key_url(self, key: bytes) -> str:
        return self.url(key.decode("utf-8", "surrogateescape"))

    async def open(self, context: Any) -> Driver:
        from fsspec.implementations.http import HTTPFileSystem

        fs = HTTPFileSystem(asynchronous=True, loop=io_loop(), skip_instance_cache=True)
        session = await fs.set_session()
        return HttpDriver(self, context, fs, session)


_RESERVED = frozenset(":/?#[]@!$&'()*+,;=")
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _rsplit_percent_encoded_reserved(path: str) -> int:
    """End offset of the last ``%XX`` encoding a reserved character in ``path`` (0 if none)."""
    for m in reversed(list(re.finditer(r"%([0-9A-Fa-f]{2})", path))):
        if chr(int(m.group(1), 16)) in _RESERVED:
            return m.end()
    return 0


def _base_url(value: Any) -> str:
    url = jsonb.expect_string(value)
    parsed = parse_generic(url)
    if parsed.scheme not in ("http", "https"):
        raise status.invalid_argument(f'Expected scheme of "http" or "https" but received: {quote(parsed.scheme)}')
    if parsed.fragment:
        raise status.invalid_argument("Fragment identifier not supported")
    return url


def _check_header(header: str) -> str:
    """tensorstore's ``ValidateHttpHeader``: ``name: value`` with a token name and printable value."""
    header = jsonb.expect_string(header)
    name, colon, value = header.partition(":")
    if not colon:
        raise status.invalid_argument(f"Invalid HTTP header: {quote(header)}")
    if not name:
        raise status.invalid_argument("Empty HTTP header field name")
    for ch in name:
        if ch not in _TCHAR:
            shown = ch if ch.isascii() else "\ufffd"
            raise status.invalid_argument(f"Invalid HTTP char {shown} in header field name: {quote(name)}")
    if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
        raise status.invalid_argument(f"Invalid HTTP header field value: {quote(value)}")
    return header


def _header_list(value: Any) -> list[str]:
    return jsonb.expect_array(value, _check_header)


def _parse_http_url(url: str, scheme: str) -> dict[str, Any]:
    _base_url(url)  # validates scheme and fragment; the path moves out in normalize_path
    return {"driver": "http", "base_url": url}


register_url_scheme("http", _parse_http_url)
register_url_scheme("https", _parse_http_url)


class HttpDriver(Driver):
    writable = False

    def __init__(self, spec: HttpSpec, context: Any, fs: Any, session: Any) -> None:
        super().__init__(spec, context)
        self.http_spec = spec
        self.fs = fs
        self.session = session
        self.headers = dict(h.split(":", 1) for h in spec.headers if ":" in h)
        self.headers = {k.strip(): v.strip() for k, v in self.headers.items()}

    @property
    def identity(self) -> Hashable:
        return ("http", self.http_spec.base_url)

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        url = self.http_spec.key_url(key)
        try:
            async with self.session.get(url, headers=self.headers) as resp:
                if resp.status == 404:
                    return missing(options)
                if resp.status >= 400:
                    raise status.StatusError(
                        "FAILED_PRECONDITION" if resp.status < 500 else "UNAVAILABLE",
                        f"HTTP response code: {resp.status} reading {json.dumps(url)}",
                    )
                data = await resp.read()
                etag = resp.headers.get("ETag")
                if etag:
                    gen = b"etag:" + etag.encode()
                else:
                    stamp = f"{resp.headers.get('Last-Modified', '')}|{len(data)}"
                    gen = b"lm:" + stamp.encode()
        except status.StatusError:
            raise
        except OSError as e:
            raise _unavailable(f"Error reading {json.dumps(url)}", e) from None
        return found(data, gen, options)

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        raise NotImplementedError("KeyValueStore does not support writing")

    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        raise NotImplementedError("KeyValueStore does not support listing")

    async def delete_range(self, key_range: KeyRange) -> None:
        raise NotImplementedError("KeyValueStore does not support deleting by range")


# -- generic fsspec (tsexplore extension) --------------------------------------------------------


@register_driver
class FsspecSpec(DriverSpec):
    """``{"driver": "fsspec", "url": "proto://root/", "storage_options": {...}}``: tsexplore extension."""

    driver = "fsspec"

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        self.root_url = reader.get("url", jsonb.expect_string)
        self.storage_options: dict[str, Any] = reader.get("storage_options", jsonb.expect_object, {})
        if "://" not in self.root_url:
            raise jsonb.member_error(
                "url", status.invalid_argument(f"Expected a URL with a protocol: {json.dumps(self.root_url)}")
            )

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.root_url}
        if self.storage_options or include_defaults:
            out["storage_options"] = dict(self.storage_options)
        return out

    def url(self, path: str) -> str:
        raise status.invalid_argument('"fsspec" kvstore has no URL form')

    async def open(self, context: Any) -> Driver:
        import fsspec

        protocol, _, root = self.root_url.partition("://")
        fs = fsspec.filesystem(protocol, **self.storage_options)
        return FsspecDriver(self, context, fs, root)


class FsspecDriver(Driver):
    def __init__(self, spec: FsspecSpec, context: Any, fs: Any, root: str) -> None:
        super().__init__(spec, context)
        self.fs = fs
        self.root = root.rstrip("/")
        self.lock = asyncio.Lock()

    @property
    def identity(self) -> Hashable:
        spec: Any = self.spec
        return ("fsspec", spec.root_url)

    def _path(self, key: bytes) -> str:
        return f"{self.root}/{_str_key(key)}"

    def _gen_blocking(self, path: str) -> tuple[bytes, bytes | None]:
        try:
            data = self.fs.cat_file(path)
            info = self.fs.info(path)
        except FileNotFoundError:
            return NO_VALUE, None
        parts = [str(info.get(k)) for k in ("ETag", "etag", "generation", "mtime", "created", "size")]
        import hashlib

        digest = hashlib.sha256(data).hexdigest()[:16]
        return ("|".join(parts) + "|" + digest).encode(), data

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        gen, data = await run_blocking(self._gen_blocking, self._path(key))
        if data is None:
            return missing(options)
        return found(data, gen, options)

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        path = self._path(key)
        async with self.lock:  # serializes check-then-write within this process only
            if if_equal:
                gen, _ = await run_blocking(self._gen_blocking, path)
                if gen != if_equal:
                    return TimestampedStorageGeneration(b"", now())
            if value is None:
                with contextlib.suppress(FileNotFoundError):
                    await run_blocking(self.fs.rm_file, path)
                return TimestampedStorageGeneration(NO_VALUE, now())
            await run_blocking(self.fs.pipe_file, path, value)
            gen, _ = await run_blocking(self._gen_blocking, path)
        return TimestampedStorageGeneration(gen, now())

    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        if key_range.empty:
            return []

        def find() -> list[str]:
            try:
                return list(self.fs.find(self.root))
            except FileNotFoundError:
                return []

        names = await run_blocking(find)
        strip = len(self.fs._strip_protocol(self.root).rstrip("/")) + 1
        keys = [self.fs._strip_protocol(n)[strip:].encode() for n in names]
        return [k for k in keys if key_range.contains(k)]
