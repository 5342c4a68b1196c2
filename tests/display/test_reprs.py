# ruff: noqa: RUF001
"""Rich reprs: structure, caps, escaping, themes, no I/O; text/plain checked against real tensorstore's repr."""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
import pytest
import tensorstore as real

import tsexplore as ts
from tsexplore import display
from tsexplore.display._html import HTML_CAP, TEXT_CAP
from tsexplore.display.storage import chunk_counts

DARK_SELECTORS = ("html[theme=dark]", "html[data-theme=dark]", "body[data-theme=dark]", "body.vscode-dark")


def _check_bundle(b: dict[str, str]) -> str:
    """Every bundle: text + html, style, hidden fallback pre, hidden-by-default rich div, dark selectors, caps."""
    assert set(b) == {"text/plain", "text/html"}
    h = b["text/html"]
    assert h.startswith("<style>")
    assert '<pre class="tsx-fallback">' in h
    assert '<div class="tsx-wrap" style="display:none">' in h
    for sel in DARK_SELECTORS:
        assert sel in h
    assert "<script" not in h.lower()
    assert "0x" not in b["text/plain"]  # never '<object at 0x…>'
    assert len(h.encode()) <= HTML_CAP
    assert len(b["text/plain"]) <= TEXT_CAP + 64
    # every toggle's label points at an existing checkbox
    ids = re.findall(r'<input id="([^"]+)" class="tsx-toggle" type="checkbox"', h)
    fors = re.findall(r'<label for="([^"]+)"', h)
    assert ids == fors
    return h


def _domain_pair() -> tuple[Any, Any]:
    kw: dict[str, Any] = dict(
        labels=["z", "y", ""], inclusive_min=[0, 5, -3], shape=[10, 20, 7], implicit_upper_bounds=[True, False, False]
    )
    return ts.IndexDomain(**kw), real.IndexDomain(**kw)


def test_index_domain_text_is_tensorstore_repr() -> None:
    ours, theirs = _domain_pair()
    b = ours._repr_mimebundle_()
    assert b["text/plain"] == repr(theirs)
    h = _check_bundle(b)
    assert "[0, 10*)" in h and "upper implicit" in h
    assert "z 10 × y 20 × 7" in h


def test_index_transform_text_and_explain_rows() -> None:
    t = ts.IndexTransform(
        input_labels=["x"], input_shape=[10], output=[ts.OutputIndexMap(input_dimension=0, offset=100, stride=2)]
    )
    rt = real.IndexTransform(
        input_labels=["x"], input_shape=[10], output=[real.OutputIndexMap(input_dimension=0, offset=100, stride=2)]
    )
    b = t._repr_mimebundle_()
    assert b["text/plain"] == repr(rt)
    assert display.explain_rows(t) == ["out[0] = 100 + 2·in['x']"]
    # the builder works on tensorstore's own transform too (documented attributes only)
    assert display.explain_rows(rt) == ["out[0] = 100 + 2·in['x']"]
    _check_bundle(b)


def test_explain_rows_constant_negative_stride_and_index_array() -> None:
    base = real.IndexTransform(input_shape=[5, 6])
    rt = base[real.d[0][[4, 1, 3]]][real.d[1][::-1]]
    t = ts.IndexTransform(input_shape=[5, 6])[ts.d[0][[4, 1, 3]]][ts.d[1][::-1]]
    rows = display.explain_rows(t)
    assert rows == display.explain_rows(rt)
    assert rows[0] == "out[0] = array[in] (shape (3, 1), values 1…4)"
    assert rows[1] == "out[1] = -in[1]"
    const = ts.IndexTransform(input_rank=0, output=[ts.OutputIndexMap(offset=7)])
    assert display.explain_rows(const) == ["out[0] = 7"]


def test_dim_and_dim_expression() -> None:
    b = ts.Dim(inclusive_min=3, exclusive_max=8, label="c")._repr_mimebundle_()
    assert b["text/plain"] == repr(real.Dim(inclusive_min=3, exclusive_max=8, label="c"))
    _check_bundle(b)
    e = ts.d["x", 1][10:20].stride[2].label["a", "b"]
    b = e._repr_mimebundle_()
    assert b["text/plain"] == "ts." + repr(real.d["x", 1][10:20].stride[2].label["a", "b"])
    _check_bundle(b)


def test_labels_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    dom = ts.IndexDomain(labels=[evil], shape=[3])
    h = _check_bundle(dom._repr_mimebundle_())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h


def test_caps_for_huge_domains() -> None:
    rank = 32
    dom = ts.IndexDomain(labels=[f"dim{i}_" + "L" * 1500 for i in range(rank)], shape=[2] * rank)
    b = dom._repr_mimebundle_()
    _check_bundle(b)
    assert "… (" in b["text/plain"]  # cut, and says by how much
    assert "more rows" in b["text/html"] or "details omitted" in b["text/html"]


def test_small_objects_and_context() -> None:
    b = ts.uint16._repr_mimebundle_()
    assert b["text/plain"] == repr(real.uint16)
    assert "2 bytes" in _check_bundle(b)
    b = ts.Unit("4nm")._repr_mimebundle_()
    assert b["text/plain"] == repr(real.Unit("4nm"))
    _check_bundle(b)
    b = ts.Context({"cache_pool": {"total_bytes_limit": 100}})._repr_mimebundle_()
    assert "total_bytes_limit" in _check_bundle(b)
    assert b["text/plain"].startswith("Context with 1 resource spec(s)")


def test_future_states_never_block() -> None:
    assert ts.Future(3)._repr_mimebundle_()["text/plain"] == "Future(done)"
    promise, fut = ts.Promise.new()
    t0 = time.perf_counter()
    assert fut._repr_mimebundle_()["text/plain"] == "Future(pending)"
    assert time.perf_counter() - t0 < 0.5
    promise.set_exception(ValueError("boom <b>"))
    b = fut._repr_mimebundle_()
    assert b["text/plain"] == "Future(failed: ValueError: boom <b>)"
    assert "boom &lt;b&gt;" in _check_bundle(b)


def test_kvstore_repr_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    kv = ts.KvStore.open("memory://bucket/prefix/").result()
    kv["a"] = b"1"

    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a repr performed I/O")

    for name in ("read", "list_keys", "write", "delete_range"):
        monkeypatch.setattr(type(kv.driver), name, boom)
    b = kv._repr_mimebundle_()
    assert b["text/plain"] == repr(kv)
    h = _check_bundle(b)
    assert "memory://bucket/prefix/" in h


def test_redaction() -> None:
    j = {"driver": "s3", "aws_secret_access_key": "SEKRIT", "url": "https://user:pw@host/x", "nested": [{"token": "t"}]}
    red = display.redact(j)
    assert red == {"driver": "s3", "aws_secret_access_key": "***", "url": "https://***@host/x",
                   "nested": [{"token": "***"}]}
    assert "SEKRIT" not in display.json_block(j)


@pytest.mark.parametrize(
    ("bounds", "chunks", "origin", "expected"),
    [
        ([(0, 274), (0, 8192)], [1, 512], None, [274, 16]),
        ([(0, 10), (0, 10)], [3, 10], None, [4, 1]),
        ([(5, 14)], [4], None, [3]),  # chunks [4,8), [8,12), [12,16)
        ([(5, 14)], [4], [1], [3]),  # grid at 1: [5,9), [9,13), [13,17)
        ([(5, 15)], [4], [2], [4]),  # grid at 2: [2,6), [6,10), [10,14), [14,18)
        ([(0, 0)], [4], None, [0]),
    ],
)
def test_chunk_counts(
    bounds: list[tuple[int, int]], chunks: list[int], origin: list[int] | None, expected: list[int]
) -> None:
    assert chunk_counts(bounds, chunks, origin) == expected


@pytest.fixture
def real_store() -> Any:
    return real.open(
        {
            "driver": "zarr3",
            "kvstore": "memory://x/",
            "metadata": {
                "shape": [274, 1000, 1000],
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 100, 10]}},
                "data_type": "uint16",
                "codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 5}}],
                "dimension_names": ["z", "y", "x"],
            },
        },
        create=True,
        dimension_units=["40nm", "4nm", None],
    ).result()


def test_tensorstore_builders_against_real_tensorstore(real_store: Any) -> None:
    """The builders use only documented attributes, so tensorstore's own objects render too."""
    b = display.tensorstore_bundle(real_store)
    assert b["text/plain"].startswith("TensorStore({")
    h = _check_bundle(b)
    assert "zarr3 · uint16 · z 274 × y 1000 × x 1000 · 522.6 MiB · memory://x/" in h
    assert "274 × 10 × 100 = 274,000" in h  # chunk counts
    assert "a slice at one &#x27;z&#x27; index reads 1,000 chunks" in h
    assert "a slice at one &#x27;x&#x27; index reads 2,740 chunks" in h
    assert "40 nm" in h and "4 nm" in h
    assert "gzip" in h and "level=5" in h
    # SVG capped at 50 lines per axis (100 columns -> every 2nd line)
    svg = re.search(r"<svg.*?</svg>", h)
    assert svg is not None
    assert svg.group(0).count("<line") <= 2 * 50
    for obj, fn in ((real_store.schema, display.schema_bundle), (real_store.spec(), display.spec_bundle),
                    (real_store.chunk_layout, display.chunk_layout_bundle)):
        out = fn(obj)
        assert out["text/plain"] == repr(obj)[: len(out["text/plain"])]
        _check_bundle(out)


class _FakeGrid:
    def __init__(self, shape: list[int]) -> None:
        self.shape = tuple(shape)


class _FakeLayout:
    def __init__(self, write: list[int], read: list[int]) -> None:
        self.write_chunk, self.read_chunk = _FakeGrid(write), _FakeGrid(read)
        self.grid_origin = (0,) * len(write)
        self.inner_order = None
        self.rank = len(write)

    def to_json(self) -> dict[str, Any]:
        return {"write_chunk": {"shape": list(self.write_chunk.shape)}}


class _FakeCodec:
    def to_json(self) -> dict[str, Any]:
        return {"driver": "zarr", "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5}, "filters": None}


class _FakeStore:
    """A stand-in for the coming tsexplore TensorStore; attributes raising must not break the repr."""

    domain = ts.IndexDomain(labels=["y", "x"], shape=[4096, 4096])
    dtype = ts.float32
    chunk_layout = _FakeLayout([64, 4096], [64, 512])
    codec = _FakeCodec()
    fill_value = np.zeros((4096, 4096), np.float32)
    dimension_units = (ts.Unit("1um"), None)
    transaction = None

    @property
    def kvstore(self) -> Any:
        raise AssertionError("no I/O")

    def spec(self, **kwargs: Any) -> Any:
        class S:
            def to_json(self) -> dict[str, Any]:
                return {"driver": "zarr", "kvstore": {"driver": "s3", "path": "raw/", "secret": "x"}}

        return S()

    def __repr__(self) -> str:
        return "TensorStore({...})"


class _Exploding(_FakeStore):
    @property
    def codec(self) -> Any:  # type: ignore[override]
        raise ValueError("codec unavailable <here>")


def test_tensorstore_builders_with_fakes() -> None:
    b = display.tensorstore_bundle(_FakeStore())
    h = _check_bundle(b)
    assert "zarr · float32 · y 4096 × x 4096 · 64.0 MiB · s3://raw/" in h
    assert "0.0 (broadcast over (4096, 4096))" in h
    assert "compressor: blosc" in h and "cname=lz4" in h
    assert "read chunk (inner)" in h and "64 × 512" in h
    assert "&quot;***&quot;" in h
    h2 = _check_bundle(display.tensorstore_bundle(_Exploding()))
    assert "unavailable (ValueError: codec unavailable &lt;here&gt;)" in h2


def test_transaction_bundle() -> None:
    b = display.transaction_bundle(real.Transaction())
    assert b["text/plain"] == "Transaction(atomic=False, open=True, commit_started=False, aborted=False)"
    _check_bundle(b)


def test_repr_is_fast() -> None:
    dom = ts.IndexDomain(labels=["z", "y", "x"], shape=[274, 8192, 8192])
    t0 = time.perf_counter()
    for _ in range(50):
        dom._repr_mimebundle_()
    assert (time.perf_counter() - t0) / 50 < 0.005
