"""Index space: domains, transforms, output index maps, NumPy-style indexing and ``ts.d``.

Knows nothing of storage.
"""

from __future__ import annotations

from . import indexable
from .dim import Dim
from .dim_expression import DimExpression, DimSelection, d
from .evaluate import read_array, restrict_output, write_array
from .indexable import Indexable
from .interval import INF as inf
from .output_map import OutputIndexMap, OutputIndexMaps, OutputIndexMethod
from .transform import IndexDomain, IndexTransform

indexable.bind_late_imports()

newaxis = None

__all__ = [
    "Dim",
    "DimExpression",
    "DimSelection",
    "IndexDomain",
    "IndexTransform",
    "Indexable",
    "OutputIndexMap",
    "OutputIndexMaps",
    "OutputIndexMethod",
    "d",
    "inf",
    "newaxis",
    "read_array",
    "restrict_output",
    "write_array",
]
