"""Chunk encodings of the neuroglancer precomputed format: raw, jpeg, png, compressed_segmentation.

Every function works on one stored chunk as a ``(channel, z, y, x)`` C-ordered array of the
chunk's (edge-truncated) shape, which is how the format lays chunks out (x varies fastest).
jpeg and png store the chunk as a 2-d image ``x`` wide and ``y*z`` high with the channels as
colour components (Pillow does the coding); compressed_segmentation is neuroglancer's block
lookup-table encoding, done here with numpy.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from .. import status

__all__ = [
    "decode_compressed_segmentation",
    "decode_image",
    "decode_raw",
    "encode_compressed_segmentation",
    "encode_image",
    "encode_raw",
]

Array = np.ndarray[Any, Any]

_BITS = (0, 1, 2, 4, 8, 16, 32)


# -- raw -------------------------------------------------------------------------------------------
def encode_raw(chunk: Array) -> bytes:
    """Little-endian bytes of a ``(c, z, y, x)`` chunk."""
    return np.ascontiguousarray(chunk, dtype=chunk.dtype.newbyteorder("<")).tobytes()


def decode_raw(data: bytes, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
    n = math.prod(shape) * dtype.itemsize
    if len(data) != n:
        raise status.invalid_argument(f"Expected chunk length to be {n}, but received {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype.newbyteorder("<")).reshape(shape).astype(dtype, copy=False)


# -- jpeg / png --------------------------------------------------------------------------------------
def encode_image(chunk: Array, fmt: str, *, quality: int = 75, level: int | None = None) -> bytes:
    """A ``(c, z, y, x)`` chunk as one ``x`` by ``y*z`` image (``fmt``: ``'jpeg'`` or ``'png'``)."""
    from PIL import Image

    c, z, y, x = chunk.shape
    img = np.ascontiguousarray(chunk.transpose(1, 2, 3, 0).reshape(z * y, x, c))
    if chunk.dtype == np.uint16:
        if c != 1:
            raise status.invalid_argument("tsexplore writes uint16 png chunks with 1 channel only")
        plane = np.ascontiguousarray(img[:, :, 0], dtype="<u2")
        im = Image.frombytes("I;16", (x, z * y), plane.tobytes())
    else:
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[c]
        im = Image.fromarray(img[:, :, 0] if c == 1 else img, mode=mode)
    buf = io.BytesIO()
    if fmt == "jpeg":
        im.save(buf, format="JPEG", quality=quality)
    else:
        im.save(buf, format="PNG", compress_level=6 if level is None else level)
    return buf.getvalue()


def decode_image(data: bytes, fmt: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
    """The ``(c, z, y, x)`` chunk of an image written by :func:`encode_image` (or tensorstore)."""
    from PIL import Image

    c, z, y, x = shape
    try:
        im = Image.open(io.BytesIO(data), formats=[fmt.upper()])
        im.load()
    except Exception as e:
        raise status.invalid_argument(f"Error decoding {fmt}: {e}") from None
    arr = np.asarray(im)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.shape != (z * y, x, c):
        raise status.invalid_argument(
            f"Image dimensions ({arr.shape[1]}, {arr.shape[0]}, {arr.shape[2]}) are not compatible with "
            f"expected chunk shape {list(shape)}"
        )
    return np.ascontiguousarray(arr.astype(dtype, copy=False).reshape(z, y, x, c).transpose(3, 0, 1, 2))


# -- compressed_segmentation -------------------------------------------------------------------------
def _blocks(shape: tuple[int, int, int], block: tuple[int, int, int]) -> tuple[int, int, int]:
    return (-(-shape[0] // block[0]), -(-shape[1] // block[1]), -(-shape[2] // block[2]))


def _encode_channel(vol: Array, block: tuple[int, int, int], words_per_value: int) -> list[Array]:
    """Encoded words of one ``(z, y, x)`` channel, header first (offsets relative to its start)."""
    bz, by, bx = block[2], block[1], block[0]
    gz, gy, gx = _blocks(vol.shape, (bz, by, bx))
    # pad to whole blocks (padding repeats index 0 of the block: any value of the block will do)
    pad = np.zeros((gz * bz, gy * by, gx * bx), dtype=vol.dtype)
    pad[: vol.shape[0], : vol.shape[1], : vol.shape[2]] = vol
    # (gz, gy, gx, bz*by*bx) with x fastest inside a block
    blocks = pad.reshape(gz, bz, gy, by, gx, bx).transpose(0, 2, 4, 1, 3, 5).reshape(gz * gy * gx, bz * by * bx)
    nblocks = blocks.shape[0]
    # padded positions must take a value of their block: use the block's first real element
    if vol.shape != pad.shape:
        real = np.zeros(pad.shape, dtype=bool)
        real[: vol.shape[0], : vol.shape[1], : vol.shape[2]] = True
        rmask = real.reshape(gz, bz, gy, by, gx, bx).transpose(0, 2, 4, 1, 3, 5).reshape(nblocks, -1)
        first = blocks[np.arange(nblocks), rmask.argmax(axis=1)]
        blocks = np.where(rmask, blocks, first[:, None])
    header = np.zeros(2 * nblocks, dtype="<u4")
    parts: list[Array] = [header]
    offset = 2 * nblocks
    tables: dict[bytes, int] = {}
    for b in range(nblocks):
        values, inverse = np.unique(blocks[b], return_inverse=True)
        n = values.size
        bits = next(k for k in _BITS if (1 << k) >= n)
        # encoded values
        if bits:
            per_word = 32 // bits
            idx = inverse.astype(np.uint64)
            nwords = -(-idx.size // per_word)
            padded = np.zeros(nwords * per_word, dtype=np.uint64)
            padded[: idx.size] = idx
            shifts = (np.arange(per_word, dtype=np.uint64) * np.uint64(bits))[None, :]
            words = (padded.reshape(nwords, per_word) << shifts).sum(axis=1).astype("<u4")
        else:
            words = np.zeros(0, dtype="<u4")
        values_offset = offset
        parts.append(words)
        offset += words.size
        table = values.astype("<u8" if words_per_value == 2 else "<u4").view("<u4")
        tkey = table.tobytes()
        table_offset = tables.get(tkey)
        if table_offset is None:
            table_offset = offset
            tables[tkey] = offset
            parts.append(table)
            offset += table.size
        header[2 * b] = table_offset | (bits << 24)
        header[2 * b + 1] = values_offset
    return parts


def encode_compressed_segmentation(chunk: Array, block_size: tuple[int, int, int]) -> bytes:
    """neuroglancer's compressed_segmentation of a ``(c, z, y, x)`` uint32/uint64 chunk.

    ``block_size`` is ``(x, y, z)`` as in the info file.
    """
    c = chunk.shape[0]
    wpv = 2 if chunk.dtype.itemsize == 8 else 1
    out: list[Array] = [np.zeros(c, dtype="<u4")]
    offset = c
    for ch in range(c):
        out[0][ch] = offset
        parts = _encode_channel(chunk[ch], block_size, wpv)
        out.extend(parts)
        offset += sum(p.size for p in parts)
    return b"".join(p.tobytes() for p in out)


def decode_compressed_segmentation(
    data: bytes, shape: tuple[int, ...], dtype: np.dtype[Any], block_size: tuple[int, int, int]
) -> Array:
    """The ``(c, z, y, x)`` chunk of a compressed_segmentation encoding."""
    c, z, y, x = shape
    if len(data) % 4:
        raise status.invalid_argument("Invalid compressed segmentation data: length not a multiple of 4")
    words = np.frombuffer(data, dtype="<u4")
    wpv = 2 if dtype.itemsize == 8 else 1
    bx, by, bz = block_size
    gz, gy, gx = _blocks((z, y, x), (bz, by, bx))
    nblocks = gz * gy * gx
    bsize = bx * by * bz
    out = np.empty((c, gz * bz, gy * by, gx * bx), dtype=dtype)
    try:
        for ch in range(c):
            base = int(words[ch])
            header = words[base : base + 2 * nblocks].astype(np.int64)
            if header.size != 2 * nblocks:
                raise IndexError
            table_off = base + (header[0::2] & 0xFFFFFF)
            bits = header[0::2] >> 24
            val_off = base + header[1::2]
            decoded = np.empty((nblocks, bsize), dtype=dtype)
            for b in range(nblocks):
                nb = int(bits[b])
                if nb:
                    per_word = 32 // nb
                    nwords = -(-bsize // per_word)
                    w = words[int(val_off[b]) : int(val_off[b]) + nwords].astype(np.uint64)
                    if w.size != nwords:
                        raise IndexError
                    shifts = np.arange(per_word, dtype=np.uint64) * np.uint64(nb)
                    idx = ((w[:, None] >> shifts[None, :]) & np.uint64((1 << nb) - 1)).reshape(-1)[:bsize]
                    nvals = int(idx.max()) + 1
                else:
                    idx = np.zeros(bsize, dtype=np.uint64)
                    nvals = 1
                t0 = int(table_off[b])
                table = words[t0 : t0 + nvals * wpv]
                if table.size != nvals * wpv:
                    raise IndexError
                vals = table.view("<u8") if wpv == 2 else table
                decoded[b] = vals[idx.astype(np.intp)]
            out[ch] = decoded.reshape(gz, gy, gx, bz, by, bx).transpose(0, 3, 1, 4, 2, 5).reshape(out.shape[1:])
    except IndexError:
        raise status.invalid_argument("Invalid compressed segmentation data: offset out of range") from None
    return np.ascontiguousarray(out[:, :z, :y, :x])
