"""Every transformation key of ImageKit's official Python SDK (``imagekitio``
``SUPPORTED_TRANSFORMS``) and every overlay type, in URLs the SDK itself builds
(``helper.build_url``), path and query position, signed and unsigned, checked
against ImageKit's documented result (https://imagekit.io/docs/transformations).

The table below must name every SDK key: a key the SDK adds fails
``test_every_sdk_key_is_covered`` until it gets a row. Keys imgmesh does not
implement (video-only ones, colour replace, distort, ...) are rows that expect
a clear 400 naming the parameter, never a silently different image."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from imagekitio import ImageKit
from imagekitio.lib.helper import SUPPORTED_TRANSFORMS

from tests.helpers import Reply, extra_gateway, get, source_file

KEY = "private_sdk_matrix_key"
COFFEE = "photos/skimage/coffee.png"  # 600 x 400 RGB PNG
Check = Callable[[Reply], None]


def size(w: int, h: int) -> Check:
    def check(r: Reply) -> None:
        assert r.status == 200, r.body[:300]
        assert (r.image().width, r.image().height) == (w, h)

    return check


def refused(parameter: str, code: str = "unknown_parameter") -> Check:
    def check(r: Reply) -> None:
        assert r.status == 400, r.body[:300]
        assert (r.json()["code"], r.json()["parameter"]) == (code, parameter)

    return check


def status(expected: int) -> Check:
    def check(r: Reply) -> None:
        assert r.status == expected, r.body[:300]

    return check


def content_type(expected: str) -> Check:
    def check(r: Reply) -> None:
        assert r.status == 200 and r.headers["content-type"] == expected

    return check


def progressive_jpeg(r: Reply) -> None:
    assert r.headers["content-type"] == "image/jpeg"
    assert b"\xff\xc2" in r.body  # SOF2: progressive DCT


def lossless_webp(r: Reply) -> None:
    assert r.headers["content-type"] == "image/webp"
    assert r.body[12:16] == b"VP8L"  # the lossless bitstream (RIFF chunk after "WEBP")


def transparent_somewhere(r: Reply) -> None:
    assert r.status == 200, r.body[:300]
    px = r.pixels()
    assert px.shape[2] == 4 and (px[..., 3] < 255).any()


def grey(r: Reply) -> None:
    px = r.pixels().astype(int)
    assert np.abs(px[..., 0] - px[..., 1]).max() <= 1


def same_bytes_as_source(r: Reply) -> None:
    assert r.status == 200 and r.body == source_file("/" + COFFEE).read_bytes()


def text(**transformation: Any) -> dict[str, Any]:
    return {"overlay": {"type": "text", "text": "Hi there", "transformation": [transformation]}}


EXTRACT = {"width": 50, "height": 50, "crop_mode": "extract"}
# SDK key -> (transformation list, the documented result)
MATRIX: dict[str, tuple[list[dict[str, Any]], Check]] = {
    "width": ([{"width": 300}], size(300, 200)),
    "height": ([{"height": 100}], size(150, 100)),
    "aspect_ratio": ([{"width": 300, "aspect_ratio": "4-3"}], size(300, 225)),
    "background": (
        [{"width": 300, "height": 300, "crop_mode": "pad_resize", "background": "FF0000"}],
        size(300, 300),
    ),
    "border": ([{"border": "5_FF0000"}], size(610, 410)),
    "crop": ([{"width": 100, "height": 100, "crop": "force"}], size(100, 100)),
    "crop_mode": ([EXTRACT], size(50, 50)),
    "dpr": ([{"width": 100, "dpr": 2}], size(200, 133)),
    "focus": ([{"width": 100, "height": 100, "focus": "top_left"}], size(100, 100)),
    "quality": ([{"width": 100, "quality": 40, "format": "jpg"}], content_type("image/jpeg")),
    "x": ([{**EXTRACT, "x": 10}], size(50, 50)),
    "x_center": ([{**EXTRACT, "x_center": 100}], size(50, 50)),
    "y": ([{**EXTRACT, "y": "ch_div_4"}], size(50, 50)),
    "y_center": ([{**EXTRACT, "y_center": 100}], size(50, 50)),
    "format": ([{"width": 100, "format": "webp"}], content_type("image/webp")),
    "radius": ([{"width": 100, "radius": "max"}], transparent_somewhere),
    "rotation": ([{"rotation": 90}], size(400, 600)),
    "blur": ([{"width": 100, "blur": 10}], size(100, 67)),
    "named": ([{"named": "thumb"}], size(120, 80)),
    "default_image": ([{"width": 100, "default_image": COFFEE}], size(100, 67)),
    "flip": ([{"width": 100, "flip": "h_v"}], size(100, 67)),
    "original": ([{"original": True}], same_bytes_as_source),
    "grayscale": ([{"width": 100, "grayscale": True}], grey),
    "ai_upscale": ([{"width": 40}, {"ai_upscale": True}], size(160, 108)),  # 40 x 27, x4
    "ai_retouch": ([{"ai_retouch": True}], status(501)),
    "ai_variation": ([{"ai_variation": True}], status(501)),
    "ai_drop_shadow": (
        [{"width": 200}, {"ai_remove_background": True}, {"ai_drop_shadow": True}],
        transparent_somewhere,
    ),
    "ai_change_background": ([{"ai_change_background": "prompt-beach"}], status(501)),
    "ai_remove_background": (
        [{"width": 200}, {"ai_remove_background": True}],
        transparent_somewhere,
    ),
    "ai_remove_background_external": (
        [{"width": 200}, {"ai_remove_background_external": True}],
        transparent_somewhere,
    ),
    "ai_edit": ([{"ai_edit": "prompt-blue"}], status(501)),
    "contrast_stretch": ([{"width": 100, "contrast_stretch": True}], size(100, 67)),
    "shadow": ([{"width": 100, "radius": 20}, {"shadow": True}], transparent_somewhere),
    "sharpen": ([{"width": 100, "sharpen": True}], size(100, 67)),
    "unsharp_mask": ([{"width": 100, "unsharp_mask": True}], size(100, 67)),
    "gradient": ([{"width": 100, "gradient": True}], size(100, 67)),
    "progressive": (
        [{"width": 100, "format": "jpg", "progressive": True}],
        progressive_jpeg,
    ),
    "lossless": ([{"width": 100, "format": "webp", "lossless": True}], lossless_webp),
    "color_profile": ([{"width": 100, "color_profile": True}], size(100, 67)),
    "metadata": ([{"width": 100, "metadata": True}], size(100, 67)),
    "opacity": ([{"width": 100, "opacity": 50}], transparent_somewhere),
    "trim": ([{"trim": 10}], status(200)),
    "zoom": ([{"width": 100, "height": 100, "focus": "face", "zoom": 2}], size(100, 100)),
    "raw": ([{"raw": "w-iw_div_4,h-ih_div_4"}], size(150, 100)),
    # text-layer keys, inside the text overlay they belong to
    "font_size": ([text(font_size=30)], size(600, 400)),
    "font_family": ([text(font_family="Serif")], size(600, 400)),
    "font_color": ([text(font_color="FF0000")], size(600, 400)),
    "color": ([text(color="00FF00")], size(600, 400)),
    "inner_alignment": ([text(width=60, inner_alignment="left")], size(600, 400)),
    "padding": ([text(padding="10_20", background="FFFFFF")], size(600, 400)),
    "alpha": ([text(alpha=5)], size(600, 400)),
    "typography": ([text(typography="b_i")], size(600, 400)),
    "line_height": ([text(width=60, line_height=40)], size(600, 400)),
    # not implemented: a 400 naming the parameter (listed in the [11] note)
    "video_codec": ([{"video_codec": "h264"}], refused("vc")),
    "audio_codec": ([{"audio_codec": "aac"}], refused("ac")),
    "start_offset": ([{"start_offset": 2}], refused("so")),
    "end_offset": ([{"end_offset": 2}], refused("eo")),
    "duration": ([{"duration": 2}], refused("du")),
    "streaming_resolutions": ([{"streaming_resolutions": ["240", "360"]}], refused("sr")),
    "color_replace": ([{"color_replace": "FF0000_20_00FF00"}], refused("cr")),
    "colorize": ([{"colorize": "FF0000"}], refused("e", "invalid_parameter")),
    "distort": ([{"distort": "p-0_0_10_10_20_20_30_30"}], refused("e", "invalid_parameter")),
    "density": ([{"density": 300}], refused("dn")),
    "page": ([{"page": 2}], refused("pg")),
    "font_outline": ([text(font_outline="2_FF0000")], refused("fol")),
    "font_shadow": ([text(font_shadow="FF0000_2")], refused("fsh")),
}

# Keys whose check above is a size or a status only: the image must also differ
# from the same URL without the key (a parameter silently ignored fails here).
PLAIN_TEXT = [text()]
CHANGES: dict[str, list[dict[str, Any]]] = {
    **{
        key: PLAIN_TEXT
        for key in (
            "font_size",
            "font_family",
            "font_color",
            "color",
            "padding",
            "alpha",
            "typography",
        )
    },
    **{key: [EXTRACT] for key in ("x", "x_center", "y", "y_center")},
    **{
        key: [{"width": 100}]
        for key in ("blur", "contrast_stretch", "sharpen", "unsharp_mask", "gradient", "flip")
    },
    "inner_alignment": [text(width=60)],  # two lines, centred by default
    "line_height": [text(width=60)],
    "focus": [{"width": 100, "height": 100}],
    "border": [{"width": 600}],
}

OVERLAYS: dict[str, tuple[dict[str, Any], Check]] = {
    "image": (
        {
            "type": "image",
            "input": "synthetic/halves.png",
            "position": {"x": 10, "y": 10},
            "transformation": [{"width": 50}],
            "layer_mode": "multiply",
        },
        size(600, 400),
    ),
    "text": (
        {
            "type": "text",
            "text": "a,b:c/d?",
            "encoding": "auto",
            "position": {"x_center": "bw_div_2", "y_center": 50, "anchor_point": "top_left"},
        },
        size(600, 400),
    ),
    "solidColor": (
        {
            "type": "solidColor",
            "color": "FF000080",
            "position": {"focus": "bottom"},
            "transformation": [{"width": "bw_mul_0.5", "height": 40, "radius": 10, "alpha": 5}],
        },
        size(600, 400),
    ),
    "video": ({"type": "video", "input": "clip.mp4"}, refused("l", "invalid_parameter")),
    "subtitle": ({"type": "subtitle", "input": "subs.srt"}, refused("l", "invalid_parameter")),
}

# (transformation position, signed): each value of each is covered
VARIANTS = [("path", True), ("query", False)]


@pytest.fixture(scope="module")
def gateway(mesh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log: Path = tmp_path_factory.mktemp("sdk") / "gateway.log"
    from tests.conftest import named_file

    flags = [f"--named-transformations={named_file(tmp_path_factory)}"]
    with extra_gateway(mesh.ports, flags, {"IMGMESH_SIGNING_KEY": KEY}, log) as url:
        yield url


def build(gateway: str, transformation: list[dict[str, Any]], position: str, signed: bool) -> str:
    return ImageKit(private_key=KEY).helper.build_url(
        src="/" + COFFEE,
        url_endpoint=gateway,
        transformation=transformation,
        transformation_position=position,
        signed=signed,
    )


def test_every_sdk_key_is_covered():
    assert set(SUPPORTED_TRANSFORMS) == set(MATRIX)


@pytest.mark.parametrize(("position", "signed"), VARIANTS)
@pytest.mark.parametrize("key", sorted(MATRIX))
def test_sdk_transformation(gateway, key, position, signed):
    transformation, check = MATRIX[key]
    url = build(gateway, transformation, position, signed)
    reply = get(url)
    check(reply)
    if key in CHANGES:
        reference = get(build(gateway, CHANGES[key], position, signed))
        assert reference.status == 200 and reference.body != reply.body, f"{key} changed nothing"


@pytest.mark.parametrize(("position", "signed"), VARIANTS)
@pytest.mark.parametrize("kind", sorted(OVERLAYS))
def test_sdk_overlay(gateway, kind, position, signed):
    overlay, check = OVERLAYS[kind]
    url = build(gateway, [{"width": 600}, {"overlay": overlay}], position, signed)
    check(get(url))


def test_a_tampered_sdk_url_is_refused(gateway):
    url = build(gateway, [{"width": 300}], "query", True)
    assert get(url).status == 200
    assert get(url.replace("w-300", "w-301")).status == 401
