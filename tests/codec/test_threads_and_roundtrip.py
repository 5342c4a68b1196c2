"""Codecs used from many threads at once, and randomized encode/decode round trips of codec chains."""

from __future__ import annotations

import itertools
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from tsexplore.codec import CodecPipeline, V2ChunkCodec, parse_v2_compressor, parse_v2_dtype

CHAINS: list[list[Any]] = [
    [{"name": "blosc", "configuration": {"cname": "zstd"}}],
    [{"name": "zstd", "configuration": {"checksum": True}}, {"name": "crc32c"}],
    [{"name": "gzip"}],
    [
        {"name": "transpose", "configuration": {"order": [2, 0, 1]}},
        {"name": "bytes", "configuration": {"endian": "big"}},
        {"name": "blosc", "configuration": {"shuffle": "bitshuffle"}},
    ],
    [
        {
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": [4, 4, 5],
                "codecs": [{"name": "zstd"}],
                "index_location": "start",
            },
        }
    ],
]


@pytest.mark.parametrize("chain", CHAINS, ids=str)
def test_concurrent_decode_into_destinations(chain: list[Any]) -> None:
    rng = np.random.default_rng(5)
    pipe = CodecPipeline.from_json(chain, np.float32, (8, 8, 10))
    chunks = [rng.normal(size=(8, 8, 10)).astype(np.float32) for _ in range(24)]
    encoded = [pipe.encode(c, fill_value=0.0) for c in chunks]
    dest = np.zeros((24, 8, 8, 10), np.float32)

    def work(i: int) -> None:
        pipe.decode(encoded[i], key=f"c/{i}", out=dest[i])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(24)))
    np.testing.assert_array_equal(dest, np.stack(chunks))


def test_concurrent_v2_decode() -> None:
    codec = V2ChunkCodec(parse_v2_dtype("<i8"), (16, 16), "F", parse_v2_compressor({"id": "blosc"}))
    chunks = [np.arange(256, dtype="<i8").reshape(16, 16) * i for i in range(32)]
    encoded = [codec.encode(c) for c in chunks]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: codec.decode(encoded[i], key=str(i)), range(32)))
    for g, c in zip(got, chunks):
        np.testing.assert_array_equal(g, c)


DTYPES = ["bool", "int8", "uint16", "int32", "uint64", "float16", "float32", "float64", "complex64"]
BB = [
    [],
    [{"name": "gzip"}],
    [{"name": "zstd"}],
    [{"name": "blosc"}],
    [{"name": "crc32c"}],
    [{"name": "blosc", "configuration": {"shuffle": "noshuffle"}}, {"name": "crc32c"}],
]


@pytest.mark.parametrize(("dtype", "bb"), list(itertools.product(DTYPES, range(len(BB)))), ids=str)
def test_random_round_trips(dtype: str, bb: int) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{dtype}{bb}".encode()))
    for _ in range(3):
        rank = int(rng.integers(1, 4))
        shape = tuple(int(n) for n in rng.integers(1, 7, rank))
        perm = [int(i) for i in rng.permutation(rank)]
        endian = str(rng.choice(["little", "big"]))
        chain = [
            {"name": "transpose", "configuration": {"order": perm}},
            {"name": "bytes", "configuration": {"endian": endian}},
            *BB[bb],
        ]
        pipe = CodecPipeline.from_json(chain, dtype, shape)
        data = (rng.normal(size=shape) * 50).astype(dtype)
        enc = pipe.encode(data)
        got = pipe.decode(enc)
        np.testing.assert_array_equal(got, data)
        if not BB[bb]:
            stored = np.dtype(dtype).newbyteorder("<" if endian == "little" else ">")
            expected = np.ascontiguousarray(np.transpose(data, perm)).astype(stored).tobytes()
            assert enc == expected
