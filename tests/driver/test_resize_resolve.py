"""``TensorStore.resize``/``resolve`` on zarr3 views vs real tensorstore: the returned view's bounds,
keyword checks and their errors, and other handles seeing a resize (derived views share the array,
``recheck_cached_metadata=True`` handles re-read it)."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", fn())
    except Exception as e:  # the comparison includes the exception's class family and text
        kind = "ValueError" if isinstance(e, ValueError) else type(e).__name__
        # tensorstore places the [domain=...] note of a failed bounds check before or after the transform
        return (kind, re.sub(r" \[domain='[^']*'\]", "", str(e)))


def _fresh(mod: Any) -> Any:
    return mod.open({"driver": "zarr3", "kvstore": "memory://"}, create=True, dtype="uint8", shape=[10, 10]).result()


RESIZES: dict[str, Callable[[Any], Any]] = {
    "shrink": lambda a: a.resize(exclusive_max=[6, 5]),
    "grow": lambda a: a.resize(exclusive_max=[30, None]),
    "negative": lambda a: a.resize(exclusive_max=[-1, None]),
    "infinite": lambda a: a.resize(exclusive_max=[2**62, None]),
    "explicit-lower": lambda a: a.resize(inclusive_min=[0, None]),
    "positional": lambda a: a.resize([0, 0], [3, 3]),
    "explicit-upper": lambda a: a[:4].resize(exclusive_max=[3, None]),
    "tied": lambda a: a[0:5].resize(exclusive_max=[None, 4]),
    "tied-metadata-only": lambda a: a[0:5].resize(exclusive_max=[None, 4], resize_metadata_only=True),
    "tied-allowed": lambda a: a[0:5].resize(exclusive_max=[None, 4], resize_tied_bounds=True),
    "tied-covered": lambda a: a[0:10].resize(exclusive_max=[None, 4]),
    "tied-index": lambda a: a[3].resize(exclusive_max=[4]),
    "tied-lower": lambda a: a[1:4, 2:].resize(exclusive_max=[None, 8]),
    "rank": lambda a: a.resize(exclusive_max=[1]),
    "rank-both": lambda a: a.resize(inclusive_min=[1], exclusive_max=[1, 2]),
    "shrink-only": lambda a: a.resize(exclusive_max=[12, 10], shrink_only=True),
    "expand-only": lambda a: a.resize(exclusive_max=[8, 10], expand_only=True),
    "both-flags-shrink": lambda a: a.resize(exclusive_max=[8, 10], expand_only=True, shrink_only=True),
    "both-flags-expand": lambda a: a.resize(exclusive_max=[12, 10], expand_only=True, shrink_only=True),
    "both-flags-same": lambda a: a.resize(exclusive_max=[10, 10], expand_only=True, shrink_only=True),
    "noop": lambda a: a.resize(),
    "translated": lambda a: a.translate_by[5].resize(exclusive_max=[20, None]),
    "transposed": lambda a: a.T.resize(exclusive_max=[20, None]),
    "reversed": lambda a: a[::-1].resize(inclusive_min=[-3, None]),
    "strided": lambda a: a[::2].resize(exclusive_max=[20, None]),
    "newaxis": lambda a: a[ts.newaxis if a.__class__.__module__.startswith("tsexplore") else real_ts.newaxis].resize(
        exclusive_max=[None, 3, None]
    ),
}


@pytest.mark.parametrize("name", sorted(RESIZES))
def test_resize_matches_tensorstore(name: str) -> None:
    def run(mod: Any) -> Any:
        a = _fresh(mod)
        got = _outcome(lambda: RESIZES[name](a).result().domain.to_json())  # noqa: PLW0108
        return got, _outcome(lambda: a.resolve().result().domain.to_json())  # noqa: PLW0108

    assert run(ts) == run(real_ts)


def test_resize_rejects_non_integer_bounds() -> None:
    with pytest.raises(TypeError, match=r"resize\(\): incompatible function arguments") as ours:
        _fresh(ts).resize(exclusive_max="ab")
    with pytest.raises(TypeError) as real:
        _fresh(real_ts).resize(exclusive_max="ab")
    assert str(ours.value).split("Invoked with")[0] == str(real.value).split("Invoked with")[0]


def test_array_driver_resize_and_resolve() -> None:
    def run(mod: Any) -> Any:
        arr = mod.array(np.zeros((3, 4)))
        return (
            _outcome(lambda: arr.resize(exclusive_max=[2, 2]).result()),
            arr.resolve().result().domain.to_json(),
            arr.resolve(fix_resizable_bounds=True).result().domain.to_json(),
        )

    assert run(ts) == run(real_ts)


VIEWS: dict[str, Callable[[Any], Any]] = {
    "whole": lambda a: a,
    "sliced": lambda a: a[2:8, 3:],
    "lower-only": lambda a: a[1:],
    "transposed": lambda a: a.T,
    "translated": lambda a: a.translate_by[3],
    "strided": lambda a: a[::2],
    "reversed": lambda a: a[::-1],
    "index-array": lambda a: a[[1, 2]],
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_see_a_resize(name: str) -> None:
    def run(mod: Any) -> Any:
        a = _fresh(mod)
        a[...] = 7
        view = VIEWS[name](a)
        before = view.domain.to_json()
        a.resize(exclusive_max=[12, 4]).result()
        return (
            before,
            view.domain.to_json(),
            _outcome(lambda: view.resolve().result().domain.to_json()),  # noqa: PLW0108
            _outcome(lambda: view.resolve(fix_resizable_bounds=True).result().domain.to_json()),  # noqa: PLW0108
            _outcome(lambda: view.read().result().shape),
            _outcome(lambda: view.write(3).result()),
        )

    assert run(ts) == run(real_ts)


def test_other_handles_and_contexts(tmp_path: pathlib.Path) -> None:
    def run(mod: Any, root: pathlib.Path) -> Any:
        spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(root) + "/"}}
        a = mod.open(spec, create=True, dtype="uint8", shape=[10, 10]).result()
        handles = {
            "default": mod.open(spec).result(),
            "context": mod.open(spec, context=mod.Context()).result(),
            "recheck": mod.open(spec, context=mod.Context(), recheck_cached_metadata=True).result(),
            "kept": mod.open(spec, context=mod.Context({"cache_pool": {"total_bytes_limit": 10**6}})).result(),
        }
        a.resize(exclusive_max=[4, 5]).result()
        out = {}
        for n, h in handles.items():
            out[n] = (
                h.domain.to_json(),
                _outcome(lambda h=h: h.read().result().shape),
                _outcome(lambda h=h: h.resolve().result().domain.to_json()),
                _outcome(lambda h=h: h[:8].write(1).result()),
                _outcome(lambda h=h: h[:, :3].resize(exclusive_max=[None, 2]).result().domain.to_json()),
            )
        return out

    ours, real = run(ts, tmp_path / "ours"), run(real_ts, tmp_path / "real")
    assert ours == real
