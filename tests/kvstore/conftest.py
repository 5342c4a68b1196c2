"""Session-scoped local servers for the remote kvstore drivers (127.0.0.1, kernel-chosen ports).

The servers run from ``_servers.py`` (see there for what differs from the stock servers).  With
pytest-xdist every worker starts its own servers; ports come from the kernel, so they never collide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

_SCRIPT = Path(__file__).with_name("_servers.py")


def _start(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, str(_SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("PORT "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{args[0]} test server did not start (exit code {proc.poll()})")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def seed(endpoint: str, bucket: str, keys: list[str]) -> None:
    """Create empty objects ``keys`` in ``bucket`` directly in the server's backing store."""
    body = json.dumps({"bucket": bucket, "keys": keys}).encode()
    req = urllib.request.Request(endpoint + "/_tsx/seed", data=body, method="POST")
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    proc, url = _start("s3")
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    proc, url = _start("gcs")
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def http_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("http_root")
    proc, url = _start("http", str(root))
    try:
        yield url, root
    finally:
        _stop(proc)
