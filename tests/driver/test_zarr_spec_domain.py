"""``ts.Spec(...).domain`` of zarr/zarr3 specs (metadata shape, schema domain, both) against tensorstore.

Stored arrays are resizable: every metadata dimension's upper bound is implicit (``[0, 4*)``),
zarr v2 field/array dimensions stay explicit, and a conflict is raised when the Spec is parsed.
"""

from __future__ import annotations

from typing import Any

import pytest
import tensorstore as real_ts

import tsexplore as ts

CASES: list[dict[str, Any]] = [
    {"driver": "zarr3", "schema": {"domain": {"shape": [4, 5]}}},
    {"driver": "zarr", "schema": {"domain": {"shape": [4, 5]}}},
    {"driver": "zarr3", "schema": {"domain": {"inclusive_min": [0, 0], "exclusive_max": [4, 5], "labels": ["x", "y"]}}},
    {"driver": "zarr3", "schema": {"domain": {"inclusive_min": [0, 0], "exclusive_max": [[4], 5]}}},
    {"driver": "zarr3", "metadata": {"shape": [4, 5]}},
    {"driver": "zarr3", "metadata": {"shape": [4, 5], "dimension_names": ["a", "b"]}},
    {"driver": "zarr3", "metadata": {"shape": [4, 5]}, "schema": {"domain": {"shape": [4, 5]}}},
    {"driver": "zarr3", "metadata": {"shape": [4, 5]}, "schema": {"domain": {"labels": ["x", "y"]}}},
    {"driver": "zarr3", "metadata": {"shape": [4, 5]}, "schema": {"domain": {"shape": [4, 6]}}},
    {
        "driver": "zarr3",
        "metadata": {"shape": [4, 5], "dimension_names": ["a", "b"]},
        "schema": {"domain": {"labels": ["x", "y"]}},
    },
    {"driver": "zarr3", "schema": {"domain": {"inclusive_min": [1, 0], "exclusive_max": [4, 5]}}},
    {"driver": "zarr", "schema": {"domain": {"inclusive_min": [1, 0], "exclusive_max": [4, 5]}}},
    {"driver": "zarr", "metadata": {"shape": [4, 5]}},
    {"driver": "zarr", "metadata": {"shape": [4, 5], "dtype": "<i4"}},
    {"driver": "zarr", "metadata": {"shape": [4, 5], "dtype": "<i4"}, "schema": {"domain": {"shape": [4, 5]}}},
    {"driver": "zarr", "metadata": {"shape": [4, 5], "dtype": [["a", "<i4"], ["b", "<f4", [2]]]}, "field": "b"},
    {"driver": "zarr", "metadata": {"shape": [4, 5], "dtype": [["a", "<i4"], ["b", "<f4", [2]]]}},
]


def _describe(mod: Any, spec: dict[str, Any]) -> Any:
    try:
        s = mod.Spec({**spec, "kvstore": "memory://"})
    except ValueError as e:
        return ("error", str(e))
    if s.domain is None:
        return None
    return (str(s.domain), s.rank, s.domain.implicit_upper_bounds)


@pytest.mark.parametrize("spec", CASES, ids=range(len(CASES)))
def test_spec_domain_matches_tensorstore(spec: dict[str, Any]) -> None:
    assert _describe(ts, spec) == _describe(real_ts, spec)
