"""Array drivers: array, zarr (v2), zarr3, cast, downsample, stack/concat/overlay, virtual_chunked, and the lazy extension; plus the driver registry."""
