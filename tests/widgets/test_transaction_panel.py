"""TransactionPanelModel state transitions on a real zarr3 array; storage is checked with real tensorstore."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as real_ts

import tsexplore as ts
from tsexplore.widgets.transaction_panel_model import TransactionPanelModel, parse_value


def _spec(tmp_path: Path) -> dict[str, Any]:
    return {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path) + "/a/"}}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    ref = real_ts.open(_spec(tmp_path), create=True, dtype="uint16", shape=[4, 16, 16],
                       domain=real_ts.IndexDomain(labels=["z", "y", "x"], shape=[4, 16, 16]),
                       chunk_layout=real_ts.ChunkLayout(chunk_shape=[1, 8, 8])).result()
    ref[...] = np.arange(4 * 16 * 16, dtype=np.uint16).reshape(4, 16, 16)
    s = ts.open(_spec(tmp_path)).result()
    probe = ts.Transaction()
    s.with_transaction(probe)[0, 0, 0] = 5
    wired = bool(probe.staged())
    probe.abort()
    if not wired:
        pytest.skip("transactions are not yet wired into the zarr3 driver (txn.staged() stays empty)")
    return s


def _digest(tmp_path: Path) -> dict[str, str]:
    root = tmp_path / "a"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _stored(tmp_path: Path) -> Any:
    return real_ts.open(_spec(tmp_path)).result().read().result()


def test_stage_then_abort_leaves_the_store_unchanged(store: Any, tmp_path: Path) -> None:
    before = _digest(tmp_path)
    m = TransactionPanelModel(store)
    m.set_selection("ts.d['z'][1]", ts.d["z"][1])
    m.stage(7).result(timeout=10)
    assert m.can_commit and len(m.ops) == 1
    rows = m.staged_chunks()
    assert len(rows) == 4  # z=1 plane = 2 x 2 chunks of 8 x 8
    assert _digest(tmp_path) == before  # staged only
    b, a = m.diff().result(timeout=10)
    assert (np.asarray(a) == 7).all() and not (np.asarray(b) == 7).all()
    old_txn = m.txn
    m.abort()
    assert m.txn is not old_txn and old_txn.aborted
    assert m.ops == [] and not m.can_commit
    assert _digest(tmp_path) == before


def test_stage_then_commit_changes_exactly_the_staged_region(store: Any, tmp_path: Path) -> None:
    expected = _stored(tmp_path).copy()
    m = TransactionPanelModel(store)
    m.set_selection("ts.d['z', 'y'][2, 3:11]", ts.d["z", "y"][2, 3:11])
    m.stage(parse_value("9", store)).result(timeout=10)
    old_txn = m.txn
    code = m.code
    m.commit().result(timeout=10)
    expected[2, 3:11, :] = 9
    np.testing.assert_array_equal(_stored(tmp_path), expected)
    assert m.txn is not old_txn and m.state == "open" and m.error is None
    assert m.message.startswith("committed 1 edit(s)")
    # the code shown reproduces the edit on a fresh copy
    assert "staged[ts.d['z', 'y'][2, 3:11]] = 9" in code


def test_conflicting_outside_write_shows_the_conflict(store: Any, tmp_path: Path) -> None:
    m = TransactionPanelModel(store, repeatable_read=True)
    m.set_selection("ts.d['z', 'y', 'x'][0, 0:4, 0:4]", ts.d["z", "y", "x"][0, 0:4, 0:4])
    m.stage(1).result(timeout=10)
    m.after().result(timeout=10)  # read through the txn: its generation is now pinned
    outside = real_ts.open(_spec(tmp_path)).result()
    outside[0, 0:8, 0:8] = 500  # another writer changes the same chunk
    with pytest.raises(Exception, match=r"Generation mismatch|ABORTED"):
        m.commit().result(timeout=10)
    assert m.error is not None and "conflict on" in m.error and m.conflict_key is not None
    assert m.conflict_key.endswith("c/0/0/0") and m.state == "conflict" and not m.can_commit
    assert len(m.ops) == 1  # kept, to abort or re-apply
    np.testing.assert_array_equal(_stored(tmp_path)[0, 0:8, 0:8], 500)  # the other writer's data survives
    with pytest.raises(ValueError, match="resolve the conflict first"):
        m.stage(3).result(timeout=10)
    # Re-read & re-apply: our edit lands on top of the other writer's data
    m.reapply().result(timeout=10)
    assert m.state == "open" and m.can_commit
    m.commit().result(timeout=10)
    want = np.full((8, 8), 500, np.uint16)
    want[0:4, 0:4] = 1
    np.testing.assert_array_equal(_stored(tmp_path)[0, 0:8, 0:8], want)


def test_conflict_then_abort_keeps_the_other_writer(store: Any, tmp_path: Path) -> None:
    m = TransactionPanelModel(store, repeatable_read=True)
    m.set_selection("[0, 0:4, 0:4]", (0, slice(0, 4), slice(0, 4)))
    m.stage(1).result(timeout=10)
    m.after().result(timeout=10)
    real_ts.open(_spec(tmp_path)).result()[0, 0:8, 0:8] = 500
    with pytest.raises(Exception, match="Generation mismatch"):
        m.commit().result(timeout=10)
    digest = _digest(tmp_path)
    m.abort()
    assert m.state == "open" and m.ops == [] and _digest(tmp_path) == digest


@pytest.mark.parametrize(
    ("index", "chunks", "partial", "nbytes"),
    [
        (ts.d["z"][1], 4, 0, 4 * 64 * 2),  # one z plane = 2 x 2 whole chunks of 1 x 8 x 8
        (ts.d["z", "y"][1, 3:11], 4, 4, 4 * 64 * 2),  # rows 3..10 cut both chunk rows
        (ts.d["y", "x"][0:8, 0:16], 8, 0, 8 * 64 * 2),  # every z: 4 x 1 x 2 whole chunks
        (ts.d["x"][[1, 9, 10]], 16, 16, 16 * 64 * 2),  # index array: x cells 0 and 1, partly
        ((2, 5, 5), 1, 1, 64 * 2),  # one element
    ],
)
def test_estimate_counts_chunks_and_read_modify_write(
    store: Any, index: Any, chunks: int, partial: int, nbytes: int
) -> None:
    m = TransactionPanelModel(store)
    e = m.estimate(index)
    assert (e.chunks, e.partial, e.nbytes) == (chunks, partial, nbytes)
    assert str(e).startswith(f"touches {chunks} chunk{'s' if chunks != 1 else ''} ({partial} partial \u2192 "
                             "read-modify-write), ")


def test_staged_list_rows_per_op_and_per_chunk(store: Any) -> None:
    m = TransactionPanelModel(store)
    m.stage(7, index=ts.d["z"][1], expression="ts.d['z'][1]").result(timeout=10)
    m.stage(9, index=ts.d["z", "y", "x"][2, 0:3, 0:3], expression="ts.d['z', 'y', 'x'][2, 0:3, 0:3]").result(timeout=10)
    op1, op2 = m.ops
    assert op1.row == "[ts.d['z'][1]] = 7 · 4 chunks" and {c.kind for c in op1.chunks} == {"full"}
    assert op2.row.endswith("· 1 chunk") and op2.chunks[0].kind == "partial (read-modify-write)"
    assert op2.chunks[0].key.endswith('c/2/0/0"') or "c/2/0/0" in op2.chunks[0].key
    assert "touches 1 chunk (1 partial" in m.message
    assert m.atomicity == "atomic: no \u2014 the file kvstore cannot commit 2+ keys atomically"
    assert m.abort_needs_confirmation


def test_undo_last_replays_the_rest_from_base(store: Any, tmp_path: Path) -> None:
    base = _stored(tmp_path).copy()
    digest = _digest(tmp_path)
    m = TransactionPanelModel(store)
    m.stage(5, index=ts.d["z"][0], expression="ts.d['z'][0]").result(timeout=10)
    m.undo_last().result(timeout=10)
    assert m.ops == [] and m.txn.staged() == [] and "undid" in m.message
    m.commit().result(timeout=10)  # commits nothing
    assert _digest(tmp_path) == digest
    ref = base.copy()
    m.stage(7, index=ts.d["z"][1], expression="ts.d['z'][1]").result(timeout=10)
    ref[1] = 7
    m.stage(9, index=ts.d["y"][2:5], expression="ts.d['y'][2:5]").result(timeout=10)
    ref[:, 2:5] = 9
    m.stage(11, index=ts.d["x"][3], expression="ts.d['x'][3]").result(timeout=10)
    m.undo_last().result(timeout=10)
    assert [op.value_text for op in m.ops] == ["7", "9"]
    np.testing.assert_array_equal(np.asarray(m.after(...).result(timeout=10)), ref)
    m.commit().result(timeout=10)
    np.testing.assert_array_equal(_stored(tmp_path), ref)


def test_abort_leaves_every_key_unchanged_after_many_ops(store: Any, tmp_path: Path) -> None:
    digest = _digest(tmp_path)
    m = TransactionPanelModel(store)
    for z in range(4):
        m.stage(z + 100, index=ts.d["z"][z]).result(timeout=10)
    m.stage(0, index=ts.d["y"][3:9]).result(timeout=10)
    assert m.abort_needs_confirmation
    m.abort()
    assert _digest(tmp_path) == digest and m.ops == []


def test_parse_value_looks_up_names_and_never_evaluates() -> None:
    s = ts.array(np.zeros(3, np.float32))
    assert parse_value("2.5", s) == 2.5
    assert np.isnan(parse_value("nan", s))
    assert parse_value("fill", s).shape == ()
    assert parse_value("v", s, {"v": [1, 2, 3]}) == [1, 2, 3]
    with pytest.raises(NameError, match="no variable named 'w'"):
        parse_value("w", s, {})
    with pytest.raises(ValueError, match="cannot stage"):
        parse_value("__import__('os')", s, {})


def test_store_with_bound_transaction_is_refused() -> None:
    s = ts.array(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="without a bound transaction"):
        TransactionPanelModel(s.with_transaction(ts.Transaction()))


def test_panel_view_estimate_undo_confirm_and_conflict(store: Any, tmp_path: Path) -> None:
    import time

    from tsexplore.widgets.transaction_panel import TransactionPanel

    def settle(cond: Any) -> None:
        deadline = time.time() + 10
        while not cond() and time.time() < deadline:
            time.sleep(0.01)
        assert cond()

    p = TransactionPanel(store, namespace={}, repeatable_read=True)
    p.set_selection("ts.d['z'][1]", ts.d["z"][1])
    assert "touches 4 chunks (0 partial" in p.estimate.value
    assert "atomic: no — the file kvstore" in p.atomic_note.value
    assert p.undo_button.disabled and p.commit_button.disabled
    p.stage_text("7").result(timeout=10)
    p.set_selection("[0, 0:4, 0:4]", (0, slice(0, 4), slice(0, 4)))
    p.stage_text("1").result(timeout=10)
    assert p.staged.value.count("<details") == 2 and "partial (read-modify-write)" in p.staged.value
    assert not p.undo_button.disabled and not p.commit_button.disabled
    # Abort with two ops asks first; "Keep edits" keeps them
    p.abort_button.click()
    assert p.confirm_box.layout.display == "" and len(p.model.ops) == 2
    p.confirm_no.click()
    assert p.confirm_box.layout.display == "none" and len(p.model.ops) == 2
    p.undo_button.click()
    settle(lambda: len(p.model.ops) == 1 and p.model.state == "open")
    assert p.staged.value.count("<details") == 1
    # a conflict shows Re-read & re-apply / Abort and names the key
    p.model.after().result(timeout=10)
    p.set_selection("[1, 0:8, 0:8]", (1, slice(0, 8), slice(0, 8)))
    p.model.after().result(timeout=10)  # pin the generation of c/1/0/0
    real_ts.open(_spec(tmp_path)).result()[1, 0:8, 0:8] = 500
    fut = p.commit()
    with pytest.raises(Exception, match="Generation mismatch"):
        fut.result(timeout=10)
    settle(lambda: p.conflict_box.layout.display == "")
    assert "c/1/0/0" in p.error.value and "conflict on" in p.error.value
    p.conflict_abort.click()
    assert p.model.ops == [] and p.conflict_box.layout.display == "none"
    np.testing.assert_array_equal(_stored(tmp_path)[1, 0:8, 0:8], 500)
