"""thumbor's URL grammar, signing and filters, with thumbor's and
libthumbor's own test cases as the spec: the exact regex of thumbor 7.8's
tests/test_url.py, libthumbor's CryptoURL as the signer, and the URL cases
of libthumbor's tests/test_url.py."""

from __future__ import annotations

import pytest
from libthumbor import CryptoURL

from gateway.thumbor import filters, signing
from gateway.thumbor.compile import compile_request
from gateway.thumbor.urlgrammar import PATTERN, Crop, ThumborURLError, parse
from imgmesh.v1 import edit_pb2

KEY = "ACME-SEC"

# thumbor 7.8 tests/test_url.py test_can_get_regex
THUMBOR_REGEX = (
    "/?(?:(?:(?P<unsafe>unsafe)|(?P<hash>.+?))/)?(?:(?P<debug>debug)/)?(?:(?P<meta>meta)/)?"
    "(?:(?P<trim>trim(?::(?:top-left|bottom-right))?(?::\\d+)?)/)?"
    "(?:(?P<crop_left>\\d+)x(?P<crop_top>\\d+):(?P<crop_right>\\d+)x(?P<crop_bottom>\\d+)/)?"
    "(?:(?P<adaptive>adaptive-)?(?P<full>full-)?(?P<fit_in>fit-in)/)?(?:(?P<horizontal_flip>-)?"
    "(?P<width>(?:\\d+|orig))?x(?P<vertical_flip>-)?(?P<height>(?:\\d+|orig))?/)?"
    "(?:(?P<halign>left|right|center)/)?(?:(?P<valign>top|bottom|middle)/)?"
    "(?:(?P<smart>smart)/)?(?:filters:(?P<filters>.+?\\))/)?(?P<image>.+)"
)


def test_the_pattern_is_thumbors_regex() -> None:
    assert PATTERN.pattern == THUMBOR_REGEX


def test_libthumbors_parse_case() -> None:
    # libthumbor tests/test_url.py Parse.WithoutInitialSlash (here after unsafe/)
    req = parse("/unsafe/meta/10x11:12x13/-300x-200/left/top/smart/filters:some_filter()/img")
    assert req.unsafe and req.meta and req.smart
    assert req.crop == Crop(10, 11, 12, 13)
    assert (req.width, req.height, req.horizontal_flip, req.vertical_flip) == (300, 200, True, True)
    assert (req.halign, req.valign) == ("left", "top")
    assert req.filters == (("some_filter", ""),)
    assert req.image == "img"


@pytest.mark.parametrize(
    "path,expected",
    [
        ("unsafe/300x200/a.png", {"width": 300, "height": 200}),
        ("unsafe/x200/a.png", {"width": 0, "height": 200}),
        ("unsafe/origx100/a.png", {"width": None, "height": 100}),
        ("unsafe/-0x-0/a.png", {"horizontal_flip": True, "vertical_flip": True}),
        ("unsafe/adaptive-full-fit-in/1x2/a.png", {"adaptive": True, "full_fit_in": True}),
        ("unsafe/trim:bottom-right:25/a.png", {"trim": ("bottom-right", 25)}),
        ("unsafe/trim/a.png", {"trim": ("top-left", 0)}),
        ("unsafe/debug/a.png", {"debug": True}),
        ("unsafe/photos/caf%C3%A9%201.png", {"image": "photos/café 1.png"}),
        ("unsafe/http://example.com/a.jpg", {"image": "http://example.com/a.jpg"}),
        # not an option in its place: read as part of the image path (lenient)
        ("unsafe/smart/300x200/a.png", {"smart": True, "width": 0, "image": "300x200/a.png"}),
    ],
)
def test_grammar(path: str, expected: dict[str, object]) -> None:
    req = parse(path)
    for name, value in expected.items():
        assert getattr(req, name) == value, name


def test_no_image_is_an_error() -> None:
    with pytest.raises(ThumborURLError):
        parse("/unsafe/")


@pytest.mark.parametrize(
    "options",
    [
        {"width": 300, "height": 200},
        {"width": 300, "height": 200, "smart": True, "fit_in": True},
        {"crop": ((10, 20), (30, 40)), "flip": True, "flop": True, "halign": "left"},
        {"filters": ["fill(white)", "format(webp)"], "full_fit_in": True, "width": 10},
        {"meta": True, "trim": "bottom-right:10", "valign": "top"},
    ],
    ids=str,
)
def test_signatures_are_libthumbors(options: dict[str, object]) -> None:
    url = CryptoURL(key=KEY).generate(image_url="photos/coffee.png", **options)
    hash_, signed_part = url.lstrip("/").split("/", 1)
    assert signing.signed_url(KEY, signed_part) == url
    req = parse(url)
    assert req.signature == hash_ and not req.unsafe
    assert signing.valid(KEY, req.signed_part, req.signature)
    assert not signing.valid(KEY, req.signed_part.replace("coffee", "coffeE"), req.signature)
    assert not signing.valid("other-key", req.signed_part, req.signature)


def test_the_signature_covers_the_path_as_sent() -> None:
    part = "300x200/photos/caf%C3%A9.png"
    req = parse(signing.signed_url(KEY, part))
    assert req.signed_part == part and req.image == "photos/café.png"
    assert signing.valid(KEY, req.signed_part, req.signature)


# One sample call per registered filter (the test fails when a filter is added
# without one), and a call thumbor would skip.
SAMPLES = {
    "focal": ("10x10:50x50", "10x10:5x5"),
    "format": ("webp", "bmp3"),
    "quality": ("40", "x"),
    "fill": ("white", "nocolour"),
    "background_color": ("ff0000", ""),
    "blur": ("5", "500"),
    "sharpen": ("2,1,true", "2"),
    "grayscale": ("", "1"),
    "rotate": ("90", "45"),
    "round_corner": ("20,255,255,255", "20"),
    "strip_exif": ("", "1"),
    "strip_icc": ("", "1"),
    "no_upscale": ("", "1"),
    "upscale": ("", "1"),
    "stretch": ("", "1"),
    "max_age": ("60", "-1"),
    "proportion": ("0.5", "2"),
    "remove_background": ("", "1"),
}


def test_every_filter_has_a_sample() -> None:
    assert set(SAMPLES) == set(filters.FILTERS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_filter_applies_or_is_skipped_like_thumbor(name: str) -> None:
    good, bad = SAMPLES[name]
    state = filters.FilterState()
    assert filters.apply(name, good, state) and state.applied == [name]
    skipped = filters.FilterState()
    assert not filters.apply(name, bad, skipped)
    assert skipped.applied == [] and skipped.steps == [] and skipped.fill is None


def test_unknown_filters_are_skipped() -> None:
    compiled = compile_request(parse("unsafe/filters:nope(1):grayscale()/a.png"))
    assert compiled.filters == ("grayscale",)
    assert [s.WhichOneof("op") for s in compiled.graph.steps] == ["grayscale"]


def test_transformer_order() -> None:
    req = parse("unsafe/trim/1x2:101x202/-300x200/right/bottom/filters:blur(2)/a.png")
    steps = compile_request(req).graph.steps
    assert [s.WhichOneof("op") for s in steps] == ["trim", "resize", "resize", "flip", "blur"]
    crop, resize = steps[1].resize, steps[2].resize
    assert crop.crop_mode == edit_pb2.CROP_MODE_EXTRACT
    assert (crop.x.px, crop.y.px, crop.width.px, crop.height.px) == (1, 2, 100, 200)
    assert resize.crop_mode == edit_pb2.CROP_MODE_MAINTAIN_RATIO
    assert resize.focus == edit_pb2.FOCUS_BOTTOM_RIGHT
    assert steps[3].flip.horizontal and not steps[3].flip.vertical


@pytest.mark.parametrize(
    "path,mode",
    [
        ("unsafe/fit-in/300x300/a.png", edit_pb2.CROP_MODE_AT_MAX),
        ("unsafe/full-fit-in/300x300/a.png", edit_pb2.CROP_MODE_AT_LEAST),
        ("unsafe/fit-in/300x300/filters:upscale()/a.png", edit_pb2.CROP_MODE_AT_MAX_ENLARGE),
        ("unsafe/300x300/filters:stretch()/a.png", edit_pb2.CROP_MODE_FORCE),
        ("unsafe/300x0/filters:no_upscale()/a.png", edit_pb2.CROP_MODE_AT_MAX),
    ],
)
def test_resize_modes(path: str, mode: int) -> None:
    (step,) = compile_request(parse(path)).graph.steps
    assert step.resize.crop_mode == mode


def test_smart_uses_the_face_detector() -> None:
    (step,) = compile_request(parse("unsafe/300x200/smart/a.png")).graph.steps
    assert step.resize.focus == edit_pb2.FOCUS_FACE


def test_encoding_defaults_are_thumbors_settings() -> None:
    graph = compile_request(parse("unsafe/a.png"), quality=77).graph
    assert (graph.encode.format, graph.encode.quality) == (edit_pb2.FORMAT_AUTO, 77)
    assert list(graph.encode.accepted) == []
    webp = compile_request(
        parse("unsafe/a.png"), auto_webp=True, accepted=[edit_pb2.FORMAT_WEBP]
    ).graph
    assert list(webp.encode.accepted) == [edit_pb2.FORMAT_WEBP]
    assert compile_request(parse("unsafe/filters:quality(40)/a.png")).graph.encode.quality == 40
