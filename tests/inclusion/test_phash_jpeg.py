"""The JPEG fast path: the same pictures as Pillow's decoder, or it steps aside."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from ecocredit.inclusion import phash_jpeg
from ecocredit.inclusion.phash import MAX_PIXELS, MIN_SIDE, hamming, perceptual_hash
from tests.inclusion.test_phash import encode, jpeg, scene, shapes


def _pillow_hash(data: bytes) -> int:
    """The hash with the fast path switched off: the Pillow decoder only."""
    original = phash_jpeg.decode_gray
    try:
        phash_jpeg.decode_gray = lambda *_: None
        return perceptual_hash(data)
    finally:
        phash_jpeg.decode_gray = original


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("quality", [60, 90])
def test_fast_and_pillow_paths_hash_a_jpeg_alike(seed: int, quality: int) -> None:
    data = jpeg(scene(seed) if seed % 2 else shapes(seed), quality)
    assert phash_jpeg.decode_gray(data, MAX_PIXELS, MIN_SIDE) is not None
    assert hamming(perceptual_hash(data), _pillow_hash(data)) <= 2


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_as_pillow_turns_it(orientation: int) -> None:
    pixels = np.arange(12 * 20, dtype=np.uint8).reshape(12, 20) * 1
    img = Image.fromarray(np.kron(pixels, np.ones((16, 16), dtype=np.uint8)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(img, "JPEG", quality=95, exif=exif.tobytes())
    assert phash_jpeg.exif_orientation(data) == orientation
    fast = phash_jpeg.decode_gray(data, MAX_PIXELS, MIN_SIDE)
    with Image.open(io.BytesIO(data)) as opened:
        expected = np.asarray(ImageOps.exif_transpose(opened).convert("L"), dtype=np.int16)
    assert fast is not None and fast.shape == expected.shape
    assert np.abs(fast.astype(np.int16) - expected).max() <= 2


def _with_app1(data: bytes, tiff: bytes) -> bytes:
    body = b"Exif\x00\x00" + tiff
    return data[:2] + b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body + data[2:]


def test_big_endian_exif_and_no_exif_are_read() -> None:
    plain = jpeg(scene(3))
    assert phash_jpeg.exif_orientation(plain) == 1
    entry = (0x0112).to_bytes(2, "big") + b"\x00\x03" + b"\x00\x00\x00\x01" + b"\x00\x06\x00\x00"
    big = _with_app1(plain, b"MM\x00*\x00\x00\x00\x08" + b"\x00\x01" + entry + bytes(4))
    assert phash_jpeg.exif_orientation(big) == 6
    fast = phash_jpeg.decode_gray(big, MAX_PIXELS, MIN_SIDE)
    with Image.open(io.BytesIO(big)) as opened:
        turned = ImageOps.exif_transpose(opened)
    assert fast is not None and fast.shape[::-1] == turned.reduce(2).size
    assert hamming(perceptual_hash(big), _pillow_hash(big)) <= 2


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8\xff",  # a JPEG's first bytes and nothing else
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00XX\x00\x00\x00\x00",  # an unreadable EXIF
        encode(Image.new("CMYK", (64, 64), (0, 90, 200, 10)), "JPEG"),
        encode(Image.new("RGB", (200, 200)), "PNG"),
        encode(Image.new("L", (7, 200)), "JPEG"),  # below the smallest side
    ],
    ids=["empty", "soi only", "bad exif", "cmyk", "png", "too narrow"],
)
def test_what_the_fast_path_cannot_do_exactly_goes_to_pillow(data: bytes) -> None:
    assert phash_jpeg.decode_gray(data, MAX_PIXELS, MIN_SIDE) is None


def test_a_cmyk_jpeg_still_hashes_through_pillow() -> None:
    data = encode(scene(4).convert("CMYK"), "JPEG", quality=90)
    assert hamming(perceptual_hash(data), perceptual_hash(jpeg(scene(4), 90))) <= 10


def test_declared_size_is_checked_before_decoding() -> None:
    data = jpeg(scene(1))
    assert phash_jpeg.decode_gray(data, max_pixels=1000, min_side=MIN_SIDE) is None
