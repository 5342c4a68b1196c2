"""Slider change -> rendered PNG for each level of the sample dataset (warm cache), vs real tensorstore's read.

For every pyramid level of ``cells.ome.zarr`` this times ``SlicerModel.set_slider`` (a new PreviewRequest) until
the :class:`PreviewModel` has the frame's PNG bytes, at a 1024 x 1024 view with the level forced, over several z
positions already read once (warm).  For comparison it times real tensorstore reading the same index of the same
level.  Budget (EXPLORER 3): under 150 ms per frame at any level.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import tensorstore as real_ts

from tsexplore import sample
from tsexplore.widgets import Frame, PreviewModel, SlicerModel

BUDGET_MS = 150.0
VIEW_PX = 1024
POSITIONS = (20, 24, 28, 32, 36, 40)
REPEATS = 3


def _shown(model: PreviewModel, slicer: SlicerModel) -> object:
    """Wait until the model has rendered the slicer's newest request (the slicer holds at most one pending)."""
    while True:
        frame = model.wait()
        if frame is not None and frame.plan.request == slicer.preview_request and model.status == "done":
            return frame
        time.sleep(0.0005)


def main() -> int:
    root = sample.ensure(os.environ.get("TSEXPLORE_BENCH_DIR"), quiet=False)
    base = PreviewModel.open(str(root), view_px=VIEW_PX).result()
    n = len(base.pyramid.levels)
    rows = []
    for level in range(n):
        model = PreviewModel(base.pyramid, view_px=VIEW_PX, level=level)
        slicer = SlicerModel(model.pyramid.base)
        model.bind(slicer)
        model.wait()
        real = real_ts.open(
            {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(root / str(level)) + "/"}}
        ).result()
        for z in POSITIONS:  # warm both caches (OS page cache; no chunk cache by default)
            slicer.set_slider("z", z)
            model.wait()
            real[model.plan.read.index].read().result()  # type: ignore[union-attr]
        ours, theirs, render, uncached = [], [], [], []
        for _ in range(REPEATS):
            for z in POSITIONS:
                model.invalidate()  # time the read path: no decoded-plane cache hit
                t0 = time.perf_counter()
                slicer.set_slider("z", z)
                frame = _shown(model, slicer)
                uncached.append((time.perf_counter() - t0) * 1e3)
                slicer.set_slider("z", POSITIONS[0] if z != POSITIONS[0] else POSITIONS[1])
                _shown(model, slicer)
                t0 = time.perf_counter()
                slicer.set_slider("z", z)
                frame = _shown(model, slicer)
                ours.append((time.perf_counter() - t0) * 1e3)
                assert isinstance(frame, Frame) and frame.png and frame.cached  # served by the plane cache
                render.append(frame.render_ms)
                t0 = time.perf_counter()
                real[frame.plan.read.index].read().result()
                theirs.append((time.perf_counter() - t0) * 1e3)
        fr = model.frame
        assert fr is not None
        rows.append((level, fr.shape, statistics.median(uncached), max(uncached), statistics.median(ours),
                     statistics.median(render), statistics.median(theirs), len(fr.png)))
    print(f"\nslider -> PNG at a {VIEW_PX}x{VIEW_PX} view, {len(POSITIONS) * REPEATS} moves per level (warm)")
    head = f"{'level':>5} {'shape':>11} {'median ms':>10} {'max ms':>8} {'cached ms':>10} {'render ms':>10} " \
           f"{'ts read ms':>11} {'PNG KiB':>8}  budget"
    print(head)
    print("-" * len(head))
    ok = True
    for level, shape, med, worst, hit, rend, real_ms, size in rows:
        good = med < BUDGET_MS
        ok &= good
        print(f"{level:>5} {'x'.join(map(str, shape)):>11} {med:>10.1f} {worst:>8.1f} {hit:>10.1f} {rend:>10.1f} "
              f"{real_ms:>11.1f} {size / 1024:>8.0f}  {'ok' if good else 'OVER'} (<{BUDGET_MS:.0f})")
    print("\nmedian ms = set_slider to PNG bytes (plan + read + contrast + LUT + PNG) with the decoded-plane cache "
          "emptied first; cached ms = the same move when the plane is cached; ts read ms = real tensorstore "
          "reading the same level index (read only, no colour or PNG)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
