"""Issue [11]: ImageKit URL parity through the real mesh, with exact geometry:
arithmetic expressions, conditional transformations, every layer parameter
(positions, anchor, layer modes against a numpy reference, opacity, solid-colour
and text layers), encoded path segments and URL endpoints with a path prefix."""

from __future__ import annotations

import base64
from urllib.parse import quote

import numpy as np
import pytest

from tests.helpers import extra_gateway, get
from tests.helpers import image_size as size

COFFEE = "/photos/skimage/coffee.png"  # 600 x 400 RGB
HALVES = "/synthetic/halves.png"  # 200 x 100: left half red, right half blue
FLAT = "/synthetic/flat.png"  # 600 x 400, grey levels 100..150


# --- arithmetic expressions ---------------------------------------------------------


@pytest.mark.parametrize(
    "tr,expected",
    [
        ("w-iw_div_2", (300, 200)),
        ("h-ih_mul_0.25", (150, 100)),
        ("w-iw_sub_100_div_2", (550, 367)),  # 600 - (100 / 2): division first
        ("w-iw_div_4_pow_1", (150, 100)),
        ("w-iw_mod_250", (100, 67)),
        ("w-iar_mul_100", (150, 100)),  # 1.5 * 100
        ("w-300:w-cw_add_20", (320, 213)),  # cw = the image after w-300
        ("e-grayscale:w-300:w-cw_add_20", (320, 213)),  # the same with no shrink-on-load
        ("w-300:w-iw_div_3", (200, 133)),  # iw = the source, whatever came before
        ("w-bw_div_6", (100, 67)),  # outside layers bw = the current image
        ("w-iw_div_2,h-ih_div_2,c-force", (300, 200)),
    ],
)
def test_arithmetic_expressions_give_exact_sizes(base_url, tr, expected):
    assert size(f"{base_url}{COFFEE}?tr={tr}") == expected


def test_expression_in_extract_position(base_url):
    px = get(f"{base_url}{HALVES}?tr=w-20,h-20,cm-extract,x-cw_div_2_add_10,y-0,f-png").pixels()
    assert (px[..., 2] > 250).all() and (px[..., 0] < 5).all()  # x = 110: inside the blue half


@pytest.mark.parametrize(
    "tr,status,code,parameter",
    [
        ("w-iw_div_0", 422, "impossible_edit", None),
        ("w-iw_sub_iw", 422, "impossible_edit", None),  # 0 px
        ("w-iw_times_2", 400, "invalid_parameter", "w"),
        ("w-iw_div", 400, "invalid_parameter", "w"),
        ("w-zz_div_2", 400, "invalid_parameter", "w"),
        ("w-iw_pow_400", 422, "impossible_edit", None),
        ("w-1000000_pow_50_mul_1000000_mul_1000000_mod_2", 422, "impossible_edit", None),
        ("w-iw_mul_100", 422, "impossible_edit", None),  # 60000 px
        (
            "l-image,i-ik_canvas,bg-red,w-5,h-5,lap-right,lx-0_sub_1000000_mul_3,l-end",
            422,
            "impossible_edit",
            None,
        ),
        ("l-image,i-ik_canvas,bg-red,w-iw_mul_100,h-5,l-end", 422, "impossible_edit", None),
    ],
)
def test_bad_expressions(base_url, tr, status, code, parameter):
    r = get(f"{base_url}{COFFEE}?tr={tr}")
    assert r.status == status and r.json()["code"] == code
    if parameter:
        assert r.json()["parameter"] == parameter


# --- conditional transformations ------------------------------------------------------


@pytest.mark.parametrize(
    "tr,expected",
    [
        ("if-w_gt_500,w-100,if-else,w-50,if-end", (100, 67)),
        ("if-w_lt_500,w-100,if-else,w-50,if-end", (50, 33)),
        ("if-ar_gt_1,w-120,if-end", (120, 80)),
        ("if-ar_lt_1,w-120,if-end", (600, 400)),  # no else: unchanged
        ("w-300:if-w_eq_300,h-50,if-end", (75, 50)),  # decided on the image after w-300
        ("w-300:if-iw_eq_300,h-50,if-else,h-20,if-end", (30, 20)),  # iw = the source
        ("if-h_gte_400:w-200:h-100:if-end", (150, 100)),  # a branch may chain steps
        ("w-400,h-300:if-ar_eq_1.33,w-40,if-end", (40, 30)),  # 4:3 to 2 decimals
    ],
)
def test_conditionals_take_the_branch_the_image_asks_for(base_url, tr, expected):
    assert size(f"{base_url}{COFFEE}?tr={tr}") == expected


@pytest.mark.parametrize(
    "tr",
    [
        "if-w_gt_500,w-100",
        "w-100,if-end",
        "w-100,if-else",
        "if-x_gt_1,w-1,if-end",
        "if-w_is_1,if-end",
        "if-w_gt_1,if-w_gt_1,if-w_gt_1,if-w_gt_1,w-9,if-end,if-end,if-end,if-end",  # too deep
    ],
)
def test_bad_conditionals_are_400(base_url, tr):
    r = get(f"{base_url}{COFFEE}?tr={tr}")
    assert r.status == 400 and r.json()["parameter"] == "if", r.json()


# --- layers --------------------------------------------------------------------------


def layer_pixels(base_url: str, layer: str, base: str = FLAT, pre: str = "w-200") -> np.ndarray:
    r = get(f"{base_url}{base}?tr={pre},{layer},f-png")
    assert r.status == 200, r.body[:300]
    return r.pixels().astype(int)


def red_box(px: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the pure red pixels."""
    red = (px[..., 0] > 240) & (px[..., 1] < 15) & (px[..., 2] < 15)
    ys, xs = np.nonzero(red)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_solid_colour_layer_is_a_block_of_its_size_at_lx_ly(base_url):
    px = layer_pixels(base_url, "l-image,i-ik_canvas,bg-FF0000,w-40,h-20,lx-10,ly-30,l-end")
    assert red_box(px) == (10, 30, 40, 20)


def test_solid_colour_layer_sizes_by_expression_of_the_base(base_url):
    # base 200 x 133: bw_div_4 = 50, bh_div_2 = 66.5 -> 67
    px = layer_pixels(base_url, "l-image,i-ik_canvas,bg-red,w-bw_div_4,h-bh_div_2,lx-0,ly-0,l-end")
    assert red_box(px) == (0, 0, 50, 67)


def test_solid_colour_layer_sides_as_ratios_of_the_base(base_url):
    # base 200 x 133: 0.5 -> 100, 0.25 -> 33.25 -> 33
    px = layer_pixels(base_url, "l-image,i-ik_canvas,bg-FF0000,w-0.5,h-0.25,lx-0,ly-0,l-end")
    assert red_box(px) == (0, 0, 100, 33)


def test_solid_colour_layer_needs_bg(base_url):
    r = get(f"{base_url}{COFFEE}?tr=l-image,i-ik_canvas,w-10,h-10,l-end")
    assert r.status == 400 and r.json()["parameter"] == "bg"


@pytest.mark.parametrize(
    "position,expected",
    [
        ("lxc-100,lyc-50", (80, 40)),  # centre at (100, 50): 40 x 20 block
        ("lx-bw_sub_50,ly-bh_mul_0.5", (150, 67)),  # 200 - 50, 133 * 0.5 = 66.5 -> 67
        ("lap-bottom_right,lx-10,ly-5", (150, 108)),  # its bottom-right 10 / 5 px inside
        ("lap-center,lx-10,ly-0", (90, 57)),  # centre 10 px right of the middle: 66.5 - 10
        ("lap-top_right,lxc-20,lyc-10", (160, 0)),  # its centre 20 px in from the right
        ("lx-N10,ly-N3", (150, 110)),  # N without lap: from the right / bottom edge
        ("lfo-bottom_left", (0, 113)),
    ],
)
def test_layer_positions(base_url, position, expected):
    layer = f"l-image,i-ik_canvas,bg-FF0000,w-40,h-20,{position},l-end"
    assert red_box(layer_pixels(base_url, layer))[:2] == expected


def test_lx_and_lxc_together_are_400(base_url):
    r = get(f"{base_url}{COFFEE}?tr=l-image,i-ik_canvas,bg-red,w-5,h-5,lx-1,lxc-3,l-end")
    assert r.status == 400 and r.json()["parameter"] == "lxc"


def test_layer_opacity_blends_with_the_base(base_url):
    base = layer_pixels(base_url, "e-grayscale", base=FLAT)
    px = layer_pixels(
        base_url, "e-grayscale,l-image,i-ik_canvas,bg-FF0000,w-40,h-20,lx-0,ly-0,al-5,l-end"
    )
    expected = 0.5 * np.array([255, 0, 0]) + 0.5 * base[5, 5]
    assert (np.abs(px[5, 5] - expected) <= 2).all()
    image_o = layer_pixels(
        base_url, "e-grayscale,l-image,i-synthetic@@halves.png,w-40,o-25,lx-0,ly-0,l-end"
    )
    expected = 0.25 * np.array([255, 0, 0]) + 0.75 * base[5, 5]
    assert (np.abs(image_o[5, 5] - expected) <= 2).all()


def test_multiply_layer_matches_numpy(base_url):
    base = layer_pixels(base_url, "q-90", base=COFFEE)
    layer = "l-image,i-ik_canvas,bg-8040C0,w-50,h-40,lx-20,ly-10,lm-multiply,l-end"
    px = layer_pixels(base_url, layer, base=COFFEE)
    colour = np.array([0x80, 0x40, 0xC0])
    expected = base[10:50, 20:70] * colour / 255
    assert np.abs(px[10:50, 20:70] - expected).max() <= 2
    assert (px[60:, :] == base[60:, :]).all()  # elsewhere untouched


def test_cutout_makes_the_layer_area_transparent(base_url):
    layer = "l-image,i-ik_canvas,bg-000000,w-50,h-40,lx-20,ly-10,lm-cutout,l-end"
    px = layer_pixels(base_url, layer, base=COFFEE)
    assert px.shape[2] == 4
    assert (px[10:50, 20:70, 3] == 0).all() and (px[60:, :, 3] == 255).all()


def test_cutter_keeps_only_the_image_under_the_layer(base_url):
    base = layer_pixels(base_url, "q-90", base=COFFEE)
    layer = "l-image,i-ik_canvas,bg-000000,w-50,h-40,lx-20,ly-10,lm-cutter,l-end"
    px = layer_pixels(base_url, layer, base=COFFEE)
    assert px.shape == (40, 50, 4)
    assert (px[..., 3] == 255).all() and (px[..., :3] == base[10:50, 20:70]).all()


def test_displace_moves_pixels_by_the_map(base_url):
    # a map whose red is 255 everywhere: every pixel under it takes the one 8 px right
    base = layer_pixels(base_url, "q-90", base=HALVES, pre="w-200")
    layer = "l-image,i-ik_canvas,bg-FF8000,w-40,h-40,lfo-center,lx-8,ly-1,lm-displace,l-end"
    px = layer_pixels(base_url, layer, base=HALVES, pre="w-200")
    # the layer covers x 80..119; at x 92..99 the source x 100..107 is blue
    assert (px[50, 93:99, 2] > 240).all() and (base[50, 93:99, 0] > 240).all()
    assert (px[50, 130:] == base[50, 130:]).all()


def test_blend_mode_must_be_known(base_url):
    r = get(f"{base_url}{COFFEE}?tr=l-image,i-ik_canvas,bg-red,lm-screen,l-end")
    assert r.status == 400 and r.json()["parameter"] == "lm"


def text_mask(px: np.ndarray) -> np.ndarray:
    return (px[..., 1] > 200) & (px[..., 0] < 80) & (px[..., 2] < 80)


def test_text_rotation_flip_line_height_and_alpha(base_url):
    plain = "l-text,i-WIDE%20TEXT,fs-30,co-00FF00,lx-0,ly-0"
    flat = text_mask(layer_pixels(base_url, f"{plain},l-end", pre="w-400"))
    ys, xs = np.nonzero(flat)
    assert xs.ptp() > 2 * ys.ptp()  # wide
    turned = text_mask(layer_pixels(base_url, f"{plain},rt-90,l-end", pre="w-400"))
    ys, xs = np.nonzero(turned)
    assert ys.ptp() > 2 * xs.ptp()  # tall after rt-90
    flipped = text_mask(layer_pixels(base_url, f"{plain},fl-h,l-end", pre="w-400"))
    fy, fx = np.nonzero(flipped)
    ys, xs = np.nonzero(flat)
    assert abs(fx.ptp() - xs.ptp()) <= 2 and abs(fy.ptp() - ys.ptp()) <= 2  # same extent
    assert (flipped != flat).sum() > 0.5 * flat.sum()  # but mirrored
    two_lines = "l-text,i-AAAA%20BBBB,fs-30,w-80,co-00FF00,lx-0,ly-0"
    tight = np.nonzero(text_mask(layer_pixels(base_url, f"{two_lines},l-end", pre="w-400")))[0]
    loose = np.nonzero(text_mask(layer_pixels(base_url, f"{two_lines},lh-80,l-end", pre="w-400")))[
        0
    ]
    assert loose.ptp() > tight.ptp() + 20
    faint = layer_pixels(base_url, f"{plain},co-00FF00,al-3,l-end", pre="w-400")
    assert not text_mask(faint).any()  # 30 % green over grey is no longer pure green


def test_text_typography_strikethrough_draws_a_line(base_url):
    plain = text_mask(layer_pixels(base_url, "l-text,i-mmmm,fs-40,co-00FF00,lx-0,ly-0,l-end"))
    struck = text_mask(
        layer_pixels(base_url, "l-text,i-mmmm,fs-40,co-00FF00,tg-strikethrough,lx-0,ly-0,l-end")
    )
    # a horizontal rule across the letters: a row far more filled than any row of plain text
    assert struck.sum(axis=1).max() > plain.sum(axis=1).max() + 20


def test_text_rt_auto_asks_for_nothing(base_url):
    assert get(f"{base_url}{COFFEE}?tr=l-text,i-a,rt-auto,l-end").status == 200


# --- URL handling as the SDKs produce it -------------------------------------------------


def b64(text: str) -> str:
    return quote(base64.b64encode(text.encode()).decode(), safe="")


def test_encoded_slash_inside_a_path_segment_stays_in_its_value(base_url):
    assert "%2F" in b64("?>?") and "%3D" in b64("ab")  # what the SDKs' ie- look like
    for layer in (f"l-text,ie-{b64('?>?')},l-end", f"l-text,i-{quote('a/b', safe='')},l-end"):
        r = get(f"{base_url}/tr:{layer}{COFFEE}")
        assert r.status == 200, (layer, r.body[:200])
    image = f"l-image,ie-{b64('synthetic/halves.png')},w-20,lx-0,ly-0,l-end"
    px = get(f"{base_url}/tr:w-200,{image},f-png{COFFEE}").pixels()
    assert (px[2:8, 2:8, 0] > 240).all()  # the red half of the layer at the top left


def test_url_endpoint_with_a_path_prefix_signs_like_the_sdk(mesh, tmp_path):
    from imagekitio import ImageKit

    key = "private_parity_key"
    # the endpoint's host is what clients see; the gateway only uses its path
    endpoint = "https://img.example.com/media/prefix"
    env = {"IMGMESH_SIGNING_KEY": key, "IMGMESH_URL_ENDPOINT": endpoint}
    log = tmp_path / "gateway.log"
    with extra_gateway(mesh.ports, ["--require-signed=all"], env, log) as url:
        client = ImageKit(private_key=key)
        for position in ("path", "query"):
            signed = client.helper.build_url(
                src=COFFEE,
                url_endpoint=endpoint,
                transformation=[{"width": 120, "raw": "l-text,i-a%2Fb,l-end"}],
                transformation_position=position,
                signed=True,
            )
            assert signed.startswith(endpoint + "/")
            local = signed.replace("https://img.example.com", url)
            r = get(local)
            assert r.status == 200, (local, r.body[:200])
            assert r.image().width == 120
            assert get(local.replace("w-120", "w-121")).status == 401
