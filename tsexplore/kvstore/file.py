"""The ``file`` driver: one file per key under a local directory.

* Writes are atomic: the value goes into ``<key>.__lock`` (created and ``flock``-ed by the writer),
  is fsync-ed, then renamed over ``<key>``.  Readers never lock; they always see a whole file.
* Conditional writes are correct between processes: the condition is checked while holding the
  ``flock`` of the lock file, and a waiter re-checks that the lock file it locked is still the one
  at ``<key>.__lock`` (it may have been renamed into place meanwhile).
* Generations are ``(st_dev, st_ino, st_size, st_mtime_ns)``.  The writer sets the new file's
  mtime to ``max(now_ns, previous_mtime_ns + 1)`` while holding the lock, so a key's generation
  never repeats, even for writes within one clock tick and with a recycled inode.
* Keys cannot leave the root: empty, ``.`` and ``..`` components, NUL bytes, a trailing ``/`` and the
  ``.__lock`` suffix are rejected with ``Invalid key`` before any file is touched.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import os
import re
import stat
import struct
import threading
import time
from collections.abc import Hashable
from typing import Any

from .. import jsonb, status
from ..future import Future, run_blocking
from . import _ctx
from .driver import (
    Driver,
    DriverSpec,
    ResourceMember,
    byte_range_bounds,
    now,
    register_driver,
    register_url_scheme,
)
from .types import (
    NO_VALUE,
    KeyRange,
    ReadOptions,
    ReadResult,
    TimestampedStorageGeneration,
    common_prefix,
    prefix_successor,
)
from .url import decode_path, encode_path, quote, split_url

__all__ = ["FileDriver", "FileSpec"]

LOCK_SUFFIX = b".__lock"
_GEN = struct.Struct("<QQQQ")


def _quote(key: bytes) -> str:
    """tensorstore's quoting of keys and paths in messages."""
    return quote(key)


def _components_valid(path: bytes) -> bool:
    """tensorstore's ``IsKeyValid``: ``/`` and ``\\`` separate components; none may be empty,
    ``.``, ``..`` or end with the lock suffix; no NUL; no trailing separator."""
    if not path or b"\0" in path or path[-1:] in (b"/", b"\\"):
        return False
    if path[:1] in (b"/", b"\\"):
        path = path[1:]
    if not path:
        return False
    parts = re.split(rb"[/\\]", path)
    return all(p not in (b"", b".", b"..") and not p.endswith(LOCK_SUFFIX) for p in parts)


def path_valid(path: str) -> bool:
    """tensorstore's ``IsFileKvstorePathValid`` (a spec path may end with ``/``)."""
    raw = path.encode("utf-8", "surrogateescape")
    if raw in (b"", b"/"):
        return True
    if raw[-1:] in (b"/", b"\\"):
        raw = raw[:-1]
    return _components_valid(raw)


def lexical_normalize(path: str) -> str:
    """tensorstore's ``LexicalNormalizePath``: resolve ``.``/``..``, collapse separators to ``/``."""
    if not path:
        return path
    absolute = path[0] in "/\\"
    tokens = re.findall(r"([^/\\]+)([/\\]*)", path)
    out: list[str] = []
    limit = 0
    for name, sep in tokens:
        if name == ".":
            continue
        if name == "..":
            if len(out) > limit:
                out.pop()
            elif not absolute:
                out.append(".." + ("/" if sep else ""))
                limit = len(out)
            continue
        out.append(name + ("/" if sep else ""))
    return ("/" if absolute else "") + "".join(out)


def _bad_components(path: bytes) -> bool:
    parts = path.split(b"/")
    if path.startswith(b"/"):
        parts = parts[1:]
    return any(p in (b".", b"..") for p in parts)


def validate_key(key: bytes) -> None:
    """Reject keys that are not plain relative file names below the root (tensorstore's rules)."""
    # fast path: no component can be empty, ``.``/``..`` or a lock file, and no NUL or backslash
    if (
        key
        and key[:1] != b"."
        and key[-1:] != b"/"
        and b"//" not in key
        and b"/." not in key
        and b"\\" not in key
        and b"\0" not in key
        and LOCK_SUFFIX not in key
    ):
        return
    if not _components_valid(key):
        raise status.invalid_argument(f"Invalid key: {_quote(key)}")


def _generation(st: os.stat_result) -> bytes:
    return _GEN.pack(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _os_error(op: str, path: bytes, e: OSError) -> status.StatusError:
    code = {
        errno.ENOENT: "NOT_FOUND",
        errno.EACCES: "PERMISSION_DENIED",
        errno.EPERM: "PERMISSION_DENIED",
        errno.EEXIST: "ALREADY_EXISTS",
        errno.ENOSPC: "RESOURCE_EXHAUSTED",
    }.get(e.errno or 0, "FAILED_PRECONDITION")
    return status.StatusError(code, f"Error {op} local file {_quote(path)}: {e.strerror} [os_error_code={e.errno}]")


@register_driver
class FileSpec(DriverSpec):
    driver = "file"
    resources = (
        ResourceMember("file_io_concurrency", "file_io_concurrency"),
        ResourceMember("file_io_locking", "file_io_locking", {}),
        ResourceMember("file_io_mode", "file_io_mode", {}),
        ResourceMember("file_io_retries", "file_io_retries", {}),
        ResourceMember("file_io_sync", "file_io_sync", True),
    )

    def _parse(self, reader: jsonb.ObjectReader) -> None:
        pass

    def members_json(self, include_defaults: bool) -> dict[str, Any]:
        return {}

    def normalize_path(self, path: str) -> str:
        if not path_valid(path):
            raise status.invalid_argument(f"Invalid file path: {quote(path)}")
        return lexical_normalize(path)

    def check_path(self, path: str) -> None:
        if _bad_components(path.encode("utf-8", "surrogateescape")):
            raise status.invalid_argument(f"Invalid file path: {_quote(path.encode('utf-8', 'surrogateescape'))}")

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            raise status.invalid_argument(f"file: URIs do not support relative paths: {quote(path)}")
        return "file://" + encode_path(path, allow_at=True)

    async def open(self, context: Any) -> Driver:
        rv = self.resource_values
        pool = _ctx.resolve(context, "file_io_concurrency", rv.get("file_io_concurrency")).executor()
        sync = bool(_ctx.resolve(context, "file_io_sync", rv.get("file_io_sync")))
        locking = _ctx.resolve(context, "file_io_locking", rv.get("file_io_locking"))
        mode = locking.get("mode", "os") if isinstance(locking, dict) else "os"
        return FileDriver(self, context, pool, sync, mode != "none")


def _parse_file_url(url: str, scheme: str) -> dict[str, Any]:
    """tensorstore's ``FileUriToOsPath`` (POSIX): absolute paths, no authority but ``localhost``."""
    parsed = split_url(url, scheme)
    if not parsed.path.startswith("/"):
        raise status.invalid_argument(f"file: URIs do not support relative paths: {quote(parsed.path)}")
    path = decode_path(parsed.path)
    if parsed.authority and parsed.authority != "localhost":
        raise status.invalid_argument(f"file: URIs do not support authority: {quote(parsed.authority)}")
    return {"driver": "file", "path": lexical_normalize(path)}


register_url_scheme("file", _parse_file_url)


# -- blocking primitives (run in the file_io_concurrency pool) ---------------------------------------


def _read_blocking(path: bytes, options: ReadOptions) -> ReadResult:
    try:
        fd = os.open(path, _O_READ)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return _missing(options)
    except OSError as e:
        raise _os_error("reading", path, e) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return _missing(options)
        gen = _GEN.pack(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        stamp = TimestampedStorageGeneration._make(gen, time.time())
        if options.if_not_equal == gen:
            return ReadResult._make("unspecified", b"", stamp)
        size = st.st_size
        if options.byte_range is None:
            data = os.read(fd, size) if size else b""
            if len(data) < size:
                data += _pread_all(fd, size - len(data), len(data))
        else:
            start, end = byte_range_bounds(size, options.byte_range)
            data = _pread_all(fd, end - start, start)
        return ReadResult._make("value", data, stamp)
    except OSError as e:
        raise _os_error("reading", path, e) from None
    finally:
        os.close(fd)


_O_READ = os.O_RDONLY | os.O_CLOEXEC


def _pread_all(fd: int, length: int, offset: int) -> bytes:
    chunks = []
    while length > 0:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            break
        chunks.append(chunk)
        length -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _missing(options: ReadOptions) -> ReadResult:
    stamp = TimestampedStorageGeneration._make(NO_VALUE, time.time())
    return ReadResult._make("unspecified" if options.if_not_equal == NO_VALUE else "missing", b"", stamp)


def _current(path: bytes) -> tuple[bytes, int]:
    """``(generation, mtime_ns)`` of the file at ``path`` (``NO_VALUE`` when absent)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return NO_VALUE, 0
    if stat.S_ISDIR(st.st_mode):
        return NO_VALUE, 0
    return _generation(st), st.st_mtime_ns


def _acquire(lock_path: bytes, locking: bool) -> int:
    """Open and ``flock`` the lock file, retrying until the locked file is the one at ``lock_path``."""
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        if not locking:
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                st = os.stat(lock_path)
            except FileNotFoundError:
                os.close(fd)
                continue
            fst = os.fstat(fd)
            if (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _fsync_dir(path: bytes) -> None:
    dfd = os.open(os.path.dirname(path) or b".", os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _write_blocking(
    path: bytes, value: bytes | None, if_equal: bytes, sync: bool, locking: bool
) -> TimestampedStorageGeneration:
    lock_path = path + LOCK_SUFFIX
    parent = os.path.dirname(path)
    try:
        try:
            fd = _acquire(lock_path, locking)
        except (FileNotFoundError, NotADirectoryError):
            if value is not None:
                # the directory is missing: only the first write into a directory pays for makedirs
                try:
                    os.makedirs(parent or b".", exist_ok=True)
                except (FileExistsError, NotADirectoryError):  # a file sits where a directory must go
                    raise status.failed_precondition(
                        f"Failed to open directory: {_quote(parent)}: {os.strerror(errno.ENOTDIR)} "
                        f"[os_error_code='{errno.ENOTDIR}']"
                    ) from None
                fd = _acquire(lock_path, locking)
            else:
                # deleting a key whose directory does not exist: it is missing
                ok = not if_equal or if_equal == NO_VALUE
                return TimestampedStorageGeneration(NO_VALUE if ok else b"", now())
    except OSError as e:
        raise _os_error("writing", path, e) from None
    renamed = False
    try:
        current, mtime = _current(path)
        if if_equal and current != if_equal:
            return TimestampedStorageGeneration(b"", now())
        if value is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            if sync:
                _fsync_dir(path)
            return TimestampedStorageGeneration(NO_VALUE, now())
        os.ftruncate(fd, 0)
        view = memoryview(value)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        new_mtime = max(time.time_ns(), mtime + 1)
        os.utime(fd, ns=(new_mtime, new_mtime))
        if sync:
            os.fsync(fd)
        try:
            os.rename(lock_path, path)
        except OSError as e:
            raise status.StatusError(
                "FAILED_PRECONDITION",
                f"Failed to rename fd: {fd} {_quote(lock_path)} to: {_quote(path)}: {e.strerror} "
                f"[os_error_code='{e.errno}']",
            ) from None
        renamed = True
        if sync:
            _fsync_dir(path)
        return TimestampedStorageGeneration(_generation(os.fstat(fd)), now())
    except OSError as e:
        raise _os_error("writing", path, e) from None
    finally:
        if not renamed:
            with contextlib.suppress(OSError):
                os.unlink(lock_path)
        os.close(fd)


def _list_blocking(key_range: KeyRange) -> list[bytes]:
    lo, hi = key_range.inclusive_min, key_range.exclusive_max
    common = lo if not hi else common_prefix(lo, hi)
    start = common[: common.rfind(b"/") + 1]
    out: list[bytes] = []
    stack: list[bytes] = [start]
    while stack:
        prefix = stack.pop()
        try:
            it = os.scandir(prefix or b".")
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        with it:  # bytes paths give bytes names
            for entry in it:
                key = prefix + entry.name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    continue
                if is_dir:
                    sub = key + b"/"
                    if (hi and sub >= hi) or (prefix_successor(sub) and prefix_successor(sub) <= lo):
                        continue
                    stack.append(sub)
                elif not entry.name.endswith(LOCK_SUFFIX) and key_range.contains(key):
                    out.append(key)
    return out


def _delete_blocking(key_range: KeyRange, sync: bool) -> None:
    keys = _list_blocking(key_range)
    dirs: set[bytes] = set()
    for key in keys:
        try:
            os.unlink(key)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise _os_error("deleting", key, e) from None
        d = os.path.dirname(key)
        while d and key_range.contains(d + b"/") and d not in dirs:
            dirs.add(d)
            d = os.path.dirname(d)
    for d in sorted(dirs, key=len, reverse=True):  # remove directories emptied by the deletion
        with contextlib.suppress(OSError):
            os.rmdir(d)


_DRAINERS = 2  # pool jobs serving queued reads at once (reads release the GIL only in syscalls)


class FileDriver(Driver):
    """Reads skip the event loop: they queue up and a few pool jobs drain the queue.

    A burst of thousands of reads (``[kv.read(k) for k in keys]``) then costs one pool job per
    drainer instead of a thread hop plus an event-loop task per read.  A thread that blocks on a
    read still queued (``Future.result()``) does that read itself (the future's force hook): a
    local read costs less than waking the waiter up from a pool thread.
    """

    def __init__(self, spec: FileSpec, context: Any, pool: Any, sync: bool, locking: bool) -> None:
        super().__init__(spec, context)
        self.pool = pool
        self.sync = sync
        self.locking = locking
        self._queue: collections.deque[Future[ReadResult]] = collections.deque()
        # queued reads not yet claimed; ``dict.pop`` is atomic, so a drainer and a forcing thread
        # never both run one read
        self._claims: dict[Future[ReadResult], tuple[bytes, ReadOptions]] = {}
        self._lock = threading.Lock()
        self._drainers = 0
        self._force = self._run_claimed

    def read_future(self, key: bytes, options: ReadOptions) -> Future[ReadResult]:
        fut: Future[ReadResult] = Future.pending()
        self._claims[fut] = (key, options)
        fut._force_hook = self._force
        with self._lock:
            self._queue.append(fut)
            start = self._drainers < _DRAINERS
            if start:
                self._drainers += 1
        if start:
            self.pool.submit(self._drain)
        return fut

    def _run_claimed(self, fut: Future[ReadResult]) -> None:
        item = self._claims.pop(fut, None)
        if item is None or fut._state != "pending":  # taken by another thread, or cancelled
            return
        key, options = item
        try:
            validate_key(key)
            result = _read_blocking(key, options)
        except BaseException as e:  # delivered through the future
            fut._set(None, e)
            if not isinstance(e, Exception):
                raise
        else:
            fut._set(result, None)

    def _drain(self) -> None:
        queue, run = self._queue, self._run_claimed
        while True:
            try:
                fut = queue.popleft()
            except IndexError:
                with self._lock:
                    if queue:
                        continue
                    self._drainers -= 1
                    return
            run(fut)

    @property
    def identity(self) -> Hashable:
        return ("file",)

    def describe_key(self, key: bytes) -> str:
        return f"local file {_quote(key)}"

    async def read(self, key: bytes, options: ReadOptions) -> ReadResult:
        validate_key(key)
        return await run_blocking(_read_blocking, key, options, pool=self.pool)

    async def write(self, key: bytes, value: bytes | None, if_equal: bytes) -> TimestampedStorageGeneration:
        validate_key(key)
        return await run_blocking(_write_blocking, key, value, if_equal, self.sync, self.locking, pool=self.pool)

    async def list_keys(self, key_range: KeyRange) -> list[bytes]:
        if key_range.empty:
            return []
        return await run_blocking(_list_blocking, key_range, pool=self.pool)

    async def delete_range(self, key_range: KeyRange) -> None:
        if key_range.empty:
            return
        await run_blocking(_delete_blocking, key_range, self.sync, pool=self.pool)
