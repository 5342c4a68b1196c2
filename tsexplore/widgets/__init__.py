"""Explorer widgets on standard ipywidgets: each a plain-Python model plus a thin view.

Models (``SlicerModel``...) import no widget library; views (``Slicer``) load ipywidgets only when asked for.
"""

from __future__ import annotations

from typing import Any

from .expression import Expression, ExpressionError, parse
from .slicer_model import PreviewRequest, SlicerModel, SliderState

__all__ = ["Expression", "ExpressionError", "PreviewRequest", "Slicer", "SliderState", "SlicerModel", "parse"]


def __getattr__(name: str) -> Any:
    if name == "Slicer":
        from .slicer import Slicer

        return Slicer
    raise AttributeError(f"module 'tsexplore.widgets' has no attribute '{name}'")
