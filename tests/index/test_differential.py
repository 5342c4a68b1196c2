"""Differential tests: random domains, transforms and indexing chains vs real tensorstore.

Hypothesis draws the seeds; each seed generates a batch of cases (``cases.py``) that real
tensorstore evaluates in a worker process (``reference_worker.py``) while we evaluate the same
batch here.  Compared per case: raised or not, exception type and message, ``repr`` (domain or
whole transform), ``to_json()``, and the domain and values read through the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import tsexplore as ts
from tsexplore.index import read_array

from .cases import evaluate, generate
from .reference_worker import Reference

BATCH = 500
BATCHES = int(os.environ.get("TSX_INDEX_BATCHES", "12"))  # 12 x 500 = 6,000 cases per run


def our_read(t: Any, data: Any, origin: Any) -> Any:
    """Compose with the array's transform first, as ``ts.array(data)[t]`` does, then read."""
    store = ts.IndexTransform(
        input_inclusive_min=list(origin),
        input_shape=list(data.shape),
        output=[ts.OutputIndexMap(input_dimension=i, offset=-o) for i, o in enumerate(origin)],
    )
    view = store[t]
    return view.domain, lambda: read_array(view, data)


@pytest.fixture(scope="module")
def reference() -> Iterator[Reference]:
    ref = Reference()
    yield ref
    ref.close()


@settings(
    max_examples=BATCHES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a seed does not shrink
)
@given(seed=st.integers(0, 2**32 - 1))
def test_differential(reference: Reference, seed: int) -> None:
    cases = generate(seed, BATCH)
    reference.submit(cases)
    ours = [evaluate(ts, our_read, c) for c in cases]  # runs while the worker evaluates the batch
    theirs = reference.results()
    assert len([t for t in theirs if t[0] != "crash"]) > BATCH * 0.95  # crashes are rare, not the norm
    bad = [
        f"{c}\n  ours:   {o}\n  theirs: {t}"
        for c, o, t in zip(cases, ours, theirs)
        if t[0] != "crash" and o != t  # "crash": tensorstore itself died on this case
    ]
    assert not bad, f"{len(bad)} mismatches (seed {seed}):\n" + "\n".join(bad[:8])
