"""Array drivers: array, zarr (v2), zarr3, cast, downsample, stack/concat/overlay, virtual_chunked, and the
lazy extension; plus the driver registry.

Built-in driver modules are imported on first use of the registry (:func:`load_builtin_drivers`); a
module listed in ``BUILTIN_DRIVER_MODULES`` that does not exist yet is skipped, so drivers can be added
by creating the module.
"""

from __future__ import annotations

import importlib

__all__ = ["BUILTIN_DRIVER_MODULES", "load_builtin_drivers"]

BUILTIN_DRIVER_MODULES: tuple[str, ...] = (
    "array",
    "auto",
    "cast",
    "zarr",
    "zarr2",
    "zarr3",
    "n5",
    "neuroglancer_precomputed",
    "downsample",
    "stack",
    "virtual_chunked",
    "lazy",
)

_loaded = False


def load_builtin_drivers() -> None:
    """Import every built-in driver module (each registers itself); idempotent."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN_DRIVER_MODULES:
        full = f"{__name__}.{name}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError as e:
            if e.name != full:
                raise
