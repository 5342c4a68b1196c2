"""Random indexing cases for the differential tests, as plain text both libraries can ``eval``.

A case is ``(expr, data_shape, data_origin)``: ``expr`` builds a domain, transform or dimension
expression and applies a random chain of NumPy indexing, ``ts.d`` and whole-object operations;
``data_shape``/``data_origin`` (or ``None``) describe an ``arange`` array read through a resulting
transform.  Cases are JSON-able so batches travel cheaply to the reference worker.
"""

from __future__ import annotations

import random
import re
from typing import Any

import numpy as np

LABELS = ["a", "b", "c", "d"]
BIG = ["ts.inf", "-ts.inf", str(2**62 - 2), str(-(2**62) + 2), str(2**62), str(2**63 - 1)]

Case = tuple[str, "list[int] | None", "list[int] | None"]


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def small(self, lo: int = -4, hi: int = 6) -> str:
        if self.chance(0.01):
            return self.r.choice(BIG)
        return str(self.r.randint(lo, hi))

    def opt(self, lo: int = -4, hi: int = 6) -> str:
        return "" if self.chance(0.35) else self.small(lo, hi)

    # -- bases --------------------------------------------------------------------------------------------
    def labels(self, rank: int) -> list[str]:
        out = [self.r.choice(["", "", *LABELS]) for _ in range(rank)]
        return [x if x and out.index(x) == i else "" for i, x in enumerate(out)]

    def bools(self, rank: int, p: float) -> list[bool]:
        return [self.chance(p) for _ in range(rank)]

    def base(self) -> tuple[str, list[int] | None, list[int] | None, int]:
        """Returns (expr, data_shape, data_origin, rank)."""
        r = self.r
        rank = r.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        shape = [r.choice([0, 1, 2, 3, 3, 4, 4, 5]) for _ in range(rank)]
        origin = [r.randint(-3, 3) for _ in range(rank)]
        labels = self.labels(rank)
        il, iu = self.bools(rank, 0.25), self.bools(rank, 0.25)
        k = r.random()
        if k < 0.12:
            # Domain-only: may be unbounded.
            if self.chance(0.2):
                return f"ts.IndexDomain(rank={rank})", None, None, rank
            return (
                f"ts.IndexDomain(inclusive_min={origin}, shape={shape}, labels={labels}, "
                f"implicit_lower_bounds={il}, implicit_upper_bounds={iu})",
                None,
                None,
                rank,
            )
        if k < 0.16:
            dims = ", ".join(
                f"ts.Dim(inclusive_min={o}, exclusive_max={o + s}, label={lab!r}, implicit_lower={a}, "
                f"implicit_upper={b})"
                for o, s, lab, a, b in zip(origin, shape, labels, il, iu)
            )
            return f"ts.IndexDomain([{dims}])", None, None, rank
        if k < 0.22:
            # Unbounded transform (no read).
            lo = [r.choice([o, "-ts.inf"]) for o in origin]
            hi = [r.choice([o + s, "+ts.inf"]) for o, s in zip(origin, shape)]
            return (
                f"ts.IndexTransform(input_inclusive_min=[{', '.join(map(str, lo))}], "
                f"input_exclusive_max=[{', '.join(map(str, hi))}], input_labels={labels})",
                None,
                None,
                rank,
            )
        head = (
            f"input_inclusive_min={origin}, input_shape={shape}, input_labels={labels}, "
            f"implicit_lower_bounds={il}, implicit_upper_bounds={iu}"
        )
        if k < 0.7:
            return f"ts.IndexTransform({head})", shape, origin, rank
        # Random output maps over a random data array.
        out_rank = r.choice([0, 1, 2, 2, 3])
        dshape = [r.randint(1, 5) for _ in range(out_rank)]
        dorigin = [r.randint(-3, 3) for _ in range(out_rank)]
        maps = []
        for o in range(out_rank):
            m = r.random()
            if m < 0.2 or rank == 0:
                maps.append(f"ts.OutputIndexMap({r.randint(dorigin[o], dorigin[o] + dshape[o])})")
            elif m < 0.75:
                i = r.randrange(rank)
                stride = r.choice([1, 1, -1, 2, 0])
                off = dorigin[o] - stride * origin[i] + r.randint(-1, 1)
                if stride < 0:
                    off = dorigin[o] + dshape[o] - 1 + origin[i]
                maps.append(f"ts.OutputIndexMap(input_dimension={i}, offset={off}, stride={stride})")
            else:
                ashape = [s if self.chance(0.6) else 1 for s in shape]
                vals = np.array(
                    [r.randint(dorigin[o] - 1, dorigin[o] + dshape[o]) for _ in range(int(np.prod(ashape)))]
                ).reshape(ashape)
                extra = ""
                if self.chance(0.3):
                    extra = f", index_range=ts.Dim(inclusive_min={dorigin[o]}, exclusive_max={dorigin[o] + 2})"
                maps.append(
                    f"ts.OutputIndexMap(index_array=np.array({vals.tolist()}, dtype=np.int64).reshape("
                    f"{ashape}), offset={r.randint(-1, 1)}, stride={r.choice([1, 1, -1])}{extra})"
                )
        return f"ts.IndexTransform({head}, output=[{', '.join(maps)}])", dshape, dorigin, rank

    # -- indexing terms ----------------------------------------------------------------------------------
    def slice_text(self) -> str:
        step = self.r.choice(["", "", ":1", ":2", ":-1", ":-2", ":3", ":0" if self.chance(0.05) else ":2"])
        return f"{self.opt()}:{self.opt()}{step}"

    def int_array(self) -> str:
        k = self.r.random()
        if k < 0.5:
            return str([self.r.randint(-1, 5) for _ in range(self.r.randint(0, 3))])
        if k < 0.8:
            a, b = self.r.randint(1, 2), self.r.randint(1, 3)
            vals = [[self.r.randint(-1, 5) for _ in range(b)] for _ in range(a)]
            return f"np.array({vals})"
        return f"np.array({self.r.randint(-1, 4)})"

    def bool_array(self) -> str:
        k = self.r.random()
        if k < 0.6:
            return str([self.chance(0.5) for _ in range(self.r.randint(0, 5))])
        if k < 0.85:
            a, b = self.r.randint(1, 3), self.r.randint(1, 4)
            vals = [[self.chance(0.5) for _ in range(b)] for _ in range(a)]
            return f"np.array({vals})"
        return self.r.choice(["np.array(True)", "np.array(False)", "True", "False"])

    def term(self, newaxis: bool = True) -> str:
        """One NumPy index term; ``newaxis`` False for chained ``ts.d`` operations (see below)."""
        k = self.r.random()
        if k < 0.3:
            return self.small(-3, 5)
        if k < 0.6:
            return self.slice_text()
        if k < 0.68:
            # Not in chained ts.d operations: tensorstore 0.1.86 sizes the new transform there without
            # the ellipsis dimensions and maps an unselected dimension to the constant 0 (its bug).
            return "..." if newaxis else ":"
        if k < 0.74 and newaxis:
            return self.r.choice(["None", "ts.newaxis"])
        if k < 0.88:
            return self.int_array()
        if k < 0.97:
            return self.bool_array()
        return self.r.choice(["1.5", "'x'", "np.array([1.0])", "slice(0, 'x')"])

    def numpy_op(self) -> str:
        n = self.r.choice([0, 1, 1, 1, 2, 2, 3])
        terms = [self.term() for _ in range(n)]
        prefix = self.r.choice(["", "", "", ".oindex", ".vindex"])
        inner = ", ".join(terms) + ("," if n == 1 and self.chance(0.2) else "")
        return f"{prefix}[{inner if n else '()'}]"

    # -- dimension expressions ---------------------------------------------------------------------------
    def selection(self) -> str:
        k = self.r.random()
        if k < 0.3:
            return str(self.r.randint(-3, 3))
        if k < 0.5:
            return repr(self.r.choice(LABELS))
        if k < 0.7:
            start = self.r.choice(["", "", "0", "1", "-1", "-2"])
            stop = self.r.choice(["", "", "1", "2", "3", "-1"])
            step = self.r.choice(["", "", ":2", ":-1"])
            return f"{start}:{stop}{step}"
        n = self.r.randint(1, 3)
        items = [self.r.choice(["0", "1", "2", "3", "-1", "'a'", "'b'"]) for _ in range(n)]
        return ", ".join(items)

    def vec(self, lo: int, hi: int) -> str:
        if self.chance(0.5):
            return self.small(lo, hi)
        n = self.r.randint(1, 3)
        return ", ".join(
            self.r.choice(["None", self.small(lo, hi)]) if self.chance(0.2) else self.small(lo, hi) for _ in range(n)
        )

    def dim_op(self, first: bool) -> str:
        k = self.r.randint(0, 13)
        if k == 0:
            return f".translate_by[{self.vec(-3, 3)}]"
        if k == 1:
            return f".translate_to[{self.vec(-3, 3)}]"
        if k == 2:
            return f".translate_backward_by[{self.vec(-3, 3)}]"
        if k == 3:
            return f".stride[{self.r.choice(['1', '2', '3', '-1', '-2', '0', '2, -1', '1, 2, 3'])}]"
        if k == 4:
            n = self.r.randint(1, 2)
            return f".label[{', '.join(repr(self.r.choice(['x', 'y', 'z', 'a'])) for _ in range(n))}]"
        if k == 5:
            return f".transpose[{self.r.choice(['0', '1', '-1', '2', '3', '-2', '0, 1', '1, 0', ':', '1:', 'a'])}]"
        if k == 6:
            return ".diagonal"
        if k == 7:
            return f".mark_bounds_implicit[{self.r.choice(['True', 'False', ':False', 'False:', 'True:', ':True', 'True:False'])}]"  # noqa: E501
        if k == 8:
            a, b = self.r.randint(0, 2), self.r.randint(1, 4)
            c, e = self.r.randint(0, 2), self.r.randint(1, 4)
            step = self.r.choice(["", ":2", ":[1,2]", ":-1"])
            return f"[[{a},{c}]:[{b},{e}]{step}]"
        if k == 9:
            terms = [self.term(newaxis=first) for _ in range(self.r.randint(1, 2))]
            return f".oindex[{', '.join(terms)}]"
        if k == 10:
            terms = [self.term(newaxis=first) for _ in range(self.r.randint(1, 2))]
            return f".vindex[{', '.join(terms)}]"
        terms = [self.term(newaxis=first) for _ in range(self.r.randint(1, 2))]
        return f"[{', '.join(terms)}]"

    def dim_expr(self) -> str:
        expr = f"ts.d[{self.selection()}]"
        for i in range(self.r.choice([1, 1, 2, 2, 3])):
            expr += self.dim_op(i == 0)
        return expr

    def whole_op(self, rank: int) -> str:
        k = self.r.randint(0, 7)
        if k == 0:
            return f".translate_to[{self.vec(-3, 3)}]"
        if k == 1:
            return f".translate_by[{self.vec(-3, 3)}]"
        if k == 2:
            return f".translate_backward_by[{self.vec(-3, 3)}]"
        if k == 3:
            labs = [repr(self.r.choice(["x", "y", "a", ""])) for _ in range(max(rank, 1))]
            return f".label[{', '.join(labs)}]"
        if k == 4:
            return f".mark_bounds_implicit[{self.r.choice(['True', 'False', ':False', 'True:'])}]"
        if k == 5:
            return ".T"
        if k == 6:
            perm = list(range(rank))
            self.r.shuffle(perm)
            if self.chance(0.2):
                perm = perm[:-1] if perm else [0]
            return f".transpose({perm})"
        o = [self.r.randint(-2, 2) for _ in range(rank)]
        s = [self.r.randint(0, 3) for _ in range(rank)]
        lab = self.labels(rank) if self.chance(0.5) else [""] * rank
        return f"[ts.IndexDomain(inclusive_min={o}, shape={s}, labels={lab})]"

    # -- constructors, JSON, Dim and domain methods (no chain) --------------------------------------------
    def vals(self, n: int, kind: str) -> str:
        r = self.r
        if self.chance(0.05):
            n += r.choice([-1, 1])
        if kind == "int":
            items = [self.small(-3, 5) if not self.chance(0.05) else r.choice(["'x'", "1.5", "None"]) for _ in range(n)]
        elif kind == "bool":
            items = [r.choice(["True", "False"]) for _ in range(n)]
        else:
            items = [repr(r.choice(["", "a", "b", "a"])) for _ in range(n)]
        return "[" + ", ".join(items) + "]"

    def json_bound(self, lower: bool) -> Any:
        r = self.r.random()
        if r < 0.6:
            return self.r.randint(-3, 5)
        if r < 0.8:
            return [self.r.randint(-3, 5)]
        if r < 0.9:
            return "-inf" if lower else "+inf"
        return self.r.choice(["+inf", "-inf", ["-inf"], ["+inf"], "x", 1.5, None, [1, 2]])

    def json_obj(self, transform: bool) -> str:
        r = self.r
        rank = r.randint(0, 3)
        p = "input_" if transform else ""
        j: dict[str, Any] = {}
        keys = [
            ("inclusive_min", 0.6),
            ("exclusive_max", 0.4),
            ("inclusive_max", 0.15),
            ("shape", 0.3),
            ("labels", 0.4),
            ("rank", 0.15),
        ]
        for k, prob in keys:
            if not self.chance(prob):
                continue
            n = rank + (r.choice([-1, 1]) if self.chance(0.05) else 0)
            if k in ("inclusive_min", "exclusive_max", "inclusive_max"):
                j[p + k] = [self.json_bound(k == "inclusive_min") for _ in range(max(n, 0))]
            elif k == "shape":
                j[p + k] = [r.randint(0, 4) for _ in range(max(n, 0))]
            elif k == "labels":
                j[p + k] = [r.choice(["", "a", "b"]) for _ in range(max(n, 0))]
            else:
                j[p + k] = n if not self.chance(0.1) else "x"
        if transform and self.chance(0.5):
            out = []
            for _ in range(r.randint(0, 3)):
                m: dict[str, Any] = {}
                k = r.random()
                if k < 0.3:
                    m["offset"] = r.randint(-3, 3)
                elif k < 0.7:
                    m["input_dimension"] = r.randint(-1, 3)
                    if self.chance(0.5):
                        m["stride"] = r.choice([0, 1, 2, -1])
                    if self.chance(0.5):
                        m["offset"] = r.randint(-3, 3)
                else:
                    m["index_array"] = r.choice([[1, 2], [[1], [2]], 3, [], [[]], "x"])
                    if self.chance(0.3):
                        m["index_array_bounds"] = r.choice([[0, 5], ["-inf", "+inf"], [3, 1], "x"])
                if self.chance(0.05):
                    m["bogus"] = 1
                out.append(m)
            j["output"] = out
        if self.chance(0.05):
            j["bogus"] = 1
        return repr(j)

    def dim_ctor(self) -> str:
        r = self.r
        k = r.random()
        args: list[str] = []
        if k < 0.2:
            args = [self.small(0, 5)] + ([repr(r.choice(["x", ""]))] if self.chance(0.3) else [])
        elif k < 0.4:
            args = [self.small(-3, 3), self.small(-2, 6)]
        elif k < 0.5:
            args = [repr("x")] if self.chance(0.5) else []
        elif k < 0.55:
            args = ["None"] + (["3"] if self.chance(0.5) else [])
        for name, vals in (
            ("inclusive_min", ["-2", "0", "3", "None", "-ts.inf"]),
            ("exclusive_max", ["2", "5", "None", "ts.inf + 1"]),
            ("inclusive_max", ["2", "4"]),
            ("size", ["0", "3", "None"]),
            ("label", ["'x'", "''", "None"]),
            ("implicit_lower", ["True", "False"]),
            ("implicit_upper", ["True", "False", "None"]),
        ):
            if self.chance(0.15):
                args.append(f"{name}={r.choice(vals)}")
        return f"ts.Dim({', '.join(args)})"

    def misc(self) -> str:
        r = self.r
        k = r.randint(0, 11)
        if k == 0:
            return f"ts.IndexTransform(json={self.json_obj(True)})"
        if k == 1:
            return f"ts.IndexDomain(json={self.json_obj(False)})"
        if k == 2:
            return self.dim_ctor()
        if k == 3:
            return f"{self.dim_ctor()}.{r.choice(['hull', 'intersect'])}({self.dim_ctor()})"
        if k == 4:
            attr = r.choice(
                [
                    "inclusive_min",
                    "exclusive_max",
                    "inclusive_max",
                    "size",
                    "empty",
                    "finite",
                    "label",
                    "implicit_lower",
                    "implicit_upper",
                    "__len__()",
                    "__hash__()",
                    "__iter__()",
                ]
            )
            return f"{self.dim_ctor()}.{attr}" + (" and None" if attr == "__iter__()" else "")
        if k == 5:
            return f"({self.small(-3, 5)} in {self.dim_ctor()}, {self.dim_ctor()} in {self.dim_ctor()}, {self.dim_ctor()} == {self.dim_ctor()})"  # noqa: E501
        if k in (6, 7):
            rank = r.randint(0, 3)
            prefix = "input_" if k == 6 else ""
            kw = []
            if self.chance(0.3):
                kw.append(f"{prefix}rank={r.choice([rank, rank, -1, 33])}")
            for name, kind in (
                ("inclusive_min", "int"),
                ("exclusive_max", "int"),
                ("inclusive_max", "int"),
                ("shape", "int"),
                ("labels", "str"),
            ):
                if self.chance(0.35):
                    kw.append(f"{prefix}{name}={self.vals(rank, kind)}")
            for name in ("implicit_lower_bounds", "implicit_upper_bounds"):
                if self.chance(0.2):
                    kw.append(f"{name}={self.vals(rank, 'bool')}")
            if self.chance(0.05):
                kw.append(r.choice(["bogus=1", "json={}", "output=[]"]))
            cls = "IndexTransform" if k == 6 else "IndexDomain"
            return f"ts.{cls}({', '.join(kw)})"
        if k == 8:
            a, b = self.json_obj(False), self.json_obj(False)
            return f"ts.IndexDomain(json={a}).{r.choice(['hull', 'intersect'])}(ts.IndexDomain(json={b}))"
        if k == 9:
            base, _, _, rank = self.base()
            if base.startswith("ts.IndexDomain"):
                # Calling a domain is a TypeError in both, but tensorstore's text names the class
                # "tensorstore.IndexDomain"; tsexplore keeps the class non-callable instead.
                base = f"ts.IndexTransform({base})"
            return f"{base}({[r.randint(-3, 5) for _ in range(rank + (1 if self.chance(0.1) else 0))]})"
        if k == 10:
            base, _, _, rank = self.base()
            return f"ts.IndexTransform(json={base}.to_json()) == {base}"
        base, _, _, rank = self.base()
        attr = r.choice(
            [
                "index_exp",
                "shape",
                "size",
                "origin",
                "exclusive_max",
                "inclusive_max",
                "labels",
                "implicit_lower_bounds",
                "implicit_upper_bounds",
                "ndim",
                "rank",
                "T",
            ]
        )
        return f"{base}.domain.{attr}" if self.chance(0.5) else f"ts.IndexDomain({base}.domain).{attr}"

    def case(self) -> Case:
        if self.chance(0.15):
            return self.misc(), None, None
        base, shape, origin, rank = self.base()
        if self.chance(0.05):
            return self.dim_expr(), None, None
        expr = base
        for _ in range(self.r.choice([1, 1, 2, 2, 3])):
            k = self.r.random()
            if k < 0.45:
                expr += self.numpy_op()
            elif k < 0.85:
                expr += f"[{self.dim_expr()}]"
            else:
                expr += self.whole_op(rank)
        return expr, shape, origin


def generate(seed: int, n: int) -> list[Case]:
    g = _Gen(random.Random(seed))
    return [g.case() for _ in range(n)]


_PAYLOAD = re.compile(r" \[[a-z_]+='(?:[^'\\]|\\.)*'\]")


def canonical_message(text: str) -> str:
    """Sort the ``[key='value']`` payload annotations: absl prints them in an address-dependent order."""
    payloads = _PAYLOAD.findall(text)
    return _PAYLOAD.sub("", text) + "".join(sorted(payloads))


def _err(e: BaseException) -> tuple[str, str, str]:
    name = next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
    return ("err", name, canonical_message(str(e)))


def evaluate(ts: Any, read: Any, case: Case) -> tuple[Any, ...]:
    """Result of one case with module ``ts``.

    ``read(transform, data, origin)`` composes and returns ``(domain, read)`` where ``read()`` reads.
    """
    expr, shape, origin = case
    try:
        obj = eval(expr, {"ts": ts, "np": np})
    except Exception as e:
        return _err(e)
    try:
        if not hasattr(obj, "to_json"):
            return ("ok", repr(obj))
        result: tuple[Any, ...] = ("ok", repr(obj), obj.to_json())
    except Exception as e:
        return ("repr-failed", *_err(e))
    if shape is None or hasattr(obj, "output") is False:
        return result
    data = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    try:
        domain, values = read(obj, data, origin)
        if data.size == 0:
            # tensorstore reads uninitialised memory (no error) when index arrays select from an
            # empty array: for empty bases only the composed domain is compared.
            return (*result, repr(domain))
        values = values()
    except Exception as e:
        return (*result, "readerr", _err(e)[1])
    return (*result, repr(domain), np.asarray(values).tolist())
