"""``ts.Spec`` properties and ``to_json()`` for what the driver members imply, vs real tensorstore:
``rank``/``ndim`` ``None`` when unknown, ``dtype`` from zarr metadata, the identity ``transform`` over a
known domain, top-level ``rank``, zarr3 ``node_type``, include_defaults members; and the
``[tensorstore_spec=...]`` note of open errors."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import tensorstore as real_ts

import tsexplore as ts

SPECS: dict[str, dict[str, Any]] = {
    "bare": {"driver": "zarr3", "kvstore": "memory://"},
    "shape": {"driver": "zarr3", "kvstore": "memory://", "metadata": {"shape": [4], "data_type": "int16"}},
    "rank": {"driver": "zarr3", "kvstore": "memory://", "rank": 2},
    "rank-and-fill": {"driver": "zarr3", "kvstore": "memory://", "rank": 2, "schema": {"fill_value": 3}},
    "schema-domain": {"driver": "zarr3", "kvstore": "memory://", "schema": {"domain": {"shape": [3, 4]}}},
    "schema-labels": {
        "driver": "zarr3", "kvstore": "memory://", "schema": {"domain": {"shape": [3, 4], "labels": ["a", "b"]}}
    },
    "dtype-rank": {"driver": "zarr3", "kvstore": "memory://", "dtype": "uint8", "rank": 1},
    "dimension-names": {
        "driver": "zarr3", "kvstore": "memory://", "metadata": {"shape": [3], "dimension_names": ["x"]}
    },
    "zarr3-dtype": {"driver": "zarr3", "kvstore": "memory://", "metadata": {"data_type": "float32"}},
    "zarr2-dtype": {"driver": "zarr", "kvstore": "memory://", "metadata": {"dtype": "<f4"}},
    "zarr2-shape": {"driver": "zarr", "kvstore": "memory://", "metadata": {"shape": [4, 5], "dtype": "<i2"}},
    "zarr2-field": {
        "driver": "zarr", "kvstore": "memory://", "metadata": {"dtype": [["a", "<i2", [2]]], "shape": [3]}, "field": "a"
    },
    "array": {"driver": "array", "array": [1, 2, 3], "dtype": "int32"},
    "cast": {"driver": "cast", "base": {"driver": "zarr3", "kvstore": "memory://"}, "dtype": "int32"},
}


def _facts(mod: Any, j: dict[str, Any]) -> Any:
    s = mod.Spec(j)
    t = s.transform
    return (
        s.rank, s.ndim, None if s.dtype is None else s.dtype.name, None if s.domain is None else s.domain.to_json(),
        None if t is None else t.to_json(), s.to_json(),
    )


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_members_match_tensorstore(name: str) -> None:
    assert _facts(ts, SPECS[name]) == _facts(real_ts, SPECS[name])


@pytest.mark.parametrize("name", ["bare", "shape", "rank", "zarr2-shape"])
def test_include_defaults_members(name: str) -> None:
    assert ts.Spec(SPECS[name]).to_json(include_defaults=True) == real_ts.Spec(SPECS[name]).to_json(
        include_defaults=True
    )


@pytest.mark.parametrize("driver", ["zarr3", "zarr"])
@pytest.mark.parametrize(
    "options", [{"dtype": "uint8", "shape": [2, 3]}, {"dtype": "int16"}, {"rank": 2}, {"shape": [7]}]
)
def test_open_error_notes(tmp_path: pathlib.Path, driver: str, options: dict[str, Any]) -> None:
    def run(mod: Any, root: pathlib.Path) -> str:
        spec = {"driver": driver, "kvstore": {"driver": "file", "path": str(root) + "/"}}
        mod.open(spec, create=True, dtype="uint8", shape=[4]).result()
        with pytest.raises(ValueError) as e:
            mod.open(spec, **options).result()
        return str(e.value).replace(str(root), "ROOT")

    assert run(ts, tmp_path / "ours") == run(real_ts, tmp_path / "real")
