"""Remote drivers (s3, gcs, http, fsspec) on fsspec's async filesystems."""

from __future__ import annotations
