"""Name -> codec class registries (zarr-python 3 style): a codec module registers itself on import.

Parsing looks the name up here, so adding a codec never edits a central ``if`` chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .. import status

__all__ = ["Registry", "V2_COMPRESSORS", "V3_CODECS"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from codec identifier to the class that parses its configuration."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(cls: T) -> T:
            self._entries[name] = cls
            return cls

        return deco

    def lookup(self, name: str) -> T:
        """The class for ``name``; an unknown name gets tensorstore's ``"x" is not registered``."""
        entry = self._entries.get(name)
        if entry is None:
            raise status.invalid_argument(f"{json.dumps(name)} is not registered")
        return entry

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: Any) -> bool:
        return name in self._entries


# Populated by the codec modules (imported from ``tsexplore.codec``).
V2_COMPRESSORS: Registry[Any] = Registry("zarr v2 compressor")
V3_CODECS: Registry[Any] = Registry("zarr v3 codec")
