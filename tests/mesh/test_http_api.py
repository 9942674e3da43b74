"""The URL API through the real mesh: gateway -> gRPC -> transform_svc -> Triton."""

from __future__ import annotations

import http.client

import numpy as np
import pytest
import pyvips

from tests.conftest import CAMERA_FILES
from tests.helpers import Reply, get, source_file

COFFEE = "/photos/skimage/coffee.png"  # 600 x 400 RGB PNG
CHELSEA = "/photos/skimage/chelsea.png"  # 451 x 300 RGB PNG
ASTRONAUT = "/photos/skimage/astronaut.png"  # 512 x 512 RGB PNG
PORTRAIT_JPEG = "/photos/thumbor/800px-Katherine_Maher.jpg"  # 800 x 533 JPEG


def size(reply: Reply) -> tuple[int, int]:
    image = reply.image()
    return image.width, image.height


# --- the three example URLs -------------------------------------------


def test_smart_crop_to_webp(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-400,h-300,fo-auto,f-webp")
    assert r.status == 200
    assert r.headers["content-type"] == "image/webp"
    assert int(r.headers["content-length"]) == len(r.body)
    assert r.headers["vary"] == "Accept"
    assert "max-age" in r.headers["cache-control"]
    assert r.image().get("vips-loader").startswith("webpload")
    assert size(r) == (400, 300)


def test_background_removal_example(base_url):
    r = get(f"{base_url}{ASTRONAUT}?tr=e-bgremove,w-512")
    assert r.status == 200 and r.headers["content-type"] == "image/png"
    px = r.pixels()
    assert px.shape == (512, 512, 4)
    alpha = px[..., 3]
    assert alpha[5:40, 470:507].max() < 40  # plain backdrop, top right: transparent
    assert alpha[110:150, 200:240].min() > 200  # the astronaut's face: opaque
    assert alpha[300:380, 150:250].min() > 200  # the orange suit: opaque


def test_pad_resize_with_background_colour(base_url):
    r = get(f"{base_url}/tr:w-300,h-300,cm-pad_resize,bg-F3F3F3{CHELSEA}")
    assert r.status == 200 and r.headers["content-type"] == "image/png"
    px = r.pixels()
    assert px.shape[:2] == (300, 300)
    # 451x300 fits as 300x200: 50 px bands of F3F3F3 above and below, photo between.
    assert (px[:49, :, :3] == 243).all() and (px[251:, :, :3] == 243).all()
    assert np.abs(px[60:240, :, :3].astype(int) - 243).mean() > 30


# --- geometry of every crop strategy --------------------------------------------


@pytest.mark.parametrize(
    "tr,expected",
    [
        ("w-300", (300, 200)),
        ("h-100", (150, 100)),
        ("w-0.5", (300, 200)),
        ("w-300,h-300", (300, 300)),
        ("w-200,ar-1-1", (200, 200)),
        ("h-100,ar-3-1", (300, 100)),
        ("w-300,h-100,c-force", (300, 100)),
        ("w-300,h-300,c-at_max", (300, 200)),
        ("w-1200,h-1200,c-at_max", (600, 400)),
        ("w-300,h-300,c-at_least", (450, 300)),
        ("w-1200,h-100,c-maintain_ratio", (1200, 100)),
        ("w-300,h-300,cm-pad_resize", (300, 300)),
        ("w-100,h-50,cm-extract", (100, 50)),
        ("w-700,h-500,cm-pad_extract", (700, 500)),
        ("rt-90", (400, 600)),
        ("w-300:rt-270", (200, 300)),
        ("rt-45,w-100", (118, 118)),  # 100x67 rotated: (100 + 67) cos 45
    ],
)
def test_output_dimensions(base_url, tr, expected):
    r = get(f"{base_url}{COFFEE}?tr={tr}")
    assert r.status == 200, r.body[:200]
    assert size(r) == expected


def test_extract_takes_pixels_at_the_focus_unscaled(base_url):
    source = pyvips.Image.new_from_file(str(source_file(COFFEE))).numpy()
    r = get(f"{base_url}{COFFEE}?tr=w-100,h-50,cm-extract,fo-top_left")
    assert (r.pixels() == source[:50, :100]).all()
    r = get(f"{base_url}{COFFEE}?tr=w-100,h-50,cm-extract")
    assert (r.pixels() == source[175:225, 250:350]).all()


def test_pad_extract_pads_with_imagekit_default_black(base_url):
    px = get(f"{base_url}{COFFEE}?tr=w-700,h-400,cm-pad_extract").pixels()
    assert (px[:, :49] == 0).all() and (px[:, 651:] == 0).all()
    assert px[:, 60:640].mean() > 40


def test_extract_larger_than_image_is_impossible(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-700,h-100,cm-extract")
    assert r.status == 422 and r.json()["code"] == "impossible_edit"


@pytest.mark.parametrize(
    "focus,colour",
    [
        ("left", (255, 0, 0)),
        ("right", (0, 0, 255)),
        ("top_left", (255, 0, 0)),
        ("bottom_right", (0, 0, 255)),
    ],
)
def test_compass_focus_keeps_that_side(base_url, focus, colour):
    px = get(f"{base_url}/synthetic/halves.png?tr=w-100,h-100,fo-{focus}").pixels()
    assert px.shape == (100, 100, 3)
    assert (np.abs(px.astype(int) - colour).max(axis=2) <= 2).mean() > 0.98


def test_center_focus_keeps_the_middle(base_url):
    px = get(f"{base_url}/synthetic/halves.png?tr=w-100,h-100").pixels()
    assert px[50, 10].tolist() == [255, 0, 0] and px[50, 90].tolist() == [0, 0, 255]


def test_auto_focus_keeps_the_salient_region(base_url):
    def photo_fraction(tr: str) -> float:
        px = get(f"{base_url}/synthetic/salient.png?tr={tr}").pixels().astype(int)
        return float((np.abs(px - 128).max(axis=2) > 3).mean())

    assert photo_fraction("w-400,h-400") < 0.01  # the centre crop is the flat grey
    assert photo_fraction("w-400,h-400,fo-auto") > 0.7  # attention found the photo


# --- formats --------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept,content_type",
    [
        ("image/avif,image/webp,*/*", "image/avif"),
        ("image/webp,*/*", "image/webp"),
        ("*/*", "image/png"),
    ],
)
def test_f_auto_negotiates_from_accept(base_url, accept, content_type):
    r = get(f"{base_url}{CHELSEA}?tr=w-100,f-auto", headers={"Accept": accept})
    assert r.headers["content-type"] == content_type
    assert r.headers["vary"] == "Accept"
    assert size(r) == (100, 67)


def test_jpeg_source_stays_jpeg_without_modern_accept(base_url):
    r = get(f"{base_url}{PORTRAIT_JPEG}?tr=w-200")
    assert r.headers["content-type"] == "image/jpeg"


def test_alpha_survives_f_auto_as_png_for_a_jpeg_source(base_url):
    r = get(f"{base_url}{PORTRAIT_JPEG}?tr=w-300,e-bgremove")
    assert r.headers["content-type"] == "image/png"
    assert r.image().bands == 4


def test_explicit_jpeg_flattens_alpha(base_url):
    r = get(f"{base_url}{PORTRAIT_JPEG}?tr=w-300,e-bgremove,f-jpg")
    assert r.headers["content-type"] == "image/jpeg" and r.image().bands == 3


def test_quality_changes_size(base_url):
    low = get(f"{base_url}{COFFEE}?tr=f-jpg,q-10").body
    high = get(f"{base_url}{COFFEE}?tr=f-jpg,q-95").body
    assert len(low) * 3 < len(high)


def test_blur_removes_detail(base_url):
    def detail(tr: str) -> float:
        px = get(f"{base_url}{COFFEE}?tr={tr}").pixels().astype(float)
        return float(np.abs(np.diff(px, axis=1)).mean())

    assert detail("bl-20,f-png") < detail("f-png") / 3


def test_bg_colour_flattens_cutout(base_url):
    px = get(f"{base_url}{ASTRONAUT}?tr=e-bgremove,w-256:bg-00FF00").pixels()
    assert px.shape == (256, 256, 3)
    assert px[5:20, 236:250].tolist()[0][0] == [0, 255, 0]


# --- errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,status,code,parameter",
    [
        (f"{COFFEE}?tr=zz-1", 400, "unknown_parameter", "zz"),
        (f"{COFFEE}?tr=w-abc", 400, "invalid_parameter", "w"),
        (f"{COFFEE}?tr=fo-middle,w-10", 400, "invalid_parameter", "fo"),
        ("/photos/missing.png", 404, "source_not_found", None),
        ("/bad/corrupt.jpg?tr=w-100", 415, "unsupported_image", None),
        ("/bad/notes.txt", 415, "unsupported_image", None),
    ],
)
def test_errors_are_json_with_a_stable_code(base_url, path, status, code, parameter):
    r = get(f"{base_url}{path}")
    assert r.status == status
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["code"] == code and body["message"]
    if parameter:
        assert body["parameter"] == parameter and body["allowed"]


@pytest.mark.parametrize(
    "raw_path",
    [
        "/photos/../../../../etc/passwd",
        "/photos/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%2Fetc%2Fpasswd",
        "//etc/passwd",
    ],
)
def test_path_traversal_is_not_found_without_leaking_paths(base_url, raw_path):
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", raw_path)
    resp = conn.getresponse()
    body = resp.read().decode()
    assert resp.status in (400, 404)
    assert "/etc" not in body and "/tmp" not in body and "root" not in body


# --- observability ----------------------------------------------------------------


def test_gateway_and_transform_metrics(base_url, mesh):
    # (a first resize fuses into the decode: the chained second one runs as an op)
    get(f"{base_url}{COFFEE}?tr=w-50:w-20")
    text = get(f"{base_url}/metrics").body.decode()
    assert 'imgmesh_gateway_requests_total{dialect="imagekit",route="image",status="200"}' in text
    get(f"{base_url}/thumbor/unsafe/50x50{COFFEE}")
    text = get(f"{base_url}/metrics").body.decode()
    assert 'imgmesh_gateway_requests_total{dialect="thumbor",route="thumbor",status="200"}' in text
    t = get(f"http://127.0.0.1:{mesh.ports.transform_metrics}/metrics").body.decode()
    assert 'imgmesh_transform_op_seconds_count{op="resize"}' in t
    assert 'imgmesh_transform_renders_total{code="ok"}' in t


def test_one_trace_spans_gateway_transform_and_triton(base_url, mesh):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    assert get(f"{base_url}{CHELSEA}?tr=w-64,e-bgremove", headers=headers).status == 200
    gateway_log = (mesh.log_dir / "gateway.log").read_text()
    transform_log = (mesh.log_dir / "transform_svc.log").read_text()
    assert f"0x{trace_id}" in gateway_log
    tagged = [line for line in transform_log.splitlines() if "name" in line]
    assert f"0x{trace_id}" in transform_log and tagged
    spans = transform_log.split(f'"trace_id": "0x{trace_id}"')
    assert len(spans) >= 3  # Render server span, op spans, triton.infer


# Everyday single-step transformations (issue [6]'s probe) on the photo people
# send, in every format they send it: (transformation, output size for a 4:3
# source, or None where only a decodable image is asserted).
EVERYDAY = [
    ("w-300", (300, 225)),
    ("w-300,h-300", (300, 300)),
    ("w-300,h-300,fo-auto", (300, 300)),
    ("w-300,h-200,fo-top", (300, 200)),
    ("w-400,h-400,c-at_max", (400, 300)),
    ("w-400,h-400,cm-pad_resize,bg-F3F3F3", (400, 400)),
    ("w-1000,rt-45", None),
    ("w-500,rt-90", (375, 500)),
    ("w-500,fl-h", (500, 375)),
    ("w-500,bl-10", (500, 375)),
    ("w-500,e-sharpen", (500, 375)),
    ("w-500,e-usm-2-1-1-0.1", (500, 375)),
    ("w-500,e-grayscale", (500, 375)),
    ("e-contrast,w-500", (500, 375)),
    ("t-true,w-500", None),
    ("w-500,t-true", None),
    ("w-500,b-5_FF0000", (510, 385)),
    ("w-500,r-20", (500, 375)),
    ("w-500,r-max", (500, 375)),
    ("w-500,e-gradient", (500, 375)),
    ("w-500,e-shadow", None),
    ("w-500,q-50", (500, 375)),
    ("w-500,f-webp", (500, 375)),
    ("w-300,f-avif", (300, 225)),
    ("w-300,f-png", (300, 225)),
    ("w-300,pr-true", (300, 225)),
    ("w-800,ar-16-9", (800, 450)),
    ("w-200,h-200,cm-extract", (200, 200)),
    ("w-300,dpr-2", (600, 450)),
    ("w-500,l-text,i-hello,l-end", (500, 375)),
    ("bl-5:w-300", (300, 225)),
    ("w-300:e-grayscale", (300, 225)),
]


@pytest.mark.parametrize("rel", list(CAMERA_FILES))
@pytest.mark.parametrize(("tr", "size"), EVERYDAY, ids=[tr for tr, _ in EVERYDAY])
def test_everyday_edits_on_camera_photos(base_url: str, rel: str, tr: str, size) -> None:
    r = get(f"{base_url}/{rel}?tr={tr}")
    assert r.status == 200, r.body[:300]
    image = r.image()
    if size is not None:
        assert (image.width, image.height) == size
    assert image.avg() > 0
