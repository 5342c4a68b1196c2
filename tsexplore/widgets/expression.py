"""Parser for what a user types in the Slicer box: NumPy-style index terms and ``ts.d`` dimension expressions.

Our own tokenizer and recursive-descent parser; nothing is ever ``eval``ed.  The grammar is the subset of Python
that indexing a TensorStore accepts::

    text      := dimexpr | term*                        (empty text = identity)
    term      := '[' (dimexpr | indices) ']' | '.oindex[' indices ']' | '.vindex[' indices ']'
    dimexpr   := ('ts.' | '') 'd' '[' selection ']' op*
    op        := '[' indices ']' | '.oindex[..]' | '.vindex[..]' | '.label[' strings ']' | '.stride[' ints ']'
               | '.translate_to[..]' | '.translate_by[..]' | '.translate_backward_by[..]'
               | '.transpose[' selection ']' | '.diagonal' | '.mark_bounds_implicit[' bools ']'
    indices   := index (',' index)* [',']
    index     := int | [int]:[int][:[int]] | '...' | 'Ellipsis' | 'None' | '[ts.|np.]newaxis' | list | bool

Values are built with the real ``tsexplore`` API (``ts.d``), so results and error texts are the engine's own.
Errors carry the ``(start, end)`` span of the offending text so the view can draw a caret under it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Expression",
    "ExpressionError",
    "Term",
    "apply_terms",
    "parse",
]


class ExpressionError(ValueError):
    """A parse or apply error with the span ``[start, end)`` of the text at fault and an optional hint."""

    def __init__(self, message: str, text: str, start: int, end: int | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.start = max(0, min(start, len(text)))
        self.end = max(self.start + 1, end if end is not None else self.start + 1)
        self.hint = hint

    def caret(self) -> str:
        """The text with ``^^^`` under the offending span (one line; newlines shown as spaces)."""
        line = self.text.replace("\n", " ")
        return f"{line}\n{' ' * self.start}{'^' * max(1, min(self.end, len(line) + 1) - self.start)}"

    def __str__(self) -> str:
        col = f" (column {self.start + 1})"
        return self.message + col + (f"; {self.hint}" if self.hint else "")


# -- tokens -------------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<ellipsis>\.\.\.)
      | (?P<float>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
      | (?P<int>\d+)
      | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<punct>[\[\](),:.+\-])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


@dataclass(frozen=True)
class Tok:
    kind: str  # 'int' | 'name' | 'str' | 'punct' | 'ellipsis' | 'end'
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(f"unexpected character {text[pos]!r}", text, pos)
        kind = m.lastgroup
        assert kind is not None
        if kind != "ws":
            toks.append(Tok(kind, m.group(), m.start(), m.end()))
        pos = m.end()
    toks.append(Tok("end", "", len(text), len(text)))
    return toks


def _unquote(tok: Tok, text: str) -> str:
    body = tok.text[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1]
            width = {"x": 2, "u": 4, "U": 8}.get(nxt, 0)
            if width and re.fullmatch("[0-9a-fA-F]{" + str(width) + "}", body[i + 2 : i + 2 + width]):
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
            if nxt not in _ESCAPES:
                at = tok.start + i + 1
                raise ExpressionError(f"unsupported escape \\{nxt} in string", text, at, at + 2)
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


# -- results ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One subscript applied in order: ``kind`` is 'index', 'oindex', 'vindex' or 'dimexpr'."""

    kind: str
    value: Any
    start: int
    end: int
    text: str
    #: for ``ts.d[a, b][i, j]`` (labels/ints selected, one integer index op): ``((a, i), (b, j))``
    pins: tuple[tuple[str | int, int], ...] | None = None
    #: for dimension expressions: (expression up to op k, op start, op end), to blame the failing op
    steps: tuple[tuple[Any, int, int], ...] = ()


@dataclass(frozen=True)
class Expression:
    text: str
    terms: tuple[Term, ...] = field(default_factory=tuple)


_OPS_VEC = {"stride", "translate_to", "translate_by", "translate_backward_by"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # -- helpers
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def error(self, message: str, tok: Tok | None = None, hint: str = "") -> ExpressionError:
        t = tok or self.tok
        return ExpressionError(message, self.text, t.start, t.end if t.end > t.start else t.start + 1, hint)

    def at(self, text: str) -> bool:
        return self.tok.kind in ("punct", "name") and self.tok.text == text

    def expect(self, text: str) -> Tok:
        if not self.at(text):
            found = "end of input" if self.tok.kind == "end" else repr(self.tok.text)
            raise self.error(f"expected {text!r}, found {found}")
        t = self.tok
        self.i += 1
        return t

    # -- grammar
    def parse(self) -> Expression:
        terms: list[Term] = []
        if self._at_dimexpr():
            start = self.tok.start
            expr, pins, steps = self.dimexpr()
            terms.append(Term("dimexpr", expr, start, self.toks[self.i - 1].end, self._slice(start), pins, steps))
        while self.tok.kind != "end":
            start = self.tok.start
            if self.at("["):
                self.i += 1
                if self._at_dimexpr():
                    expr, pins, steps = self.dimexpr()
                    self.expect("]")
                    end = self.toks[self.i - 1].end
                    terms.append(Term("dimexpr", expr, start, end, self._slice(start), pins, steps))
                    continue
                value = self.indices("]")
                self.expect("]")
                terms.append(Term("index", value, start, self.toks[self.i - 1].end, self._slice(start)))
            elif self.at(".") and self.peek().text in ("oindex", "vindex"):
                self.i += 1
                kind = self.tok.text
                self.i += 1
                self.expect("[")
                value = self.indices("]")
                self.expect("]")
                terms.append(Term(kind, value, start, self.toks[self.i - 1].end, self._slice(start)))
            else:
                hint = "each term is [indices], .oindex[...], .vindex[...] or [ts.d[...]...]"
                if terms and terms[-1].kind == "dimexpr" and len(terms) == 1 and self.at("."):
                    hint = f"{self.peek().text!r} is not a dimension expression operation"
                raise self.error(f"unexpected {self.tok.text!r}", hint=hint)
        return Expression(self.text, tuple(terms))

    def _slice(self, start: int) -> str:
        return self.text[start : self.toks[self.i - 1].end]

    def _at_dimexpr(self) -> bool:
        if self.at("ts") and self.peek().text == "." and self.peek(2).text == "d":
            return True
        return self.at("d") and self.peek().text == "["

    def dimexpr(self) -> tuple[Any, tuple[tuple[str | int, int], ...] | None, tuple[tuple[Any, int, int], ...]]:
        """The expression, plus its pins when it is a plain ``ts.d[sel][ints]`` (a slider position)."""
        from ..index import d

        if self.at("ts"):
            self.i += 2
        self.expect("d")
        open_tok = self.expect("[")
        sel = self.selection()
        self.expect("]")
        expr: Any = self._build(lambda: d[sel], open_tok)
        ops: list[Any] = []
        steps: list[tuple[Any, int, int]] = []
        op_start = self.tok
        while True:
            if ops:
                steps.append((expr, op_start.start, self.toks[self.i - 1].end))
            op_start = self.tok
            if self.at("["):
                self.i += 1
                key = self.indices("]")
                self.expect("]")
                ops.append(key)
                expr = self._build(lambda e=expr, k=key: e[k], op_start)
            elif self.at(".") and self.peek().kind == "name":
                self.i += 1
                name_tok = self.tok
                name = name_tok.text
                self.i += 1
                ops.append(None)
                if name == "diagonal":
                    expr = self._build(lambda e=expr: e.diagonal, name_tok)
                    continue
                if name not in {"oindex", "vindex", "label", "transpose", "mark_bounds_implicit"} | _OPS_VEC:
                    raise self.error(
                        f"unknown dimension expression operation {name!r}",
                        name_tok,
                        hint="operations: [..], oindex, vindex, label, stride, translate_to, translate_by, "
                        "translate_backward_by, transpose, diagonal, mark_bounds_implicit",
                    )
                self.expect("[")
                key = self._op_key(name)
                self.expect("]")
                expr = self._build(lambda e=expr, n=name, k=key: getattr(e, n)[k], name_tok)
            else:
                return expr, _pins(sel, ops), tuple(steps)

    def _op_key(self, name: str) -> Any:
        if name in ("oindex", "vindex"):
            return self.indices("]")
        if name == "label":
            return self._sequence(self._string)
        if name == "transpose":
            return self.selection()
        if name == "mark_bounds_implicit":
            return self._bool_or_slice()
        return self._sequence(self._int_or_none)

    def _build(self, fn: Any, tok: Tok) -> Any:
        try:
            return fn()
        except (IndexError, TypeError, ValueError) as e:
            raise ExpressionError(_clean(e), self.text, tok.start, tok.end) from e

    def _sequence(self, item: Any) -> Any:
        """``a`` -> a, ``a, b`` -> (a, b); a trailing comma makes a tuple."""
        items = [item()]
        tup = False
        while self.at(","):
            tup = True
            self.i += 1
            if self.at("]"):
                break
            items.append(item())
        return tuple(items) if tup else items[0]

    def selection(self) -> Any:
        return self._sequence(self._sel_item)

    def _sel_item(self) -> Any:
        if self.tok.kind == "str":
            t = self.tok
            self.i += 1
            return _unquote(t, self.text)
        if self.tok.kind == "ellipsis" or self.at("Ellipsis"):
            self.i += 1
            return ...
        return self._int_or_slice(allow_none=False)

    def indices(self, close: str) -> Any:
        if self.at(close):
            return ()
        return self._sequence(self._index)

    def _index(self) -> Any:
        t = self.tok
        if t.kind == "ellipsis" or self.at("Ellipsis"):
            self.i += 1
            return ...
        if self.at("None") or self.at("newaxis"):
            self.i += 1
            return None
        if (self.at("ts") or self.at("np") or self.at("numpy")) and self.peek().text == ".":
            if self.peek(2).text != "newaxis":
                raise self.error(f"unexpected {self.peek(2).text!r}", self.peek(2), hint="only newaxis is allowed here")
            self.i += 3
            return None
        if self.at("True") or self.at("False"):
            self.i += 1
            return t.text == "True"
        if self.at("["):
            return self._list()
        if t.kind == "str":
            raise self.error(
                f"a string {t.text} is not a valid index", hint="to select by label use ts.d['label'][...]"
            )
        return self._int_or_slice(allow_none=True)

    def _list(self) -> Any:
        import numpy as np

        open_tok = self.expect("[")
        items: list[Any] = []
        while not self.at("]"):
            if self.at("["):
                items.append(self._list())
            elif self.at("True") or self.at("False"):
                items.append(self.tok.text == "True")
                self.i += 1
            else:
                items.append(self._int())
            if not self.at(","):
                break
            self.i += 1
        self.expect("]")
        try:
            arr = np.array(items)
        except ValueError as e:
            end = self.toks[self.i - 1].end
            raise ExpressionError(f"ragged index array: {e}", self.text, open_tok.start, end) from e
        if arr.size == 0:
            arr = arr.astype(np.int64)
        return arr

    def _signed(self) -> int | None:
        sign = 1
        while self.at("-") or self.at("+"):
            sign = -sign if self.tok.text == "-" else sign
            self.i += 1
        if self.tok.kind == "float":
            raise self.error(
                f"{self.tok.text} is not an integer",
                hint="only integers, slices, ..., newaxis and integer or boolean arrays are valid indices",
            )
        if self.tok.kind != "int":
            return None
        v = int(self.tok.text) * sign
        self.i += 1
        return v

    def _int(self) -> int:
        t = self.tok
        v = self._signed()
        if v is None:
            found = "end of input" if self.tok.kind == "end" else repr(self.tok.text)
            raise self.error(f"expected an integer, found {found}", t if t.kind != "end" else None)
        return v

    def _int_or_none(self) -> int | None:
        if self.at("None"):
            self.i += 1
            return None
        return self._int()

    def _string(self) -> str:
        if self.tok.kind != "str":
            raise self.error(f"expected a quoted label, found {self.tok.text or 'end of input'!r}")
        t = self.tok
        self.i += 1
        return _unquote(t, self.text)

    def _int_or_slice(self, allow_none: bool) -> Any:
        t = self.tok
        start = self._signed() if not self.at(":") else None
        if not self.at(":"):
            if start is None:
                found = "end of input" if self.tok.kind == "end" else repr(self.tok.text)
                raise self.error(f"expected an index, found {found}", t if t.kind != "end" else None)
            return start
        self.i += 1
        stop = None if self.at(":") or self.at(",") or self.at("]") else self._int_or_none()
        step = None
        if self.at(":"):
            self.i += 1
            step = None if self.at(",") or self.at("]") else self._int_or_none()
            if step == 0:
                raise ExpressionError("slice step cannot be zero", self.text, t.start, self.toks[self.i - 1].end)
        return slice(start, stop, step)

    def _bool_or_slice(self) -> Any:
        def one() -> bool | None:
            if self.at("True") or self.at("False"):
                v = self.tok.text == "True"
                self.i += 1
                return v
            if self.at("None"):
                self.i += 1
                return None
            raise self.error("expected True, False or None")

        lower = None if self.at(":") else one()
        if not self.at(":"):
            return lower
        self.i += 1
        upper = None if self.at("]") else one()
        return slice(lower, upper)


def _pins(sel: Any, ops: list[Any]) -> tuple[tuple[str | int, int], ...] | None:
    if len(ops) != 1:
        return None
    dims = sel if isinstance(sel, tuple) else (sel,)
    idx = ops[0] if isinstance(ops[0], tuple) else (ops[0],)
    simple = all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in dims)
    ints = all(isinstance(x, int) and not isinstance(x, bool) for x in idx)
    if not (simple and ints and len(dims) == len(idx)):
        return None
    return tuple(zip(dims, idx))


def _clean(e: BaseException) -> str:
    msg = str(e)
    return msg.split(" [transform=", 1)[0].split(" [domain=", 1)[0]


def parse(text: str) -> Expression:
    """Parse ``text`` into terms whose values are real ``tsexplore`` objects; raises :class:`ExpressionError`."""
    return _Parser(text).parse()


def _labels_hint(domain: Any, wrong: str | None = None) -> str:
    """"did you mean 'z'?" (difflib, case-insensitive) plus the list of labels."""
    labels = [x for x in domain.labels if x]
    if not labels:
        return "the dimensions have no labels"
    listing = "labels are " + ", ".join(repr(x) for x in labels)
    if wrong is None:
        return listing
    by_lower = {x.lower(): x for x in labels}
    close = difflib.get_close_matches(wrong.lower(), list(by_lower), n=1, cutoff=0.5)
    return f"did you mean {by_lower[close[0]]!r}? {listing}" if close else listing


def _error_span(transform: Any, term: Term, msg: str) -> tuple[int, int]:
    """Narrow an apply error to the quoted label it names, else to the first failing ``ts.d`` operation."""
    m = re.search(r'Label "([^"]*)"', msg) or re.search(r'label\(s\) "([^"]*)"', msg)
    if m:
        for q in ("'", '"'):
            k = term.text.find(q + m.group(1) + q)
            if k >= 0:
                return term.start + k, term.start + k + len(m.group(1)) + 2
    for prefix, start, end in term.steps:
        try:
            transform[prefix]
        except (IndexError, TypeError, ValueError):
            return start, end
    return term.start, term.end


def apply_terms(transform: Any, expr: Expression, upto: int | None = None) -> Any:
    """Apply the first ``upto`` terms (default all) to an IndexTransform; errors name the term at fault."""
    t = transform
    terms = expr.terms if upto is None else expr.terms[:upto]
    for n, term in enumerate(terms, start=1):
        try:
            if term.kind in ("index", "dimexpr"):
                t = t[term.value]
            elif term.kind == "oindex":
                t = t.oindex[term.value]
            else:
                t = t.vindex[term.value]
        except (IndexError, TypeError, ValueError) as e:
            msg = _clean(e)
            start, end = _error_span(t, term, msg)
            bad = re.search(r'Label "([^"]*)"', msg)
            hint = _labels_hint(t.domain, bad.group(1)) if bad else ""
            raise ExpressionError(f"term {n}: {msg}", expr.text, start, end, hint) from e
    return t
