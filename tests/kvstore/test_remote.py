"""The conformance suite on s3 (moto), gcs (gcp-storage-emulator) and http (http.server)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import tsexplore as ts

from .conformance import READONLY_CONTENT, KvStoreConformance, ReadOnlyConformance
from .conftest import seed

_counter = itertools.count()


class TestS3Conformance(KvStoreConformance):
    binary_keys = False
    seed_target: tuple[str, str]

    @pytest.fixture
    def kv(self, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        import boto3

        bucket = f"tsx-{next(_counter)}"
        boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
        spec = {"driver": "s3", "bucket": bucket, "endpoint": moto_endpoint, "aws_region": "us-east-1"}
        self.seed_target = (moto_endpoint, bucket)
        return ts.KvStore.open(spec).result()

    def bulk_write(self, kv: Any, keys: list[bytes]) -> None:
        # 10,000 PUTs through moto take ~60 s on 2 cores: create the objects in its backing store.
        endpoint, bucket = self.seed_target
        seed(endpoint, bucket, [kv.path + k.decode() for k in keys])

    def test_generation_changes_on_every_write(self, kv: Any) -> None:
        # S3 generations are ETags (content hashes, as in tensorstore): distinct values differ.
        gens = [kv.write("g", str(i)).result().generation for i in range(10)]
        assert len(set(gens)) == 10


class TestGcsConformance(KvStoreConformance):
    binary_keys = False
    seed_target: str

    @pytest.fixture
    def kv(self, gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
        monkeypatch.setenv("TENSORSTORE_GCS_HTTP_URL", gcs_endpoint)
        kv = ts.KvStore.open({"driver": "gcs", "bucket": "tsx-bucket"}).result()
        self.seed_target = gcs_endpoint
        return kv / f"t{next(_counter)}/"

    def bulk_write(self, kv: Any, keys: list[bytes]) -> None:
        # The emulator serves one request at a time: create the objects in its backing store.
        seed(self.seed_target, "tsx-bucket", [kv.path + k.decode() for k in keys])


def test_gcs_sends_preconditions(gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENSORSTORE_GCS_HTTP_URL", gcs_endpoint)
    kv = ts.KvStore.open({"driver": "gcs", "bucket": "tsx-bucket", "path": "pre/"}).result()
    fs = kv.driver.fs  # type: ignore[attr-defined]
    seen: list[dict[str, Any]] = []
    original = fs._call

    async def spy(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        seen.append({"method": method, **{k: v for k, v in kwargs.items() if k.startswith("if")}})
        return await original(method, path, *args, **kwargs)

    monkeypatch.setattr(fs, "_call", spy)
    g = kv.write("k", b"1", if_equal=b"\x02").result().generation
    kv.write("k", b"2", if_equal=g).result()
    assert [s.get("ifGenerationMatch") for s in seen if s["method"] == "POST"] == ["0", g.decode()]


@pytest.fixture(scope="module")
def http_store(http_root: tuple[str, Path]) -> Any:
    url, root = http_root
    for key, value in READONLY_CONTENT.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(value)
    return ts.KvStore.open(url + "/").result()


class TestHttpReadOnly(ReadOnlyConformance):
    @pytest.fixture
    def ro(self, http_store: Any) -> Any:
        return http_store

    def test_list(self, ro: Any) -> None:
        # tensorstore's http kvstore cannot list; neither can tsexplore's (same error).
        with pytest.raises(NotImplementedError, match=r"^KeyValueStore does not support listing$"):
            ro.list().result()

    def test_writes_rejected(self, ro: Any) -> None:
        with pytest.raises(NotImplementedError, match=r"^KeyValueStore does not support writing$"):
            ro.write("a.txt", b"x").result()
        with pytest.raises(NotImplementedError, match=r"^KeyValueStore does not support writing$"):
            ro.write("a.txt", None).result()
        with pytest.raises(NotImplementedError, match=r"^KeyValueStore does not support deleting by range$"):
            ro.delete_range(ts.KvStore.KeyRange()).result()
        assert ro["a.txt"] == READONLY_CONTENT["a.txt"]


class TestFsspecMemory(KvStoreConformance):
    """The tsexplore-only ``fsspec`` driver over fsspec's in-memory filesystem."""

    binary_keys = False

    root: str

    @pytest.fixture
    def kv(self) -> Any:
        self.root = f"tsx{next(_counter)}"
        return ts.KvStore.open({"driver": "fsspec", "url": f"memory://{self.root}"}).result()

    def bulk_write(self, kv: Any, keys: list[bytes]) -> None:
        # Each write through the driver re-reads the value for its generation: fill fsspec directly.
        import fsspec

        fsspec.filesystem("memory").pipe({f"/{self.root}/{kv.path}{k.decode()}": b"" for k in keys})
