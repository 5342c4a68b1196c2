"""Index space: IndexInterval, IndexDomain, IndexTransform, output index maps, NumPy-style indexing and ``ts.d`` dimension expressions.  Knows nothing of storage."""
