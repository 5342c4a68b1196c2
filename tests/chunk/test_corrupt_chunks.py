"""A corrupt chunk's error: tensorstore's text (naming the key) as a prefix, then the failing codec."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts

BLOSC = [
    {"name": "bytes", "configuration": {"endian": "little"}},
    {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4}},
]
CASES: dict[str, tuple[str, Any, str, str]] = {
    # name: (driver, metadata, chunk key, codec named in the payload)
    "zarr3 blosc": ("zarr3", {"codecs": BLOSC}, "c/0/0", "blosc"),
    "zarr3 bytes": ("zarr3", {}, "c/0/0", "bytes"),
    "zarr v2 blosc": ("zarr", {}, "0.0", "blosc"),
    "zarr3 gzip": ("zarr3", {"codecs": [BLOSC[0], {"name": "gzip"}]}, "c/0/0", "gzip"),
}
EXACT_PREFIX = {"zarr3 blosc", "zarr3 bytes", "zarr v2 blosc"}  # codec detail text equal to tensorstore's


def _error(mod: Any, spec: dict[str, Any]) -> str:
    with pytest.raises(ValueError) as info:
        mod.open(spec).result().read().result()
    return str(info.value)


@pytest.mark.parametrize("name", list(CASES))
def test_corrupt_chunk_names_key_and_codec(tmp_path: pathlib.Path, name: str) -> None:
    driver, metadata, key, codec = CASES[name]
    spec: dict[str, Any] = {"driver": driver, "kvstore": {"driver": "file", "path": str(tmp_path) + "/"}}
    real_ts.open(
        {**spec, "metadata": metadata},
        create=True,
        dtype="float32",
        shape=[4, 4],
        chunk_layout=real_ts.ChunkLayout(chunk_shape=[4, 4]),
    ).result()[...] = np.arange(16, dtype=np.float32).reshape(4, 4)
    path = tmp_path / key
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x13" * 7)
    expected = _error(real_ts, spec)
    got = _error(ts, spec)
    where = f'Error reading local file "{path}": '
    assert expected.startswith("FAILED_PRECONDITION: " + where)
    assert got.endswith(f" [codec='{codec}']")
    if name in EXACT_PREFIX:
        assert got == f"{expected} [codec='{codec}']"
    else:
        assert got.startswith("FAILED_PRECONDITION: " + where) or got.startswith("DATA_LOSS: " + where)
