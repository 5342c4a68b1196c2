"""Differential tests: random domains, transforms and indexing chains vs real tensorstore.

Each hypothesis example builds a batch of cases (expression text evaluated by both libraries);
tensorstore runs in a worker process (see reference_worker) so its rare segfaults are survivable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tsexplore as ts
from tsexplore.index import read_array

from .reference_worker import Reference, evaluate

BATCH = 50
EXAMPLES = int(__import__("os").environ.get("TSX_INDEX_EXAMPLES", "100"))  # 100 x 50 = 5,000 cases

LABELS = ["a", "b", "c", "d"]


@st.composite
def base(draw: st.DrawFn) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    rank = draw(st.integers(0, 4))
    shape = tuple(draw(st.integers(0, 4)) for _ in range(rank))
    origin = tuple(draw(st.integers(-3, 3)) for _ in range(rank))
    labels = draw(st.lists(st.sampled_from(["", *LABELS]), min_size=rank, max_size=rank))
    labels = [x if x and labels.index(x) == i else "" for i, x in enumerate(labels)]
    il = [draw(st.booleans()) and draw(st.booleans()) for _ in range(rank)]
    iu = [draw(st.booleans()) and draw(st.booleans()) for _ in range(rank)]
    kind = draw(st.sampled_from(["IndexTransform", "IndexTransform", "IndexDomain"]))
    p = "input_" if kind == "IndexTransform" else ""
    text = (
        f"ts.{kind}({p}inclusive_min={list(origin)}, {p}shape={list(shape)}, {p}labels={labels}, "
        f"implicit_lower_bounds={il}, implicit_upper_bounds={iu})"
    )
    return text, origin, shape


def term(draw: st.DrawFn) -> str:
    k = draw(st.integers(0, 9))
    opt = st.one_of(st.none(), st.integers(-4, 6))
    if k <= 2:
        return str(draw(st.integers(-2, 5)))
    if k <= 5:
        step = draw(st.sampled_from([None, 1, 2, -1, -2, 3]))
        s, e = draw(opt), draw(opt)
        txt = f"{'' if s is None else s}:{'' if e is None else e}"
        return txt + ("" if step is None else f":{step}")
    if k == 6:
        return draw(st.sampled_from(["...", "None"]))
    if k == 7:
        vals = draw(st.lists(st.integers(-1, 4), min_size=0, max_size=3))
        nested = draw(st.booleans())
        return f"[{vals}]" if nested and vals else str(vals)
    if k == 8:
        return str(draw(st.lists(st.booleans(), min_size=0, max_size=4)))
    return str(draw(st.integers(0, 3)))


@st.composite
def numpy_op(draw: st.DrawFn) -> str:
    terms = [term(draw) for _ in range(draw(st.integers(0, 3)))]
    prefix = draw(st.sampled_from(["", "", "", ".oindex", ".vindex"]))
    inner = ", ".join(terms) + ("," if len(terms) == 1 and draw(st.booleans()) else "")
    return f"{prefix}[{inner if terms else '()'}]"


@st.composite
def selection(draw: st.DrawFn) -> str:
    k = draw(st.integers(0, 3))
    if k == 0:
        return str(draw(st.integers(-3, 3)))
    if k == 1:
        return repr(draw(st.sampled_from(LABELS)))
    if k == 2:
        s, e = draw(st.one_of(st.none(), st.integers(-3, 3))), draw(st.one_of(st.none(), st.integers(-3, 4)))
        return f"{'' if s is None else s}:{'' if e is None else e}"
    return ", ".join(str(x) for x in draw(st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True)))


@st.composite
def dim_op(draw: st.DrawFn) -> str:
    expr = f"ts.d[{draw(selection())}]"
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.integers(0, 8))
        if k == 0:
            expr += f".translate_by[{draw(st.integers(-3, 3))}]"
        elif k == 1:
            expr += f".translate_to[{draw(st.integers(-3, 3))}]"
        elif k == 2:
            expr += f".translate_backward_by[{draw(st.integers(-3, 3))}]"
        elif k == 3:
            expr += f".stride[{draw(st.sampled_from([1, 2, 3, -1, -2]))}]"
        elif k == 4:
            expr += f".label[{draw(st.sampled_from(['x', 'y']))!r}]"
        elif k == 5:
            expr += f".transpose[{draw(st.integers(-2, 2))}]"
        elif k == 6:
            expr += ".diagonal"
        elif k == 7:
            expr += f".mark_bounds_implicit[{draw(st.sampled_from(['True', 'False', ':False', 'False:']))}]"
        else:
            expr += f"[{term(draw)}]"
    return f"[{expr}]"


@st.composite
def case(draw: st.DrawFn) -> tuple[str, str, tuple[int, ...], tuple[int, ...]]:
    text, origin, shape = draw(base())
    chain = "".join(draw(st.one_of(numpy_op(), dim_op())) for _ in range(draw(st.integers(1, 3))))
    return text, chain, origin, shape


def _our_read(t: Any, data: Any, origin: Any) -> Any:
    if isinstance(t, ts.IndexDomain):
        t = ts.IndexTransform(t)
    return read_array(t, data, origin)


@pytest.fixture(scope="module")
def reference() -> Iterator[Reference]:
    ref = Reference()
    yield ref
    ref.close()


def _normalize(r: tuple[Any, ...], is_domain: bool) -> tuple[Any, ...]:
    if r[0] == "ok" and is_domain:
        return r[:3]  # domains have no values
    return r


@pytest.mark.xfail(reason="open mismatches on exotic inputs (issue 3 follow-up); run to list them", strict=False)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(cases=st.lists(case(), min_size=BATCH, max_size=BATCH))
def test_differential(reference: Reference, cases: list[Any]) -> None:
    theirs = reference.evaluate(cases)
    mismatches = []
    for c, t in zip(cases, theirs):
        if t[0] == "crash":
            continue
        ours = evaluate(ts, _our_read, c)
        is_domain = c[0].startswith("ts.IndexDomain")
        if _normalize(ours, is_domain) != _normalize(t, is_domain):
            mismatches.append((c[0] + c[1], ours, t))
    assert not mismatches, "\n".join(f"{e}\n  ours:   {o}\n  theirs: {r}" for e, o, r in mismatches[:5])
