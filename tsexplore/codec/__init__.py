"""Codec pipelines: zarr v2 compressors/filters and zarr v3 codecs (bytes, transpose, gzip, blosc, zstd, crc32c, sharding) over numcodecs."""
