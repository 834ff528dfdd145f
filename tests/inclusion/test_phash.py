"""Duplicate-evidence fingerprints: re-saved photos match, different ones do not, bad files fail."""

from __future__ import annotations

import functools
import io
import os
import pathlib
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.phash import (
    MAX_BYTES,
    NEAR_DUPLICATE_BITS,
    hamming,
    perceptual_hash,
    sha256_hex,
)
from ecocredit.inclusion.phash_index import PhashIndex, build, popcount, popcount_lut

D = NEAR_DUPLICATE_BITS


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in rng.integers(0, 256, 3))
    return red, green, blue


def gradient(seed: int) -> Image.Image:
    """Smooth radial and angular colour gradients, like sky, light falloff or a lit wall.

    Not a plain linear ramp: a ramp has almost no 2-D low frequencies besides the first row
    and column, so most hash bits rest on rounding noise (see the module docstring of phash).
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:360, 0:480] / 480.0
    cx, cy = rng.uniform(0, 1), rng.uniform(0, 0.75)
    r, theta = np.hypot(x - cx, y - cy), np.arctan2(y - cy, x - cx)
    rings = np.cos(rng.uniform(2, 6) * r + rng.uniform(0, 6))
    fan = np.sin(theta * rng.integers(1, 4) + rng.uniform(0, 6)) * np.exp(-2 * r)
    rgb = np.stack([rings, fan, rings * fan], axis=-1)[..., rng.permutation(3)]
    rgb = (rgb - rgb.min()) / np.ptp(rgb)
    return Image.fromarray((40 + rgb * 180).astype(np.uint8))


def shapes(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (500, 400), _colour(rng))
    draw = ImageDraw.Draw(img)
    for _ in range(10):
        x, y = int(rng.integers(0, 450)), int(rng.integers(0, 350))
        w, h = int(rng.integers(30, 250)), int(rng.integers(30, 250))
        box = (x, y, x + w, y + h)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_colour(rng))
        else:
            draw.rectangle(box, fill=_colour(rng))
    return img


def noise(seed: int) -> Image.Image:
    """Blotchy texture: coarse random noise, smoothly enlarged (lichen, gravel, a carpet)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    return Image.fromarray(coarse).resize((480, 360), Image.Resampling.BICUBIC)


@functools.cache  # the slowest picture to make, and the tests only read it
def scene(seed: int) -> Image.Image:
    """A photo-like picture: sky, sun, hills, trees, grain and a little blur."""
    rng = np.random.default_rng(seed)
    width, height = 800, 600
    sky = np.linspace(rng.uniform(120, 200), rng.uniform(200, 255), height)[:, None, None]
    base = np.broadcast_to(sky * np.array([0.55, 0.75, 1.0]), (height, width, 3))
    img = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    sx, sy = int(rng.integers(50, 750)), int(rng.integers(30, 200))
    draw.ellipse((sx - 40, sy - 40, sx + 40, sy + 40), fill=(255, 230, 120))
    for layer in range(3):
        ridge = [(x, int(300 + 80 * layer + rng.normal(0, 40))) for x in range(0, 801, 80)]
        draw.polygon([*ridge, (800, 600), (0, 600)], fill=(30 + 30 * layer, 90 + 40 * layer, 40))
    for _ in range(int(rng.integers(5, 15))):
        x, y = int(rng.integers(0, 800)), int(rng.integers(350, 560))
        draw.rectangle((x - 4, y, x + 4, y + 40), fill=(80, 50, 20))
        draw.ellipse((x - 25, y - 50, x + 25, y + 10), fill=(20, int(rng.integers(80, 140)), 30))
    grain = rng.normal(0, 6, (height, width, 3))
    pixels = np.clip(np.asarray(img, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(1))


KINDS: list[Callable[[int], Image.Image]] = [gradient, shapes, noise, scene]


def encode(img: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def jpeg(img: Image.Image, quality: int = 85) -> bytes:
    return encode(img.convert("RGB"), "JPEG", quality=quality)


def resized(img: Image.Image, factor: float) -> Image.Image:
    size = (round(img.width * factor), round(img.height * factor))
    return img.resize(size, Image.Resampling.BICUBIC)


EDITS: dict[str, Callable[[Image.Image], bytes]] = {
    "jpeg q60": lambda img: jpeg(img, 60),
    "jpeg q90": lambda img: jpeg(img, 90),
    "resized 50 %": lambda img: encode(resized(img, 0.5)),
    "resized 150 %": lambda img: encode(resized(img, 1.5)),
    "png to jpeg": lambda img: jpeg(Image.open(io.BytesIO(encode(img)))),
    "jpeg to png": lambda img: encode(Image.open(io.BytesIO(jpeg(img)))),
    "brightened 10 %": lambda img: encode(ImageEnhance.Brightness(img).enhance(1.1)),
    "webp": lambda img: encode(img, "WEBP", quality=75),
    "jpeg q60 of 50 %": lambda img: jpeg(resized(img, 0.5), 60),
}


# --- the hash ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("edit", list(EDITS), ids=str)
def test_a_resaved_photo_is_a_near_duplicate(kind: Callable[[int], Image.Image], edit: str) -> None:
    for seed in range(3):
        img = kind(seed)
        original = perceptual_hash(encode(img))
        assert hamming(original, perceptual_hash(EDITS[edit](img))) <= D


def test_different_pictures_are_far_apart() -> None:
    hashes = [perceptual_hash(jpeg(kind(seed))) for kind in KINDS for seed in range(100, 125)]
    distances = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert len(distances) == 4950
    assert sum(d <= D for d in distances) == 0  # no false match at the threshold
    assert 28 <= float(np.mean(distances)) <= 36  # unrelated hashes differ in about half


def test_hash_is_a_balanced_64_bit_int_and_deterministic() -> None:
    data = jpeg(scene(7))
    h = perceptual_hash(data)
    assert 0 <= h < 2**64
    assert h.bit_count() == 32  # 31 AC bits above their median, plus the DC bit
    assert perceptual_hash(data) == h


def test_exif_orientation_is_applied() -> None:
    img = scene(8)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": pixels stored turned the other way
    stored = img.transpose(Image.Transpose.ROTATE_90)
    tagged = encode(stored.convert("RGB"), "JPEG", quality=90, exif=exif.tobytes())
    upright = perceptual_hash(jpeg(img, 90))
    assert hamming(perceptual_hash(tagged), upright) <= D
    assert hamming(perceptual_hash(jpeg(stored, 90)), upright) > D


def test_animated_image_is_hashed_by_its_first_frame() -> None:
    first, second = shapes(1), shapes(2)
    animated = encode(first, "GIF", save_all=True, append_images=[second], duration=100)
    assert hamming(perceptual_hash(animated), perceptual_hash(encode(first, "GIF"))) <= 2
    assert hamming(perceptual_hash(animated), perceptual_hash(encode(second, "GIF"))) > D


def test_transparent_areas_count_as_white() -> None:
    cut_out = shapes(3).convert("RGBA")
    ImageDraw.Draw(cut_out).rectangle((0, 0, 249, 399), fill=(0, 0, 0, 0))  # black, invisible
    on_white = shapes(3)
    ImageDraw.Draw(on_white).rectangle((0, 0, 249, 399), fill=(255, 255, 255))
    assert hamming(perceptual_hash(encode(cut_out)), perceptual_hash(encode(on_white))) == 0
    on_black = shapes(3)
    ImageDraw.Draw(on_black).rectangle((0, 0, 249, 399), fill=(0, 0, 0))
    assert perceptual_hash(encode(cut_out)) != perceptual_hash(encode(on_black))


def test_sixteen_bit_grey_is_hashed_like_eight_bit() -> None:
    grey = np.asarray(scene(4).convert("L"), dtype=np.uint16)
    deep = Image.fromarray(grey * 257)
    assert hamming(perceptual_hash(encode(deep)), perceptual_hash(encode(scene(4)))) <= 2


def test_sha256_hex_is_the_exact_fingerprint() -> None:
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    data = jpeg(scene(5))
    assert sha256_hex(data) != sha256_hex(jpeg(scene(5), 84))


def test_hamming_counts_differing_bits() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0, 2**64 - 1) == 64
    assert hamming(0b1011, 0b0110) == 3
    with pytest.raises(ValueError):
        hamming(-1, 0)
    with pytest.raises(ValueError):
        hamming(0, 2**64)


# --- malformed evidence -----------------------------------------------------------------------


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height``, with a valid CRC and a tiny body."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    body = zlib.compress(b"\x00" * 64)
    idat = (
        struct.pack(">I", len(body))
        + b"IDAT"
        + body
        + struct.pack(">I", zlib.crc32(b"IDAT" + body))
    )
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + iend


def _bomb() -> bytes:
    """A real 48-megapixel black PNG: some 50 KB on disk, 48 MB once decoded."""
    return encode(Image.new("L", (8000, 6000)), optimize=False)


MALFORMED: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "empty"),
    "text": (lambda: b"I really did clean my plate, promise.\n" * 20, "not an image"),
    "eps": (lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n", "not an image"),
    "ppm (not allowed)": (lambda: encode(shapes(1), "PPM"), "not an image"),
    "truncated jpeg": (lambda: jpeg(scene(1))[:6000], "truncated"),
    "truncated png": (lambda: encode(scene(1))[:3000], "truncated"),
    "1x1": (lambda: encode(Image.new("RGB", (1, 1))), "at least 8"),
    "7x100": (lambda: encode(Image.new("RGB", (7, 100))), "at least 8"),
    "decompression bomb": (_bomb, "pixels"),
    "huge declared size": (lambda: _png_declaring(100_000, 100_000), "pixels"),
    "over the byte cap": (lambda: b"\xff\xd8\xff" + bytes(MAX_BYTES), "limit"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=str)
def test_malformed_evidence_is_refused_naming_the_field(case: str) -> None:
    make, words = MALFORMED[case]
    with pytest.raises(InvalidParameter) as caught:
        perceptual_hash(make(), field="photo")
    assert caught.value.field == "photo"
    assert words in caught.value.message


# --- the index --------------------------------------------------------------------------------


def _brute(hashes: np.ndarray, ids: np.ndarray, h: int, d: int) -> list[tuple[int, int]]:
    dist = popcount(hashes ^ np.uint64(h)).astype(np.int64)
    hit = np.flatnonzero(dist <= d)
    return sorted(
        zip(ids[hit].tolist(), dist[hit].tolist(), strict=True), key=lambda p: (p[1], p[0])
    )


def _flip(rng: np.random.Generator, h: int, bits: int) -> int:
    for bit in rng.choice(64, size=bits, replace=False):
        h ^= 1 << int(bit)
    return h


def _random_hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.frombuffer(rng.bytes(8 * n), dtype=np.uint64).copy()


@pytest.mark.parametrize("d", [0, 3, 10, 13])
def test_index_agrees_with_brute_force_on_planted_neighbours(d: int) -> None:
    rng = np.random.default_rng(d)
    queries = [int(h) for h in _random_hashes(rng, 40)]
    # Two neighbours of each query at every distance 0..d + 1; planted ids are 10**6 + q.
    planted = [(_flip(rng, q, k), k) for q in queries for k in range(d + 2) for _ in range(2)]
    hashes = np.concatenate(
        [_random_hashes(rng, 30_000), np.array([h for h, _ in planted], dtype=np.uint64)]
    )
    ids = np.concatenate([np.arange(30_000), 10**6 + np.repeat(np.arange(40), 2 * (d + 2))])
    index = build(hashes, ids, d)
    assert len(index) == len(hashes)
    for q_number, q in enumerate(queries):
        found = index.near(q)
        assert found == _brute(hashes, ids, q, d)
        mine = sorted(k for i, k in found if i == 10**6 + q_number)
        assert mine == sorted(list(range(d + 1)) * 2)  # all planted up to d, none at d + 1


def test_index_sorted_tables_and_pending_buffer_answer_together() -> None:
    rng = np.random.default_rng(42)
    index = PhashIndex(10, merge_every=50)
    hashes = _random_hashes(rng, 5_000)
    index.add(hashes[:4_000], np.arange(4_000))
    for i in range(4_000, 5_000):  # crosses several merges, and leaves some pending
        index.add_one(int(hashes[i]), i)
    q = int(hashes[4_999])
    near_q = [_flip(rng, q, k) for k in (0, 4, 10, 11)]
    for j, h in enumerate(near_q):
        index.add_one(h, 10_000 + j)
    everything = np.concatenate([hashes, np.array(near_q, dtype=np.uint64)])
    ids = np.concatenate([np.arange(5_000), 10_000 + np.arange(4)])
    assert len(index) == 5_004
    assert index.near(q) == _brute(everything, ids, q, 10)
    assert index.near(q)[:2] == [(4_999, 0), (10_000, 0)]


@settings(max_examples=60, deadline=None)
@given(
    d=st.integers(0, 16),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 300),
    merge_every=st.integers(1, 400),
)
def test_index_equals_brute_force(d: int, seed: int, n: int, merge_every: int) -> None:
    rng = np.random.default_rng(seed)
    base = _random_hashes(rng, 8)
    # Clustered data: many hashes a few bits from a few centres, like photos of similar scenes.
    hashes = np.array(
        [_flip(rng, int(rng.choice(base)), int(rng.integers(0, 20))) for _ in range(n)],
        dtype=np.uint64,
    )
    ids = rng.integers(0, 50, n)
    index = PhashIndex(d, merge_every=merge_every)
    half = n // 2
    index.add(hashes[:half], ids[:half])
    for h, i in zip(hashes[half:].tolist(), ids[half:].tolist(), strict=True):
        index.add_one(h, i)
    queries = [*base.tolist(), *hashes[:: max(1, n // 7)].tolist(), 0, 2**64 - 1]
    for q in queries:
        assert index.near(q) == _brute(hashes, ids, q, d)
    assert index.near_many(queries) == [index.near(q) for q in queries]


def test_empty_index_and_bad_arguments() -> None:
    index = PhashIndex()
    assert len(index) == 0
    assert index.near(12345) == []
    assert index.near_many([1, 2]) == [[], []]
    assert index.near_many([]) == []
    with pytest.raises(ValueError):
        index.near(2**64)
    with pytest.raises(ValueError):
        index.add_one(-1, 1)
    with pytest.raises(ValueError):
        index.add(np.zeros(3, dtype=np.uint64), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError):
        PhashIndex(25)


def test_popcount_table_matches_numpy() -> None:
    words = _random_hashes(np.random.default_rng(5), 1000)
    words[:2] = [0, 2**64 - 1]
    expected = [int(w).bit_count() for w in words.tolist()]
    assert popcount_lut(words).tolist() == expected
    assert popcount(words).tolist() == expected


def test_near_many_answers_like_near_across_blocks_and_the_buffer() -> None:
    rng = np.random.default_rng(7)
    hashes = _random_hashes(rng, 3000)
    index = build(hashes, np.arange(3000), D)
    index.add(hashes[:500] ^ np.uint64(0b1011), np.arange(3000, 3500))  # stays in the buffer
    queries = [_flip(rng, int(h), int(rng.integers(0, 12))) for h in hashes[:300]]
    assert index.near_many(queries) == [index.near(q) for q in queries]
    assert sum(map(len, index.near_many(queries))) >= 300


# --- pictures that compress to little and decode to much --------------------------------------

# Run in a fresh process and measured there with Linux's own peak of resident memory, reset
# just before hashing: ``ru_maxrss`` would also hold the peak of the test process it forked from.
_PEAK = """
import sys
from ecocredit.inclusion.phash import perceptual_hash

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak starts again from the resident size now
before = status("VmRSS")
perceptual_hash(data)
print(status("VmHWM") - before)
"""

_FLAT = 3000  # 9 MP: decoded and converted whole, these took 120 to 230 MB; now 20 to 50


def _flat(kind: str) -> bytes:
    if kind == "16-bit grey PNG":
        return encode(Image.fromarray(np.full((_FLAT, _FLAT), 1000, dtype=np.uint16)))
    if kind == "float TIFF":
        flat = Image.fromarray(np.full((_FLAT, _FLAT), 0.5, dtype=np.float32))
        return encode(flat, "TIFF", compression="tiff_adobe_deflate")
    if kind == "translucent RGBA PNG":
        return encode(Image.new("RGBA", (_FLAT, _FLAT), (10, 20, 30, 128)))
    return encode(Image.new("P", (_FLAT, _FLAT), 3), transparency=3)  # palette, transparent


@pytest.mark.parametrize(
    "kind", ["16-bit grey PNG", "float TIFF", "translucent RGBA PNG", "palette PNG"]
)
def test_a_small_file_of_a_large_flat_picture_is_hashed_in_bounded_memory(
    kind: str, tmp_path: pathlib.Path
) -> None:
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("measuring the peak of resident memory needs Linux's /proc")
    data = _flat(kind)
    assert len(data) < 200_000
    path = tmp_path / "picture"
    path.write_bytes(data)
    found = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True
    )
    assert int(found.stdout) < 100 * 1024 * 1024


@functools.cache
def _large_scene() -> Image.Image:
    """A photo-like picture large enough to be reduced five times before it is hashed."""
    return scene(4).resize((2400, 1800), Image.Resampling.BICUBIC)


def test_deep_and_transparent_large_pictures_hash_like_their_eight_bit_version() -> None:
    grey = _large_scene().convert("L")
    eight = perceptual_hash(encode(grey))
    levels = np.asarray(grey, dtype=np.uint16)
    deep = encode(Image.fromarray(levels * 257))
    floats = encode(Image.fromarray(levels.astype(np.float32) / 255), "TIFF")
    opaque = encode(_large_scene().convert("RGBA"))
    assert hamming(perceptual_hash(deep), eight) <= 2
    assert hamming(perceptual_hash(floats), eight) <= 2
    assert hamming(perceptual_hash(opaque), perceptual_hash(encode(_large_scene()))) <= 2


def test_a_large_cut_out_counts_its_transparent_areas_as_white() -> None:
    cut_out = _large_scene().convert("RGBA")
    ImageDraw.Draw(cut_out).rectangle((0, 0, 1199, 1799), fill=(0, 0, 0, 0))
    on_white = _large_scene().copy()
    ImageDraw.Draw(on_white).rectangle((0, 0, 1199, 1799), fill=(255, 255, 255))
    assert hamming(perceptual_hash(encode(cut_out)), perceptual_hash(encode(on_white))) <= 2


def test_a_float_picture_with_nan_samples_is_hashed() -> None:
    levels = np.asarray(scene(4).convert("L"), dtype=np.float32)
    levels[:10, :10] = np.nan
    h = perceptual_hash(encode(Image.fromarray(levels), "TIFF"))
    assert hamming(h, perceptual_hash(encode(scene(4)))) <= D
