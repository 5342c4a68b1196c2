"""Open chunked arrays through ``ts.open`` and use them NumPy-style (``s[idx]`` reads, ``s[idx] = v`` writes).

Everything goes through the public ``TensorStore`` handle, so the shared bounds checks, dtype
conversion and futures are exercised too; ``.driver`` exposes the open driver for engine checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tsexplore as ts


def open_store(spec: dict[str, Any], **kw: Any) -> Store:
    """``ts.open(spec, **kw)`` wrapped in a :class:`Store`."""
    return Store(ts.open(spec, **kw).result())


def open_driver(spec: dict[str, Any], **kw: Any) -> Any:
    """The TensorStore of ``ts.open(spec, **kw)`` (kept for callers that index it themselves)."""
    return ts.open(spec, **kw).result()


class Store:
    """NumPy-style access to a TensorStore: ``s[idx]`` reads, ``s[idx] = v`` writes."""

    def __init__(self, store: Any) -> None:
        self.ts = store if not isinstance(store, Store) else store.ts

    @property
    def driver(self) -> Any:
        return self.ts._driver

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.ts.shape)

    def __getitem__(self, idx: Any) -> np.ndarray[Any, Any]:
        view = self.ts if idx is Ellipsis else self.ts[idx]
        return np.asarray(view.read().result())

    def __setitem__(self, idx: Any, value: Any) -> None:
        view = self.ts if idx is Ellipsis else self.ts[idx]
        view.write(np.asarray(value, dtype=self.ts.dtype.numpy_dtype)).result()

    def resize(self, **kw: Any) -> Store:
        return Store(self.ts.resize(**kw).result())
