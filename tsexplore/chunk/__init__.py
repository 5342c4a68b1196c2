"""The chunked-array engine shared by every chunked format.

Chunk grid, chunk cache, and read / write / read-modify-write of chunks.
"""
