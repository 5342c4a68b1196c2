"""A sample OME-Zarr dataset that tsexplore writes with itself on first use (``python -m tsexplore.sample``).

Layout (OME-NGFF 0.5 on zarr v3, under ``$TSEXPLORE_DATA_DIR`` or ``~/.cache/tsexplore``)::

    cells.ome.zarr/            group: ome.multiscales (z, y, x in micrometer) + ome.omero window
      0 1 2 3                  uint16 "cells" volume, 64 x 1024 x 1024 halved in y/x per level (mean)
      labels/                  group: ome.labels = ["cells"]
        cells/0 1 2 3          uint32 segmentation of the same cells (mode), ome.image-label

Generation is deterministic (fixed seed) and idempotent: the finished tree carries a marker file with the
sample's version, a second call only reads that marker, and a half-written tree (interrupted run) is rebuilt in a
temporary directory and moved into place, so readers never see a partial dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SHAPE", "LEVELS", "SamplePaths", "data_dir", "ensure", "generate_cells", "main", "paths"]

VERSION = 2
NAME = "cells.ome.zarr"
SHAPE = (64, 1024, 1024)
LEVELS = 4
VOXEL_UM = (1.0, 0.25, 0.25)
CHUNK = (1, 512, 512)
N_CELLS = 160
SEED = 20240806
HOT_PIXELS = 24  # a few dead/hot pixels at 65535, as real cameras have (napari #9489)
_MARKER = ".tsexplore-sample.json"
_SLAB = 8


@dataclass(frozen=True)
class SamplePaths:
    """Where the sample lives: ``root`` is the OME-Zarr image group; ``image(k)`` / ``labels(k)`` are arrays."""

    root: Path

    @property
    def labels_root(self) -> Path:
        return self.root / "labels" / "cells"

    def image(self, level: int = 0) -> Path:
        return self.root / str(level)

    def labels(self, level: int = 0) -> Path:
        return self.labels_root / str(level)

    @property
    def marker(self) -> Path:
        return self.root / _MARKER

    def spec(self, level: int = 0, *, labels: bool = False) -> dict[str, Any]:
        """The ``ts.open`` spec of one level (zarr3 on the file kvstore)."""
        path = self.labels(level) if labels else self.image(level)
        return {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}}


def data_dir() -> Path:
    """``$TSEXPLORE_DATA_DIR``, else ``$XDG_CACHE_HOME/tsexplore``, else ``~/.cache/tsexplore``."""
    env = os.environ.get("TSEXPLORE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "tsexplore"


def paths(path: str | os.PathLike[str] | None = None) -> SamplePaths:
    """The sample's paths (no I/O); ``path`` is the directory that holds ``cells.ome.zarr``."""
    return SamplePaths((Path(path) if path is not None else data_dir()) / NAME)


def is_complete(p: SamplePaths) -> bool:
    try:
        info = json.loads(p.marker.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("version") == VERSION


# ---------------------------------------------------------------------------------------------------------------
# synthetic cells


@dataclass(frozen=True)
class _Cells:
    centre: npt.NDArray[np.float64]  # (n, 3) z, y, x in voxels
    radius: npt.NDArray[np.float64]  # (n, 3)
    level: npt.NDArray[np.float64]  # (n,) cytoplasm brightness
    ids: npt.NDArray[np.uint32]


def _cells(shape: tuple[int, int, int], n: int, seed: int) -> _Cells:
    rng = np.random.default_rng(seed)
    z, y, x = shape
    centre = rng.uniform([0, 0, 0], [z, y, x], size=(n, 3))
    r_xy = rng.uniform(28, 60, size=n) * (y / 1024)
    radius = np.stack([rng.uniform(6, 14, size=n) * (z / 64), r_xy * rng.uniform(0.8, 1.2, n), r_xy], axis=1)
    level = rng.uniform(400, 1600, size=n)
    # ids spread over a wide range so label colours and > 2**16 ids get exercised
    ids = (np.arange(1, n + 1, dtype=np.uint64) * 7919 + 100_000).astype(np.uint32)
    return _Cells(centre, radius, level, ids)


def generate_cells(
    z0: int, z1: int, shape: tuple[int, int, int] = SHAPE, *, n_cells: int = N_CELLS, seed: int = SEED
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint32]]:
    """Planes ``z0:z1`` of the synthetic volume and its segmentation (deterministic for a seed).

    Cells are ellipsoids with a bright rim and a brighter nucleus over a smooth background with mild noise;
    where cells overlap the later one wins, in the image and in the labels alike.
    """
    _, ny, nx = shape
    cells = _cells(shape, n_cells, seed)
    nz = z1 - z0
    labels = np.zeros((nz, ny, nx), np.uint32)
    signal = np.zeros((nz, ny, nx), np.float32)
    for k in range(n_cells):  # one numpy block per cell, bounded by its box
        c, r = cells.centre[k], cells.radius[k]
        lo = np.maximum(np.floor(c - r).astype(int), [z0, 0, 0])
        hi = np.minimum(np.ceil(c + r).astype(int) + 1, [z1, ny, nx])
        if np.any(hi <= lo):
            continue
        gz, gy, gx = np.ogrid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
        d2 = ((gz - c[0]) / r[0]) ** 2 + ((gy - c[1]) / r[1]) ** 2 + ((gx - c[2]) / r[2]) ** 2
        inside = d2 <= 1.0
        box = (slice(lo[0] - z0, hi[0] - z0), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
        value = cells.level[k] * (1.0 + 1.5 * np.exp(-((1.0 - d2) ** 2) / 0.005)) + 2500.0 * (d2 < 0.12)
        labels[box] = np.where(inside, cells.ids[k], labels[box])
        signal[box] = np.where(inside, value, signal[box]).astype(np.float32)
    rng = np.random.default_rng(seed + z0)
    gy, gx = np.ogrid[0:ny, 0:nx]
    background = 120.0 + 60.0 * np.sin(gy / ny * np.pi) * np.cos(gx / nx * np.pi / 2)
    signal += background.astype(np.float32)
    signal += rng.normal(0.0, 2.0, size=signal.shape).astype(np.float32)
    image = np.clip(signal, 0, 65535).astype(np.uint16)
    hot = np.random.default_rng(seed - 1).integers(0, [shape[0], ny, nx], size=(HOT_PIXELS, 3))
    mine = hot[(hot[:, 0] >= z0) & (hot[:, 0] < z1)]
    image[mine[:, 0] - z0, mine[:, 1], mine[:, 2]] = 65535
    return image, labels


# ---------------------------------------------------------------------------------------------------------------
# metadata


def _level_shape(level: int) -> tuple[int, int, int]:
    f = 2**level
    return (SHAPE[0], -(-SHAPE[1] // f), -(-SHAPE[2] // f))


def _multiscales(name: str, method: str) -> list[dict[str, Any]]:
    datasets = []
    for k in range(LEVELS):
        f = 2**k
        scale = [VOXEL_UM[0], VOXEL_UM[1] * f, VOXEL_UM[2] * f]
        shift = [0.0, VOXEL_UM[1] * (f - 1) / 2, VOXEL_UM[2] * (f - 1) / 2]  # block centres of a 2**k mean
        datasets.append(
            {
                "path": str(k),
                "coordinateTransformations": [
                    {"type": "scale", "scale": scale},
                    {"type": "translation", "translation": shift},
                ],
            }
        )
    return [
        {
            "name": name,
            "axes": [{"name": a, "type": "space", "unit": "micrometer"} for a in ("z", "y", "x")],
            "datasets": datasets,
            "type": method,
            "metadata": {"method": f"tsexplore.downsample({method!r})", "version": VERSION},
        }
    ]


def _group(attributes: dict[str, Any]) -> bytes:
    doc = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
    return json.dumps(doc, indent=2).encode()


def _image_attrs(window: tuple[float, float, float, float]) -> dict[str, Any]:
    lo, hi, start, end = window
    return {
        "ome": {
            "version": "0.5",
            "multiscales": _multiscales("cells", "mean"),
            "omero": {
                "name": "cells",
                "version": "0.5",
                "channels": [
                    {
                        "label": "cells",
                        "color": "FFFFFF",
                        "active": True,
                        "window": {"min": lo, "max": hi, "start": start, "end": end},
                    }
                ],
                "rdefs": {"defaultZ": SHAPE[0] // 2, "defaultT": 0, "model": "greyscale"},
            },
        }
    }


def _label_attrs() -> dict[str, Any]:
    return {
        "ome": {
            "version": "0.5",
            "multiscales": _multiscales("cells", "mode"),
            "image-label": {"version": "0.5", "source": {"image": "../../"}},
        }
    }


def _array_spec(path: Path, dtype: str, level: int) -> dict[str, Any]:
    shape = _level_shape(level)
    chunk = [min(c, s) for c, s in zip(CHUNK, shape)]
    typesize = 2 if dtype == "uint16" else 4
    return {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": str(path) + "/"},
        "metadata": {
            "shape": list(shape),
            "data_type": dtype,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "codecs": [
                {"name": "bytes", "configuration": {"endian": "little"}},
                {
                    "name": "blosc",
                    "configuration": {
                        "cname": "zstd",
                        "clevel": 3,
                        "shuffle": "bitshuffle" if dtype == "uint16" else "shuffle",
                        "typesize": typesize,
                        "blocksize": 0,
                    },
                },
            ],
            "fill_value": 0,
            "dimension_names": ["z", "y", "x"],
        },
    }


# ---------------------------------------------------------------------------------------------------------------
# writing


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[str, int], None]]:
    if quiet:
        yield lambda _desc, _n: None
        return
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, desc="tsexplore sample", unit="step", leave=False)

        def tick(desc: str, n: int) -> None:
            bar.set_postfix_str(desc)
            bar.update(n)

        try:
            yield tick
        finally:
            bar.close()
        return
    done = [0]

    def line(desc: str, n: int) -> None:
        done[0] += n
        print(f"tsexplore sample: {desc} ({done[0]}/{total})", file=sys.stderr, flush=True)

    yield line


def _build(tmp: Path, quiet: bool) -> None:
    import tsexplore as ts

    nslabs = -(-SHAPE[0] // _SLAB)
    with _progress(nslabs + 2 * (LEVELS - 1) + 1, quiet) as tick:
        img0 = ts.open(_array_spec(tmp / "0", "uint16", 0), create=True).result()
        lab0 = ts.open(_array_spec(tmp / "labels" / "cells" / "0", "uint32", 0), create=True).result()
        lo = hi = None
        samples = []
        for z0 in range(0, SHAPE[0], _SLAB):
            z1 = min(SHAPE[0], z0 + _SLAB)
            image, labels = generate_cells(z0, z1)
            w1, w2 = img0[z0:z1].write(image), lab0[z0:z1].write(labels)
            samples.append(image[:, ::16, ::16].reshape(-1))
            w1.result()
            w2.result()
            tick(f"level 0 planes {z0}-{z1 - 1}", 1)
        sample = np.concatenate(samples).astype(np.float64)
        lo, hi = float(np.percentile(sample, 0.5)), float(np.percentile(sample, 99.5))
        for name, prev, dtype, method, root in (
            ("image", img0, "uint16", "mean", tmp),
            ("labels", lab0, "uint32", "mode", tmp / "labels" / "cells"),
        ):
            src = prev
            for k in range(1, LEVELS):
                dst = ts.open(_array_spec(root / str(k), dtype, k), create=True).result()
                dst.write(ts.downsample(src, [1, 2, 2], method)).result()
                src = dst
                tick(f"{name} level {k} ({method})", 1)
        (tmp / "zarr.json").write_bytes(_group(_image_attrs((0.0, 65535.0, lo, hi))))
        (tmp / "labels" / "zarr.json").write_bytes(_group({"ome": {"version": "0.5", "labels": ["cells"]}}))
        (tmp / "labels" / "cells" / "zarr.json").write_bytes(_group(_label_attrs()))
        tick("metadata", 1)


def ensure(path: str | os.PathLike[str] | None = None, *, quiet: bool = True, force: bool = False) -> Path:
    """Make sure the sample exists (build it on first use) and return the OME-Zarr image group's path.

    A second call costs one small file read.  ``force=True`` rebuilds it.
    """
    p = paths(path)
    if not force and is_complete(p):
        return p.root
    p.root.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.root.with_name(f"{p.root.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _build(tmp, quiet)
        (tmp / _MARKER).write_text(json.dumps({"version": VERSION, "shape": list(SHAPE), "levels": LEVELS}))
        if p.root.exists():
            if not force and is_complete(p):  # another process finished first
                shutil.rmtree(tmp, ignore_errors=True)
                return p.root
            shutil.rmtree(p.root)
        os.replace(tmp, p.root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return p.root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tsexplore.sample", description=__doc__.splitlines()[0])
    parser.add_argument("--path", help="directory to hold cells.ome.zarr (default: $TSEXPLORE_DATA_DIR or cache)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args(argv)
    root = ensure(args.path, quiet=args.quiet, force=args.force)
    if not args.quiet:
        print(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
