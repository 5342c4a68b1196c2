"""Default chunk shapes chosen on create equal tensorstore's, for every chunked driver."""

from __future__ import annotations

from types import ModuleType

import pytest
import tensorstore

import tsexplore

SHAPES = [
    ([4000, 3000], "uint8"),
    ([4000, 3000], "float32"),
    ([100, 200, 300], "int16"),
    ([10], "uint8"),
    ([1000000], "float64"),
    ([3000000], "uint8"),
    ([5, 6, 7, 8], "uint8"),
    ([1, 5000, 5000], "uint16"),
    ([64, 1024, 1024], "uint16"),
    ([7, 0, 9], "int32"),
    ([2048, 2048, 3], "uint8"),
]


def _chunk(m: ModuleType, driver: str, shape: list[int], dtype: str) -> tuple[int, ...]:
    store = m.open({"driver": driver, "kvstore": {"driver": "memory"}}, create=True, dtype=dtype, shape=shape).result()
    return tuple(store.chunk_layout.read_chunk.shape)


@pytest.mark.parametrize("driver", ["zarr", "zarr3", "n5"])
@pytest.mark.parametrize(("shape", "dtype"), SHAPES, ids=[f"{s}-{d}" for s, d in SHAPES])
def test_default_chunk_shape_like_tensorstore(driver: str, shape: list[int], dtype: str) -> None:
    assert _chunk(tsexplore, driver, shape, dtype) == _chunk(tensorstore, driver, shape, dtype)
