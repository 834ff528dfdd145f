"""Fingerprints of evidence photos, so the same photo submitted twice is caught.

Participants prove a low-carbon action with a photo (a clean plate, sorted recycling, a haul
of marine plastic). A photo reused for a second claim rarely arrives byte for byte: messaging
apps re-compress it, phones resize it, editors brighten it. Two fingerprints catch it:

* ``sha256_hex`` — the exact bytes; a match is certain.
* ``perceptual_hash`` — a 64-bit DCT perceptual hash ("pHash"): the picture is reduced to a
  32×32 grey image, its 2-D DCT-II taken, and each of the 8×8 lowest frequencies gives one
  bit: 1 when the coefficient is above the median of the 63 non-DC ones. Low frequencies
  describe the layout of light and dark, which re-compression, resizing and mild brightness
  changes barely move, while they differ between two different scenes.

Threshold: two hashes at ``hamming`` distance <= ``NEAR_DUPLICATE_BITS`` (10 of 64) are near
duplicates. Re-compression (JPEG quality 60-90), resizing (50-150 %), PNG↔JPEG conversion and
a 10 % brightness change move a hash by 0-4 bits in the tests, so 10 leaves a margin. Unrelated
pictures sit near 32 bits apart (every hash has 32 bits set, see below); 10 is more than five
standard deviations away for independent bits. Photos of near-identical scenes (two different
empty white plates) can still fall within 10 bits, so a perceptual match is a reason to review,
not proof of fraud; only the SHA-256 match is. Pictures with almost no structure (a blank wall,
a plain linear ramp) have most of the 63 AC terms near zero, so their bits rest on rounding
noise and can move by more than 10 under re-compression: such photos fingerprint poorly.

JPEGs take a fast path (``phash_jpeg``: libjpeg-turbo straight to grey); every other format,
and any JPEG that path declines, goes through Pillow. Decoding untrusted files is the risky
part, so it is fenced: at most ``MAX_BYTES`` of input, an allow-list of formats (no EPS, whose
loader runs Ghostscript), the declared pixel count is checked against ``MAX_PIXELS`` before
any pixel is decoded, truncated files are refused, and every decoder failure becomes
``InvalidParameter`` naming the field. Animated images and multi-page TIFFs are hashed by
their first frame; EXIF orientation is applied first, so a photo whose pixels were rotated to
match its tag hashes like the tagged original.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ecocredit.errors import InvalidParameter
from ecocredit.inclusion import phash_jpeg

HASH_BITS = 64
NEAR_DUPLICATE_BITS = 10
MAX_BYTES = 20 * 1024 * 1024  # a 50 MP phone photo as a high-quality JPEG is ~15 MB
MAX_PIXELS = 40_000_000  # above any phone camera's default; 160 MB decoded as RGBA
MIN_SIDE = 8  # below the 8×8 frequencies the hash keeps there is nothing to fingerprint
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG covers phones' MPO files

_SIDE = 32
_LOW = 8
_DRAFT_SIZE = (256, 256)  # JPEG decodes at 1/2..1/8 scale but never below this: fast, still sharp


def _dct_rows(n: int, k: int) -> np.ndarray:
    """The first ``k`` rows of the orthonormal DCT-II matrix of size ``n``."""
    rows = np.arange(k, dtype=np.float64)[:, None]
    cols = np.arange(n, dtype=np.float64)[None, :]
    matrix: np.ndarray = np.cos(np.pi * rows * (2 * cols + 1) / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return matrix


_MATRIX_SIDE = 512  # larger pictures are first reduced by a whole factor in Pillow


def _box_rows(n: int) -> np.ndarray:
    """The ``_SIDE`` × n matrix averaging n pixels into ``_SIDE`` equal cells (area-weighted)."""
    edges = np.arange(_SIDE + 1, dtype=np.float64) * (n / _SIDE)
    left, right = np.arange(n, dtype=np.float64), np.arange(1, n + 1, dtype=np.float64)
    overlap = np.minimum(right[None, :], edges[1:, None]) - np.maximum(
        left[None, :], edges[:-1, None]
    )
    weights: np.ndarray = np.clip(overlap, 0.0, None) * (_SIDE / n)
    return weights


@functools.lru_cache(maxsize=512)
def _shrink_dct(n: int) -> np.ndarray:
    """The first 8 DCT rows of the shrunken picture, as one 8 × n matrix for n pixels.

    The picture is shrunk to 32×32 by area averaging and its 8×8 lowest DCT-II frequencies
    kept; both are linear, so they fold into ``L = M_h · X · M_w^T`` with these matrices.
    """
    matrix: np.ndarray = _dct_rows(_SIDE, _LOW) @ _box_rows(n)
    return matrix


_MASK64 = (1 << HASH_BITS) - 1
# Pillow's decoders signal damaged input with any of these, not with one exception class.
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of ``data`` as 64 lowercase hex digits: the exact-duplicate key."""
    return hashlib.sha256(data).hexdigest()


def hamming(a: int, b: int) -> int:
    """Return the number of bits in which two 64-bit hashes differ (0..64)."""
    if not (0 <= a <= _MASK64 and 0 <= b <= _MASK64):
        raise ValueError("perceptual hashes are integers in [0, 2**64)")
    return (a ^ b).bit_count()


def perceptual_hash(data: bytes, field: str = "evidence") -> int:
    """Return the 64-bit DCT perceptual hash of an image file, an int in [0, 2**64).

    Raise ``InvalidParameter`` naming ``field`` when ``data`` is empty, too large, not an
    image in a supported format, truncated or damaged, a decompression bomb, or smaller than
    8×8 pixels.
    """
    fast = None
    if 0 < len(data) <= MAX_BYTES:
        fast = phash_jpeg.decode_gray(data, MAX_PIXELS, MIN_SIDE)
    pixels = _pixels(data, field) if fast is None else fast
    height, width = pixels.shape
    low = (_shrink_dct(height) @ pixels.astype(np.float64) @ _shrink_dct(width).T).ravel()
    # The DC term is the mean brightness, far larger than the rest; left in, it would skew the
    # median. With 63 AC terms the median is one of them, so exactly 31 AC bits are set, and
    # the DC bit (positive for any non-black picture) makes 32: every hash is balanced.
    bits = low > np.partition(low[1:], _LOW * _LOW // 2 - 1)[_LOW * _LOW // 2 - 1]
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def _pixels(data: bytes, field: str) -> np.ndarray:
    """Grey pixels through Pillow, reduced by a whole factor to at most 512 a side."""
    gray = _decode_gray(data, field)
    factor = max(gray.size) // _MATRIX_SIDE + 1 if max(gray.size) > _MATRIX_SIDE else 1
    return np.asarray(gray.reduce(factor) if factor > 1 else gray)


def _decode_gray(data: bytes, field: str) -> Image.Image:
    """Decode the first frame, upright, as 8-bit grey; refuse anything unsafe or unusable."""
    if not data:
        raise InvalidParameter("The evidence file is empty.", field=field)
    if len(data) > MAX_BYTES:
        raise InvalidParameter(
            f"The evidence file is {len(data):,} bytes; the limit is {MAX_BYTES:,}.", field=field
        )
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            _check_size(img.size, field)
            img.draft("L", _DRAFT_SIZE)  # a no-op for formats other than JPEG
            img.load()
            # In place: a copy of a full-size picture is what a small file can make expensive.
            ImageOps.exif_transpose(img, in_place=True)
            return _to_gray(img)
    except UnidentifiedImageError as exc:
        raise InvalidParameter(
            f"The evidence file is not an image in a supported format ({', '.join(FORMATS)}).",
            field=field,
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(field) from exc
    except _DECODE_ERRORS as exc:
        raise InvalidParameter(
            f"The evidence image is truncated or damaged and cannot be decoded ({exc}).",
            field=field,
        ) from exc


def _check_size(size: tuple[int, int], field: str) -> None:
    """Refuse by the declared size, before decoding: a bomb must not reach the decoder."""
    width, height = size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(field, width, height)
    if min(width, height) < MIN_SIDE:
        raise InvalidParameter(
            f"The evidence image is {width}×{height} pixels; "
            f"both sides must be at least {MIN_SIDE}.",
            field=field,
        )


def _too_many_pixels(field: str, width: int = 0, height: int = 0) -> InvalidParameter:
    """Build the error for an image whose declared size exceeds the pixel limit."""
    declared = f" ({width}×{height})" if width else ""
    return InvalidParameter(
        f"The evidence image declares more than {MAX_PIXELS:,} pixels{declared}; "
        "send a smaller photo.",
        field=field,
    )


_HIGH_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_STRIP_PIXELS = 1 << 20  # source pixels converted at a time while reducing a picture


def _to_gray(img: Image.Image) -> Image.Image:
    """Convert to 8-bit grey, putting transparent areas on white as a viewer would show them.

    Pictures with transparency and 16-bit or float pictures are first reduced to at most
    ``_MATRIX_SIDE`` a side, a strip at a time, so converting them costs memory in proportion
    to the reduced picture: a flat picture compresses to almost nothing, and converting it
    whole (alpha over a full-size white ground, float64 pixels) once took about 1 GB for a
    file of 100 KB. Other modes convert straight to 8-bit grey, which is never larger than
    the decoded picture, and are reduced afterwards as before, so their hashes are unchanged.
    """
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = _reduced(img, "RGBA")
        return Image.alpha_composite(
            Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba
        ).convert("L")
    if img.mode in _HIGH_BIT:
        # 16-bit and float images: scale the range to 0..255 rather than clip it.
        pixels = np.asarray(_reduced(img, "F"), dtype=np.float64)
        low, high = float(pixels.min()), float(pixels.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            # NaN or infinite samples (float TIFF) would make the scale meaningless.
            pixels = np.nan_to_num(pixels, nan=0.0, posinf=0.0, neginf=0.0)
            low, high = float(pixels.min()), float(pixels.max())
        span = (high - low) or 1.0
        return Image.fromarray(((pixels - low) * (255.0 / span)).astype(np.uint8))
    return img.convert("L")


def _reduced(img: Image.Image, mode: str) -> Image.Image:
    """The picture in ``mode``, reduced by a whole factor to at most ``_MATRIX_SIDE`` a side.

    Strips of whole reduction cells are cropped, converted and reduced one after another, so
    only one strip is ever held in ``mode``; reducing by strips gives the same pixels as
    reducing the whole, because no reduction cell spans two strips.
    """
    width, height = img.size
    longest = max(width, height)
    factor = longest // _MATRIX_SIDE + 1 if longest > _MATRIX_SIDE else 1
    if factor == 1:
        return img.convert(mode)
    rows = max(1, _STRIP_PIXELS // (width * factor)) * factor
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        strip = img.crop((0, top, width, min(top + rows, height))).convert(mode)
        out.paste(strip.reduce(factor), (0, top // factor))
    return out
