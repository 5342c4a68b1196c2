"""Which chunks a transform touches, and for each the numpy copy between the chunk and the request.

A transform maps the request's input domain into array coordinates.  When every output map is a
constant or a strided single-input map (and no input feeds two outputs), the touched chunks are a
cartesian product of per-dimension chunk ranges computed with integer arithmetic, and each copy is
one basic-slicing assignment (:class:`StridedPlan`).  Anything else (index arrays, diagonals) goes
through :class:`GeneralPlan`, which groups the flattened coordinates by chunk with numpy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import status
from ..index.output_map import OutputIndexMethod
from ..index.transform import IndexTransform

__all__ = ["ChunkCopy", "GeneralPlan", "StridedPlan", "make_plan", "request_shape"]

Array = np.ndarray[Any, Any]


def _ix(index: tuple[Any, ...]) -> Any:
    """``index`` plus ``...``, so a full index still gives a view (not a scalar)."""
    return (*index, ...)


def request_shape(transform: IndexTransform) -> tuple[int, ...]:
    """Shape of the request (the transform's input domain), which must be bounded."""
    lo, hi = transform._f[0], transform._f[1]
    out = []
    for i, (a, b) in enumerate(zip(lo, hi)):
        if abs(a) > 2**62 or abs(b) > 2**62:
            raise status.invalid_argument(f"Cannot read/write with unbounded input dimension {i}")
        out.append(b - a)
    return tuple(out)


@dataclass(frozen=True)
class ChunkCopy:
    """One touched chunk: grid ``cell``, the request slot, and the chunk selection.

    ``full`` says the selection covers the chunk's whole (clipped) region, so a write need not
    read the old chunk.
    """

    cell: tuple[int, ...]
    request_index: tuple[slice, ...]
    chunk_index: tuple[Any, ...]
    full: bool


class StridedPlan:
    """Chunks of a transform with only constant / strided single-input maps (distinct inputs)."""

    def __init__(
        self,
        transform: IndexTransform,
        chunk_shape: Sequence[int],
        array_shape: Sequence[int],
    ) -> None:
        lo = transform._f[0]
        self.shape = request_shape(transform)
        self.chunk_shape = tuple(chunk_shape)
        n_in = len(self.shape)
        # per output dim: list of (chunk coord, request slice on its input dim or None, chunk index, full)
        self._dims: list[list[tuple[int, slice | None, Any, bool]]] = []
        self._in_dim: list[int | None] = []
        for d, m in enumerate(transform._maps):
            c = self.chunk_shape[d]
            extent = min(c, int(array_shape[d]))
            if m._method == OutputIndexMethod.constant:
                x = m._offset
                self._dims.append([(x // c, None, x % c, extent == 1)])
                self._in_dim.append(None)
                continue
            i = m._input_dimension
            o, s = m._offset, m._stride
            n = self.shape[i]
            self._in_dim.append(i)
            entries: list[tuple[int, slice | None, Any, bool]] = []
            if n == 0:
                self._dims.append(entries)
                continue
            first = o + s * lo[i]
            last = first + s * (n - 1)
            c_lo, c_hi = (first // c, last // c) if s > 0 else (last // c, first // c)
            for cc in range(c_lo, c_hi + 1):
                a, b = cc * c, (cc + 1) * c  # chunk covers array coords [a, b)
                # request positions j (0-based) with a <= first + s*j < b
                if s > 0:
                    j0, j1 = -((first - a) // s), -((first - b) // s)
                else:
                    j0, j1 = -((b - 1 - first) // (-s)), -((a - 1 - first) // (-s))
                j0, j1 = max(j0, 0), min(j1, n)
                if j0 >= j1:
                    continue
                start = first + s * j0 - a
                stop = start + s * (j1 - j0)
                sel = slice(start, stop if stop >= 0 else None, s)
                valid = min(b, int(array_shape[d])) - a
                full = abs(s) == 1 and (j1 - j0) >= valid
                entries.append((cc, slice(j0, j1), sel, full))
            self._dims.append(entries)
        used = [i for i in self._in_dim if i is not None]
        # chunk view axes are in output order; reorder to input order, size-1 axes for free inputs
        order = sorted(range(len(used)), key=lambda k: used[k])
        self._perm: tuple[int, ...] | None = tuple(order) if order != list(range(len(used))) else None
        free = [i for i in range(n_in) if i not in used]
        self._free = free
        self._expand = tuple(free) if free else None
        self.count = math.prod(len(e) for e in self._dims)

    def __iter__(self) -> Iterator[ChunkCopy]:
        n_in = len(self.shape)
        for combo in itertools.product(*self._dims):
            req: list[slice] = [slice(None)] * n_in
            for d, (_, rs, _, _) in enumerate(combo):
                i = self._in_dim[d]
                if i is not None and rs is not None:
                    req[i] = rs
            yield ChunkCopy(
                tuple(e[0] for e in combo),
                tuple(req),
                tuple(e[2] for e in combo),
                all(e[3] for e in combo) and not self._free,
            )

    def chunk_view(self, chunk: Array, copy: ChunkCopy) -> Array:
        """The chunk's selected elements, axes in request order (size 1 for free request dims)."""
        view = chunk[_ix(copy.chunk_index)]
        if self._perm is not None:
            view = view.transpose(self._perm)
        if self._expand is not None:
            view = np.expand_dims(view, self._expand)
        return view  # type: ignore[no-any-return]

    def read_into(self, out: Array, chunk: Array, copy: ChunkCopy) -> None:
        np.copyto(out[_ix(copy.request_index)], self.chunk_view(chunk, copy), casting="unsafe")

    def fill_into(self, out: Array, value: Array, copy: ChunkCopy) -> None:
        """The chunk's slot at the fill value (0-d, or per element of trailing field dimensions)."""
        if value.ndim:
            self.read_into(out, np.broadcast_to(value, self.chunk_shape), copy)
        else:
            out[_ix(copy.request_index)] = value

    def prepare_source(self, source: Array) -> Array:
        return source

    def write_from(self, chunk: Array, source: Array, copy: ChunkCopy) -> None:
        """Assign the request's ``source`` values for this chunk into ``chunk``."""
        src = source[_ix(copy.request_index)]
        if self._free:
            take = tuple(slice(-1, None) if i in self._free else slice(None) for i in range(len(self.shape)))
            src = src[take]
        view = chunk[_ix(copy.chunk_index)]
        if self._perm is not None:
            inv = tuple(np.argsort(self._perm))
            if self._expand is not None:
                src = np.squeeze(src, self._expand)
            view[...] = src.transpose(inv)
        else:
            if self._expand is not None:
                src = np.squeeze(src, self._expand)
            view[...] = src

    def full_chunk(self, source: Array, copy: ChunkCopy, fill: Array, dtype: np.dtype[Any]) -> Array:
        """A new chunk array for a write that covers the whole chunk (one copy when the slot is the chunk)."""
        if (
            self._perm is None
            and self._expand is None
            and all(isinstance(ix, slice) and ix.step == 1 and ix.start == 0 for ix in copy.chunk_index)
        ):
            src = source[_ix(copy.request_index)]
            if src.shape == self.chunk_shape:
                return np.array(src, dtype=dtype, order="C", copy=True)
        chunk = np.full(self.chunk_shape, fill, dtype=dtype)
        self.write_from(chunk, source, copy)
        return chunk

    def contiguous_slot(self, out: Array, copy: ChunkCopy) -> Array | None:
        """``out``'s slot when it is exactly the chunk, C-contiguous and in chunk order (decode in place)."""
        if self._perm is not None or self._expand is not None or not copy.full:
            return None
        if any(not isinstance(ix, slice) or ix.step != 1 or ix.start != 0 for ix in copy.chunk_index):
            return None
        slot = out[_ix(copy.request_index)]
        if slot.shape != self.chunk_shape or not slot.flags.c_contiguous:
            return None
        return slot  # type: ignore[no-any-return]


class GeneralPlan:
    """Chunks of any transform: coordinates flattened and grouped by chunk with numpy."""

    def __init__(
        self,
        transform: IndexTransform,
        chunk_shape: Sequence[int],
        array_shape: Sequence[int],
    ) -> None:
        lo = transform._f[0]
        self.shape = request_shape(transform)
        self.chunk_shape = tuple(chunk_shape)
        n_in = len(self.shape)
        coords: list[Array] = []
        for d, m in enumerate(transform._maps):
            if m._method == OutputIndexMethod.constant:
                coords.append(np.asarray(m._offset, dtype=np.int64))
            elif m._method == OutputIndexMethod.single_input_dimension:
                i = m._input_dimension
                shp = [1] * n_in
                shp[i] = self.shape[i]
                r = m._offset + m._stride * (lo[i] + np.arange(self.shape[i], dtype=np.int64))
                coords.append(r.reshape(shp))
            else:
                arr = m._array
                assert arr is not None
                c = m._offset + m._stride * arr.astype(np.int64)
                bad = (c < 0) | (c >= array_shape[d])
                if bad.any():
                    v = int(c[bad].flat[0])
                    raise status.out_of_range(
                        f"In index array map for output dimension {d}: Index {v} is outside valid range "
                        f"[0, {array_shape[d]})"
                    )
                coords.append(c)
        full = [np.broadcast_to(c, self.shape).reshape(-1) for c in coords]
        total = math.prod(self.shape)
        if not full:
            self._groups: list[tuple[tuple[int, ...], Array, tuple[Array, ...]]] = (
                [((), np.zeros(total, dtype=np.intp), ())] if total else []
            )
            self.count = len(self._groups)
            return
        cells = [f // c for f, c in zip(full, self.chunk_shape)]
        local = [f - cl * c for f, cl, c in zip(full, cells, self.chunk_shape)]
        grid = tuple(int(cl.max()) + 1 if cl.size else 1 for cl in cells)
        lin = np.ravel_multi_index(tuple(cells), grid) if total else np.zeros(0, dtype=np.intp)
        order = np.argsort(lin, kind="stable")
        sorted_lin = lin[order]
        starts = np.flatnonzero(np.r_[True, sorted_lin[1:] != sorted_lin[:-1]]) if total else np.zeros(0, int)
        ends = np.r_[starts[1:], total]
        self._groups = []
        for a, b in zip(starts.tolist(), ends.tolist()):
            pos = order[a:b]
            cell = tuple(int(x) for x in np.unravel_index(int(sorted_lin[a]), grid))
            self._groups.append((cell, pos, tuple(lc[pos] for lc in local)))
        self.count = len(self._groups)

    def __iter__(self) -> Iterator[ChunkCopy]:
        for k, (cell, _, _) in enumerate(self._groups):
            yield ChunkCopy(cell, (slice(k, k + 1),), (), False)

    def read_into(self, out: Array, chunk: Array, copy: ChunkCopy) -> None:
        _, pos, local = self._groups[copy.request_index[0].start]
        out.reshape(-1)[pos] = chunk[local] if local else chunk[()]

    def prepare_source(self, source: Array) -> Array:
        """The source flattened once, C order (``write_from`` takes this form)."""
        return np.ascontiguousarray(np.broadcast_to(source, self.shape)).reshape(-1)

    def fill_into(self, out: Array, value: Array, copy: ChunkCopy) -> None:
        if value.ndim:
            self.read_into(out, np.broadcast_to(value, self.chunk_shape), copy)
            return
        _, pos, _ = self._groups[copy.request_index[0].start]
        out.reshape(-1)[pos] = value

    def write_from(self, chunk: Array, source: Array, copy: ChunkCopy) -> None:
        _, pos, local = self._groups[copy.request_index[0].start]
        flat = source
        if local:
            chunk[local] = flat[pos]
        elif flat.size:
            chunk[()] = flat[-1]

    def full_chunk(self, source: Array, copy: ChunkCopy, fill: Array, dtype: np.dtype[Any]) -> Array:
        chunk = np.full(self.chunk_shape, fill, dtype=dtype)
        self.write_from(chunk, source, copy)
        return chunk

    def contiguous_slot(self, out: Array, copy: ChunkCopy) -> Array | None:
        return None


def make_plan(
    transform: IndexTransform, chunk_shape: Sequence[int], array_shape: Sequence[int]
) -> StridedPlan | GeneralPlan:
    """The cheapest plan that handles ``transform`` (output rank == len(chunk_shape))."""
    seen: set[int] = set()
    strided = True
    for m in transform._maps:
        if m._method == OutputIndexMethod.array:
            strided = False
            break
        if m._method == OutputIndexMethod.single_input_dimension:
            if m._input_dimension in seen or m._stride == 0:
                strided = False
                break
            seen.add(m._input_dimension)
    if strided:
        return StridedPlan(transform, chunk_shape, array_shape)
    return GeneralPlan(transform, chunk_shape, array_shape)
