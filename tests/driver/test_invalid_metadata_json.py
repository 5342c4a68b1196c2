"""Stored metadata that is not JSON: status code and text per driver, against real tensorstore."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorstore as real_ts

import tsexplore as ts

CASES = [("zarr", ".zarray"), ("zarr3", "zarr.json"), ("n5", "attributes.json"), ("neuroglancer_precomputed", "info")]
CONTENTS = [b"{not json", b"[1, 2", b"\xff\xfe", b""]


def _error(mod: object, driver: str, key: str, content: bytes, root: Path) -> str:
    root.mkdir()
    (root / key).write_bytes(content)
    spec = {"driver": driver, "kvstore": {"driver": "file", "path": str(root) + "/"}}
    with pytest.raises(ValueError) as e:
        mod.open(spec).result()  # type: ignore[attr-defined]
    return str(e.value).replace(str(root), "ROOT").split(" [tensorstore_spec=")[0]


@pytest.mark.parametrize(("driver", "key"), CASES)
@pytest.mark.parametrize("content", CONTENTS)
def test_invalid_json_metadata_matches_tensorstore(driver: str, key: str, content: bytes, tmp_path: Path) -> None:
    want = _error(real_ts, driver, key, content, tmp_path / "real")
    got = _error(ts, driver, key, content, tmp_path / "ours")
    assert got == want
    assert "Invalid JSON" in got
