"""Slicer expression parser: table tests, caret errors, and hypothesis differential tests.

For generated expressions, ``parse(text)`` applied to a domain must equal the same expression written in Python
against ``tsexplore``, and (for the resulting domain) against real tensorstore.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import tensorstore as real
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tsexplore as ts
from tsexplore.widgets.expression import ExpressionError, apply_terms, parse

LABELS = ["z", "y", "x"]


def _domain(mod: Any) -> Any:
    return mod.IndexDomain(labels=LABELS, inclusive_min=[0, 10, -5], shape=[50, 60, 70])


def _key(domain: Any) -> tuple[Any, ...]:
    return (
        tuple(domain.origin),
        tuple(domain.shape),
        tuple(domain.labels),
        tuple(domain.implicit_lower_bounds),
        tuple(domain.implicit_upper_bounds),
    )


def _apply_text(text: str, mod_domain: Any = None) -> Any:
    t = ts.IndexTransform(mod_domain if mod_domain is not None else _domain(ts))
    return apply_terms(t, parse(text)).domain


@pytest.mark.parametrize(
    ("text", "build"),
    [
        ("", lambda m, t: t),
        ("[5, :, ::4]", lambda m, t: t[5, :, ::4]),
        ("[..., 3]", lambda m, t: t[..., 3]),
        ("[ts.newaxis]", lambda m, t: t[m.newaxis]),
        ("[None, ..., np.newaxis]", lambda m, t: t[None, ..., None]),
        ("[[1,2,3], :]", lambda m, t: t[[1, 2, 3], :]),
        ("[[[1], [2]], 20:30]", lambda m, t: t[[[1], [2]], 20:30]),
        ("[[True, False, True]]", lambda m, t: t[[True, False, True]]),
        ("[40:10:-3]", lambda m, t: t[40:10:-3]),
        ("[-0:+4]", lambda m, t: t[0:4]),
        ("ts.d['x'][10:20].stride[2]", lambda m, t: t[m.d["x"][10:20].stride[2]]),
        ("d[0, 'y'].label['a','b']", lambda m, t: t[m.d[0, "y"].label["a", "b"]]),
        ("ts.d['x'].translate_to[0]", lambda m, t: t[m.d["x"].translate_to[0]]),
        ("ts.d['x', 'z'].translate_by[1, -2]", lambda m, t: t[m.d["x", "z"].translate_by[1, -2]]),
        ("ts.d[:2].translate_backward_by[5]", lambda m, t: t[m.d[:2].translate_backward_by[5]]),
        ("ts.d['x'].transpose[0]", lambda m, t: t[m.d["x"].transpose[0]]),
        ("ts.d['x', 'z'].transpose[0:2]", lambda m, t: t[m.d["x", "z"].transpose[0:2]]),
        ("ts.d['z','x'].oindex[[1,2],[3,4]]", lambda m, t: t[m.d["z", "x"].oindex[[1, 2], [3, 4]]]),
        ("ts.d['z','x'].vindex[[1,2],[3,4]]", lambda m, t: t[m.d["z", "x"].vindex[[1, 2], [3, 4]]]),
        (".oindex[[1,2], :, [3,4]]", lambda m, t: t.oindex[[1, 2], :, [3, 4]]),
        (".vindex[[1,2], :, [3,4]]", lambda m, t: t.vindex[[1, 2], :, [3, 4]]),
        ("[1:3][ts.d['x'][5]]", lambda m, t: t[1:3][m.d["x"][5]]),
        ("ts.d[0, 1].diagonal", lambda m, t: t[m.d[0, 1].diagonal]),
        ("ts.d[0].mark_bounds_implicit[True]", lambda m, t: t[m.d[0].mark_bounds_implicit[True]]),
        ("ts.d[0].mark_bounds_implicit[:False]", lambda m, t: t[m.d[0].mark_bounds_implicit[:False]]),
        ("ts.d[-1][ts.newaxis]", lambda m, t: t[m.d[-1][None]]),
        (
            "ts.d['y'].stride[3].translate_to[0].label['v']",
            lambda m, t: t[m.d["y"].stride[3].translate_to[0].label["v"]],
        ),
        ('ts.d["\\x79"][15]', lambda m, t: t[m.d["y"][15]]),
    ],
)
def test_table(text: str, build: Callable[[Any, Any], Any]) -> None:
    ours = _apply_text(text)
    assert _key(ours) == _key(build(ts, ts.IndexTransform(_domain(ts))).domain)
    assert _key(ours) == _key(build(real, real.IndexTransform(_domain(real))).domain)


@pytest.mark.parametrize(
    ("text", "span", "needle"),
    [
        ("ts.d['q'][0]", (5, 8), "labels are 'z', 'y', 'x'"),
        ("[5, :, ::0]", (7, 10), "step cannot be zero"),
        ("[5, :, ::4", (10, 11), "expected ']'"),
        ("ts.d['x'].foo[1]", (10, 13), "unknown dimension expression operation 'foo'"),
        ("['x']", (1, 4), "ts.d['label']"),
        ("[1.5]", (1, 4), "not an integer"),
        ("[60]", (0, 4), "Index 60 is outside valid range [0, 50)"),
        ("[5] junk", (4, 8), "unexpected 'junk'"),
        ("[5 $]", (3, 4), "unexpected character '$'"),
        ("__import__('os')", (0, 10), "unexpected '__import__'"),
        ("[ts.d]", (5, 6), "expected '['"),
        ("ts.d['x'].label[1]", (16, 17), "expected a quoted label"),
        ("ts.d['x'].label['a', 'b']", (9, 25), "does not match number of labels"),
        ("[[1, [2]]]", (1, 9), "ragged"),
    ],
)
def test_errors_have_spans(text: str, span: tuple[int, int], needle: str) -> None:
    with pytest.raises(ExpressionError) as info:
        _apply_text(text)
    e = info.value
    assert (e.start, e.end) == span, (e.start, e.end, str(e))
    assert needle in str(e)
    caret_line = e.caret().split("\n")[1]
    assert caret_line == " " * span[0] + "^" * (span[1] - span[0])


def test_never_evaluates_python() -> None:
    for text in ("[().__class__]", "[open('x')]", "[1 if 1 else 2]", "[lambda: 1]", "[{}]"):
        with pytest.raises(ExpressionError):
            parse(text)


# -- hypothesis: generated expressions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Gen:
    text: str
    build: Callable[[Any, Any], Any]


def _slice_text(s: slice) -> str:
    parts = ["" if s.start is None else str(s.start), "" if s.stop is None else str(s.stop)]
    return ":".join(parts) + ("" if s.step is None else f":{s.step}")


_opt = st.one_of(st.none(), st.integers(-10, 80))
_slices = st.builds(slice, _opt, _opt, st.one_of(st.none(), st.sampled_from([-3, -2, -1, 1, 2, 3])))


@st.composite
def _index_item(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["int", "slice", "slice", "newaxis", "array"]))
    if kind == "int":
        v = draw(st.integers(-6, 75))
        return str(v), v
    if kind == "slice":
        s = draw(_slices)
        return _slice_text(s), s
    if kind == "newaxis":
        return draw(st.sampled_from(["ts.newaxis", "None", "np.newaxis"])), None
    arr = draw(st.lists(st.integers(0, 49), min_size=1, max_size=3))
    return "[" + ", ".join(map(str, arr)) + "]", arr


@st.composite
def _index_term(draw: st.DrawFn) -> Gen:
    items = draw(st.lists(_index_item(), min_size=1, max_size=3))
    if draw(st.booleans()):
        pos = draw(st.integers(0, len(items)))
        items.insert(pos, ("...", ...))
    text = "[" + ", ".join(t for t, _ in items) + "]"
    value = tuple(v for _, v in items)
    mode = draw(st.sampled_from(["", "", ".oindex"]))

    def build(m: Any, t: Any) -> Any:
        return t.oindex[value] if mode else t[value]

    return Gen(mode + text, build)


def _int_item(v: int) -> tuple[str, Any]:
    return str(v), v


def _slice_item(s: slice) -> tuple[str, Any]:
    return _slice_text(s), s


@st.composite
def _dim_term(draw: st.DrawFn) -> Gen:
    dims = draw(st.lists(st.sampled_from(["'z'", "'y'", "'x'", "0", "1", "2", "-1"]), min_size=1, max_size=2))
    sel = tuple(eval(x) for x in dims)  # test-side oracle only: literal ints and quoted labels
    text = "ts.d[" + ", ".join(dims) + "]"
    chain: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["index", "stride", "translate_to", "translate_by", "label", "transpose"]))
        n = len(sel)
        if op == "index":
            items = [draw(st.one_of(st.integers(-3, 75).map(_int_item), _slices.map(_slice_item))) for _ in range(n)]
            chain.append(("[" + ", ".join(t for t, _ in items) + "]", ("index", tuple(v for _, v in items))))
        elif op == "stride":
            vals = [draw(st.sampled_from([-2, 1, 2, 3])) for _ in range(n)]
            chain.append((f".stride[{', '.join(map(str, vals))}]", ("stride", tuple(vals))))
        elif op in ("translate_to", "translate_by"):
            vals = [draw(st.integers(-20, 20)) for _ in range(n)]
            chain.append((f".{op}[{', '.join(map(str, vals))}]", (op, tuple(vals))))
        elif op == "label":
            names = draw(st.lists(st.sampled_from(["a", "b", "c", "y"]), min_size=n, max_size=n))
            chain.append((".label[" + ", ".join(repr(x) for x in names) + "]", ("label", tuple(names))))
        else:
            targets = draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n))
            chain.append((".transpose[" + ", ".join(map(str, targets)) + "]", ("transpose", tuple(targets))))
    text += "".join(t for t, _ in chain)

    def build(m: Any, t: Any, sel: Any = sel, ops: Any = tuple(o for _, o in chain)) -> Any:
        e = m.d[sel]
        for kind, args in ops:
            arg = args[0] if len(args) == 1 else args  # "[2]" is a scalar key, "[1, 2]" a tuple
            e = e[arg] if kind == "index" else getattr(e, kind)[arg]
        return t[e]

    return Gen(text, build)


@st.composite
def _expression(draw: st.DrawFn) -> Gen:
    if draw(st.booleans()):
        return draw(_dim_term())
    terms = draw(st.lists(st.one_of(_index_term(), _dim_term()), min_size=1, max_size=2))
    text = "".join(g.text if g.text.startswith((".", "[")) else f"[{g.text}]" for g in terms)

    def build(m: Any, t: Any, terms: Any = terms) -> Any:
        for g in terms:
            t = g.build(m, t)
        return t

    return Gen(text, build)


def _outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", _key(fn().domain))
    except ExpressionError as e:
        return ("err", type(e.__cause__).__name__ if e.__cause__ is not None else "parse")
    except (IndexError, TypeError, ValueError) as e:
        return ("err", type(e).__name__)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expression())
def test_parse_equals_python(gen: Gen) -> None:
    parsed = _outcome(lambda: apply_terms(ts.IndexTransform(_domain(ts)), parse(gen.text)))
    assert parsed[1] != "parse", gen.text  # everything generated is valid syntax
    python = _outcome(lambda: gen.build(ts, ts.IndexTransform(_domain(ts))))
    assert parsed == python, gen.text
    theirs = _outcome(lambda: gen.build(real, real.IndexTransform(_domain(real))))
    assert parsed[0] == theirs[0], (gen.text, parsed, theirs)
    if parsed[0] == "ok":
        assert parsed == theirs, gen.text
