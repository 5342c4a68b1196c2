"""Every chunked driver (zarr v2; zarr3 plain, compressed, sharded; n5) runs the same conformance suite.

n5 has no fill value: missing chunks read as zero and ``fill_value`` constraints are rejected, so its
cases use ``fill=None`` (the suite's model then expects zeros).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.driver import conformance as c

_BLOSC = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "blosc"}]

CASES = [
    c.Case("zarr", fill=None),
    c.Case("zarr", {"compressor": {"id": "zlib", "level": 1}, "order": "F"}, dtype="int16", fill=3),
    c.Case("zarr3"),
    c.Case("zarr3", {"codecs": _BLOSC}, dtype="uint16", fill=7, chunk=(8, 5)),
    c.Case("zarr3", dtype="float64", chunk=(2, 5), write_chunk=(4, 10)),
    c.Case("zarr3", {"chunk_key_encoding": {"name": "v2"}}, dtype="int32", chunk=(8, 4), fill=-1),
    c.Case("n5", fill=None),
    c.Case("n5", {"compression": {"type": "raw"}}, dtype="int16", chunk=(8, 5), fill=None),
    c.Case("n5", {"compression": {"type": "gzip", "level": 1}}, dtype="uint8", chunk=(4, 4), fill=None),
    c.Case("n5", {"compression": {"type": "zstd", "level": 3}}, dtype="float64", chunk=(3, 7), fill=None),
    c.Case("n5", {"compression": {"type": "xz", "preset": 1}}, dtype="int64", chunk=(8, 10), fill=None),
    c.Case("n5", {"compression": {"type": "bzip2", "blockSize": 1}}, dtype="uint32", chunk=(2, 17), fill=None),
]
ids = [f"{k}-{case}" for k, case in enumerate(CASES)]


@pytest.fixture(params=CASES, ids=ids)
def case(request: Any) -> c.Case:
    return request.param  # type: ignore[no-any-return]


def test_create_open_delete(case: c.Case, tmp_path: Any) -> None:
    c.check_create_open_delete(case, tmp_path)


@pytest.mark.parametrize("seed", range(3))
def test_random_transforms(case: c.Case, tmp_path: Any, seed: int) -> None:
    c.check_random_transforms(case, tmp_path, seed)


def test_resize(case: c.Case, tmp_path: Any) -> None:
    c.check_resize(case, tmp_path)


def test_missing_and_fill(case: c.Case, tmp_path: Any) -> None:
    c.check_missing_and_fill(case, tmp_path)


@pytest.mark.parametrize("limit", [0, 1 << 20])
def test_cache(case: c.Case, tmp_path: Any, limit: int) -> None:
    c.check_cache(case, tmp_path, limit)


def test_concurrent_disjoint(case: c.Case, tmp_path: Any) -> None:
    c.check_concurrent_disjoint(case, tmp_path)


def test_corrupt_chunk(case: c.Case, tmp_path: Any) -> None:
    c.check_corrupt_chunk(case, tmp_path)
