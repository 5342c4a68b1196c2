"""Rich display: pure functions from public objects to ``_repr_mimebundle_`` bundles (HTML + text/plain).

Each public type has one ``xxx_bundle(obj) -> dict`` here; classes delegate with a one-line
``_repr_mimebundle_``.  Rendering never performs I/O, never blocks and never raises.
"""

from __future__ import annotations

from ._html import CSS, bundle, json_block, kv_table, redact, section, table
from .index import (
    dim_bundle,
    dim_expression_bundle,
    domain_section,
    domain_summary,
    domain_table,
    explain_rows,
    index_domain_bundle,
    index_transform_bundle,
)
from .objects import context_bundle, dtype_bundle, future_bundle, kvstore_bundle, unit_bundle
from .storage import (
    chunk_grid_section,
    chunk_layout_bundle,
    codec_section,
    codec_spec_bundle,
    json_section,
    schema_bundle,
    schema_sections,
    spec_bundle,
    tensorstore_bundle,
    transaction_bundle,
)

__all__ = [
    "CSS",
    "bundle",
    "chunk_grid_section",
    "chunk_layout_bundle",
    "codec_section",
    "codec_spec_bundle",
    "context_bundle",
    "dim_bundle",
    "dim_expression_bundle",
    "domain_section",
    "domain_summary",
    "domain_table",
    "dtype_bundle",
    "explain_rows",
    "future_bundle",
    "index_domain_bundle",
    "index_transform_bundle",
    "json_block",
    "json_section",
    "kv_table",
    "kvstore_bundle",
    "redact",
    "schema_bundle",
    "schema_sections",
    "section",
    "spec_bundle",
    "table",
    "tensorstore_bundle",
    "transaction_bundle",
    "unit_bundle",
]
