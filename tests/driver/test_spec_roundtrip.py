"""``spec().to_json()`` of an open store reopens to an equal store, for every registered factory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tsexplore as ts

from .factories import STORE_FACTORIES


@pytest.mark.parametrize("name", sorted(STORE_FACTORIES))
def test_spec_json_reopens_equal_store(name: str, tmp_path: Path) -> None:
    store = STORE_FACTORIES[name](tmp_path)
    j = store.spec().to_json()
    again = ts.open(j).result()
    assert again.domain == store.domain
    assert again.dtype == store.dtype
    np.testing.assert_array_equal(again.read().result(), store.read().result())
    assert again.spec().to_json() == j


@pytest.mark.parametrize("name", sorted(STORE_FACTORIES))
def test_spec_with_defaults_reopens(name: str, tmp_path: Path) -> None:
    store = STORE_FACTORIES[name](tmp_path)
    again = ts.open(store.spec().to_json(include_defaults=True)).result()
    np.testing.assert_array_equal(again.read().result(), store.read().result())
