"""The fast path of photo fingerprints: JPEG decoded straight to grey by libjpeg-turbo.

Almost every evidence photo is a JPEG from a phone. Pillow spends most of a small photo's
time parsing its markers in Python; ``simplejpeg`` hands the whole file to libjpeg-turbo and
returns grey pixels, decoded at a reduced DCT scale like Pillow's ``draft`` (never below
256 pixels a side). The picture is the same as Pillow's to within libjpeg's rounding, so a
hash from either path matches the other within a bit or two.

This path takes only what it can do exactly: the header is read first and the declared size
checked against the same limits as ``phash``; the EXIF orientation (tag 0x0112 in the APP1
segment) is applied to the grey pixels. Anything else — not a JPEG, a CMYK or damaged file,
an EXIF block it cannot read — returns ``None`` and the caller takes the Pillow path, which
names the fault when there is one.
"""

from __future__ import annotations

import struct

import numpy as np
import simplejpeg  # type: ignore[import-untyped]

_SOI = b"\xff\xd8"
_ORIENTATION_TAG = 0x0112
_MIN_DECODED = 256


def decode_gray(data: bytes, max_pixels: int, min_side: int) -> np.ndarray | None:
    """Grey pixels (uint8, rows × columns) of an upright JPEG, or ``None`` to use Pillow.

    ``None`` too when the declared size is outside ``[min_side, max_pixels]``: the Pillow
    path raises the error with its message.
    """
    if not data.startswith(_SOI):
        return None
    orientation = exif_orientation(data)
    if orientation is None:
        return None
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
        if width * height > max_pixels or min(width, height) < min_side:
            return None
        if colorspace not in ("Gray", "YCbCr"):
            return None  # CMYK and YCCK: Pillow converts them as a viewer would
        pixels = simplejpeg.decode_jpeg(data, colorspace="GRAY", min_height=_MIN_DECODED,
                                        min_width=_MIN_DECODED)  # fmt: skip
    except (ValueError, RuntimeError, OSError):
        return None
    return _upright(np.asarray(pixels)[:, :, 0], orientation)


def exif_orientation(data: bytes) -> int | None:
    """The EXIF orientation (1-8) of a JPEG, 1 without one; ``None`` when it cannot be read."""
    at = 2
    try:
        while at + 4 <= len(data):
            marker, length = data[at + 1], struct.unpack_from(">H", data, at + 2)[0]
            if data[at] != 0xFF or length < 2:
                return None
            if marker == 0xDA:  # start of scan: the metadata segments are behind us
                return 1
            if marker == 0xE1 and data[at + 4 : at + 10] == b"Exif\x00\x00":
                return _orientation(data[at + 10 : at + 2 + length])
            at += 2 + length
    except (struct.error, IndexError):
        return None
    return None


def _orientation(tiff: bytes) -> int | None:
    """The orientation entry of IFD0 in an EXIF TIFF block (1 when absent)."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    ifd = struct.unpack_from(order + "I", tiff, 4)[0]
    count = struct.unpack_from(order + "H", tiff, ifd)[0]
    for n in range(count):
        tag, kind, _, value = struct.unpack_from(order + "HHIH", tiff, ifd + 2 + 12 * n)
        if tag == _ORIENTATION_TAG:
            return value if kind == 3 and 1 <= value <= 8 else None
    return 1


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation as ``ImageOps.exif_transpose`` does (rows are y)."""
    turned = {
        2: lambda a: a[:, ::-1],  # FLIP_LEFT_RIGHT
        3: lambda a: a[::-1, ::-1],  # ROTATE_180
        4: lambda a: a[::-1, :],  # FLIP_TOP_BOTTOM
        5: lambda a: a.T,  # TRANSPOSE
        6: lambda a: np.rot90(a, -1),  # ROTATE_270 (counter-clockwise), a quarter clockwise
        7: lambda a: a.T[::-1, ::-1],  # TRANSVERSE
        8: lambda a: np.rot90(a, 1),  # ROTATE_90 (counter-clockwise)
    }.get(orientation)
    return pixels if turned is None else np.ascontiguousarray(turned(pixels))
