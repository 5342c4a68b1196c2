"""Conformance suite every chunked driver runs (zarr, zarr3; later n5).

A driver module's test file calls the ``check_*`` functions below for each of its cases (a
:class:`Case`).  Arrays are opened with ``ts.open`` and used through the ``TensorStore`` handle,
so bounds checks, dtype conversion and futures take part; every result is compared with a numpy
model of the array.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from tests.driver.chunked_harness import Store, open_store
from tsexplore import status
from tsexplore.chunk_layout import ChunkLayout
from tsexplore.context import Context


@dataclass
class Case:
    driver: str
    metadata: dict[str, Any] = field(default_factory=dict)
    dtype: str = "float32"
    chunk: tuple[int, ...] = (4, 5)
    write_chunk: tuple[int, ...] | None = None
    fill: Any = 0

    def __str__(self) -> str:
        return f"{self.driver}-{self.dtype}-{'x'.join(map(str, self.write_chunk or self.chunk))}"


def make(
    case: Case, path: str, shape: tuple[int, ...] = (13, 17), *, context: Context | None = None, **kw: Any
) -> Store:
    layout = (
        ChunkLayout(write_chunk_shape=list(case.write_chunk), read_chunk_shape=list(case.chunk))
        if case.write_chunk
        else ChunkLayout(chunk_shape=list(case.chunk))
    )
    spec = {"driver": case.driver, "kvstore": {"driver": "file", "path": path}, "metadata": case.metadata}
    opts: dict[str, Any] = {"create": True, "dtype": case.dtype, "shape": list(shape), "chunk_layout": layout}
    if case.fill is not None:
        opts["fill_value"] = case.fill
    if context is not None:
        opts["context"] = context
    opts.update(kw)
    return open_store(spec, **opts)


def reopen(case: Case, path: str, **kw: Any) -> Store:
    return open_store({"driver": case.driver, "kvstore": {"driver": "file", "path": path}}, **kw)


def random_index(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """A random NumPy-style index: strided/negative slices, integers, or index arrays."""
    kind = rng.integers(4)
    out: list[Any] = []
    for n in shape:
        if kind == 3 and len(out) == 0:
            out.append(rng.integers(0, n, size=int(rng.integers(1, 6))))
            continue
        r = rng.integers(3)
        if r == 0:
            out.append(int(rng.integers(n)))
        else:
            a, b = sorted(int(x) for x in rng.integers(0, n + 1, size=2))
            step = int(rng.choice([1, 1, 2, 3]))
            out.append(slice(b - 1, a - 1, -step) if r == 2 and b > a else slice(a, b, step))
    return tuple(out)


def np_index(idx: Any) -> Any:
    """The NumPy spelling of a tensorstore index (a stop of -1 is a coordinate, not a wrap)."""
    return tuple(slice(i.start, None, i.step) if isinstance(i, slice) and i.stop == -1 else i for i in idx)


def _fill(case: Case) -> Any:
    return 0 if case.fill is None else case.fill


def check_create_open_delete(case: Case, tmp_path: Any) -> None:
    p = str(tmp_path / "a") + "/"
    s = make(case, p)
    assert s.shape == (13, 17)
    assert [str(x) for x in s.ts.domain] == ["[0, 13*)", "[0, 17*)"]
    with pytest.raises(status.StatusError) as e:
        make(case, p)
    assert e.value.code == "ALREADY_EXISTS"
    s[1:3, 2:4] = 7
    assert reopen(case, p)[1, 2] == 7
    s2 = make(case, p, delete_existing=True)
    assert (s2[...] == _fill(case)).all()
    with pytest.raises(status.StatusError) as e:
        reopen(case, str(tmp_path / "missing") + "/")
    assert e.value.code == "NOT_FOUND"
    both = open_store(
        {"driver": case.driver, "kvstore": {"driver": "file", "path": p}}, open=True, create=True, dtype=case.dtype
    )
    assert both.shape == (13, 17)
    with pytest.raises(ValueError, match="OUT_OF_RANGE"):  # implicit bounds are checked at read
        both[10:20, :]
    with pytest.raises(IndexError, match="OUT_OF_RANGE"):  # explicit lower bound: checked when indexing
        both.ts[-1:3]


def check_random_transforms(case: Case, tmp_path: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = str(tmp_path / "r") + "/"
    shape = (13, 17)
    s = make(case, p, shape)
    model = np.full(shape, _fill(case), dtype=case.dtype)
    for _ in range(12):
        idx = random_index(rng, shape)
        if isinstance(idx[0], np.ndarray):
            # duplicate positions: tensorstore does not define which value wins; keep them unique
            idx = (np.unique(idx[0]), *idx[1:])
        target = model[np_index(idx)]
        value = rng.integers(-50, 50, size=target.shape).astype(case.dtype)
        s[idx] = value
        model[np_index(idx)] = value
        read_idx = random_index(rng, shape)
        np.testing.assert_array_equal(s[read_idx], model[np_index(read_idx)])
    np.testing.assert_array_equal(reopen(case, p)[...], model)


def check_resize(case: Case, tmp_path: Any) -> None:
    p = str(tmp_path / "z") + "/"
    s = make(case, p, (13, 17))
    a = np.arange(13 * 17, dtype=case.dtype).reshape(13, 17) + 1
    s[...] = a
    s.resize(exclusive_max=[6, 25])
    s2 = reopen(case, p)
    assert s2.shape == (6, 25)
    got = s2[...]
    np.testing.assert_array_equal(got[:6, :17], a[:6, :17])
    np.testing.assert_array_equal(got[:, 20:], np.full((6, 5), _fill(case), case.dtype))


def check_missing_and_fill(case: Case, tmp_path: Any) -> None:
    p = str(tmp_path / "m") + "/"
    s = make(case, p)
    fill = _fill(case)
    np.testing.assert_array_equal(s[...], np.full((13, 17), fill, case.dtype))
    s[0:2, 0:2] = fill + 1
    s[0:2, 0:2] = fill  # back to the fill value: no chunk stored when the format has a fill value
    keys = list(s.ts.kvstore.list().result())
    chunk_keys = [k for k in keys if not k.endswith((b"zarr.json", b".zarray"))]
    if case.fill is not None:
        assert chunk_keys == []
    np.testing.assert_array_equal(s[...], np.full((13, 17), fill, case.dtype))


def check_cache(case: Case, tmp_path: Any, limit: int) -> None:
    p = str(tmp_path / "c") + "/"
    ctx = Context({"cache_pool": {"total_bytes_limit": limit}})
    s = make(case, p, context=ctx)
    a = np.arange(13 * 17, dtype=case.dtype).reshape(13, 17)
    s[...] = a
    np.testing.assert_array_equal(s[...], a)
    other = reopen(case, p)  # a second, uncached handle writes behind the cache's back
    other[2:5, 3:9] = 99
    a[2:5, 3:9] = 99
    np.testing.assert_array_equal(s[...], a)  # recheck_cached_data defaults to revalidating


def check_concurrent_disjoint(case: Case, tmp_path: Any) -> None:
    p = str(tmp_path / "w") + "/"
    s = make(case, p, (16, 20))
    cs = case.write_chunk or case.chunk
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            h = reopen(case, p)
            r0 = (k % 2) * (16 // 2)
            h[r0 : r0 + 16 // 2, :] = k + 1
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    if 16 // 2 % cs[0]:
        pytest.skip("halves not chunk aligned")
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = s[...]
    assert (got[:8] == 1).all() and (got[8:] == 2).all()


def check_corrupt_chunk(case: Case, tmp_path: Any) -> None:
    p = str(tmp_path / "k") + "/"
    s = make(case, p)
    s[...] = 5
    fmt = s.driver.chunk_fmt
    key = fmt.key((0,) * 2)
    with open(p + key, "wb") as f:
        f.write(b"garbage")
    with pytest.raises(status.StatusError) as e:
        s[...]
    assert key in str(e.value)
    # the other chunks stay readable
    assert (s[fmt.chunk_shape[0] :, :] == 5).all()
