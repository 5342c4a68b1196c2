"""The chunked-array engine shared by every chunked format: chunk grid, chunk cache, read / write / read-modify-write of chunks."""
