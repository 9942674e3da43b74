"""Issue [13]: thumbor URLs through the real mesh under /thumbor/ (and at the
root of a gateway with IMGMESH_ROOT_DIALECT=thumbor): thumbor's geometry
(crop to the target's aspect at the alignment, fit-in never enlarging,
proportional sides, flips after the resize, the manual crop first), its
filters on real pixels, libthumbor's signatures (CryptoURL) and thumbor's
status codes."""

from __future__ import annotations

import numpy as np
import pytest
from libthumbor import CryptoURL

from tests.conftest import THUMBOR_SECURITY_KEY
from tests.helpers import HAVE_SHARED, extra_gateway, get
from tests.helpers import image_size as size

COFFEE = "photos/skimage/coffee.png"  # 600 x 400 RGB
HALVES = "synthetic/halves.png"  # 200 x 100: left half red, right half blue
FRAMED = "synthetic/framed.png"  # 440 x 440: a 400 x 400 photo in a 20 px white border
CAMERA = "camera/12mp.jpg"  # 4032 x 3024


@pytest.fixture(scope="module")
def thumbor(base_url: str) -> str:
    return base_url + "/thumbor"


@pytest.mark.parametrize(
    "options,expected",
    [
        ("300x200", (300, 200)),  # the first row
        ("200x200", (200, 200)),  # cropped to the aspect
        ("300x0", (300, 200)),  # proportional
        ("0x100", (150, 100)),
        ("x100", (150, 100)),
        ("", (600, 400)),  # no size: the source's
        ("origx100", (600, 100)),  # orig: the source's own width
        ("1200x800", (1200, 800)),  # thumbor enlarges a crop
        ("fit-in/300x300", (300, 200)),
        ("fit-in/1000x1000", (600, 400)),  # fit-in never enlarges
        ("fit-in/1000x1000/filters:upscale()", (1000, 667)),
        ("full-fit-in/300x300", (450, 300)),  # the smaller ratio fills the box
        ("fit-in/300x0", (300, 200)),
        ("fit-in/200x300", (200, 133)),
        ("adaptive-fit-in/200x300", (300, 200)),  # the box turned to the landscape source
        ("adaptive-fit-in/300x200", (300, 200)),  # same orientation: as fit-in
        ("fit-in/300x300/filters:fill(white)", (300, 300)),
        ("300x300/filters:stretch()", (300, 300)),
        ("1200x0/filters:no_upscale()", (600, 400)),
        ("10x20:110x220", (100, 200)),  # manual crop only
        ("0x0:300x200/150x0", (150, 100)),  # manual crop, then resize
        ("-300x-200", (300, 200)),
        ("300x200/filters:proportion(0.5)", (150, 100)),
        ("trim", None),  # (no border to trim on coffee: the source's size)
    ],
)
def test_geometry(thumbor: str, options: str, expected: tuple[int, int] | None) -> None:
    path = f"/unsafe/{options}/{COFFEE}" if options else f"/unsafe/{COFFEE}"
    assert size(thumbor + path) == (expected or (600, 400))


def test_the_crop_keeps_the_aligned_side(thumbor: str) -> None:
    left = get(f"{thumbor}/unsafe/100x100/left/{HALVES}").pixels()
    right = get(f"{thumbor}/unsafe/100x100/right/{HALVES}").pixels()
    assert left[:, :, 0].mean() > 250 and left[:, :, 2].mean() < 5  # red half
    assert right[:, :, 2].mean() > 250 and right[:, :, 0].mean() < 5  # blue half


def test_a_leading_minus_mirrors_after_the_resize(thumbor: str) -> None:
    plain = get(f"{thumbor}/unsafe/200x100/{HALVES}").pixels().astype(int)
    flipped = get(f"{thumbor}/unsafe/-200x100/{HALVES}").pixels().astype(int)
    assert np.abs(flipped - plain[:, ::-1]).max() <= 1
    assert flipped[:, :50, 2].mean() > 250  # blue now on the left


def test_trim_cuts_the_uniform_border(thumbor: str) -> None:
    assert size(f"{thumbor}/unsafe/trim/{FRAMED}") == (400, 400)


def test_fill_letterboxes_with_the_colour(thumbor: str) -> None:
    r = get(f"{thumbor}/unsafe/fit-in/300x300/filters:fill(white):format(webp)/{COFFEE}")
    assert r.status == 200 and r.headers["content-type"] == "image/webp"
    px = r.pixels()
    assert px.shape[:2] == (300, 300)
    assert px[:40, :, :3].min() >= 250 and px[-40:, :, :3].min() >= 250  # bands above and below
    assert px[150, :, :3].std() > 10  # the photo between them


@pytest.mark.parametrize(
    "flt,check",
    [
        ("grayscale()", lambda px: np.abs(px[:, :, 0].astype(int) - px[:, :, 2]).max() <= 2),
        ("rotate(90)", lambda px: px.shape[:2] == (600, 400)),
        ("blur(8)", lambda px: px.std(axis=(0, 1)).mean() < 60),
        ("quality(100)", lambda px: px.shape[:2] == (400, 600)),
        ("round_corner(40,255,0,0)", lambda px: tuple(px[0, 0, :3]) == (255, 0, 0)),
        ("round_corner(40,0,0,0,1):format(png)", lambda px: px.shape[2] == 4 and px[0, 0, 3] == 0),
        ("background_color(blue)", lambda px: px.shape[:2] == (400, 600)),
        ("nonexistent(1,2)", lambda px: px.shape[:2] == (400, 600)),  # skipped, still 200
        ("blur(999)", lambda px: px.std(axis=(0, 1)).mean() > 40),  # bad arguments: skipped
    ],
)
def test_filters_on_pixels(thumbor: str, flt: str, check) -> None:
    r = get(f"{thumbor}/unsafe/filters:{flt}/{COFFEE}")
    assert r.status == 200, r.body[:300]
    assert check(r.pixels())


def test_the_quality_filter_changes_the_bytes(thumbor: str) -> None:
    low = get(f"{thumbor}/unsafe/filters:format(jpeg):quality(20)/{COFFEE}")
    high = get(f"{thumbor}/unsafe/filters:format(jpeg):quality(95)/{COFFEE}")
    assert low.headers["content-type"] == "image/jpeg"
    assert len(low.body) * 2 < len(high.body)


def test_a_camera_jpeg(thumbor: str) -> None:
    assert size(f"{thumbor}/unsafe/fit-in/300x300/{CAMERA}") == (300, 225)
    r = get(f"{thumbor}/unsafe/300x300/smart/{CAMERA}")
    assert r.status == 200 and (r.image().width, r.image().height) == (300, 300)


def test_libthumbor_signed_urls(thumbor: str) -> None:
    crypto = CryptoURL(key=THUMBOR_SECURITY_KEY)
    url = crypto.generate(width=300, height=200, smart=True, image_url=COFFEE)
    assert size(thumbor + url) == (300, 200)
    url = crypto.generate(
        fit_in=True, width=300, height=300, filters=["fill(white)"], image_url=COFFEE
    )
    assert size(thumbor + url) == (300, 300)
    tampered = url.replace("300x300", "301x300")
    r = get(thumbor + tampered)
    assert r.status == 400 and r.json()["code"] == "thumbor_signature_mismatch"
    other = CryptoURL(key="another-key").generate(width=10, height=10, image_url=COFFEE)
    assert get(thumbor + other).status == 400


def test_statuses(thumbor: str) -> None:
    assert get(f"{thumbor}/300x200/{COFFEE}").status == 400  # neither hash nor unsafe
    r = get(f"{thumbor}/unsafe/300x200/photos/missing.png")
    assert r.status == 404 and r.json()["code"] == "source_not_found"
    assert get(f"{thumbor}/unsafe/bad/notes.txt").status in (404, 415)
    assert get(f"{thumbor}/unsafe/bad/corrupt.jpg").status == 415
    r = get(f"{thumbor}/unsafe/filters:max_age(60)/{COFFEE}")
    assert r.headers["cache-control"] == "max-age=60,public"


def test_the_root_dialect_setting(mesh, tmp_path) -> None:
    with extra_gateway(
        mesh.ports,
        ["--root-dialect=thumbor"],
        {
            "IMGMESH_THUMBOR_SECURITY_KEY": THUMBOR_SECURITY_KEY,
            "IMGMESH_THUMBOR_ALLOW_UNSAFE_URL": "false",
        },
        tmp_path / "gateway.log",
    ) as root:
        url = CryptoURL(key=THUMBOR_SECURITY_KEY).generate(width=120, height=80, image_url=COFFEE)
        assert size(root + url) == (120, 80)
        assert size(root + "/thumbor" + url) == (120, 80)  # the prefix still answers
        r = get(f"{root}/unsafe/120x80/{COFFEE}")
        assert r.status == 400 and r.json()["code"] == "thumbor_unsafe_not_allowed"


def test_a_sites_thumbor_conf(mesh, tmp_path) -> None:
    """A gateway given an existing thumbor.conf: its MAX_WIDTH fits an
    unsized request and caps a sized one, AUTO_AVIF answers AVIF to a browser
    that accepts it, its QUALITY is used."""
    conf = tmp_path / "thumbor.conf"
    conf.write_text("MAX_WIDTH = 300\nAUTO_AVIF = True\nQUALITY = 40\n")
    with extra_gateway(
        mesh.ports, [], {"IMGMESH_THUMBOR_CONF": str(conf)}, tmp_path / "gateway.log"
    ) as site:
        assert size(f"{site}/thumbor/unsafe/{COFFEE}") == (300, 200)
        assert size(f"{site}/thumbor/unsafe/500x0/{COFFEE}") == (300, 200)
        avif = get(f"{site}/thumbor/unsafe/{CAMERA}", {"Accept": "image/avif,image/webp,*/*"})
        assert avif.headers["content-type"] == "image/avif" and avif.headers["vary"] == "Accept"
        meta = _meta(site + "/thumbor", f"/unsafe/meta/{COFFEE}")
        assert meta["target"] == {"width": 300, "height": 200}
        low = get(f"{site}/thumbor/unsafe/fit-in/400x400/{CAMERA}").body
    default = get(f"{mesh.gateway_url}/thumbor/unsafe/fit-in/300x300/{CAMERA}").body
    assert len(low) < len(default)  # quality 40 against 80, the same 300 px wide


@pytest.fixture(scope="module")
def case_sources(origin_root) -> str:
    """Synthetic PNGs of every source size thumbor's transformer cases name,
    under ``thumbor-cases/<W>x<H>.png``."""
    import pyvips

    from tests.thumbor_transformer_cases import CROP_CASES, FIT_IN_CASES

    folder = origin_root / "thumbor-cases"
    folder.mkdir(exist_ok=True)
    for w, h in {c.source for c in CROP_CASES} | {c.source for c in FIT_IN_CASES}:
        image = (pyvips.Image.black(w, h, bands=3) + [60, 120, 180]).cast("uchar")
        image.write_to_file(str(folder / f"{w}x{h}.png"))
    return "thumbor-cases"


def _meta(thumbor: str, path: str) -> dict:
    import json

    r = get(thumbor + path)
    assert r.status == 200 and r.headers["content-type"].startswith("application/json"), r.body
    return json.loads(r.body)["thumbor"]


def test_thumbors_transformer_cases_through_meta(thumbor: str, case_sources: str) -> None:
    """Every case of thumbor's transformer_test_data.py, on a source of its
    size, answers the geometry thumbor's test asserts (the ported
    arithmetic's own cases are in tests/unit/test_thumbor_geometry.py), and
    the image at the same URL without ``meta/`` has the target's size."""
    from tests.thumbor_transformer_cases import CROP_CASES, FIT_IN_CASES
    from tests.unit.test_thumbor_geometry import case_path, expected_resize, fit_path

    for case in CROP_CASES:
        w, h = case.source
        path = case_path(case).replace("source.png", f"{case_sources}/{w}x{h}.png")
        meta = _meta(thumbor, path)
        crops = [op for op in meta["operations"] if op["type"] == "crop"]
        if case.crop is None:
            assert crops == [], path
        else:
            assert tuple(crops[0][k] for k in ("left", "top", "right", "bottom")) == case.crop
        want = expected_resize(case)
        final = (meta["target"]["width"], meta["target"]["height"])
        if want is not None:
            assert final == want, path
            # the image: within the 1 px that PIL's int() and libvips' rounding
            # differ by on a fractional proportional side (262.5 -> 262 | 263)
            image = size(thumbor + path.replace("/meta/", "/"))
            assert abs(image[0] - want[0]) <= 1 and abs(image[1] - want[1]) <= 1, path
    for fit in FIT_IN_CASES:
        w, h = fit.source
        path = fit_path(fit).replace("source.png", f"{case_sources}/{w}x{h}.png")
        meta = _meta(thumbor, path)
        resized = [(op["width"], op["height"]) for op in meta["operations"]]
        assert resized == ([fit.resized] if fit.resized else []), path


def test_meta_answers_thumbors_json(thumbor: str) -> None:
    meta = _meta(thumbor, f"/unsafe/meta/-400x150/left/top/{COFFEE}")
    assert meta["source"] == {"url": COFFEE, "width": 400, "height": 150, "frameCount": 1}
    assert meta["operations"] == [
        {"type": "crop", "left": 0, "top": 0, "right": 600, "bottom": 225},
        {"type": "resize", "width": 400.0, "height": 150.0},
        {"type": "flip_horizontally"},
    ]
    assert meta["focal_points"][0]["origin"] == "alignment"
    r = get(thumbor + f"/unsafe/meta/300x200/{COFFEE}?callback=show")
    assert r.status == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.body.startswith(b"show({") and r.body.endswith(b"});")
    # a callback that is not a function name is never echoed into script
    r = get(thumbor + f"/unsafe/meta/300x200/{COFFEE}?callback=alert(1)//")
    assert r.headers["content-type"].startswith("application/json") and b"alert" not in r.body


def test_meta_of_an_animated_gif_counts_its_frames(thumbor: str, origin_root) -> None:
    import pyvips

    black = pyvips.Image.black(40, 30, bands=3)
    frames = [(black + [i * 80, 0, 0]).cast("uchar") for i in range(3)]
    strip = pyvips.Image.arrayjoin(frames, across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", 30)
    (origin_root / "thumbor-cases").mkdir(exist_ok=True)
    strip.write_to_file(str(origin_root / "thumbor-cases" / "three.gif"))
    meta = _meta(thumbor, "/unsafe/meta/thumbor-cases/three.gif")
    assert meta["source"]["frameCount"] == 3 and meta["target"] == {"width": 40, "height": 30}


def test_focal_filter_moves_the_crop(thumbor: str) -> None:
    meta = _meta(thumbor, f"/unsafe/meta/100x100/filters:focal(500x100:560x160)/{COFFEE}")
    crop = {"type": "crop", "left": 200, "top": 0, "right": 600, "bottom": 400}
    assert meta["operations"][0] == crop
    assert meta["focal_points"] == [
        {"x": 530, "y": 130, "z": 3600, "height": 60, "width": 60, "origin": "Explicit"}
    ]
    # the image is cut there too: the right of coffee.png, not its centre
    right = get(thumbor + f"/unsafe/100x100/filters:focal(500x100:560x160)/{COFFEE}").pixels()
    aligned = get(thumbor + f"/unsafe/100x100/right/{COFFEE}").pixels()
    centre = get(thumbor + f"/unsafe/100x100/{COFFEE}").pixels()
    diff = np.abs(right.astype(float) - aligned.astype(float)).mean()
    assert diff < 3 < np.abs(right.astype(float) - centre.astype(float)).mean()


@pytest.mark.skipif(not HAVE_SHARED, reason="needs ../shared/data/faces (research licence)")
def test_smart_meta_reports_the_faces_the_detector_found(thumbor: str) -> None:
    meta = _meta(thumbor, "/unsafe/meta/100x100/smart/faces/2008_001009.jpg")
    faces = [p for p in meta["focal_points"] if p["origin"] == "Face Detection"]
    assert len(faces) == 2  # the two labelled faces of the photo
    crop = meta["operations"][0]
    for face in faces:  # the crop holds every face centre
        assert crop["left"] <= face["x"] <= crop["right"]
        assert crop["top"] <= face["y"] <= crop["bottom"]


def test_debug_draws_the_focal_point_on_the_unresized_crop(thumbor: str) -> None:
    """debug/: no resize; the focal box outlined 1 px in white (thumbor's
    Pillow rectangle [x, y, x + w, y + h], both ends included)."""
    plain = get(thumbor + f"/unsafe/0x0:300x200/{COFFEE}").pixels().astype(int)
    drawn = (
        get(thumbor + f"/unsafe/debug/0x0:300x200/100x100/filters:focal(40x30:100x70)/{COFFEE}")
        .pixels()
        .astype(int)
    )
    assert drawn.shape == plain.shape == (200, 300, 3)  # the crop, not 100 x 100
    outline = np.zeros((200, 300), dtype=bool)
    outline[30, 40:101] = outline[70, 40:101] = True
    outline[30:71, 40] = outline[30:71, 100] = True
    assert (drawn[outline] >= 250).all()  # white, through the PNG round trip
    assert np.abs(drawn[~outline] - plain[~outline]).max() <= 1  # nothing else drawn


@pytest.mark.skipif(not HAVE_SHARED, reason="needs ../shared/data/faces (research licence)")
def test_smart_debug_outlines_the_detected_faces(thumbor: str) -> None:
    path = "faces/2008_001009.jpg"
    meta = _meta(thumbor, f"/unsafe/meta/100x100/smart/{path}")
    drawn = get(thumbor + f"/unsafe/debug/100x100/smart/filters:format(png)/{path}").pixels()
    plain = get(thumbor + f"/unsafe/0x0/filters:format(png)/{path}").pixels()
    assert drawn.shape == plain.shape  # the source's size
    changed = np.abs(drawn.astype(int) - plain.astype(int)).max(axis=2) > 40
    for face in (p for p in meta["focal_points"] if p["origin"] == "Face Detection"):
        left = face["x"] - face["width"] // 2
        top, bottom = face["y"] - face["height"] // 2, face["y"] + face["height"] // 2
        column = changed[max(top, 0) : bottom, max(left - 2, 0) : left + 3]
        assert column.any(axis=1).mean() > 0.8  # the face box's left edge is drawn


def test_extract_focal_crops_around_the_inner_urls_crop(thumbor: str) -> None:
    inner = f"localhost/unsafe/500x100:560x160/{COFFEE}"
    meta = _meta(thumbor, f"/unsafe/meta/100x100/filters:extract_focal()/{inner}")
    assert meta["source"]["url"] == COFFEE
    assert meta["focal_points"] == [
        {"x": 530, "y": 130, "z": 3600, "height": 60, "width": 60, "origin": "Original Extraction"}
    ]
    assert meta["operations"][0] == {
        "type": "crop",
        "left": 200,
        "top": 0,
        "right": 600,
        "bottom": 400,
    }
    image = get(thumbor + f"/unsafe/100x100/filters:extract_focal()/{inner}")
    aligned = get(thumbor + f"/unsafe/100x100/right/{COFFEE}")
    diff = np.abs(image.pixels().astype(float) - aligned.pixels().astype(float)).mean()
    assert diff < 3


def test_watermark_is_placed_as_thumbor_places_it(thumbor: str) -> None:
    """logo.png (60 x 40, opaque red | half-transparent green) at x = -10
    (10 px from the right), y = 10 %, opaque."""
    out = get(thumbor + f"/unsafe/filters:watermark(synthetic/logo.png,-10,10p,0)/{COFFEE}")
    pixels = out.pixels().astype(int)
    left, top = 600 - 60 - 10, 40
    assert pixels[top + 20, left + 10].tolist() == [255, 0, 0]  # the opaque red half
    green = pixels[top + 20, left + 45]
    assert green[1] > 120 and green[0] < 200  # the green half, over the photo
    plain = get(thumbor + f"/unsafe/{COFFEE}").pixels().astype(int)
    assert np.array_equal(pixels[: top - 1], plain[: top - 1])  # nothing above it


def test_max_bytes_shrinks_the_jpeg(thumbor: str) -> None:
    plain = get(thumbor + f"/unsafe/400x300/{CAMERA}")
    small = get(thumbor + f"/unsafe/400x300/filters:max_bytes(9000)/{CAMERA}")
    assert len(plain.body) > 9000 >= len(small.body)
    assert (small.image().width, small.image().height) == (400, 300)


def test_frame_draws_the_nine_patch_around_the_image(thumbor: str) -> None:
    """frame.9.png: a 6 px red ring, its outer 3 px half transparent, content
    padded 4 px, the middle 8 px of each side stretching. (thumbor 7.8's own
    frame reads the patch's mode through a Python object pointer in
    _nine_patch.c, so its layout is garbage there: not compared with it.)"""
    out = get(thumbor + f"/unsafe/filters:frame(synthetic/frame.9.png)/{COFFEE}")
    framed = out.pixels().astype(int)
    plain = get(thumbor + f"/unsafe/{COFFEE}").pixels().astype(int)
    assert framed.shape == (408, 608, 4)  # 4 px of padding on every side, and alpha
    assert (framed[..., 3] == 255).all()  # (opaque: white padding under the ring)
    pixels = framed[..., :3]
    half_red_on_white = [255, 127, 127]
    for y, x in [(1, 1), (1, 304), (204, 1), (406, 606), (406, 304), (204, 606)]:
        assert np.abs(pixels[y, x] - half_red_on_white).max() <= 2, (y, x)  # stretched edges too
    # (cells are sampled at x * (w - 1) / w, as _nine_patch.c samples them)
    for y, x in [(5, 5), (5, 304), (403, 603)]:
        assert pixels[y, x].tolist() == [255, 0, 0], (y, x)  # the opaque ring over the photo
    assert np.array_equal(pixels[20:388, 20:588], plain[16:384, 16:584])  # the photo inside
