"""Photoroom-style REST API through the real mesh: /v2/edit (GET and POST),
/v1/segment, /v2/account, auth, and every parameter family."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips

from gateway.accounts import DEV_KEY
from tests.helpers import get, post_form, source_file

KEY = {"x-api-key": DEV_KEY}
ASTRONAUT = "photos/skimage/astronaut.png"


def cutout_png(
    width: int = 400,
    height: int = 300,
    box: tuple[int, int, int, int] = (50, 40, 100, 50),
    background: str = "flat",
) -> bytes:
    """RGBA PNG: an opaque red rectangle (left, top, w, h) on transparency.
    ``background``: the RGB under the transparent pixels (flat grey or a
    1-px checkerboard, which a blur flattens)."""
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.zeros((height, width, 3), np.uint8)
    if background == "checker":
        rgb[((xx + yy) % 2) == 0] = 255
    else:
        rgb[:] = 128
    alpha = np.zeros((height, width), np.uint8)
    x, y, w, h = box
    rgb[y : y + h, x : x + w] = [255, 0, 0]
    alpha[y : y + h, x : x + w] = 255
    pixels = np.dstack([rgb, alpha])
    return pyvips.Image.new_from_array(pixels, interpretation="srgb").pngsave_buffer()


def bbox(alpha: np.ndarray, level: int = 128) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) inclusive of alpha >= level."""
    ys, xs = np.nonzero(alpha >= level)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def edit(base_url: str, fields: dict[str, str], image: bytes | None = None, **files: bytes):
    parts = dict(files)
    if image is not None:
        parts["imageFile"] = image
    return post_form(f"{base_url}/v2/edit", fields, parts, headers=KEY)


def layout(base_url: str, image: bytes, **fields: str) -> np.ndarray:
    r = edit(base_url, {"keepExistingAlphaChannel": "auto", **fields}, image)
    assert r.status == 200, r.body[:300]
    return r.pixels()


# --- the documented example ----------------------------------------------------------------


def test_documented_example_puts_the_subject_100px_from_the_nearest_edges(base_url, http_origin):
    query = (
        f"imageUrl={http_origin}/{ASTRONAUT}&removeBackground=true&outputSize=1000x1000"
        "&padding=0.1&ignorePaddingAndSnapOnCroppedSides=false"
    )
    r = get(f"{base_url}/v2/edit?{query}", headers=KEY)
    assert r.status == 200 and r.headers["content-type"] == "image/png"
    px = r.pixels()
    assert px.shape == (1000, 1000, 4)
    left, top, right, bottom = bbox(px[..., 3])
    gaps = {"left": left, "top": top, "right": 999 - right, "bottom": 999 - bottom}
    # fit: the limiting axis touches the padding on both sides; the other is centred
    horizontal, vertical = (gaps["left"], gaps["right"]), (gaps["top"], gaps["bottom"])
    tight = horizontal if max(horizontal) - 100 <= 1 else vertical
    loose = vertical if tight is horizontal else horizontal
    assert all(abs(g - 100) <= 1 for g in tight), gaps
    assert min(loose) >= 99 and abs(loose[0] - loose[1]) <= 2, gaps
    # with background.color the same request is opaque, white around the subject
    white = get(f"{base_url}/v2/edit?{query}&background.color=FFFFFF", headers=KEY).pixels()
    assert white.shape == (1000, 1000, 3)
    assert (white[:90, :90] == 255).all() and (white[-90:, -90:] == 255).all()


# --- layout geometry (exact: the source's own alpha is the cut-out) --------------------------


def test_margin_then_padding_then_fit_centres_the_subject(base_url):
    # 500x400: margins 50/40 -> content 400x320; padding 10% of it -> 40/32;
    # target 320x256 at (90, 72); subject 100x50 x3.2 -> 320x160, centred at y=120
    px = layout(base_url, cutout_png(), outputSize="500x400", margin="0.1", padding="10%")
    assert px.shape == (400, 500, 4)
    assert bbox(px[..., 3]) == (90, 120, 409, 279)
    assert tuple(px[200, 250, :3]) == (255, 0, 0)


def test_per_side_px_margin_overrides_the_general_one(base_url):
    # marginLeft=100px, others 0: target 400x300 at x=100; subject x4 -> 400x200, centred
    px = layout(base_url, cutout_png(), outputSize="500x300", marginLeft="100px")
    assert bbox(px[..., 3]) == (100, 50, 499, 249)


def test_alignment_left_bottom(base_url):
    px = layout(
        base_url,
        cutout_png(),
        outputSize="600x600",
        horizontalAlignment="left",
        verticalAlignment="bottom",
    )
    assert bbox(px[..., 3]) == (0, 300, 599, 599)


def test_scaling_fill_covers_the_output(base_url):
    px = layout(base_url, cutout_png(), outputSize="600x600", scaling="fill")
    assert px.shape == (600, 600, 4) and px[15:-15, :, 3].min() == 255  # edges resampled


def test_cropped_side_snaps_and_ignores_its_padding(base_url):
    # the subject touches the input's bottom edge: it is "cut" there
    image = cutout_png(box=(150, 200, 100, 100))
    # target 300x400 (no bottom padding): x3 -> 300x300, snapped to the bottom
    snapped = layout(base_url, image, outputSize="500x500", padding="0.2")
    assert bbox(snapped[..., 3]) == (100, 200, 399, 499)
    plain = layout(
        base_url,
        image,
        outputSize="500x500",
        padding="0.2",
        ignorePaddingAndSnapOnCroppedSides="false",
    )
    assert bbox(plain[..., 3]) == (100, 100, 399, 399)


def test_reference_box_original_image_keeps_the_subject_in_place(base_url):
    px = layout(base_url, cutout_png(), outputSize="800x600", referenceBox="originalImage")
    assert bbox(px[..., 3]) == (100, 80, 299, 179)  # the whole 400x300 input x2


def test_cropped_subject_with_max_width(base_url):
    px = layout(base_url, cutout_png(), outputSize="croppedSubject", maxWidth="50")
    assert px.shape == (25, 50, 4) and px[..., 3].min() == 255


def test_original_image_size_by_default(base_url):
    px = layout(base_url, cutout_png())
    assert px.shape == (300, 400, 4)
    assert bbox(px[..., 3]) == (0, 50, 399, 249)  # fit 100x50 into 400x300: x4


def test_keep_background_pads_with_the_colour(base_url):
    r = edit(
        base_url,
        {"removeBackground": "false", "outputSize": "400x400", "background.color": "red"},
        cutout_png(background="flat"),
    )
    px = r.pixels()
    assert px.shape == (400, 400, 3)
    assert tuple(px[10, 200]) == (255, 0, 0)  # padding band above the 400x300 image
    assert tuple(px[200, 5]) == (255, 0, 0)  # its transparent pixels are filled too


# --- backgrounds, shadows, outline ---------------------------------------------------------


def test_background_colour_with_hex_alpha(base_url):
    px = layout(base_url, cutout_png(), **{"background.color": "0000FF80"})
    assert tuple(px[5, 5]) == (0, 0, 255, 128)


def test_background_image_fills_behind_the_subject(base_url, http_origin):
    r = edit(
        base_url,
        {
            "keepExistingAlphaChannel": "auto",
            "outputSize": "300x300",
            "padding": "0.2",
            "background.imageUrl": f"{http_origin}/synthetic/halves.png",
        },
        cutout_png(),
    )
    px = r.pixels()
    assert px.shape[:2] == (300, 300) and px[..., 3].min() == 255
    assert tuple(px[5, 5, :3]) == (255, 0, 0) and tuple(px[5, 294, :3]) == (0, 0, 255)


def test_background_image_file_with_fit_leaves_transparent_bands(base_url):
    blue = (pyvips.Image.black(200, 100, bands=3) + [0, 0, 255]).cast("uchar").pngsave_buffer()
    r = edit(
        base_url,
        {
            "keepExistingAlphaChannel": "auto",
            "outputSize": "300x300",
            "padding": "0.2",
            "background.scaling": "fit",
        },
        cutout_png(),
        **{"background.imageFile": blue},
    )
    px = r.pixels()
    assert px[5, 150, 3] == 0  # above the 300x150 background band
    assert tuple(px[80, 5]) == (0, 0, 255, 255)


def test_background_blur_smooths_only_the_background(base_url):
    image = cutout_png(background="checker")
    px = layout(base_url, image, **{"background.blur.mode": "gaussian"})
    assert px.shape == (300, 400, 3)  # opaque
    assert px[200:290, 250:390].std() < 10  # the 1-px checkerboard is gone
    assert tuple(px[60, 100]) == (255, 0, 0)  # the subject is untouched
    bokeh = layout(
        base_url, image, **{"background.blur.mode": "bokeh", "background.blur.radius": "0.03"}
    )
    assert bokeh[200:290, 250:390].std() < 10


@pytest.mark.parametrize("mode", ["ai.soft", "ai.hard", "ai.floating"])
def test_shadow_falls_below_the_subject(base_url, mode):
    fields = {"outputSize": "400x400", "padding": "0.25"}
    plain = layout(base_url, cutout_png(), **fields)
    px = layout(base_url, cutout_png(), **fields, **{"shadow.mode": mode})
    left, top, right, bottom = bbox(plain[..., 3])
    added = (px[..., 3].astype(int) - plain[..., 3]) > 40
    dark = px[..., :3].max(axis=2) < 60
    shadow = added & dark
    assert shadow[bottom + 1 :, left : right + 1].sum() > 100  # a dark band under the base
    assert not shadow[:top].any()  # nothing above the subject
    if mode == "ai.floating":  # a gap between the subject and its shadow
        assert not shadow[bottom + 1 : bottom + 3].any()


def test_outline_is_the_right_colour_just_outside_the_mask(base_url):
    px = layout(
        base_url,
        cutout_png(),
        outputSize="400x400",
        padding="0.2",
        **{"outline.color": "00FF00", "outline.width": "0.02"},
    )
    left, top, right, bottom = bbox(
        np.all(px[..., :3] == [255, 0, 0], axis=2).astype(np.uint8) * 255
    )
    ring = px[top + 20, left - 5]  # 5 px outside the subject's left edge (width 8 px)
    assert tuple(ring) == (0, 255, 0, 255)
    assert px[top + 20, left - 20, 3] == 0  # beyond the outline: transparent


# --- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "loader"),
    [
        ("jpeg", "image/jpeg", "jpegload"),
        ("webp", "image/webp", "webpload"),
        ("png", "image/png", "pngload"),
    ],
)
def test_export_format_and_dpi(base_url, fmt, mime, loader):
    r = edit(
        base_url,
        {"keepExistingAlphaChannel": "auto", "export.format": fmt, "export.dpi": "300"},
        cutout_png(),
    )
    assert r.status == 200 and r.headers["content-type"] == mime
    image = r.image()
    assert image.get("vips-loader").startswith(loader)
    if fmt != "webp":  # WebP has no density field
        assert abs(image.xres * 25.4 - 300) < 1


# --- AI steps ---------------------------------------------------------------------------------


def test_upscale_fast_quadruples_a_small_image(base_url):
    small = pyvips.Image.new_from_file(str(source_file(ASTRONAUT))).resize(0.125)
    r = edit(
        base_url,
        {"removeBackground": "false", "upscale.mode": "ai.fast"},
        small.pngsave_buffer(),
    )
    assert r.status == 200
    assert (r.image().width, r.image().height) == (256, 256)


def test_upscale_slow_refuses_inputs_over_512px(base_url):
    r = edit(
        base_url, {"removeBackground": "false", "upscale.mode": "ai.slow"}, cutout_png(600, 300)
    )
    assert r.status == 413 and r.json()["code"] == "image_too_large"


# --- errors -----------------------------------------------------------------------------------


def test_api_key_is_required_and_checked(base_url):
    assert post_form(f"{base_url}/v2/edit", {}, {"imageFile": cutout_png()}).status == 401
    r = post_form(
        f"{base_url}/v2/edit", {}, {"imageFile": cutout_png()}, headers={"x-api-key": "nope"}
    )
    assert r.status == 403 and r.json()["code"] == "invalid_api_key"
    assert get(f"{base_url}/v2/account").status == 401


def test_account_counts_images(base_url):
    before = get(f"{base_url}/v2/account", headers=KEY).json()
    assert before["plan"] == "dev"
    layout(base_url, cutout_png())
    after = get(f"{base_url}/v2/account", headers=KEY).json()
    assert after["images"]["used"] == before["images"]["used"] + 1
    assert after["images"]["available"] == before["images"]["available"] - 1


@pytest.mark.parametrize(
    ("fields", "parameter", "status", "code"),
    [
        ({"bogus": "1"}, "bogus", 400, "unknown_parameter"),
        ({"outputSize": "big"}, "outputSize", 400, "invalid_parameter"),
        ({"padding": "0.5"}, "padding", 400, "invalid_parameter"),
        (
            {"outline.width": "0.2", "outline.color": "red"},
            "outline.width",
            400,
            "invalid_parameter",
        ),
        ({"background.blur.radius": "0.06"}, "background.blur.radius", 400, "invalid_parameter"),
        ({"shadow.mode": "ai.dramatic"}, "shadow.mode", 400, "invalid_parameter"),
        ({"export.dpi": "50"}, "export.dpi", 400, "invalid_parameter"),
        ({"background.color": "notacolour"}, "background.color", 400, "invalid_parameter"),
        ({"maxWidth": "100"}, "maxWidth", 400, "conflicting_parameters"),
        (
            {"removeBackground": "false", "referenceBox": "originalImage"},
            "referenceBox",
            400,
            "conflicting_parameters",
        ),
        (
            {"background.imageUrl": "http://127.0.0.1/x.png", "background.prompt": "a beach"},
            "background.imageUrl",
            400,
            "conflicting_parameters",
        ),
        ({"background.scaling": "fit"}, "background.scaling", 400, "conflicting_parameters"),
        ({"outline.width": "0.02"}, "outline.width", 400, "conflicting_parameters"),
        ({"templateId": "not-a-uuid"}, "templateId", 400, "invalid_parameter"),
        (
            {"templateId": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
            "templateId",
            400,
            "invalid_parameter",
        ),
    ],
)
def test_bad_parameters_are_named(base_url, fields, parameter, status, code):
    r = edit(base_url, fields, cutout_png())
    body = r.json()
    assert (r.status, body["code"], body["parameter"]) == (status, code, parameter)
    if code == "conflicting_parameters":
        assert body["conflicts_with"] and body["conflicts_with"] in body["message"]
    if code == "invalid_parameter":
        assert body["allowed"]


@pytest.mark.parametrize(
    ("fields", "slot"),
    [
        ({"background.prompt": "a beach at sunset"}, "background_generation"),
        ({"lighting.mode": "ai.auto"}, "relighting"),
        ({"beautify.mode": "ai.food", "beautify.seed": "7"}, "beautify"),
        ({"editWithAI.mode": "ai.auto", "editWithAI.prompt": "remove the cup"}, "edit_with_ai"),
        ({"expand.mode": "ai.auto"}, "expand"),
        ({"uncrop.mode": "ai.auto"}, "uncrop"),
        ({"flatLay.mode": "ai.auto", "flatLay.size": "SQUARE_HD"}, "flat_lay"),
        ({"ghostMannequin.mode": "ai.auto"}, "ghost_mannequin"),
        ({"virtualModel.mode": "ai.auto", "virtualModel.quality": "premium"}, "virtual_model"),
        ({"segmentation.prompt": "the red object"}, "text_segmentation"),
    ],
)
def test_generative_parameters_validate_then_501(base_url, fields, slot):
    r = edit(base_url, fields, cutout_png())
    assert r.status == 501 and r.json()["code"] == "model_unavailable"
    assert slot in r.json()["message"]


def test_image_from_prompt_needs_no_image(base_url):
    r = get(f"{base_url}/v2/edit?imageFromPrompt.prompt=a%20red%20car", headers=KEY)
    assert r.status == 501 and "image_from_prompt" in r.json()["message"]


def test_blur_with_shadow_is_unprocessable(base_url):
    r = edit(base_url, {"background.blur.mode": "bokeh", "shadow.mode": "ai.soft"}, cutout_png())
    assert r.status == 422 and r.json()["code"] == "impossible_edit"


def test_get_needs_image_url_and_refuses_files(base_url):
    r = get(f"{base_url}/v2/edit?outputSize=100x100", headers=KEY)
    assert r.status == 400 and r.json()["parameter"] == "imageUrl"


# --- /v1/segment ------------------------------------------------------------------------------


def segment(base_url: str, image: bytes, **fields: str):
    return post_form(f"{base_url}/v1/segment", fields, {"image_file": image}, headers=KEY)


def test_segment_alpha_channel_only(base_url):
    r = segment(base_url, cutout_png(), channels="alpha")
    image = r.image()
    assert r.headers["content-type"] == "image/png"
    assert image.bands == 1 and (image.width, image.height) == (400, 300)
    mask = image.numpy()
    assert mask[60, 100] > 200 and mask[5, 5] < 50  # the subject is white, the rest black


def test_segment_crop_and_size_and_background(base_url, origin_root):
    photo = (origin_root / ASTRONAUT).read_bytes()
    full = segment(base_url, photo).pixels()
    left, top, right, bottom = bbox(full[..., 3])  # crop keeps alpha >= 50 %
    cropped = segment(base_url, photo, crop="true").image()
    assert cropped.bands == 4
    assert abs(cropped.width - (right - left + 1)) <= 2
    assert abs(cropped.height - (bottom - top + 1)) <= 2
    preview = segment(base_url, photo, size="preview", format="jpg", bg_color="#00FF00")
    image = preview.image()
    assert preview.headers["content-type"] == "image/jpeg"
    assert image.width * image.height <= 250_000 and image.bands == 3
    corner = image.numpy()[:10, -10:].reshape(-1, 3).mean(axis=0)
    assert corner[1] > 200 and corner[0] < 60  # the background is green


def test_segment_despill_clamps_green(base_url):
    # a subject with a green cast (as if shot on a green screen)
    pixels = np.zeros((100, 100, 4), np.uint8)
    pixels[20:80, 20:80] = [150, 220, 120, 255]
    image = pyvips.Image.new_from_array(pixels, interpretation="srgb").pngsave_buffer()
    plain = segment(base_url, image).pixels()
    clean = segment(base_url, image, despill="true").pixels()
    assert tuple(plain[50, 50, :3]) == (150, 220, 120)  # without despill: unchanged
    assert tuple(clean[50, 50, :3]) == (150, 135, 120)  # green clamped to (r + b) / 2


def test_segment_rejects_unknown_fields(base_url):
    r = segment(base_url, cutout_png(), sharpen="true")
    assert r.status == 400 and r.json()["parameter"] == "sharpen"


# --- text removal -------------------------------------------------------------------------


def test_text_removal_erases_the_text_strokes(base_url):
    source = source_file("scene_text/english.png").read_bytes()
    before = pyvips.Image.new_from_buffer(source, "").extract_band(0, n=3).numpy().astype(int)
    r = edit(base_url, {"removeBackground": "false", "textRemoval.mode": "ai.all"}, source)
    assert r.status == 200
    after = r.pixels()[..., :3].astype(int)
    assert after.shape == before.shape
    changed = np.abs(after - before).max(axis=2) > 24
    assert 0.01 < changed.mean() < 0.6  # text lines, not the whole picture

    def edges(px: np.ndarray) -> float:
        gx = np.abs(np.diff(px.mean(axis=2), axis=1))[:-1, :]
        gy = np.abs(np.diff(px.mean(axis=2), axis=0))[:, :-1]
        return float((gx + gy)[changed[:-1, :-1]].mean())

    assert edges(after) < 0.5 * edges(before)  # the glyph edges are gone there


def test_text_removal_leaves_a_text_free_image_alone(base_url):
    r = edit(
        base_url,
        {"keepExistingAlphaChannel": "auto", "textRemoval.mode": "ai.artificial"},
        cutout_png(),
    )
    plain = layout(base_url, cutout_png())
    assert r.status == 200 and np.array_equal(r.pixels(), plain)
