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


# -- browser / schema / transaction / explorer (appended; views load ipywidgets lazily) ---------------------------
from .browser_model import BrowserNode, KvStoreBrowserModel  # noqa: E402
from .schema_view_model import SchemaViewModel  # noqa: E402

_LAZY_VIEWS: dict[str, str] = {"KvStoreBrowser": "browser", "SchemaView": "schema_view"}
__all__ += ["BrowserNode", "KvStoreBrowser", "KvStoreBrowserModel", "SchemaView", "SchemaViewModel"]
_getattr_before_views = __getattr__


def __getattr__(name: str) -> Any:  # type: ignore[no-redef]
    mod = _LAZY_VIEWS.get(name)
    if mod is not None:
        import importlib

        return getattr(importlib.import_module(f".{mod}", __name__), name)
    return _getattr_before_views(name)


# -- preview (appended; the Preview view loads ipywidgets lazily) ---------------------------------------------------
from .preview_model import Decision, Frame, PreviewModel, RenderPlan  # noqa: E402
from .pyramid import Level, Pyramid, open_pyramid  # noqa: E402

_LAZY_VIEWS["Preview"] = "preview"
__all__ += ["Decision", "Frame", "Level", "Preview", "PreviewModel", "Pyramid", "RenderPlan", "open_pyramid"]

from .transaction_panel_model import TransactionPanelModel  # noqa: E402

_LAZY_VIEWS.update({"TransactionPanel": "transaction_panel", "Explorer": "explorer"})
__all__ += ["Explorer", "TransactionPanel", "TransactionPanelModel"]
