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
    "brightness": ("-40", "1.5"),
    "contrast": ("20", "x"),
    "rgb": ("10,-20,30", "10,20"),
    "colorize": ("20,40,60,ff0080", "20,40,60,red"),
    "saturation": ("1.5", "a"),
    "equalize": ("", "1"),
    "noise": ("40,7", "400"),
    "convolution": ("1;2;1;2;4;2;1;2;1,3,true", "1;2;1;2,2"),
    "curve": ("[(0,0),(255,255)],[(0,50),(255,200)],[],[]", "[(0,0)],[]"),
    "max_bytes": ("20000", "-5"),
    "extract_focal": ("", "1"),
    "frame": ("frames/wood.9.png", ""),
    "watermark": ("photos/logo.png,-10,10p,50,20,none", "photos/logo.png,left,0,0"),
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


def _only(path: str) -> edit_pb2.Step:
    steps = compile_request(parse(path)).graph.steps
    assert len(steps) == 1, steps
    return steps[0]


@pytest.mark.parametrize(
    "call,multiply,add",
    [
        ("brightness(40)", [1.0], [102.0]),  # 255 * 40 / 100 in C ints
        ("brightness(-30)", [1.0], [-76.0]),  # truncated toward zero
        ("contrast(50)", [2.25], [128 - 288.0]),  # k = 150^2 / 100 = 225
        ("rgb(10,-20,30)", [1.0], [25.0, -51.0, 76.0]),
        ("colorize(100,0,50,ff0080)", [0.0, 1.0, 0.5], [255.0, 0.0, 64.0]),
    ],
)
def test_point_filters_are_thumbors_arithmetic(
    call: str, multiply: list[float], add: list[float]
) -> None:
    linear = _only(f"unsafe/filters:{call}/a.png").linear
    assert list(linear.multiply) == pytest.approx(multiply)
    assert list(linear.add) == pytest.approx(add)


def test_filters_split_as_thumbor_splits_them() -> None:
    """Arguments may hold parentheses, colons and slashes (curve, watermark)."""
    path = (
        "unsafe/filters:curve([(0,0),(64,80),(255,255)],[],[(0,10)],[]):"
        "watermark(http://cdn.example/logo.png,center,-5p,0):quality(70)/a.png"
    )
    compiled = compile_request(parse(path))
    assert compiled.filters == ("curve", "watermark", "quality")
    curve, overlay = (s for s in compiled.graph.steps)
    assert [(p.x, p.y) for p in curve.curve.all_bands] == [(0, 0), (64, 80), (255, 255)]
    assert [(p.x, p.y) for p in curve.curve.green] == [(0, 10)] and not curve.curve.red
    layer = overlay.overlay
    assert layer.image.source.url == "http://cdn.example/logo.png"
    assert not layer.HasField("x") and layer.y.expression.terms[1].number == -0.05
    assert compiled.graph.encode.quality == 70


def test_watermark_ratios_and_alpha() -> None:
    layer = _only("unsafe/filters:watermark(logo.png,-10,20,30,25,none)/a.png").overlay
    assert layer.x.px == -10 and layer.y.px == 20
    assert layer.image.source.origin_path == "logo.png"
    resize, opacity = layer.image.steps
    assert resize.resize.crop_mode == edit_pb2.CROP_MODE_AT_MAX_ENLARGE
    assert resize.resize.width.expression.terms[1].number == 0.25
    assert not resize.resize.HasField("height")
    assert opacity.opacity.opacity == pytest.approx(0.7)


@pytest.mark.parametrize(
    "fill,pad_fill",
    [("auto", edit_pb2.Resize.PAD_FILL_MEAN), ("blur", edit_pb2.Resize.PAD_FILL_BLURRED)],
)
def test_fill_auto_and_blur(fill: str, pad_fill: int) -> None:
    steps = compile_request(parse(f"unsafe/fit-in/300x300/filters:fill({fill})/a.png")).graph.steps
    assert steps[-1].resize.crop_mode == edit_pb2.CROP_MODE_PAD_EXTRACT
    assert steps[-1].resize.pad_fill == pad_fill


def test_max_bytes_reaches_the_encoder() -> None:
    compiled = compile_request(parse("unsafe/filters:max_bytes(5000)/a.png"))
    assert compiled.graph.encode.max_bytes == 5000


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


def test_debug_outlines_the_focal_points_instead_of_resizing() -> None:
    """thumbor's debug/: the manual crop, no resize or flip, the focal
    points drawn (here focal() moved into the crop)."""
    path = "unsafe/debug/10x10:210x210/-100x100/smart/filters:focal(60x60:80x100)/a.png"
    steps = compile_request(parse(path)).graph.steps
    assert [s.WhichOneof("op") for s in steps] == ["resize", "focus_outline"]
    outline = steps[1].focus_outline
    assert outline.detect_faces  # smart: the faces the detector finds are drawn too
    (box,) = outline.boxes  # centre (70, 80) -> (60, 70) in the crop, 20 x 40
    assert (box.left, box.top, box.width, box.height) == (50, 50, 20, 40)


@pytest.mark.parametrize(
    "image,loaded,focal",
    [
        # thumbor's own case (tests/filters/test_extract_focal.py): the inner
        # URL's crop becomes the focal point of its image
        ("localhost:8888/unsafe/100x150:300x200/img.jpg", "img.jpg", (200, 175, 200, 50)),
        (
            "https://cdn.example/unsafe/fit-in/300x300/a.example/unsafe/0x0:40x20/p.png",
            "p.png",
            (20, 10, 40, 20),
        ),
        ("localhost:8888/unsafe/300x200/img.jpg", "localhost:8888/unsafe/300x200/img.jpg", None),
        ("photos/plain.jpg", "photos/plain.jpg", None),
    ],
)
def test_extract_focal(image: str, loaded: str, focal: tuple[int, int, int, int] | None) -> None:
    compiled = compile_request(parse(f"unsafe/200x200/filters:extract_focal()/{image}"))
    assert compiled.image == loaded
    assert compiled.graph.source.origin_path == loaded or compiled.graph.source.url == loaded
    if focal is None:
        assert compiled.focal == ()
    else:
        (point,) = compiled.focal
        assert (point.x, point.y, point.width, point.height) == focal
        assert point.origin == "Original Extraction"
        resize = compiled.graph.steps[0].resize
        assert (resize.focus_box.left, resize.focus_box.top) == focal[:2]


def test_max_width_and_height_cap_the_request_and_fit_the_source() -> None:
    compiled = compile_request(parse("unsafe/2000x300/a.png"), max_width=1200, max_height=1000)
    normalize, resize = compiled.graph.steps
    assert normalize.resize.crop_mode == edit_pb2.CROP_MODE_AT_MAX  # thumbor's normalize()
    assert (normalize.resize.width.px, normalize.resize.height.px) == (1200, 1000)
    assert (resize.resize.width.px, resize.resize.height.px) == (1200, 300)  # capped
    assert compiled.request is not None and compiled.request.width == 1200


def test_auto_avif_comes_before_auto_webp() -> None:
    accepted = (edit_pb2.FORMAT_WEBP, edit_pb2.FORMAT_AVIF)
    both = compile_request(parse("unsafe/a.png"), accepted=accepted, auto_webp=True, auto_avif=True)
    assert list(both.graph.encode.accepted) == [edit_pb2.FORMAT_AVIF]
    webp = compile_request(
        parse("unsafe/a.png"), accepted=accepted[:1], auto_webp=True, auto_avif=True
    )
    assert list(webp.graph.encode.accepted) == [edit_pb2.FORMAT_WEBP]
