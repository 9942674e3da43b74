"""Issue [2] parameters through the real mesh: effects, output flags, client
hints, result cache and conditional requests, signed URLs, named
transformations, default images, AI chaining rules and 501s."""

from __future__ import annotations

import time

import numpy as np
import pytest
import pyvips

from gateway.imagekit.signing import sign
from tests.conftest import SIGNING_KEY
from tests.helpers import get, source_file

COFFEE = "/photos/skimage/coffee.png"  # 600 x 400 RGB PNG
TRANSPARENT = "/photos/thumbor/PNG_transparency_demonstration_1.png"  # 300 x 225 RGBA
EXIF_JPEG = "/photos/thumbor/Giunchedi%252C_Filippo_January_2015_01.jpg"  # "%2C" on disk


def source(path: str) -> np.ndarray:
    return pyvips.Image.new_from_file(str(source_file(path))).numpy()


# --- effects -------------------------------------------------------------------------


def test_grayscale_has_equal_channels(base_url):
    px = get(f"{base_url}{COFFEE}?tr=e-grayscale,w-200").pixels().astype(int)
    assert px.shape == (133, 200, 3)
    assert np.abs(px[..., 0] - px[..., 1]).max() <= 1 and np.abs(px[..., 1] - px[..., 2]).max() <= 1


def test_contrast_stretches_a_flat_image(base_url):
    before = get(f"{base_url}/synthetic/flat.png").pixels()
    after = get(f"{base_url}/synthetic/flat.png?tr=e-contrast").pixels()
    assert before.max() - before.min() <= 51
    assert after.max() - after.min() >= 240 and after.std() > 3 * before.std()


def test_unsharp_mask_adds_detail(base_url):
    def detail(tr: str) -> float:
        px = get(f"{base_url}{COFFEE}?tr={tr}").pixels().astype(float)
        return float(np.abs(np.diff(px, axis=1)).mean())

    assert detail("e-usm-2-2-1.5-0,f-png") > 1.2 * detail("f-png")


def test_trim_removes_the_uniform_border(base_url):
    r = get(f"{base_url}/synthetic/framed.png?tr=t-true")
    image = r.image()
    assert abs(image.width - 400) <= 2 and abs(image.height - 400) <= 2


def test_border(base_url):
    px = get(f"{base_url}{COFFEE}?tr=w-100,b-5_FF0000").pixels()
    assert px.shape == (77, 110, 3)
    assert (px[:5] == [255, 0, 0]).all() and (px[:, -5:] == [255, 0, 0]).all()


def test_radius_max_makes_an_ellipse(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-200,r-max")
    assert r.headers["content-type"] == "image/png"
    alpha = r.pixels()[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0 and alpha[66, 100] == 255


def test_flip_horizontal_mirrors(base_url):
    px = get(f"{base_url}{COFFEE}?tr=fl-h").pixels()
    assert (px == source(COFFEE)[:, ::-1]).all()
    both = get(f"{base_url}{COFFEE}?tr=fl-h_v").pixels()
    assert (both == source(COFFEE)[::-1, ::-1]).all()


def test_shadow_grows_the_canvas_and_casts_translucent_pixels(base_url):
    r = get(f"{base_url}{TRANSPARENT}?tr=e-shadow-bl-5_st-80_x-5_y-5")
    px = r.pixels()
    assert px.shape[2] == 4 and px.shape[0] > 225 and px.shape[1] > 300
    alpha = px[..., 3]
    assert ((alpha > 10) & (alpha < 250)).sum() > 500


def test_gradient_darkens_towards_the_bottom(base_url):
    px = get(f"{base_url}{COFFEE}?tr=e-gradient-ld-180_from-00000000_to-000000,f-png").pixels()
    src = source(COFFEE)
    assert np.abs(px[:5].astype(int) - src[:5]).mean() < 3
    assert px[-3:].mean() < 5


# --- resize additions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "tr,expected",
    [
        ("w-1200,h-1200,c-at_max_enlarge", (1200, 800)),
        ("w-100,dpr-2", (200, 133)),
        ("w-100,h-100,dpr-1.5", (150, 150)),
    ],
)
def test_more_dimensions(base_url, tr, expected):
    image = get(f"{base_url}{COFFEE}?tr={tr}").image()
    assert (image.width, image.height) == expected


def test_extract_at_x_y_and_at_centre(base_url):
    src = source(COFFEE)
    px = get(f"{base_url}{COFFEE}?tr=w-50,h-40,cm-extract,x-10,y-20").pixels()
    assert (px == src[20:60, 10:60]).all()
    px = get(f"{base_url}{COFFEE}?tr=w-50,h-40,cm-extract,xc-300,yc-200").pixels()
    assert (px == src[180:220, 275:325]).all()
    r = get(f"{base_url}{COFFEE}?tr=w-50,h-40,cm-extract,xc-590,yc-200")
    assert r.status == 422 and r.json()["code"] == "impossible_edit"


# --- output ------------------------------------------------------------------------------


def test_gif_lossless_and_progressive(base_url):
    assert get(f"{base_url}{COFFEE}?tr=w-50,f-gif").headers["content-type"] == "image/gif"
    lossless = get(f"{base_url}{COFFEE}?tr=f-webp,lo-true").pixels()
    assert (lossless == source(COFFEE)).all()
    progressive = get(f"{base_url}{COFFEE}?tr=f-jpg,pr-true").body
    baseline = get(f"{base_url}{COFFEE}?tr=f-jpg").body
    assert b"\xff\xc2" in progressive and b"\xff\xc2" not in baseline


def test_metadata_is_stripped_unless_md_true(base_url):
    assert not get(f"{base_url}{EXIF_JPEG}?tr=w-100").image().get_typeof("exif-data")
    assert get(f"{base_url}{EXIF_JPEG}?tr=w-100,md-true").image().get_typeof("exif-data")


def test_orig_returns_the_source_bytes(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-100,orig-true")
    assert r.body == source_file(COFFEE).read_bytes()
    assert r.headers["content-type"] == "image/png"


# --- cache and conditional requests --------------------------------------------------------


def test_second_request_is_a_cache_hit_with_the_same_etag(base_url):
    url = f"{base_url}{COFFEE}?tr=w-123,bl-3"
    first, second = get(url), get(url)
    assert first.headers["x-imgmesh-cache"] == "miss"
    assert second.headers["x-imgmesh-cache"] == "hit"
    assert first.headers["etag"] == second.headers["etag"] and first.body == second.body
    assert first.headers["last-modified"].endswith("GMT")


def test_if_none_match_gives_304(base_url):
    url = f"{base_url}{COFFEE}?tr=w-124"
    etag = get(url).headers["etag"]
    r = get(url, headers={"If-None-Match": etag})
    assert r.status == 304 and r.body == b"" and r.headers["etag"] == etag
    assert get(url, headers={"If-None-Match": '"other"'}).status == 200


# --- client hints -----------------------------------------------------------------------------


def test_width_client_hint_rounds_up_and_sets_content_dpr(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-auto", headers={"Sec-CH-Width": "212", "Sec-CH-DPR": "2"})
    assert r.image().width == 300
    assert r.headers["content-dpr"] == "2.83"
    assert "Sec-CH-Width" in r.headers["vary"] and "Accept" in r.headers["vary"]
    assert "Sec-CH-DPR" in r.headers["accept-ch"]


def test_dpr_auto_multiplies_the_width(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-100,dpr-auto", headers={"DPR": "2"})
    assert r.image().width == 200 and r.headers["content-dpr"] == "2"
    assert get(f"{base_url}{COFFEE}?tr=w-100,dpr-auto").image().width == 100


# --- signed URLs, named transformations, default images ----------------------------------------


def test_signed_urls(base_url, strict_gateway):
    path, query = "/photos/skimage/coffee.png", "tr=w-60"
    unsigned = get(f"{strict_gateway}{path}?{query}")
    assert unsigned.status == 401 and unsigned.json()["code"] == "signature_required"
    good = sign(SIGNING_KEY, path, query)
    assert get(f"{strict_gateway}{path}?{query}&ik-s={good}").status == 200
    tampered = get(f"{strict_gateway}{path}?tr=w-61&ik-s={good}")
    assert tampered.status == 401 and tampered.json()["code"] == "invalid_signature"
    past = int(time.time()) - 10
    expired_sig = sign(SIGNING_KEY, path, query, expires=past)
    expired = get(f"{strict_gateway}{path}?{query}&ik-t={past}&ik-s={expired_sig}")
    assert expired.status == 401 and expired.json()["code"] == "url_expired"
    future = int(time.time()) + 600
    ok = sign(SIGNING_KEY, path, query, expires=future)
    assert get(f"{strict_gateway}{path}?{query}&ik-t={future}&ik-s={ok}").status == 200
    # the lenient gateway accepts unsigned URLs but still checks a given signature
    assert get(f"{base_url}{path}?{query}").status == 200
    assert get(f"{base_url}{path}?tr=w-61&ik-s={good}").status == 401


def test_named_transformations_expand_in_place(base_url):
    image = get(f"{base_url}{COFFEE}?tr=n-gray_thumb").image()
    assert (image.width, image.height) == (80, 120)  # 120x80 then rt-90
    r = get(f"{base_url}{COFFEE}?tr=n-nope")
    assert r.status == 400 and r.json()["parameter"] == "n"


def test_default_image_replaces_a_missing_source(base_url):
    r = get(f"{base_url}/photos/missing.png?tr=w-90,di-photos@@skimage@@coffee.png")
    assert r.status == 200 and r.image().width == 90
    assert get(f"{base_url}/photos/missing.png?tr=w-90").status == 404


# --- AI rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,slot",
    [
        (f"{COFFEE}?tr=e-changebg-prompt-snowy mountains", "changebg"),
        (f"{COFFEE}?tr=e-edit-prompte-YSBjYXQ", "edit"),
        (f"{COFFEE}?tr=e-genvar", "genvar"),
        (f"{COFFEE}?tr=e-retouch", "retouch"),
        (f"{COFFEE}?tr=bg-genfill-prompt-flowers,w-800,h-400,cm-pad_resize", "genfill"),
        ("/ik-genimg-prompt-A man eating a burger/gen/burger.jpg", "genimg"),
    ],
)
def test_model_backed_edits_without_a_model_are_501(base_url, url, slot):
    r = get(f"{base_url}{url.replace(' ', '%20')}")
    assert r.status == 501
    body = r.json()
    assert body["code"] == "model_unavailable" and f"'{slot}'" in body["message"]


@pytest.mark.parametrize(
    "tr,parameter",
    [
        ("e-bgremove,e-dropshadow", "e"),
        ("bg-genfill,w-100", "bg"),
        ("e-changebg", "e-changebg"),
        ("fo-spaceship,w-10,h-10", "fo"),
        ("z-2,w-10,h-10", "z"),
        ("x-5,w-10,h-10", "x"),
    ],
)
def test_invalid_combinations_are_400(base_url, tr, parameter):
    r = get(f"{base_url}{COFFEE}?tr={tr}")
    assert r.status == 400 and r.json()["parameter"] == parameter


def test_chained_drop_shadow_casts_a_dark_translucent_shadow(base_url):
    path = "/photos/thumbor/800px-Katherine_Maher.jpg"
    cut = get(f"{base_url}{path}?tr=w-300,e-bgremove").pixels()
    shadowed = get(f"{base_url}{path}?tr=w-300,e-bgremove:e-dropshadow-az-215_el-30_st-90")
    px = shadowed.pixels()
    assert px.shape == cut.shape and shadowed.headers["content-type"] == "image/png"
    gained = (px[..., 3].astype(int) - cut[..., 3]) > 20
    assert gained.sum() > 300  # new translucent shadow pixels around the subject
    assert (px[..., :3][gained].mean(axis=1) < 80).mean() > 0.9  # and they are dark
    assert get(f"{base_url}{COFFEE}?tr=e-dropshadow").status == 422  # needs alpha


def test_slow_ai_render_gets_an_intermediate_response_then_the_image(strict_gateway):
    path = "/segmentation/humanseg_045.jpg"
    query = "tr=w-350,e-bgremove"
    url = f"{strict_gateway}{path}?{query}&ik-s={sign(SIGNING_KEY, path, query)}"
    first = get(url)
    assert first.status == 200
    assert first.headers["is-intermediate-response"] == "true"
    assert "currently being prepared" in first.body.decode()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = get(url)
        if r.headers.get("content-type") == "image/png":
            assert r.image().bands == 4
            return
        time.sleep(0.5)
    pytest.fail("the AI render never completed")


def test_upscale_quadruples_the_size_and_keeps_the_picture(base_url):
    r = get(f"{base_url}{COFFEE}?tr=w-60:e-upscale,f-png")
    up = r.pixels().astype(float)
    assert up.shape == (160, 240, 3)
    small = get(f"{base_url}{COFFEE}?tr=w-60,f-png").image()
    plain = small.resize(4, kernel="lanczos3").numpy()[:160, :240].astype(float)
    assert np.abs(up - plain).mean() < 12  # same picture...
    detail = float(np.abs(np.diff(up, axis=1)).mean())
    assert detail > float(np.abs(np.diff(plain, axis=1)).mean())  # ...with crisper edges


def test_upscale_refuses_inputs_over_one_megapixel(base_url):
    r = get(f"{base_url}/segmentation/dis5k_te1_furniture_easel_41350193222.jpg?tr=e-upscale")
    assert r.status == 413 and r.json()["code"] == "image_too_large"


# --- layers ------------------------------------------------------------------------------


def test_image_layer_with_its_own_transformation_at_lx_ly(base_url):
    layer = "l-image,i-synthetic@@halves.png,w-20,lx-5,ly-5,l-end"
    px = get(f"{base_url}/synthetic/flat.png?tr=w-200,{layer},f-png").pixels().astype(int)
    assert px.shape == (133, 200, 3)
    assert (np.abs(px[6:14, 6:14] - [255, 0, 0]) <= 3).all()  # the layer's red half
    assert (np.abs(px[6:14, 16:24] - [0, 0, 255]) <= 3).all()  # its blue half
    assert 90 < px[40, 100].mean() < 160  # the base (flat grey-ish photo) elsewhere


def test_negative_offsets_measure_from_the_far_edge_and_layer_chains_apply(base_url):
    layer = "l-image,i-synthetic@@halves.png,w-20:rt-180,lx-N2,ly-N2,l-end"
    px = get(f"{base_url}/synthetic/flat.png?tr=w-200,{layer},f-png").pixels().astype(int)
    # 20x10, rotated 180 degrees (blue now on the left), 2 px from the bottom-right
    # corner of the 200x133 base: columns 178..197, rows 121..130
    assert (np.abs(px[123:129, 180:186] - [0, 0, 255]) <= 3).all()
    assert (np.abs(px[123:129, 190:196] - [255, 0, 0]) <= 3).all()


def test_text_layer_draws_in_its_colour_on_its_background(base_url):
    layer = "l-text,i-IMGMESH,fs-40,co-00FF00,bg-000000,pa-4,lfo-top_left,l-end"
    px = get(f"{base_url}/synthetic/flat.png?tr={layer},f-png").pixels().astype(int)
    box = px[:48, :200]
    green = (box[..., 1] > 200) & (box[..., 0] < 60) & (box[..., 2] < 60)
    black = box.max(axis=2) < 20
    assert green.sum() > 200 and black.sum() > 500
    assert not ((px[200:, :, 1] > 200) & (px[200:, :, 0] < 60)).any()  # nowhere else


@pytest.mark.parametrize(
    "tr,parameter,code",
    [
        ("l-image,w-20,l-end", "i", "invalid_parameter"),
        ("l-image,i-a.png,w-20", "l", "invalid_parameter"),
        ("w-20,l-end", "l", "invalid_parameter"),
        ("l-video,i-a.mp4,l-end", "l", "invalid_parameter"),
        ("l-text,i-hi,e-grayscale,l-end", "e", "unknown_parameter"),
        ("l-text,i-hi,lfo-auto,l-end", "lfo", "invalid_parameter"),
    ],
)
def test_bad_layers(base_url, tr, parameter, code):
    r = get(f"{base_url}{COFFEE}?tr={tr}")
    assert r.status == 400 and (r.json()["parameter"], r.json()["code"]) == (parameter, code)


def test_missing_layer_source_is_404(base_url):
    r = get(f"{base_url}{COFFEE}?tr=l-image,i-nope.png,l-end")
    assert r.status == 404 and r.json()["code"] == "source_not_found"


# --- animation ---------------------------------------------------------------------------

ANIMATED_GIF = "/edge/animated-loop-3.gif"  # 370 x 285, 10 frames
ANIMATED_WEBP = "/edge/animated-loop-3.webp"


@pytest.mark.parametrize(
    "path,accept,content_type",
    [
        (ANIMATED_GIF, "*/*", "image/gif"),
        (ANIMATED_GIF, "image/avif,image/webp,*/*", "image/webp"),
        (ANIMATED_WEBP, "*/*", "image/webp"),
    ],
)
def test_animations_stay_animated_through_resize_and_crop(base_url, path, accept, content_type):
    r = get(f"{base_url}{path}?tr=w-100,h-100,bl-1", headers={"Accept": accept})
    assert r.status == 200 and r.headers["content-type"] == content_type
    frames = pyvips.Image.new_from_buffer(r.body, "", n=-1)
    assert frames.width == 100 and frames.get("page-height") == 100
    assert frames.height == 10 * 100  # all 10 frames kept


def test_animation_to_a_still_format_is_the_first_frame(base_url):
    r = get(f"{base_url}{ANIMATED_GIF}?tr=w-100,f-png")
    image = r.image()
    assert r.headers["content-type"] == "image/png" and (image.width, image.height) == (100, 77)


def test_changing_a_layer_source_invalidates_the_cached_result(base_url, origin_root):
    layer_file = origin_root / "synthetic" / "layer_swap.png"
    (pyvips.Image.black(10, 10, bands=3) + [255, 0, 0]).cast("uchar").write_to_file(str(layer_file))
    layer = "l-image,i-synthetic@@layer_swap.png,lfo-top_left,l-end"
    url = f"{base_url}/synthetic/flat.png?tr=w-100,{layer},f-png"
    assert get(url).pixels()[5, 5].tolist() == [255, 0, 0]
    time.sleep(0.01)
    (pyvips.Image.black(10, 10, bands=3) + [0, 255, 0]).cast("uchar").write_to_file(str(layer_file))
    again = get(url)
    assert again.headers["x-imgmesh-cache"] == "miss"
    assert again.pixels()[5, 5].tolist() == [0, 255, 0]
