"""``SchemaView``: the schema of a TensorStore / Spec / Schema as HTML sections plus a copyable spec JSON.

Widgets cannot reach the clipboard without JavaScript, so "Copy spec JSON" fills a read-only ``Textarea`` the user
selects and copies (the lab extension may add a real Copy); ``view.spec_json`` gives the same JSON in Python.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from ..display import domain_section, schema_sections
from ..display._html import CSS
from .schema_view_model import SchemaViewModel
from .slicer import guarded

__all__ = ["SchemaView"]


class SchemaView(w.VBox):  # type: ignore[misc]
    """Domain (labels, bounds, implicit flags, units), dtype, fill, chunking, codecs and the spec JSON."""

    def __init__(self, obj: Any, *, minimal_spec: bool = True) -> None:
        self.model = SchemaViewModel(obj, minimal_spec=minimal_spec)
        self.sections = w.HTML()
        self.sections.add_class("tsx-schema-sections")
        self.warning = w.HTML()
        self.warning.add_class("tsx-schema-warning")
        self.minimal = w.ToggleButtons(options=[("minimal spec", True), ("full spec", False)], value=minimal_spec,
                                       tooltips=["spec without defaults", "spec with every member"])
        self.copy_button = w.Button(description="Copy spec JSON", icon="copy",
                                    tooltip="show the spec JSON, selected, ready for Ctrl+C")
        self.copy_button.add_class("tsx-schema-copy")
        self.json_text = w.Textarea(value="", rows=12, layout=w.Layout(width="100%", display="none"))
        self.json_text.add_class("tsx-schema-json")
        self.error = w.HTML()
        self.error.add_class("tsx-schema-error")
        super().__init__([self.warning, self.sections, w.HBox([self.minimal, self.copy_button]), self.json_text,
                          self.error])
        self.add_class("tsx-schema")
        show = guarded(self._show_exception)
        self.minimal.observe(show(self._on_minimal), names="value")
        self.copy_button.on_click(show(lambda _b: self.show_json()))
        self.refresh()

    @property
    def spec_json(self) -> dict[str, Any] | None:
        return self.model.spec_json()

    def set_object(self, obj: Any) -> None:
        self.model.set_object(obj)
        self.refresh()

    def show_json(self) -> None:
        self.json_text.value = self.model.spec_text
        self.json_text.layout.display = ""

    def _on_minimal(self, change: dict[str, Any]) -> None:
        self.model.minimal_spec = bool(change["new"])
        self.refresh()

    def _show_exception(self, e: BaseException) -> None:
        self.error.value = (f'<pre class="tsx-error" style="color:var(--jp-error-color1,#b71c1c)">'
                            f"{html.escape(type(e).__name__)}: {html.escape(str(e))}</pre>")

    def refresh(self) -> None:
        obj = self.model.obj
        secs = schema_sections(obj)
        if not secs:
            dom = getattr(obj, "domain", None)
            secs = [domain_section(dom)] if dom is not None else []
        units = [u for u in self.model.units if u]
        extra = ""
        if units:
            extra = f'<div class="tsx-note">units: {html.escape(", ".join(self.model.units))}</div>'
        self.sections.value = (f"<style>{CSS}</style><div class='tsx-wrap'><ul class='tsx-sections'>"
                               + "".join(secs) + f"</ul>{extra}</div>")
        warns = self.model.warnings()
        self.warning.value = "".join(f'<div class="tsx-warning">⚠ {html.escape(x)}</div>' for x in warns)
        if self.json_text.layout.display != "none":
            self.json_text.value = self.model.spec_text
