"""Issue [14]: imgproxy v4 URLs through the real mesh under /imgproxy/:
imgproxy's own geometry cases (processing_test.go) on a 200 x 100 source,
crops checked by the pixels they keep, its signatures, presets and status
codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import numpy as np
import pytest

from tests.helpers import HAVE_SHARED, extra_gateway, get
from tests.imgproxy_processing_cases import CASES, SizeCase

GEOMETRY = "local:///synthetic/geometry.png"  # 200 x 100: red = x, green = 2 y
KEY, SALT = b"imgmesh-key", b"imgmesh-salt"


@pytest.fixture(scope="module")
def imgproxy(base_url: str) -> str:
    return base_url + "/imgproxy"


def _size(url: str) -> tuple[int, int]:
    r = get(url)
    assert r.status == 200, r.body[:300]
    image = r.image()
    return image.width, image.height


@pytest.fixture(scope="module")
def security_options(mesh, tmp_path_factory) -> Iterator[str]:
    """A gateway with IMGPROXY_ALLOW_SECURITY_OPTIONS (imgproxy's size-limit
    cases use max_result_dimension)."""
    env = {"IMGPROXY_ALLOW_SECURITY_OPTIONS": "true"}
    log = tmp_path_factory.mktemp("imgproxy") / "gateway.log"
    with extra_gateway(mesh.ports, [], env, log) as url:
        yield url + "/imgproxy"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.suite}-{c.url_options()}")
def test_imgproxy_size_cases(imgproxy: str, security_options: str, case: SizeCase) -> None:
    base = security_options if case.limit else imgproxy
    assert _size(f"{base}/insecure/{case.url_options()}/plain/{GEOMETRY}") == case.out


@pytest.mark.parametrize(
    "gravity,x0,y0",
    [("ea", 150, 0), ("we", 0, 0), ("ce", 76, 0), ("we:10", 10, 0), ("fp:0.9:0.5", 150, 0)],
)
def test_fill_keeps_the_pixels_at_the_gravity(
    imgproxy: str, gravity: str, x0: int, y0: int
) -> None:
    pixels = get(f"{imgproxy}/insecure/rs:fill:50:100/g:{gravity}/plain/{GEOMETRY}").pixels()
    assert pixels.shape[:2] == (100, 50)
    assert pixels[0, 0, 0] == x0 and pixels[0, 49, 0] == x0 + 49  # red = source x
    assert pixels[0, 0, 1] == 2 * y0 and pixels[99, 0, 1] == 198


def test_crop_then_extend_with_a_background(imgproxy: str) -> None:
    url = f"{imgproxy}/insecure/c:100:50:nowe/rs:fit:300:300/ex:1:so/bg:00ff00/plain/{GEOMETRY}"
    pixels = get(url).pixels().astype(int)
    assert pixels.shape[:2] == (300, 300)
    assert pixels[0, 0].tolist() == [0, 255, 0]  # the extension, green
    # the 100 x 50 top-left crop, not enlarged, at the bottom centre: x 100..199, y 250..299
    assert pixels[299, 150].tolist() == [50, 98, 128] and pixels[250, 100].tolist() == [0, 0, 128]
    assert pixels[249, 150].tolist() == [0, 255, 0]


def test_base64_sources_and_the_extension(imgproxy: str) -> None:
    encoded = base64.urlsafe_b64encode(GEOMETRY.encode()).decode().rstrip("=")
    r = get(f"{imgproxy}/insecure/rs:fit:50:50/{encoded[:8]}/{encoded[8:]}.webp")
    assert r.status == 200 and r.headers["content-type"] == "image/webp"
    assert (r.image().width, r.image().height) == (50, 25)


@pytest.mark.parametrize(
    "path,status,code",
    [
        (f"/insecure/nope:1/plain/{GEOMETRY}", 404, "imgproxy_invalid_url"),
        (f"/insecure/rot:45/plain/{GEOMETRY}", 404, "imgproxy_invalid_url"),
        (f"/insecure/exp:1609448400/plain/{GEOMETRY}", 404, "imgproxy_invalid_url"),
        (f"/insecure/msr:1/plain/{GEOMETRY}", 403, "imgproxy_forbidden_option"),
        (f"/insecure/w:10/plain/{GEOMETRY}@tiff", 501, "imgproxy_option_not_supported"),
        ("/insecure/w:10/plain/local:///synthetic/missing.png", 404, "source_not_found"),
        ("/insecure/w:10/plain/ftp://example.com/a.png", 404, "imgproxy_invalid_url"),
        ("/only-a-signature", 404, "imgproxy_invalid_url"),
        (f"/rs:fit:10:10/plain/{GEOMETRY}", 403, "imgproxy_signature_mismatch"),
    ],
)
def test_statuses(imgproxy: str, path: str, status: int, code: str) -> None:
    r = get(imgproxy + path)
    assert r.status == status and r.json()["code"] == code, r.body[:300]


def _sign(path: str, size: int = 32) -> str:
    mac = hmac.new(KEY, SALT + path.encode(), hashlib.sha256).digest()[:size]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def test_a_signed_deployment(mesh, tmp_path) -> None:
    """IMGPROXY_KEY / SALT (hex), IMGPROXY_PRESETS and the root dialect, read
    as an existing imgproxy deployment sets them."""
    env = {
        "IMGPROXY_KEY": KEY.hex(),
        "IMGPROXY_SALT": SALT.hex(),
        "IMGPROXY_PRESETS": "thumb=rs:fill:40:40/g:ea,default=q:70",
    }
    with extra_gateway(mesh.ports, ["--root-dialect=imgproxy"], env, tmp_path / "gw.log") as root:
        path = f"/pr:thumb/plain/{GEOMETRY}"
        ok = get(f"{root}/{_sign(path)}{path}")
        assert ok.status == 200 and (ok.image().width, ok.image().height) == (40, 40)
        assert 95 <= ok.pixels()[0, 0, 0] <= 110  # the east half (scaled by 0.4): x 100..199
        assert get(f"{root}/imgproxy/{_sign(path)}{path}").status == 200  # the prefix too
        tampered = get(f"{root}/{_sign(path)}{path.replace('thumb', 'thumb/w:10')}")
        assert tampered.status == 403
        assert get(f"{root}/insecure{path}").status == 403
        assert get(f"{root}/{_sign(path)[:-2]}{path}").status == 403  # truncated
        info = f"/d:1/plain/{GEOMETRY}"  # /info, signed as processing paths are
        assert get(f"{root}/info/{_sign(info)}{info}").json()["width"] == 200
        assert get(f"{root}/imgproxy/info/{_sign(info)}{info}").status == 200
        assert get(f"{root}/info/insecure{info}").status == 403


def test_filename_and_attachment(imgproxy: str) -> None:
    r = get(f"{imgproxy}/insecure/fn:thumb/att:1/f:png/plain/{GEOMETRY}")
    assert r.headers["content-disposition"] == 'attachment; filename="thumb.png"'
    evil = base64.urlsafe_b64encode(b'a"\r\nSet-Cookie: x=1').decode().rstrip("=")
    r = get(f"{imgproxy}/insecure/fn:{evil}:1/plain/{GEOMETRY}")
    assert r.status == 200 and "set-cookie" not in r.headers
    assert r.headers["content-disposition"] == 'inline; filename="a___Set-Cookie_ x_1.png"'
    r = get(f"{imgproxy}/insecure/w:10/plain/{GEOMETRY}@webp")
    assert r.headers["content-type"] == "image/webp" and "content-disposition" not in r.headers
    assert r.headers["cache-control"] == "max-age=31536000, public"


def test_metrics_label_the_dialect(imgproxy: str, base_url: str) -> None:
    get(f"{imgproxy}/insecure/w:20/plain/{GEOMETRY}")
    text = get(f"{base_url}/metrics").body.decode()
    assert 'dialect="imgproxy",route="imgproxy",status="200"' in text


def test_pixelate_and_the_pro_adjustments(imgproxy: str) -> None:
    base = get(f"{imgproxy}/insecure/plain/{GEOMETRY}").pixels().astype(int)
    blocks = get(f"{imgproxy}/insecure/pix:10/plain/{GEOMETRY}").pixels().astype(int)
    assert (blocks[:10, :10] == blocks[0, 0]).all() and blocks[0, 0, 0] in (4, 5)  # mean x of 0..9
    brighter = get(f"{imgproxy}/insecure/br:40/plain/{GEOMETRY}").pixels().astype(int)
    assert np.array_equal(brighter, np.minimum(base + 40, 255))
    flat = get(f"{imgproxy}/insecure/co:0/plain/{GEOMETRY}").pixels().astype(int)
    assert (flat == 128).all()  # no contrast left: mid grey
    grey = get(f"{imgproxy}/insecure/sa:0/plain/{GEOMETRY}").pixels().astype(int)
    assert (grey.max(axis=2) - grey.min(axis=2)).max() <= 1
    red = get(f"{imgproxy}/insecure/col:1:ff0000/plain/{GEOMETRY}").pixels().astype(int)
    assert (red == [255, 0, 0]).all()  # an opaque colour layer covers it


def test_remove_background_is_imgmeshs_own_option(imgproxy: str) -> None:
    r = get(
        f"{imgproxy}/insecure/rs:fit:200:200/rmbg:1/f:png/plain/local:///photos/skimage/coffee.png"
    )
    assert r.status == 200 and r.image().hasalpha()
    alpha = r.pixels()[..., 3]
    assert 0.05 < (alpha > 128).mean() < 0.95  # a cut-out: part subject, part transparent


@pytest.mark.skipif(not HAVE_SHARED, reason="needs ../shared/data/faces (research licence)")
def test_object_gravity_crops_around_the_face(imgproxy: str, base_url: str) -> None:
    """imgproxy Pro's g:obj:face on the mesh's own face detector: the crop
    holds the face that the ImageKit dialect's fo-face frames too."""
    path = "faces/2008_001009.jpg"
    ours = get(f"{imgproxy}/insecure/rs:fill:80:80/g:obj:face/f:png/plain/local:///{path}")
    centre = get(f"{imgproxy}/insecure/rs:fill:80:80/f:png/plain/local:///{path}")
    imagekit = get(f"{base_url}/{path}?tr=w-80,h-80,fo-face,f-png")
    assert ours.status == 200 and (ours.image().width, ours.image().height) == (80, 80)
    a, b, c = (r.pixels()[..., :3].astype(float) for r in (ours, imagekit, centre))
    assert np.abs(a - b).mean() < np.abs(a - c).mean() / 2  # the face's crop, not the centre


# The Probe RPC the dialect plans on: the header's upright size, frames and
# format, the mesh's error codes for what cannot be read.
def _probe(mesh, source: str):
    import grpc

    from imgmesh.v1 import edit_pb2, transform_pb2, transform_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.transform}") as channel:
        stub = transform_pb2_grpc.TransformStub(channel)
        request = transform_pb2.ProbeRequest(source=edit_pb2.Source(origin_path=source))
        try:
            return stub.Probe(request, timeout=30)
        except grpc.RpcError as exc:
            return dict(exc.trailing_metadata() or ())["imgmesh-error-code"]


def _three_frames(origin_root) -> str:
    """A 40 x 30 GIF of 3 frames, grey levels 90, 140, 190; its local:/// URL."""
    import pyvips

    folder = origin_root / "probe"
    folder.mkdir(exist_ok=True)
    image = (pyvips.Image.black(40, 30, bands=3) + 90).cast("uchar")
    pages = [(image + 50 * i).cast("uchar") for i in range(3)]  # distinct, or GIF merges them
    frames = pyvips.Image.arrayjoin(pages, across=1).copy()
    frames.set_type(pyvips.GValue.gint_type, "page-height", 30)
    frames.write_to_file(str(folder / "three.gif"))
    return "local:///probe/three.gif"


def test_probe_reads_upright_size_frames_and_format(mesh, origin_root) -> None:
    import pyvips

    folder = origin_root / "probe"
    folder.mkdir(exist_ok=True)
    image = (pyvips.Image.black(40, 30, bands=3) + 90).cast("uchar").copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)  # 90 degrees clockwise
    image.write_to_file(str(folder / "rotated.jpg"))
    _three_frames(origin_root)

    rotated = _probe(mesh, "probe/rotated.jpg")
    assert (rotated.width, rotated.height, rotated.frames) == (30, 40, 1)
    assert rotated.content_type == "image/jpeg" and not rotated.has_alpha
    animated = _probe(mesh, "probe/three.gif")
    assert (animated.width, animated.height, animated.frames) == (40, 30, 3)
    assert animated.content_type == "image/gif"
    logo = _probe(mesh, "synthetic/logo.png")
    assert (logo.width, logo.height, logo.content_type, logo.has_alpha) == (
        60,
        40,
        "image/png",
        True,
    )
    assert _probe(mesh, "probe/missing.jpg") == "source_not_found"
    assert _probe(mesh, "bad/corrupt.jpg") == "unsupported_image"


def test_a_rotated_camera_jpeg_is_planned_upright(imgproxy: str, origin_root) -> None:
    """The geometry is planned on the upright size: fill 30 x 40 of a 40 x 30
    JPEG tagged orientation 6 is the whole image, not a crop."""
    import pyvips

    folder = origin_root / "probe"
    folder.mkdir(exist_ok=True)
    image = pyvips.Image.xyz(40, 30)[0].cast("uchar").bandjoin([0, 0]).copy(interpretation="srgb")
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    image.write_to_file(str(folder / "ramp.jpg"), Q=100)
    pixels = get(f"{imgproxy}/insecure/rs:fill:30:40/plain/local:///probe/ramp.jpg@png").pixels()
    assert pixels.shape[:2] == (40, 30)
    # upright, the source's x ramp runs top to bottom (rotated 90 degrees clockwise)
    assert pixels[0, 15, 0] < 8 and pixels[39, 15, 0] > 30


def test_skip_processing_serves_the_source_bytes(imgproxy: str, origin_root) -> None:
    original = (origin_root / "synthetic" / "logo.png").read_bytes()
    served = get(f"{imgproxy}/insecure/rs:fit:10:10/skp:png/plain/local:///synthetic/logo.png")
    assert served.status == 200 and served.body == original
    assert served.headers["content-type"] == "image/png"
    # another format asked: processed as usual
    webp = get(f"{imgproxy}/insecure/rs:fit:10:10/skp:png/plain/local:///synthetic/logo.png@webp")
    assert webp.headers["content-type"] == "image/webp" and webp.image().width == 10
    # a format not listed: processed
    jpeg = get(f"{imgproxy}/insecure/rs:fit:10:10/skp:jpg/plain/local:///synthetic/logo.png")
    assert jpeg.image().width == 10


def test_an_animation_is_a_still_unless_max_animation_frames_allows(
    imgproxy: str, security_options: str, origin_root
) -> None:
    """imgproxy's MAX_ANIMATION_FRAMES defaults to 1: the first frame only."""
    import pyvips

    url = _three_frames(origin_root)
    still = get(f"{imgproxy}/insecure/rs:fit:20:20/plain/{url}")
    assert still.headers["content-type"] == "image/gif"
    image = pyvips.Image.new_from_buffer(still.body, "", n=-1)
    assert (image.width, image.height) == (20, 15)  # one frame
    assert abs(image.numpy()[..., 0].mean() - 90) < 3
    two = get(f"{security_options}/insecure/maf:2/rs:fit:20:20/plain/{url}")
    frames = pyvips.Image.new_from_buffer(two.body, "", n=-1)
    assert (frames.width, frames.height, frames.get("n-pages")) == (20, 30, 2)
    levels = frames.numpy()[..., 0].reshape(2, 15, 20).mean(axis=(1, 2))
    assert np.allclose(levels, [90, 140], atol=3)


@pytest.mark.parametrize(
    "options,message",
    [
        ("msfs:100", "Source image file is too big"),
        ("msr:0.0001", "Source image resolution is too big"),
        ("maf:3/msr:0.003", "Source image resolution is too big"),  # 3 x 1200 px
        ("maf:3/mafr:0.001", "Source image frame resolution is too big"),
    ],
)
def test_security_options_refuse_the_source(
    security_options: str, origin_root, options: str, message: str
) -> None:
    r = get(f"{security_options}/insecure/{options}/plain/{_three_frames(origin_root)}")
    assert r.status == 422, r.body[:200]
    assert r.json()["message"] == message
    assert (
        get(
            f"{security_options}/insecure/maf:3/msr:0.004/plain/{_three_frames(origin_root)}"
        ).status
        == 200
    )


# wm: the watermark (IMGPROXY_WATERMARK_PATH = synthetic/logo.png, 60 x 40:
# opaque red left half, half-transparent green right half) on geometry.png,
# whose pixels say where they are (red = x, green = 2 y, blue 128).
@pytest.fixture(scope="module")
def watermarked(mesh, origin_root, tmp_path_factory) -> Iterator[str]:
    env = {"IMGPROXY_WATERMARK_PATH": str(origin_root / "synthetic" / "logo.png")}
    log = tmp_path_factory.mktemp("imgproxy") / "gateway-wm.log"
    with extra_gateway(mesh.ports, [], env, log) as url:
        yield url + "/imgproxy"


def _over(x: int, y: int, layer: tuple[int, int, int], alpha: float) -> np.ndarray:
    """geometry.png's pixel at (x, y) under ``layer`` at ``alpha``."""
    return np.array(layer) * alpha + np.array([x, 2 * y, 128]) * (1 - alpha)


RED, GREEN = (255, 0, 0), (0, 255, 0)


@pytest.mark.parametrize(
    "wm,checks",
    [
        # north-west: the watermark's top-left at (0, 0)
        ("wm:1:nowe", [((5, 5), RED, 1), ((35, 5), GREEN, 128 / 255), ((70, 5), RED, 0)]),
        # south-east, 10 / 5 px in: top-left at (200 - 60 - 10, 100 - 40 - 5)
        ("wm:1:soea:10:5", [((131, 56), RED, 1), ((129, 56), RED, 0), ((131, 54), RED, 0)]),
        # centre (imgproxy's ShrinkToEven: (141 / 2, 61 / 2) -> (70, 30)), half opacity
        ("wm:0.5:ce", [((70, 30), RED, 0.5), ((69, 30), RED, 0), ((70, 29), RED, 0)]),
        # relative offsets: 0.1 of the sides from the west / north edges
        ("wm:1:nowe:0.1:0.1", [((20, 10), RED, 1), ((19, 10), RED, 0)]),
        # overflow: 40 px past the east edge, only its red 20 px inside
        ("wm:1:ea:-40", [((180, 30), RED, 1), ((199, 69), RED, 1), ((179, 30), RED, 0)]),
        # scale 0.5: fitted into 100 x 50, enlarged to 75 x 50 (its red half 37 px)
        (
            "wm:1:nowe:0:0:0.5",
            [((36, 49), RED, 1), ((74, 49), GREEN, 128 / 255), ((75, 5), RED, 0)],
        ),
        # replicated: 5 x 3 copies, 300 x 120 px, cut at (50, 10): x 0..9 is a
        # green half, x 10..39 the next copy's red
        ("wm:1:re", [((0, 0), GREEN, 128 / 255), ((10, 0), RED, 1), ((39, 29), RED, 1)]),
        # replicated with 20 / 10 px between copies: 80 x 50 tiles, 3 x 3
        # (240 x 150) cut at (20, 25): (0, 0) is tile (20, 25), the watermark's
        # (10, 20) inside its padding (10, 5)
        ("wm:1:re:20:10", [((0, 0), RED, 1), ((50, 0), RED, 0), ((0, 20), RED, 0)]),
    ],
)
def test_watermark_placement(watermarked: str, wm: str, checks) -> None:
    pixels = get(f"{watermarked}/insecure/{wm}/plain/{GEOMETRY}@png").pixels().astype(float)
    assert pixels.shape[:2] == (100, 200)
    for (x, y), layer, alpha in checks:
        assert np.abs(pixels[y, x, :3] - _over(x, y, layer, alpha)).max() <= 2, (x, y)


def test_watermark_url_and_no_watermark(watermarked: str, imgproxy: str) -> None:
    halves = base64.urlsafe_b64encode(b"local:///synthetic/halves.png").decode()
    url = f"{watermarked}/insecure/wm:1:nowe/wmu:{halves}/plain/{GEOMETRY}@png"
    pixels = get(url).pixels()
    assert tuple(pixels[10, 10, :3]) == RED and tuple(pixels[10, 150, :3]) == (0, 0, 255)
    # no watermark image configured: wm draws nothing, as in imgproxy
    plain = get(f"{imgproxy}/insecure/plain/{GEOMETRY}@png").pixels()
    assert np.array_equal(
        get(f"{imgproxy}/insecure/wm:1:nowe/plain/{GEOMETRY}@png").pixels(), plain
    )
    assert get(f"{watermarked}/insecure/wm:1:xx/plain/{GEOMETRY}").status == 404


def test_extend_and_padding_without_background_are_transparent(imgproxy: str) -> None:
    pixels = get(f"{imgproxy}/insecure/rs:fit:100:100/ex:1/pd:0:10/plain/{GEOMETRY}@png").pixels()
    assert pixels.shape == (100, 120, 4)
    assert pixels[0, 60, 3] == 0 and pixels[50, 5, 3] == 0  # extend's band, padding's side
    assert pixels[50, 60, 3] == 255 and pixels[50, 60, 2] == 128  # the image


def test_trim_with_a_colour_and_equal_margins(imgproxy: str, origin_root) -> None:
    """framed.png: a 400 px photo in a 20 px white border; margins.png: a
    20 x 20 black block on white with margins 10 (left), 70 (right), 30
    (top), 10 (bottom)."""
    import pyvips

    white = (pyvips.Image.black(100, 60, bands=3) + 255).cast("uchar")
    block = pyvips.Image.black(20, 20, bands=3).cast("uchar")
    folder = origin_root / "probe"
    folder.mkdir(exist_ok=True)
    white.insert(block, 10, 30).copy(interpretation="srgb").write_to_file(
        str(folder / "margins.png")
    )
    framed = "local:///synthetic/framed.png"
    assert _size(f"{imgproxy}/insecure/t:10:ffffff/plain/{framed}") == (400, 400)
    # a colour that is not the border's: nothing is trimmed
    assert _size(f"{imgproxy}/insecure/t:10:000000/plain/{framed}") == (440, 440)
    margins = "local:///probe/margins.png"
    assert _size(f"{imgproxy}/insecure/t:10/plain/{margins}") == (20, 20)
    assert _size(f"{imgproxy}/insecure/t:10:fff:1/plain/{margins}") == (80, 20)
    assert _size(f"{imgproxy}/insecure/t:10::0:1/plain/{margins}") == (20, 40)
    both = get(f"{imgproxy}/insecure/t:10:fff:1:1/plain/{margins}@png").pixels()
    assert both.shape[:2] == (40, 80)
    # the box is (10, 10) 80 x 40 of the source: the block at (0, 20) in it
    assert (both[20:40, 0:20, :3] == 0).all() and (both[0:20, :, :3] == 255).all()
    assert (both[20:40, 20:, :3] == 255).all()


def test_colorize_keeping_the_alpha(imgproxy: str) -> None:
    """logo.png: opaque red left half, green at alpha 128 on the right."""
    logo = "local:///synthetic/logo.png"
    kept = get(f"{imgproxy}/insecure/col:0.5:0000ff:1/plain/{logo}@png").pixels().astype(int)
    assert kept[20, 45, 3] == 128 and kept[20, 5, 3] == 255  # alpha as it was
    assert np.abs(kept[20, 5, :3] - [128, 0, 128]).max() <= 1  # red half-way to blue
    assert np.abs(kept[20, 45, :3] - [0, 128, 128]).max() <= 1
    covered = get(f"{imgproxy}/insecure/col:0.5:0000ff/plain/{logo}@png").pixels().astype(int)
    assert covered[20, 45, 3] > 128  # the colour layer covers the translucent half


def test_monochrome_and_duotone(imgproxy: str) -> None:
    red = get(f"{imgproxy}/insecure/mc:1:ff0000/plain/{GEOMETRY}@png").pixels()
    assert (red[..., 1:3] == 0).all() and red[..., 0].max() > 100
    grey = get(f"{imgproxy}/insecure/dt:1/plain/{GEOMETRY}@png").pixels().astype(int)
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    assert grey[0, 0, 0] < grey[99, 199, 0]  # darker where red and green are low


def test_chained_pipelines(imgproxy: str, watermarked: str) -> None:
    """Each pipeline runs on the previous one's result (imgproxy Pro's ``-``)."""
    assert _size(f"{imgproxy}/insecure/rs:fit:100:100/-/rs:fill:50:20/plain/{GEOMETRY}") == (50, 20)
    # fast trim: the 440 px framed photo fitted to 220, then its (now 10 px) border trimmed
    w, h = _size(f"{imgproxy}/insecure/rs:fit:220:220/-/t:10/plain/local:///synthetic/framed.png")
    assert 198 <= w <= 202 and 198 <= h <= 202
    # two watermarks, one per pipeline
    pixels = get(f"{watermarked}/insecure/wm:1:nowe/-/wm:1:soea/plain/{GEOMETRY}@png").pixels()
    assert tuple(pixels[5, 5, :3]) == RED and tuple(pixels[65, 145, :3]) == RED
    assert tuple(pixels[50, 100, :3]) == (100, 100, 128)  # untouched between them


# imgproxy Pro's /info endpoint, from the source's header.
def test_info_answers_size_format_dimensions_and_exif(imgproxy: str, origin_root) -> None:
    import pyvips

    folder = origin_root / "probe"
    folder.mkdir(exist_ok=True)
    image = (pyvips.Image.black(40, 30, bands=3) + 90).cast("uchar").copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Artist", "Ann Example")
    image.write_to_file(str(folder / "exif.jpg"))
    size = (folder / "exif.jpg").stat().st_size
    r = get(f"{imgproxy}/info/insecure/plain/local:///probe/exif.jpg")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    info = r.json()
    assert (info["size"], info["format"], info["mime_type"]) == (size, "jpeg", "image/jpeg")
    assert (info["width"], info["height"], info["orientation"]) == (30, 40, 6)
    assert info["exif"]["Artist"] == "Ann Example"
    only = get(
        f"{imgproxy}/info/insecure/s:0/f:0/exif:0/pn:1/a:1/plain/{_three_frames(origin_root)}"
    )
    # libvips loads a GIF with an alpha band, as imgproxy (on libvips) reports it
    expected = {"width": 40, "height": 30, "orientation": 1, "pages_number": 3, "alpha": True}
    assert only.json() == expected
    assert get(f"{imgproxy}/info/insecure/a:1/plain/{GEOMETRY}").json()["alpha"] is False


@pytest.mark.parametrize(
    "path,status,code",
    [
        (f"/info/insecure/nope:1/plain/{GEOMETRY}", 404, "imgproxy_invalid_url"),
        (f"/info/insecure/p:8/plain/{GEOMETRY}", 501, "imgproxy_option_not_supported"),
        (f"/info/insecure/msr:1/plain/{GEOMETRY}", 403, "imgproxy_forbidden_option"),
        ("/info/insecure/plain/local:///synthetic/missing.png", 404, "source_not_found"),
    ],
)
def test_info_statuses(imgproxy: str, path: str, status: int, code: str) -> None:
    r = get(imgproxy + path)
    assert r.status == status and r.json()["code"] == code, r.body[:200]


ASTRONAUT = "local:///photos/skimage/astronaut.png"  # 512 x 512, one face


def _changed_box(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels that differ, or None."""
    ys, xs = np.nonzero(np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 0)
    return None if xs.size == 0 else (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_blur_and_draw_detections(imgproxy: str) -> None:
    """imgproxy Pro's bd / dd on BlazeFace: only the face's box changes."""
    plain = get(f"{imgproxy}/insecure/plain/{ASTRONAUT}@png").pixels()
    blurred = get(f"{imgproxy}/insecure/bd:8:face/plain/{ASTRONAUT}@png").pixels()
    box = _changed_box(plain, blurred)
    assert box is not None
    left, top, right, bottom = box
    assert 20 < right - left < 200 and 20 < bottom - top < 200  # a face, not the image
    assert 100 < left < 300 and 30 < top < 200  # the astronaut's face, upper middle
    face = (slice(top, bottom), slice(left, right))
    # blurred: less detail inside the box (mean absolute horizontal gradient)
    detail = [np.abs(np.diff(p[face].astype(int), axis=1)).mean() for p in (plain, blurred)]
    assert detail[1] < detail[0] * 0.6
    # a class that is not in the picture changes nothing
    none = get(f"{imgproxy}/insecure/bd:8:giraffe/plain/{ASTRONAUT}@png").pixels()
    assert np.array_equal(none, plain)
    drawn = get(f"{imgproxy}/insecure/dd:1:face/plain/{ASTRONAUT}@png").pixels()
    drawn_box = _changed_box(plain, drawn)
    assert drawn_box is not None and abs(drawn_box[0] - left) <= 2 and abs(drawn_box[1] - top) <= 2
    assert get(f"{imgproxy}/insecure/bd:8:unicorn/plain/{ASTRONAUT}").status == 404


def test_object_gravity_over_several_classes(imgproxy: str) -> None:
    """g:obj:face:giraffe frames what face alone frames (no giraffe here);
    g:obj:all frames the astronaut, not the centre."""
    fill = f"{imgproxy}/insecure/rs:fill:100:300/f:png"
    face, several, every, centre = (
        get(f"{fill}/{g}/plain/{ASTRONAUT}").pixels()[..., :3].astype(float)
        for g in ("g:obj:face", "g:obj:face:giraffe", "g:obj:all", "g:ce")
    )
    assert face.shape == (300, 100, 3)
    assert np.abs(face - several).mean() < 2 < np.abs(face - centre).mean()
    assert every.shape == (300, 100, 3) and np.abs(every - centre).mean() > 2  # framed, not centred


def test_info_objects_and_average(imgproxy: str) -> None:
    info = get(f"{imgproxy}/info/insecure/do:1/avg:1/plain/{ASTRONAUT}").json()
    faces = [o for o in info["objects"] if o["class_name"] == "face"]
    assert len(faces) == 1 and faces[0]["class_id"] == 0 and faces[0]["confidence"] > 0.5
    face = faces[0]
    assert 0.3 < face["left"] + face["width"] / 2 < 0.6 and 0.1 < face["top"] < 0.4
    assert all(0 <= o["class_id"] <= 80 and o["confidence"] >= 0.25 for o in info["objects"])
    assert set(info["average"]) == {"R", "G", "B", "A"} and info["average"]["A"] == 255
    halves = get(f"{imgproxy}/info/insecure/avg:1/plain/local:///synthetic/halves.png").json()
    assert halves["average"] == {"R": 128, "G": 0, "B": 128, "A": 255}
    logo = get(f"{imgproxy}/info/insecure/avg:1/plain/local:///synthetic/logo.png").json()
    assert logo["average"] == {"R": 128, "G": 128, "B": 0, "A": 192}  # (255+0)/2, (255+128)/2


def test_watermark_text(imgproxy: str) -> None:
    """imgproxy Pro's wmt: Pango markup, black by default, at the compass
    position with its offsets (on the white-free geometry.png)."""
    markup = base64.urlsafe_b64encode(b'<span foreground="white">HHHH</span>').decode()
    plain = get(f"{imgproxy}/insecure/plain/{GEOMETRY}@png").pixels()
    for wm, (x0, x1, y0, y1) in {
        "wm:1:nowe:5:5": (5, 60, 5, 30),
        "wm:1:soea:5:5": (140, 195, 70, 95),
    }.items():
        out = get(f"{imgproxy}/insecure/{wm}/wmt:{markup}/plain/{GEOMETRY}@png").pixels()
        ys, xs = np.nonzero(np.abs(out.astype(int) - plain.astype(int)).max(axis=2) > 40)
        assert xs.size and x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1, wm
        assert (out[ys, xs, :3].min(axis=1) > 200).any()  # the markup's white ink
    edge = get(f"{imgproxy}/insecure/wm:1:nowe:5:5/wmt:{markup}/plain/{GEOMETRY}@png").pixels()
    ys, xs = np.nonzero(np.abs(edge.astype(int) - plain.astype(int)).max(axis=2) > 40)
    assert xs.min() in range(5, 9) and ys.min() in range(5, 12)  # 5 px in (the glyphs' bearing)
    bad = base64.urlsafe_b64encode(b"<span foo='x'>H").decode()
    assert get(f"{imgproxy}/insecure/wm:1/wmt:{bad}/plain/{GEOMETRY}").status == 400
    assert get(f"{imgproxy}/insecure/wm:1:re/wmt:{markup}/plain/{GEOMETRY}").status == 501


def test_info_dominant_colors(imgproxy: str) -> None:
    """halves.png: pure red and pure blue halves, both in vibrant's ranges
    only (HSL lightness 0.5), which takes one of them; no other target fits."""
    found = get(f"{imgproxy}/info/insecure/dc:1/plain/local:///synthetic/halves.png").json()
    colours = found["dominant_colors"]
    assert list(colours) == ["vibrant"]
    assert tuple(colours["vibrant"].values()) in {(252, 4, 4), (4, 4, 252)}
    assert get(f"{imgproxy}/info/insecure/dc:1:1/plain/{GEOMETRY}").status == 501  # build_missed


@pytest.mark.parametrize(
    "options,status",
    [
        ("t:nan", 404),  # Go parses nan and inf; no option can use them
        ("z:inf", 404),
        ("wm:1:ce:inf", 404),
        ("pd:4000000000", 422),  # beyond any image
        (f"wm:1/wmt:{base64.urlsafe_b64encode(b'<big>H</big>').decode()}", 404),  # sizing markup
        ("wm:1/wmt:" + base64.urlsafe_b64encode(b"<span size='99999'>H</span>").decode(), 404),
    ],
)
def test_values_no_image_can_take_are_refused(imgproxy: str, options: str, status: int) -> None:
    r = get(f"{imgproxy}/insecure/{options}/plain/{GEOMETRY}")
    assert r.status == status, r.body[:200]
    assert r.json()["code"] in ("imgproxy_invalid_url", "impossible_edit")


def test_max_result_dimension_holds_in_a_chained_pipeline(security_options: str) -> None:
    url = f"{security_options}/insecure/mrd:50/-/rs:fit:1000:1000/el:1/plain/{GEOMETRY}"
    assert max(_size(url)) == 50
