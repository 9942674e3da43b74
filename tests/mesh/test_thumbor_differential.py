"""Issue [13]: the same thumbor URLs to the real thumbor 7.8 (from PyPI, file
loader on the same origin folder, bench/peers.py's server) and to imgmesh's
/thumbor/: the same status class, sizes within 1 px, pixels within a stated
tolerance; libthumbor-signed URLs verify on both and tampered ones are
refused by both."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
import pyvips
from libthumbor import CryptoURL

from tests.conftest import THUMBOR_SECURITY_KEY
from tests.helpers import get

COFFEE = "photos/skimage/coffee.png"  # 600 x 400
HALVES = "synthetic/halves.png"  # 200 x 100 red | blue
CAMERA = "camera/12mp.jpg"  # 4032 x 3024
FRAMED = "synthetic/framed.png"  # 440 x 440: a 400 x 400 photo in a 20 px white border
# mean absolute difference per channel, 0..255: two resamplers (thumbor's
# Pillow and libvips' lanczos3) and two JPEG encoders agree within this.
MEAN_TOLERANCE = 6.0


@pytest.fixture(scope="module")
def real_thumbor(origin_root: Path) -> Iterator[str]:
    from bench import peers

    with ExitStack() as stack:
        try:
            server = stack.enter_context(
                peers.thumbor(origin_root, processes=1, security_key=THUMBOR_SECURITY_KEY)
            )
        except subprocess.CalledProcessError as exc:  # pip could not reach PyPI: said, not hidden
            pytest.skip(f"thumbor 7.8 could not be installed from PyPI: {exc}")
        yield server.url


CASES = [
    f"300x200/{COFFEE}",
    f"200x200/{COFFEE}",
    f"300x0/{COFFEE}",
    f"x100/{COFFEE}",
    f"1200x800/{COFFEE}",
    f"fit-in/300x300/{COFFEE}",
    f"fit-in/1000x1000/{COFFEE}",
    f"fit-in/300x0/{COFFEE}",
    f"adaptive-fit-in/200x300/{COFFEE}",
    f"-300x200/{COFFEE}",
    f"300x-200/{COFFEE}",
    f"10x20:310x220/{COFFEE}",
    f"0x0:300x200/150x0/{COFFEE}",
    f"100x100/left/{HALVES}",
    f"100x100/right/{HALVES}",
    f"300x200/left/top/{COFFEE}",
    f"300x100/center/bottom/{COFFEE}",
    f"trim/{FRAMED}",
    f"trim:bottom-right:50/fit-in/200x200/{FRAMED}",
    f"filters:grayscale()/{COFFEE}",
    f"filters:rotate(90)/{COFFEE}",
    f"fit-in/300x300/filters:fill(white)/{COFFEE}",
    f"filters:format(webp)/{COFFEE}",
    f"filters:unknown_one(1)/{COFFEE}",
    f"fit-in/300x300/{CAMERA}",
    f"400x300/{CAMERA}",
]


# The filters alone on the lossless PNG (no resize, so only the filters differ):
# thumbor's C arithmetic, ported, agrees to about a level.
# (An empty curve "[]" is undefined in thumbor's C, which reads past it; here
# it leaves its bands unchanged.)
FILTER_TOLERANCE = 1.5
LOGO = "synthetic/logo.png"  # 60 x 40 RGBA
CURVE = "[(0,0),(64,90),(255,255)],[(0,20),(255,230)],[(0,0),(255,255)],[(0,0),(128,100),(255,255)]"
FILTER_CASES = [
    "brightness(40)",
    "brightness(-30)",
    "contrast(40)",
    "contrast(-50)",
    "rgb(10,-20,30)",
    "colorize(20,40,60,ff0080)",
    "saturation(0.5)",
    "saturation(2.0)",
    "equalize()",
    "convolution(1;2;1;2;4;2;1;2;1,3,true)",
    "convolution(-1;-1;-1;-1;9;-1;-1;-1;-1,3,false)",
    f"curve({CURVE})",
    f"watermark({LOGO},10,-10,0)",
    f"watermark({LOGO},center,20p,50)",
    f"watermark({LOGO},-30p,center,0,25,none)",
    f"watermark({LOGO},repeat,20,30)",
    f"watermark({LOGO},repeat,repeat,0)",
    f"watermark({LOGO},-5,repeat,0,50,none)",
    "brightness(20):saturation(1.5):rgb(0,0,-10)",
]


@pytest.mark.parametrize("call", FILTER_CASES)
def test_same_filter_same_pixels(base_url: str, real_thumbor: str, call: str) -> None:
    path = f"filters:{call}/{COFFEE}"
    theirs = get(f"{real_thumbor}/unsafe/{path}")
    ours = get(f"{base_url}/thumbor/unsafe/{path}")
    assert ours.status == theirs.status == 200, ours.body[:200]
    a, b = _image(theirs.body), _image(ours.body)
    assert a.shape == b.shape
    diff = np.abs(a[..., :3] - b[..., :3]).mean()
    assert diff <= FILTER_TOLERANCE, f"mean |difference| {diff:.2f}"


@pytest.mark.parametrize("fill,tolerance", [("auto", 1.0), ("blur", 12.0)])
def test_same_fill(base_url: str, real_thumbor: str, fill: str, tolerance: float) -> None:
    """fill(auto) pads with the mean colour on both; fill(blur)'s blurs are
    two different implementations (Pillow's box blur, libvips' gaussian)."""
    path = f"fit-in/300x300/filters:fill({fill})/{COFFEE}"
    theirs = get(f"{real_thumbor}/unsafe/{path}")
    ours = get(f"{base_url}/thumbor/unsafe/{path}")
    a, b = _image(theirs.body), _image(ours.body)
    assert a.shape == b.shape == (300, 300, 3)
    pad = np.s_[:40, :, :3]  # above the fitted 300x200 image
    assert np.abs(a[pad] - b[pad]).mean() <= tolerance


def test_max_bytes_fits_on_both(base_url: str, real_thumbor: str) -> None:
    path = f"400x300/filters:max_bytes(9000)/{CAMERA}"
    theirs = get(f"{real_thumbor}/unsafe/{path}")
    ours = get(f"{base_url}/thumbor/unsafe/{path}")
    plain = get(f"{base_url}/thumbor/unsafe/400x300/{CAMERA}")
    assert len(plain.body) > 9000  # so the filter had work to do
    assert len(theirs.body) <= 9000 and len(ours.body) <= 9000


def _image(body: bytes) -> np.ndarray:
    image = pyvips.Image.new_from_buffer(body, "")
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    return image.colourspace("srgb").numpy().astype(float)


@pytest.mark.parametrize("path", CASES)
def test_same_url_same_image(base_url: str, real_thumbor: str, path: str) -> None:
    theirs = get(f"{real_thumbor}/unsafe/{path}")
    ours = get(f"{base_url}/thumbor/unsafe/{path}")
    assert ours.status // 100 == theirs.status // 100 == 2, ours.body[:200]
    assert ours.headers["content-type"] == theirs.headers["content-type"]
    a, b = _image(theirs.body), _image(ours.body)
    assert abs(a.shape[0] - b.shape[0]) <= 1 and abs(a.shape[1] - b.shape[1]) <= 1
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    diff = np.abs(a[:h, :w, :3] - b[:h, :w, :3]).mean()
    assert diff <= MEAN_TOLERANCE, f"mean |difference| {diff:.2f}"


@pytest.mark.parametrize(
    "path",
    [
        "/unsafe/300x200/photos/missing.png",
        f"/300x200/{COFFEE}",  # neither hash nor unsafe
        f"/{'A' * 27}=/300x200/{COFFEE}",  # a hash of the right shape that does not match
    ],
)
def test_same_status_class(base_url: str, real_thumbor: str, path: str) -> None:
    theirs = get(real_thumbor + path)
    ours = get(base_url + "/thumbor" + path)
    assert ours.status // 100 == theirs.status // 100 == 4, (theirs.status, ours.status)


def test_libthumbor_signatures_on_both(base_url: str, real_thumbor: str) -> None:
    crypto = CryptoURL(key=THUMBOR_SECURITY_KEY)
    url = crypto.generate(width=300, height=200, filters=["grayscale()"], image_url=COFFEE)
    for server in (real_thumbor, base_url + "/thumbor"):
        assert get(server + url).status == 200
        assert get(server + url.replace("300x200", "300x201")).status == 400


META_CASES = [
    f"400x150/{COFFEE}",
    f"-400x150/left/top/{COFFEE}",
    f"150x400/right/{COFFEE}",
    f"300x0/{COFFEE}",
    f"0x100/{COFFEE}",
    f"origx100/{COFFEE}",
    f"fit-in/300x300/{COFFEE}",
    f"full-fit-in/300x300/{COFFEE}",
    f"adaptive-fit-in/200x500/{COFFEE}",
    f"fit-in/1000x1000/{COFFEE}",
    f"10x20:310x220/150x150/{COFFEE}",
    f"10x20:310x220/100x0/bottom/{COFFEE}",
    f"100x100/filters:focal(500x100:560x160)/{COFFEE}",
    f"100x100/filters:stretch()/{COFFEE}",
    f"{COFFEE}",
    f"300x300/{CAMERA}",
    f"trim/{FRAMED}",  # the trim's crop first, as thumbor's JSON engine records it
    f"trim:bottom-right:30/200x200/{FRAMED}",
    f"trim/10x10:200x200/100x100/{FRAMED}",  # the manual crop moved by the trim
]


@pytest.mark.parametrize("path", META_CASES)
def test_same_meta(base_url: str, real_thumbor: str, path: str) -> None:
    """``meta/`` answers the same JSON as thumbor's (its geometry, focal points
    and source fields, quirks included)."""
    import json

    theirs = get(f"{real_thumbor}/unsafe/meta/{path}")
    ours = get(f"{base_url}/thumbor/unsafe/meta/{path}")
    assert theirs.status == ours.status == 200
    assert json.loads(ours.body) == json.loads(theirs.body)
