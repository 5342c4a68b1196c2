"""SchemaViewModel against real tensorstore's view of the same array, and the SchemaView widget's copy flow."""

from __future__ import annotations

import json
from pathlib import Path

import tensorstore as real_ts

import tsexplore as ts
from tsexplore.widgets.schema_view import SchemaView
from tsexplore.widgets.schema_view_model import SchemaViewModel


def _spec(tmp_path: Path) -> dict[str, object]:
    return {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path) + "/a/"}}


def _create(tmp_path: Path) -> None:
    real_ts.open(_spec(tmp_path), create=True, dtype="int16", shape=[16, 256, 300], fill_value=-1,
                 domain=real_ts.IndexDomain(labels=["z", "y", "x"], shape=[16, 256, 300]),
                 dimension_units=["40nm", "4nm", "4nm"],
                 chunk_layout=real_ts.ChunkLayout(chunk_shape=[16, 8, 300])).result()


def test_model_matches_tensorstore(tmp_path: Path) -> None:
    _create(tmp_path)
    ref = real_ts.open(_spec(tmp_path)).result()
    m = SchemaViewModel(ts.open(_spec(tmp_path)).result())
    assert [d.label for d in m.dims] == list(ref.domain.labels)
    assert [(d.lower, d.upper) for d in m.dims] == [(x.inclusive_min, x.exclusive_max) for x in ref.domain]
    assert [(d.implicit_lower, d.implicit_upper) for d in m.dims] == [
        (x.implicit_lower, x.implicit_upper) for x in ref.domain
    ]
    assert m.dims[2].interval == "[0, 300*)"
    assert m.units == [str(u) for u in ref.dimension_units]
    assert m.dtype == ref.dtype.name
    assert m.fill_value == ref.fill_value.item()
    assert m.chunk_shape == tuple(ref.chunk_layout.write_chunk.shape)
    assert m.codecs == ref.codec.to_json()
    assert m.spec_json() == ref.spec(minimal_spec=True).to_json()


def test_slice_cost_teaching_line(tmp_path: Path) -> None:
    _create(tmp_path)
    m = SchemaViewModel(ts.open(_spec(tmp_path)).result())
    # chunk grid 1 x 32 x 1: a y-slice touches 1 chunk, a z- or x-slice 32
    assert m.slice_costs() == [("z", 32), ("y", 1), ("x", 32)]
    assert m.warnings() == []  # 32 chunks is under the warning threshold


def test_view_copy_shows_json_and_toggles_full_spec(tmp_path: Path) -> None:
    _create(tmp_path)
    store = ts.open(_spec(tmp_path)).result()
    v = SchemaView(store)
    assert v.json_text.layout.display == "none"
    assert 'class="tsx-type"' not in v.sections.value  # sections only, no repr header
    assert "40 nm" in v.sections.value
    v.copy_button.click()
    assert v.json_text.layout.display == ""
    assert json.loads(v.json_text.value) == store.spec(minimal_spec=True).to_json()
    v.minimal.value = False
    assert json.loads(v.json_text.value) == store.spec(minimal_spec=False).to_json()
    assert v.spec_json == store.spec(minimal_spec=False).to_json()
