"""A zarr/zarr3 ``kvstore.path`` without a trailing "/" names a directory, as in tensorstore: the spec
shows ``'name/'`` and the metadata goes to ``name/zarr.json`` (JSON and URL forms); a path given through
``Spec.update(kvstore=...)`` or an open ``KvStore`` is used as is.  Compared with real tensorstore."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import pytest
import tensorstore as real_ts

import tsexplore as ts


def _scenario(mod: Any, root: pathlib.Path, driver: str) -> Any:
    root.mkdir()
    scheme = "zarr3" if driver == "zarr3" else "zarr2"
    s = mod.Spec({"driver": driver, "kvstore": {"driver": "file", "path": f"{root}/name"}})
    a = mod.open(s, create=True, dtype="uint8", shape=[3]).result()
    s3 = mod.Spec({"driver": driver})
    s3.update(kvstore=mod.KvStore.Spec({"driver": "memory", "path": "abc"}))
    kv = mod.KvStore.open({"driver": "memory", "path": "k"}).result()
    b = mod.open({"driver": driver}, kvstore=kv, create=True, dtype="uint8", shape=[3]).result()
    out = (
        s.to_json()["kvstore"], s.url, a.spec().to_json()["kvstore"], a.kvstore.path,
        mod.Spec(f"file://{root}/u|{scheme}:").to_json()["kvstore"],
        s3.to_json()["kvstore"], mod.Spec({"driver": driver, "kvstore": "memory://"}).to_json()["kvstore"],
        b.spec().to_json()["kvstore"], kv.list().result(),
        sorted(os.listdir(root)), sorted(os.listdir(root / "name")),
    )
    return str(out).replace(str(root), "ROOT")


@pytest.mark.parametrize("driver", ["zarr", "zarr3"])
def test_path_gets_a_trailing_slash(tmp_path: pathlib.Path, driver: str) -> None:
    assert _scenario(ts, tmp_path / "ours", driver) == _scenario(real_ts, tmp_path / "real", driver)
