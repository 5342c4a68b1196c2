"""Pixels to PNG in numpy: contrast limits from a small sample, LUTs from matplotlib, label hash colours.

The hot path is normalise -> uint8 index -> palette PNG (one byte per pixel, the LUT travels as PLTE); no
matplotlib figure is ever made per frame.  Index 255 of every palette is reserved for NaN, so NaN keeps a colour
no colormap produces.  Label ids are hashed as uint64 (splitmix64), never through float, so ids above 2**24 or
2**53 keep distinct colours.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "COLORMAPS",
    "DEFAULT_NAN_COLOR",
    "Limits",
    "auto_limits",
    "encode_indexed",
    "encode_rgba",
    "label_ids",
    "label_rgba",
    "lut",
    "render_intensity",
    "render_labels",
    "render_rgb",
    "sample_values",
    "to_indices",
]

COLORMAPS = ("gray", "viridis", "magma", "inferno", "cividis", "RdBu_r", "twilight", "turbo")
DEFAULT_NAN_COLOR = (255, 0, 255)  # magenta: not produced by any default map
_NAN_INDEX = 255
_LEVELS = 255  # indices 0..254 carry the colormap
_SAMPLE = 65_536


@lru_cache(maxsize=32)
def lut(name: str, n: int = _LEVELS) -> npt.NDArray[np.uint8]:
    """``(n, 3)`` uint8 RGB table of matplotlib colormap ``name`` (raises ``ValueError`` naming it if unknown)."""
    import matplotlib

    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise ValueError(f"unknown colormap {name!r}; try one of {', '.join(COLORMAPS)}") from None
    rgba = cmap(np.linspace(0.0, 1.0, n))
    out: npt.NDArray[np.uint8] = np.round(rgba[:, :3] * 255).astype(np.uint8)
    return out


@dataclass(frozen=True)
class Limits:
    """Contrast limits and how they were found (shown in the status line, as napari #7430 asks); ``detail`` says
    what the statistics were taken from."""

    lo: float
    hi: float
    how: str
    detail: str = ""

    def __str__(self) -> str:
        return f"[{self.lo:.6g}, {self.hi:.6g}] {self.how}" + (f" ({self.detail})" if self.detail else "")


def sample_values(data: npt.NDArray[Any], max_count: int = _SAMPLE) -> npt.NDArray[Any]:
    """At most ``max_count`` values of ``data`` taken by a regular stride per axis (no random state)."""
    if data.size <= max_count:
        return data.reshape(-1)
    per_axis = (data.size / max_count) ** (1.0 / max(1, data.ndim))
    step = max(1, int(np.ceil(per_axis)))
    sl = tuple(slice(None, None, step) for _ in range(data.ndim))
    return np.asarray(data[sl]).reshape(-1)


def auto_limits(
    data: npt.NDArray[Any], lo_pct: float = 0.5, hi_pct: float = 99.5, *, max_count: int = _SAMPLE
) -> Limits:
    """Limits by the table in EXPLORER 2.5: fixed for bool/uint8, symmetric around 0 when values straddle it,
    else percentiles of a strided sample with NaN and +-Inf left out (so one hot pixel cannot blacken the view)."""
    dt = np.dtype(data.dtype)
    if dt == np.bool_:
        return Limits(0.0, 1.0, "bool: False/True")
    if dt == np.uint8:
        return Limits(0.0, 255.0, "uint8 fixed")
    sample = sample_values(data, max_count)
    what = "|z|" if dt.kind == "c" else "v"
    if dt.kind == "c":
        sample = np.abs(sample)
    sample = sample.astype(np.float64, copy=False)
    nan = np.isnan(sample)
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        why = "all NaN" if bool(nan.all()) else "no finite values"
        return Limits(0.0, 1.0, why, "nothing to scale")
    lo, hi = (float(v) for v in np.percentile(sample, [lo_pct, hi_pct]))
    detail = f"{sample.size:,} samples" + (" of |z|" if what == "|z|" else "")
    if lo < 0 < hi:
        m = float(np.percentile(np.abs(sample), hi_pct))
        return Limits(-m, m, f"auto \u00b1p{hi_pct:g} of |v|", detail)
    if hi <= lo:
        v = float(sample[0])
        return Limits(v - 0.5, v + 0.5, f"constant = {v:.6g}", detail)
    return Limits(lo, hi, f"auto p{lo_pct:g}\u2013{hi_pct:g}", detail)


def to_indices(data: npt.NDArray[Any], lo: float, hi: float) -> npt.NDArray[np.uint8]:
    """Map values to palette indices 0..254 (clipped); NaN goes to the reserved index 255."""
    x = np.abs(data) if np.iscomplexobj(data) else data
    x = x.astype(np.float32, copy=False)
    scale = (_LEVELS - 1) / (hi - lo) if hi > lo else 0.0
    out = np.empty(x.shape, np.float32)
    np.subtract(x, np.float32(lo), out=out)
    np.multiply(out, np.float32(scale), out=out)
    np.clip(out, 0, _LEVELS - 1, out=out)
    nan = np.isnan(out)
    has_nan = bool(nan.any())
    if has_nan:
        out[nan] = 0
    idx = out.astype(np.uint8)
    if has_nan:
        idx[nan] = _NAN_INDEX
    return idx


def _png(img: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def encode_indexed(
    idx: npt.NDArray[np.uint8], colormap: str, nan_color: tuple[int, int, int] = DEFAULT_NAN_COLOR
) -> bytes:
    """Palette PNG: the LUT as PLTE (entry 255 = ``nan_color``), one byte per pixel."""
    from PIL import Image

    pal = np.zeros((256, 3), np.uint8)
    pal[:_LEVELS] = lut(colormap)
    pal[_NAN_INDEX] = nan_color
    img = Image.fromarray(np.ascontiguousarray(idx))  # mode L; putpalette turns it into P
    img.putpalette(pal.tobytes())
    return _png(img)


def encode_rgba(rgba: npt.NDArray[np.uint8]) -> bytes:
    """RGB or RGBA PNG of an ``(h, w, 3|4)`` uint8 array."""
    from PIL import Image

    mode = "RGBA" if rgba.shape[-1] == 4 else "RGB"
    h, w = rgba.shape[:2]
    img = Image.frombuffer(mode, (w, h), np.ascontiguousarray(rgba).tobytes(), "raw", mode, 0, 1)
    return _png(img)


def render_intensity(
    plane: npt.NDArray[Any],
    limits: Limits,
    colormap: str = "gray",
    nan_color: tuple[int, int, int] = DEFAULT_NAN_COLOR,
) -> bytes:
    """A 2-d intensity plane to palette PNG bytes."""
    return encode_indexed(to_indices(plane, limits.lo, limits.hi), colormap, nan_color)


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _as_uint64(ids: npt.NDArray[Any]) -> npt.NDArray[np.uint64]:
    dt = np.dtype(ids.dtype)
    if dt.kind not in "biu":
        raise TypeError(f"label ids must be integers or bool, not {dt}")
    if dt.kind == "i":
        return ids.astype(np.int64, copy=False).view(np.uint64)
    return ids.astype(np.uint64, copy=False)


def label_rgba(ids: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """``(..., 4)`` RGBA per id: a 64-bit hash of the id (same colour in every tile and level), channels kept in
    [64, 255] so no id is near-black; id 0 is transparent."""
    u = _as_uint64(np.asarray(ids))
    h = _splitmix64(u)
    out = np.empty((*u.shape, 4), np.uint8)
    for k, shift in enumerate((0, 16, 32)):
        byte = ((h >> np.uint64(shift)) & np.uint64(0xFF)).astype(np.uint16)
        out[..., k] = (64 + (byte * 191) // 255).astype(np.uint8)
    out[..., 3] = np.where(u == 0, 0, 255).astype(np.uint8)
    return out


def label_ids(plane: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The distinct ids of a plane, found from run starts (segmentations are piecewise constant, so this sorts far
    fewer values than ``np.unique`` of every pixel)."""
    flat = np.ascontiguousarray(plane).reshape(-1)
    if flat.size == 0:
        return flat
    starts = np.empty(flat.size, bool)
    starts[0] = True
    np.not_equal(flat[1:], flat[:-1], out=starts[1:])
    return np.unique(flat[starts])


def render_labels(plane: npt.NDArray[Any]) -> bytes:
    """A 2-d label plane to PNG bytes coloured by id hash: a palette PNG (with id 0 transparent via tRNS) when the
    view holds at most 256 ids, else RGBA."""
    ids = label_ids(plane)
    if ids.size > 256:
        return encode_rgba(label_rgba(plane))
    from PIL import Image

    idx = np.searchsorted(ids, plane).astype(np.uint8)
    colours = label_rgba(ids)
    pal = np.zeros((256, 3), np.uint8)
    pal[: ids.size] = colours[:, :3]
    img = Image.fromarray(np.ascontiguousarray(idx))
    img.putpalette(pal.tobytes())
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1, transparency=colours[:, 3].tobytes())
    return buf.getvalue()


def render_rgb(plane: npt.NDArray[Any], limits: Limits) -> bytes:
    """An ``(h, w, 3|4)`` plane as stored (uint8) or scaled by ``limits`` to RGB(A) PNG bytes."""
    if plane.dtype == np.uint8:
        return encode_rgba(plane)
    x = plane.astype(np.float32)
    span = limits.hi - limits.lo if limits.hi > limits.lo else 1.0
    x = np.clip((x - limits.lo) * (255.0 / span), 0, 255)
    return encode_rgba(np.nan_to_num(x).astype(np.uint8))
