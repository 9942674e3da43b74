"""Every file of shared/data/edge_cases (see its SOURCE.md) through the real mesh.

Each answer is a decodable image of the right size or a documented 4xx with a
stable JSON ``code``; never a 5xx. EXIF orientations 1-8 come out upright, and
CMYK / wide-gamut sources come out in sRGB with the colours littleCMS (Pillow's
ImageCms, independent of the service's libvips) gives from the embedded profile.
"""

from __future__ import annotations

import io
import re
import shutil
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import pyvips
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from tests.helpers import SHARED_DATA, Reply, get, iou, shared_params, skip_without_shared

EDGE = SHARED_DATA / "edge_cases"
FILES = sorted(
    str(p.relative_to(EDGE)) for p in EDGE.rglob("*") if p.is_file() and p.name != "SOURCE.md"
)  # empty without the shared data: every test below is then skipped, saying so
URLS = {"thumb": "w-200", "crop": "w-100,h-100,f-webp", "png": "f-png"}
DOCUMENTED = {
    "invalid_parameter": 400,
    "source_not_found": 404,
    "image_too_large": 413,
    "unsupported_image": 415,
    "impossible_edit": 422,
}
# Refused whatever the libvips build: decompression bombs and undecodable bytes.
MUST_FAIL = {
    "sharp/65536-uint32-limit.png": {413},
    "sharp/giant-image.jpg": {413},
    "libvips/17000x17000.avif": {413, 415},
    "sharp/corrupt-header.jpg": {415},
    "imgproxy/bmp-invalid-bpp.bmp": {415},
    "libvips/truncated.svgz": {415},
}
# Orientation sets: orientation N is compared with N=1 of its set, as the service
# renders it. imgproxy's PNGs all hold the same upright pixels and differ only in
# their eXIf tag (orientation-0 has none, and orientation-1.png upstream carries 3,
# being a copy of orientation-3.png): their reference is Pillow's exif_transpose of
# the file itself, driven by the tag actually in it.
ORIENTED = [f for f in FILES if re.search(r"(_[1-8]\.jpg|orientation-[0-8]\.png)$", f)]
MAX_ORIENTATION_DIFF = 8.0  # mean |diff| of 48 px thumbnails, 0-255: upright <= 3.3, turned >= 15
# Mean CIEDE2000 against littleCMS's perceptual conversion of the embedded profile.
# Measured <= 0.41; ignoring the profile costs >= 1.48 (P3) and 1.89 (Adobe RGB).
MAX_MEAN_DE = 1.0
COLOUR = {
    "sharp/Channel_digital_image_CMYK_color.jpg": MAX_MEAN_DE,  # CMYK, SWOP
    "sharp/fogra-0-100-100-0.tif": MAX_MEAN_DE,  # CMYK TIFF, FOGRA39
    "libvips/sample.jpg": MAX_MEAN_DE,  # Adobe RGB (A98)
    "sharp/tifftag-photoshop.tiff": MAX_MEAN_DE,  # Adobe RGB (1998)
    "sharp/p3.png": MAX_MEAN_DE,  # Display P3
    "libvips/avif-orientation-6.avif": MAX_MEAN_DE,  # Display P3, 12 MP
    "sharp/prophoto.png": MAX_MEAN_DE,  # ProPhoto RGB
    "libvips/sample-xyb.jpg": MAX_MEAN_DE,  # jpegli XYB
    # No profile: the service assumes its own CMYK profile, compared here with the
    # SWOP profile of the same pixels in the profiled twin (measured 3.9; a naive
    # 255-C/M/Y conversion is 7.9).
    "sharp/Channel_digital_image_CMYK_color_no_profile.jpg": 6.0,
}
ASSUMED_PROFILE = {
    "sharp/Channel_digital_image_CMYK_color_no_profile.jpg": (
        "sharp/Channel_digital_image_CMYK_color.jpg"
    )
}
BGREMOVE = [
    "sharp/Portrait_6.jpg",  # EXIF-rotated: its mask must match Portrait_1's
    "sharp/Channel_digital_image_CMYK_color.jpg",
    "libvips/avif-orientation-6.avif",  # 12 MP Display P3
    "imgproxy-test-images/heif__heif.heif",  # HEVC: a 415 where libvips lacks libde265
]
CUTOUT = "e-bgremove,w-300"


@pytest.fixture(scope="module")
def corpus(origin_root: Path) -> Path:
    """Copies of the corpus files under ``<origin>/corpus`` (no symlinks: the
    origin refuses them)."""
    if not FILES:
        skip_without_shared("edge_cases/")
    for rel in FILES:
        dst = origin_root / "corpus" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EDGE / rel, dst)
    return origin_root / "corpus"


def fetch(base_url: str, rel: str, tr: str) -> Reply:
    return get(f"{base_url}/corpus/{urllib.parse.quote(rel)}?tr={tr}", timeout=60)


def checked(reply: Reply, what: str) -> pyvips.Image | None:
    """The decoded image of a 200, or None for a documented 4xx; fails otherwise."""
    body = reply.body[:300].decode("utf-8", "replace")
    assert reply.status < 500, f"{what}: {reply.status} {body}"
    if reply.status != 200:
        code = reply.json().get("code")
        assert DOCUMENTED.get(code) == reply.status, f"{what}: {reply.status} {body}"
        return None
    image = reply.image()
    assert image.numpy().size > 0, what  # decodes all its pixels
    return image


def upright_size(path: Path) -> tuple[int, int]:
    """(width, height) of one frame after EXIF autorotation."""
    header = pyvips.Image.new_from_file(str(path))
    tall = header.get("page-height") if header.get_typeof("page-height") else header.height
    orientation = header.get("orientation") if header.get_typeof("orientation") else 1
    return (tall, header.width) if orientation in (5, 6, 7, 8) else (header.width, tall)


@pytest.mark.parametrize("rel", shared_params(FILES, "edge_cases/"))
def test_every_file_is_an_image_or_a_documented_4xx(base_url: str, corpus: Path, rel: str) -> None:
    replies = {name: fetch(base_url, rel, tr) for name, tr in URLS.items()}
    images = {name: checked(r, f"{rel}?tr={URLS[name]}") for name, r in replies.items()}
    statuses = {r.status for r in replies.values()}
    assert len(statuses) == 1, f"{rel}: {[(n, r.status) for n, r in replies.items()]}"
    if rel in MUST_FAIL:
        assert statuses <= MUST_FAIL[rel], rel
    if statuses != {200}:
        return
    width, height = upright_size(corpus / rel)
    png, thumb, crop = images["png"], images["thumb"], images["crop"]
    assert png is not None and thumb is not None and crop is not None
    assert (png.width, png.height) == (width, height)
    assert thumb.width == 200 and abs(thumb.height - max(1, round(200 * height / width))) <= 1
    assert (crop.width, crop.height) == (100, 100)


def tiny(image: pyvips.Image) -> np.ndarray:
    """48 x 48 px, alpha flattened on white; stored pixels (``resize`` never autorotates)."""
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    return image.resize(48 / image.width, vscale=48 / image.height).numpy().astype(float)


def untagged(image: pyvips.Image) -> bool:
    """No EXIF orientation that would make viewers turn the pixels again."""
    return not image.get_typeof("orientation") or image.get("orientation") == 1


@pytest.mark.parametrize("rel", shared_params(ORIENTED, "edge_cases/"))
def test_exif_orientation_comes_out_upright(base_url: str, corpus: Path, rel: str) -> None:
    out = checked(fetch(base_url, rel, "f-png"), rel)
    assert out is not None, rel
    if rel.startswith("imgproxy/"):
        upright = np.asarray(ImageOps.exif_transpose(Image.open(corpus / rel)))
        expected = pyvips.Image.new_from_array(upright, interpretation="srgb")
    else:
        reference = re.sub(r"_[1-8]\.jpg$", "_1.jpg", rel)
        expected = checked(fetch(base_url, reference, "f-png"), reference)
        assert expected is not None, reference
    # libvips' rotation_5..8 are stored smaller than rotation_1: compare shapes, not sizes.
    assert abs(out.width / out.height - expected.width / expected.height) < 0.02, rel
    diff = float(np.abs(tiny(out) - tiny(expected)).mean())
    assert diff < MAX_ORIENTATION_DIFF, f"{rel}: mean diff {diff:.2f}"
    thumb = checked(fetch(base_url, rel, "w-200"), rel)  # in the source's format
    assert thumb is not None and untagged(thumb) and untagged(out), rel


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB -> CIELAB (D65)."""
    c = rgb[..., :3] / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
         [0.0193339, 0.1191920, 0.9503041]]
    )  # fmt: skip
    xyz = c @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    x, y, z = np.moveaxis(f, -1, 0)
    return np.stack([116 * y - 16, 500 * (x - y), 200 * (y - z)], -1)


def ciede2000(rgb1: np.ndarray, rgb2: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 between two 8-bit sRGB arrays (Sharma, Wu & Dalal 2005)."""
    l1, a1, b1 = np.moveaxis(srgb_to_lab(rgb1.astype(float)), -1, 0)
    l2, a2, b2 = np.moveaxis(srgb_to_lab(rgb2.astype(float)), -1, 0)
    c7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 1.5 - 0.5 * np.sqrt(c7 / (c7 + 25.0**7))
    c1, c2 = np.hypot(a1 * g, b1), np.hypot(a2 * g, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1 * g)) % 360, np.degrees(np.arctan2(b2, a2 * g)) % 360
    chroma = c1 * c2 != 0
    dh = np.where(chroma, (h2 - h1 + 180) % 360 - 180, 0)
    big_h = np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2)) * 2
    lm, cm = (l1 + l2) / 2, (c1 + c2) / 2
    hm = np.where(np.abs(h1 - h2) > 180, (h1 + h2 + 360) % 720 / 2, (h1 + h2) / 2)
    hm = np.where(chroma, hm, h1 + h2)
    t = (
        1 - 0.17 * np.cos(np.radians(hm - 30)) + 0.24 * np.cos(np.radians(2 * hm))
        + 0.32 * np.cos(np.radians(3 * hm + 6)) - 0.20 * np.cos(np.radians(4 * hm - 63))
    )  # fmt: skip
    sl = 1 + 0.015 * (lm - 50) ** 2 / np.sqrt(20 + (lm - 50) ** 2)
    sc, sh = 1 + 0.045 * cm, 1 + 0.015 * cm * t
    cm7 = cm**7
    rotation = np.sin(np.radians(60 * np.exp(-(((hm - 275) / 25) ** 2))))
    rt = -2 * np.sqrt(cm7 / (cm7 + 25.0**7)) * rotation
    dl, dc, dhs = (l2 - l1) / sl, (c2 - c1) / sc, big_h / sh
    return np.sqrt(dl**2 + dc**2 + dhs**2 + rt * dc * dhs)


def littlecms_srgb(path: Path, icc: bytes) -> np.ndarray:
    """The source converted to sRGB by littleCMS from ``icc`` (perceptual, as the
    service asks libvips for)."""
    try:
        source = Image.open(path)
    except UnidentifiedImageError:
        pytest.skip(f"this Pillow cannot decode {path.name}")
    source = source.convert("CMYK" if source.mode == "CMYK" else "RGB")
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.createProfile("sRGB")
    out = ImageCms.profileToProfile(
        source, profile, srgb, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
    )
    assert out is not None
    return np.asarray(out)


@pytest.mark.parametrize("rel", list(COLOUR))
def test_colour_managed_sources_come_out_in_srgb(base_url: str, corpus: Path, rel: str) -> None:
    reply = fetch(base_url, rel, "f-png")
    assert checked(reply, rel) is not None
    out = Image.open(io.BytesIO(reply.body))
    icc = out.info.get("icc_profile")
    if icc:  # untagged output means sRGB; a tag must say so
        assert "sRGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    got = np.asarray(out.convert("RGBA"))
    profiled = corpus / ASSUMED_PROFILE.get(rel, rel)
    want = littlecms_srgb(corpus / rel, Image.open(profiled).info["icc_profile"])
    assert got.shape[:2] == want.shape[:2], rel
    step = max(1, int(np.sqrt(got.shape[0] * got.shape[1] / 250_000)))  # <= ~250k samples
    got, want = got[::step, ::step], want[::step, ::step]
    delta = ciede2000(got[..., :3], want)[got[..., 3] > 0]
    assert delta.mean() < COLOUR[rel], f"{rel}: mean CIEDE2000 {delta.mean():.2f}"


@pytest.mark.parametrize("rel", BGREMOVE)
def test_background_removal_on_odd_sources(base_url: str, corpus: Path, rel: str) -> None:
    image = checked(fetch(base_url, rel, CUTOUT), f"{rel}?tr={CUTOUT}")
    if image is None:
        return  # a documented 4xx, e.g. a HEIC this libvips cannot decode
    width, height = upright_size(corpus / rel)
    assert image.width == 300 and abs(image.height - round(300 * height / width)) <= 1
    assert image.bands == 4
    mask = image.numpy()[..., 3] > 127
    assert 0.02 < mask.mean() < 0.98, f"{rel}: {mask.mean():.3f} of the cut-out is opaque"
    if rel == "sharp/Portrait_6.jpg":  # the model saw upright pixels
        upright = checked(fetch(base_url, "sharp/Portrait_1.jpg", CUTOUT), "Portrait_1")
        assert upright is not None and upright.width == image.width
        overlap = iou(mask, upright.numpy()[..., 3] > 127)
        assert overlap > 0.8, f"{rel}: IoU {overlap:.2f} with the Portrait_1 cut-out"
