"""Issue [14]: the imgproxy dialect's path, signature and option parser,
ported case for case from imgproxy v4's own tests (handlers/path_test.go,
security/signature_test.go, options/parser/processing_options_test.go,
options/parser/presets_test.go); every registered option is run by a
sample too."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

import pytest

from gateway.imgproxy import options as opts
from gateway.imgproxy.options import OptionError, ParserConfig, parse_presets
from gateway.imgproxy.path import PathError, redenormalize, split_signature
from gateway.imgproxy.signing import SignatureError, SigningConfig, sign, verify
from gateway.imgproxy.url import parse_path

ORIGIN = "http://images.dev/lorem/ipsum.jpg"
ORIGIN_Q = "http://images.dev/lorem/ipsum.jpg?param=value"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def parse(path: str, **config: object) -> tuple[opts.Options, str]:
    presets = config.pop("presets", None)
    cfg = ParserConfig(presets=parse_presets(presets) if presets else {}, **config)  # type: ignore[arg-type]
    return parse_path(path, cfg)


# --- handlers/path_test.go ---------------------------------------------------


@pytest.mark.parametrize(
    "raw,path,signature",
    [
        ("/dummy_signature/rs:fill:300:200/plain/http://example.com/image.jpg",
         "rs:fill:300:200/plain/http://example.com/image.jpg", "dummy_signature"),
        ("/dummy_signature/rs:fill:300:200/plain/https:/example.com/path/to/image.jpg",
         "rs:fill:300:200/plain/https://example.com/path/to/image.jpg", "dummy_signature"),
        ("/dummy_signature/rs%3Afill%3A300%3A200/plain/https://example.com/path/to/image.jpg",
         "rs:fill:300:200/plain/https://example.com/path/to/image.jpg", "dummy_signature"),
        ("/dummy_signature/rs%3Afill%3A300%3A200/abc/abc", "rs:fill:300:200/abc/abc",
         "dummy_signature"),
    ],
)  # fmt: skip
def test_split_signature(raw: str, path: str, signature: str) -> None:
    assert split_signature(raw) == (signature, path)


@pytest.mark.parametrize("raw", ["/invalid_path_without_slash", "/", "/signature_only"])
def test_split_signature_refuses(raw: str) -> None:
    with pytest.raises(PathError):
        split_signature(raw)


@pytest.mark.parametrize(
    "given,expected",
    [
        ("plain/http:/example.com/image.jpg", "plain/http://example.com/image.jpg"),
        ("plain/https:/example.com/image.jpg", "plain/https://example.com/image.jpg"),
        ("plain/local:/image.jpg", "plain/local:///image.jpg"),
        ("/rs:fill:300:200/plain/http:/example.com/image.jpg",
         "rs:fill:300:200/plain/http://example.com/image.jpg"),
        ("/plain/http://example.com/image.jpg", "plain/http://example.com/image.jpg"),
        ("/rs:fill:300:200/plain/example.com/image.jpg",
         "rs:fill:300:200/plain/example.com/image.jpg"),
        ("", ""),
        ("/", ""),
        ("/http:/example.com/image.jpg", "http:/example.com/image.jpg"),
        ("/plain/example.com/image.jpg", "plain/example.com/image.jpg"),
        ("/plain/http:", "plain/http:"),
        ("/plain/http:/test", "plain/http://test"),
    ],
)  # fmt: skip
def test_redenormalize(given: str, expected: str) -> None:
    assert redenormalize(given) == expected


# --- security/signature_test.go ----------------------------------------------

KEYS = SigningConfig(keys=(b"test-key",), salts=(b"test-salt",))


def test_signature_vectors() -> None:
    verify("oWaL7QoW5TsgbuiS9-5-DI8S3Ibbo1gdB2SteJh3a20", "asd", KEYS)
    assert sign("asd", b"test-key", b"test-salt") == "oWaL7QoW5TsgbuiS9-5-DI8S3Ibbo1gdB2SteJh3a20"
    truncated = SigningConfig(KEYS.keys, KEYS.salts, size=8)
    verify("oWaL7QoW5Ts", "asd", truncated)
    with pytest.raises(SignatureError):
        verify("oWaL7QoW5Ts", "asd", KEYS)  # truncated, but the full size is configured


def test_signature_key_rotation() -> None:
    both = SigningConfig((b"test-key", b"test-key2"), (b"test-salt", b"test-salt2"))
    verify("jYz1UZ7j1BCdSzH3pZhaYf0iuz0vusoOTdqJsUT6WXI", "asd", both)
    verify("oWaL7QoW5TsgbuiS9-5-DI8S3Ibbo1gdB2SteJh3a20", "asd", both)
    with pytest.raises(SignatureError):
        verify("dtLwhdnPPis", "asd", both)


def test_trusted_signatures() -> None:
    trusted = SigningConfig(KEYS.keys, KEYS.salts, trusted=("truested",))
    verify("truested", "asd", trusted)
    with pytest.raises(SignatureError):
        verify("untrusted", "asd", trusted)


def test_without_a_key_any_signature_passes_but_an_option() -> None:
    verify("insecure", "rs:fit:1:1/plain/x", SigningConfig())
    verify("anything", "rs:fit:1:1/plain/x", SigningConfig())
    with pytest.raises(SignatureError):
        verify("rs:fit:300:300", "plain/x", SigningConfig())


def test_insecure_with_a_key_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify("insecure", "rs:fit:100:100/plain/local:///a.png", KEYS)


def test_the_docs_example() -> None:
    """https://docs.imgproxy.net/usage/signing_url: key "secret", salt "hello"
    (the docs' hex 736563726574 / 68656C6C6F)."""
    config = SigningConfig.from_hex("736563726574", "68656C6C6F")
    path = "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png"
    signature = sign(path, b"secret", b"hello")
    assert signature == "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8"
    verify(signature, path, config)
    with pytest.raises(SignatureError):
        verify(signature, path.replace("300", "301"), config)


# --- options/parser/processing_options_test.go -------------------------------


def test_base64_sources() -> None:
    o, url = parse(f"/size:100:100/{b64(ORIGIN_Q)}.png")
    assert url == ORIGIN_Q and o["format"] == "png"
    o, url = parse(
        f"/size:100:100/{b64(ORIGIN_Q)}.png/puppy.jpg", base64_url_includes_filename=True
    )
    assert url == ORIGIN_Q and o["format"] == "png"
    o, url = parse(f"/size:100:100/{b64(ORIGIN_Q)}")
    assert url == ORIGIN_Q and "format" not in o
    o, url = parse(f"/size:100:100/{b64('lorem/ipsum.jpg?param=value')}.png",
                   base_url="http://images.dev/")  # fmt: skip
    assert url == ORIGIN_Q
    # split by / and padded: still the same URL
    padded = base64.urlsafe_b64encode(ORIGIN.encode()).decode()
    assert parse(f"/w:10/{padded[:10]}/{padded[10:]}")[1] == ORIGIN


REPLACEMENTS = (
    (re.compile("^test://([^/]*)/"), "test2://images.dev/${1}/dolor/"),
    (re.compile("^test2://"), "http://"),
)


def test_url_replacements() -> None:
    o, url = parse(f"/size:100:100/{b64('test://lorem/ipsum.jpg?param=value')}.png",
                   url_replacements=REPLACEMENTS)  # fmt: skip
    assert url == "http://images.dev/lorem/dolor/ipsum.jpg?param=value"
    _, url = parse("/size:100:100/plain/test://lorem/ipsum.jpg@png", url_replacements=REPLACEMENTS)
    assert url == "http://images.dev/lorem/dolor/ipsum.jpg"


def test_plain_sources() -> None:
    o, url = parse(f"/size:100:100/plain/{ORIGIN}@png")
    assert url == ORIGIN and o["format"] == "png"
    o, url = parse(f"/size:100:100/plain/{ORIGIN}")
    assert url == ORIGIN and "format" not in o
    o, url = parse(f"/size:100:100/plain/{quote(ORIGIN_Q, safe='/:')}@png")
    assert url == ORIGIN_Q and o["format"] == "png"
    _, url = parse("/size:100:100/plain/lorem/ipsum.jpg@png", base_url="http://images.dev/")
    assert url == ORIGIN
    _, url = parse(f"/size:100:100/plain/{quote('lorem/ipsum.jpg?param=value')}@png",
                   base_url="http://images.dev/")  # fmt: skip
    assert url == ORIGIN_Q


@pytest.mark.parametrize(
    "path",
    [
        f"/w:1/plain/{ORIGIN}@png@webp",  # two formats
        "/w:1/plain/@png",  # empty URL
        f"/w:1/{b64(ORIGIN)}.png.webp",
        "/w:1/!!!notbase64",
        "/w:1/plain/http://a/%zz.png",  # bad escape
        f"/fill/100/100/{b64(ORIGIN)}",  # the deprecated basic format
        f"/nope:1/plain/{ORIGIN}",  # unknown option
        "",
    ],
)
def test_refused_urls_answer_404(path: str) -> None:
    with pytest.raises(OptionError) as info:
        parse(path)
    assert info.value.status == 404


def test_arguments_separator() -> None:
    o, _ = parse(f"/size,100,100,1/plain/{ORIGIN}", separator=",")
    assert (o["width"], o["height"], o["enlarge"]) == (100, 100, True)


@pytest.mark.parametrize(
    "options,expected",
    [
        ("format:webp", {"format": "webp"}),
        ("resize:fill:100:200:1", {"resizing_type": "fill", "width": 100, "height": 200,
                                   "enlarge": True}),
        ("resizing_type:fill", {"resizing_type": "fill"}),
        ("size:100:200:1", {"width": 100, "height": 200, "enlarge": True}),
        ("width:100", {"width": 100}),
        ("height:100", {"height": 100}),
        ("enlarge:1", {"enlarge": True}),
        ("extend:1:so:10:20", {"extend.enabled": True, "extend.gravity.type": "so",
                               "extend.gravity.x_offset": 10.0, "extend.gravity.y_offset": 20.0}),
        ("gravity:soea", {"gravity.type": "soea"}),
        ("gravity:fp:0.5:0.75", {"gravity.type": "fp", "gravity.x_offset": 0.5,
                                 "gravity.y_offset": 0.75}),
        ("crop:100:200", {"crop.width": 100.0, "crop.height": 200.0}),
        ("crop:100:200:nowe:10:20", {"crop.width": 100.0, "crop.height": 200.0,
                                     "crop.gravity.type": "nowe", "crop.gravity.x_offset": 10.0,
                                     "crop.gravity.y_offset": 20.0}),
        ("quality:55", {"quality": 55}),
        ("background:128:129:130", {"background": (128, 129, 130)}),
        ("background:ffddee", {"background": (0xFF, 0xDD, 0xEE)}),
        ("blur:0.2", {"blur": 0.2}),
        ("sharpen:0.2", {"sharpen": 0.2}),
        ("dpr:2", {"dpr": 2.0}),
        ("watermark:0.5:soea:10:20:0.6", {"watermark.opacity": 0.5, "watermark.position": "soea",
                                          "watermark.x_offset": 10.0, "watermark.y_offset": 20.0,
                                          "watermark.scale": 0.6}),
        ("cachebuster:123", {"cachebuster": "123"}),
        ("strip_metadata:true", {"strip_metadata": True}),
        ("preserve_hdr:true", {"preserve_hdr": True}),
        ("skp:jpg:png", {"skip_processing": ["jpeg", "png"]}),
        ("exp:32503669200", {"expires": 32503669200}),
        # beyond imgproxy's cases: CSS-order padding, zoom, trim, the flips
        ("pd:10:20", {"padding.top": 10, "padding.right": 20, "padding.bottom": 10,
                      "padding.left": 20}),
        ("z:1.5", {"zoom_width": 1.5, "zoom_height": 1.5}),
        ("t:10:fff:1", {"trim.threshold": 10.0, "trim.color": (255, 255, 255),
                        "trim.equal_horizontal": True}),
        ("fl:1:t", {"flip.horizontal": True, "flip.vertical": True}),
        ("rot:-90", {"rotate": -90}),
        ("fq:webp:60:jpg:70", {"format_quality.webp": 60, "format_quality.jpeg": 70}),
        ("fn:" + b64("ü.png") + ":1", {"filename": "ü.png"}),
    ],
)  # fmt: skip
def test_options(options: str, expected: dict[str, object]) -> None:
    o, _ = parse(f"/{options}/plain/{ORIGIN}")
    for key, value in expected.items():
        assert o[key] == value, key


@pytest.mark.parametrize(
    "options,message",
    [
        ("extend:1:sm", None),
        ("extend:1:re", None),
        ("gravity:re", None),
        ("crop:100:200:re", None),
        ("gravity:fp:2:0.5", None),  # fp offsets are shares
        ("gravity:sm:1", None),
        ("rot:45", "Rotation angle must be a multiple of 90"),
        ("q:101", None),
        ("w:-1", None),
        ("bg:1:2", None),
        ("skp:jpg:png:bad_format", "Invalid image format in skip_processing: bad_format"),
        ("exp:1609448400", "Expired URL"),
        ("rs:fill:1:2:1:1:ce:0:0:9", None),  # too many arguments
        ("pr:nope", "Unknown preset: nope"),
    ],
)
def test_refused_options(options: str, message: str | None) -> None:
    with pytest.raises(OptionError) as info:
        parse(f"/{options}/plain/{ORIGIN}")
    assert info.value.status == 404
    if message:
        assert str(info.value) == message


def test_a_bad_boolean_is_false_as_imgproxy_warns() -> None:
    o, _ = parse(f"/el:maybe/plain/{ORIGIN}")
    assert o["enlarge"] is False


def test_background_can_be_removed() -> None:
    o, _ = parse(f"/background:fff/background:/plain/{ORIGIN}")
    assert "background" not in o


def test_presets() -> None:
    o, _ = parse(f"/preset:test1:test2/plain/{ORIGIN}",
                 presets=["test1=resizing_type:fill", "test2=blur:0.2/quality:50"])  # fmt: skip
    assert (o["resizing_type"], o["blur"], o["quality"]) == ("fill", 0.2, 50)
    assert o["used_presets"] == ["test1", "test2"]


def test_the_default_preset_comes_first() -> None:
    o, _ = parse(f"/quality:70/plain/{ORIGIN}",
                 presets=["default=resizing_type:fill/blur:0.2/quality:50"])  # fmt: skip
    assert (o["resizing_type"], o["blur"], o["quality"]) == ("fill", 0.2, 70)
    assert o["used_presets"] == ["default"]


def test_preset_loops_are_cut() -> None:
    loop = ["test1=resizing_type:fill/preset:test2", "test2=blur:0.2/preset:test1"]
    o, _ = parse(f"/preset:test1/plain/{ORIGIN}", presets=loop)
    assert o["used_presets"] == ["test1", "test2"]


def test_only_presets() -> None:
    presets = ["test1=blur:0.2", "test2=quality:50"]
    o, url = parse(f"/test1:test2/plain/{ORIGIN}@png", presets=presets, only_presets=True)
    assert (o["blur"], o["quality"], o["format"], url) == (0.2, 50, "png", ORIGIN)
    o, url = parse(f"/test1:test2/{b64(ORIGIN_Q)}.png", presets=presets, only_presets=True)
    assert (o["blur"], o["quality"], o["format"], url) == (0.2, 50, "png", ORIGIN_Q)


@pytest.mark.parametrize(
    "options,error",
    [
        ("w:100/h:200", None),
        ("w:100/h:200/blur:10", "Forbidden processing option blur"),
        ("w:100/h:200/pr:test1", None),  # a preset may use any option
        ("w:100/h:200/pr:test1/blur:10", "Forbidden processing option blur"),
    ],
)
def test_allowed_options(options: str, error: str | None) -> None:
    path = f"/{options}/{b64(ORIGIN_Q)}.png"
    config = {"allowed_options": ("w", "h", "pr"), "presets": ["test1=blur:0.2"]}
    if error is None:
        parse(path, **config)
        return
    with pytest.raises(OptionError) as info:
        parse(path, **config)
    assert str(info.value) == error


@pytest.mark.parametrize("option", ["msr:10", "msfs:1000", "maf:5", "mafr:1", "mrd:500"])
def test_security_options(option: str) -> None:
    with pytest.raises(OptionError) as info:
        parse(f"/{option}/plain/{ORIGIN}")
    assert info.value.status == 403
    o, _ = parse(f"/{option}/plain/{ORIGIN}", allow_security_options=True)
    assert len(o) == 1


def test_resolution_options_are_megapixels() -> None:
    o, _ = parse(f"/msr:2.5/plain/{ORIGIN}", allow_security_options=True)
    assert o["max_src_resolution"] == 2_500_000


# --- options/parser/presets_test.go ------------------------------------------


def test_parse_preset() -> None:
    (name, parsed), = parse_presets(["test=resize:fit:100:200/sharpen:2"]).items()  # fmt: skip
    assert name == "test"
    assert parsed == (
        opts.UrlOption("resize", ("fit", "100", "200")),
        opts.UrlOption("sharpen", ("2",)),
    )


@pytest.mark.parametrize(
    "text",
    [
        "resize:fit:100:200/sharpen:2",
        "=resize:fit:100:200/sharpen:2",
        "test=",
        "test=resize:fit:100:200/sharpen:2/blur",
    ],
)
def test_malformed_presets(text: str) -> None:
    with pytest.raises(ValueError):
        parse_presets([text])


def test_blank_and_comment_presets_are_skipped() -> None:
    assert parse_presets(["   ", "#  test=resize:fit:100:200/sharpen:2"]) == {}


def test_validate_presets() -> None:
    opts.validate_presets(
        ParserConfig(presets=parse_presets(["test=resize:fit:100:200/sharpen:2"]))
    )
    with pytest.raises(ValueError):
        opts.validate_presets(
            ParserConfig(presets=parse_presets(["test=resize:fit:-1:-2/sharpen:2"]))
        )


# --- every registered option has a sample ------------------------------------

SAMPLES = {
    "resize": "fit:10:20", "size": "10:20", "resizing_type": "auto", "width": "5",
    "height": "5", "min-width": "5", "min-height": "5", "zoom": "2:3", "dpr": "1.5",
    "enlarge": "1", "extend": "1:ce", "extend_aspect_ratio": "1", "gravity": "sm",
    "crop": "0.5:0.5:ce", "trim": "10", "padding": "1:2:3:4", "auto_rotate": "0",
    "rotate": "180", "flip": "1", "background": "fff", "blur": "1", "sharpen": "1",
    "pixelate": "4", "watermark": "0.5:re", "strip_metadata": "1", "keep_copyright": "1",
    "strip_color_profile": "1", "preserve_hdr": "0", "enforce_thumbnail": "1",
    "quality": "80", "format_quality": "avif:50", "max_bytes": "1000", "format": "avif",
    "skip_processing": "gif", "raw": "1", "cachebuster": "x", "expires": "0",
    "filename": "a.png", "return_attachment": "1", "preset": "p",
    "max_src_resolution": "1", "max_src_file_size": "1", "max_animation_frames": "1",
    "max_animation_frame_resolution": "1", "max_result_dimension": "1",
    "brightness": "-20", "contrast": "1.5", "saturation": "0.5", "colorize": "0.5:ff0000",
    "remove_background": "1", "watermark_url": "bG9jYWw6Ly8vd20ucG5n",
    "monochrome": "0.5:ff0000", "blur_detections": "5:face:dog", "draw_detections": "1",
    "duotone": "1:000080:ffff00", "watermark_text": "SGk",
}  # fmt: skip
FULL_NAMES = {fn: name for name, fn in reversed(list(opts.OPTIONS.items()))}


def test_every_option_has_a_sample() -> None:
    assert set(FULL_NAMES.values()) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(opts.OPTIONS))
def test_every_name_of_every_option_parses(name: str) -> None:
    full = FULL_NAMES[opts.OPTIONS[name]]
    o, _ = parse(f"/{name}:{SAMPLES[full]}/plain/{ORIGIN}", presets=["p=q:1"],
                 allow_security_options=True)  # fmt: skip
    assert o, name


@pytest.mark.parametrize(
    "options,expected",
    [
        ("g:obj:face", {"gravity.type": "obj", "gravity.classes": ["face"]}),
        ("g:obj", {"gravity.type": "obj", "gravity.classes": ["all"]}),
        ("g:obj:dog:cat", {"gravity.classes": ["dog", "cat"]}),
        ("g:obj:traffic_light", {"gravity.classes": ["traffic_light"]}),
        ("g:objw:all:2:face:3", {"gravity.type": "objw", "gravity.classes": ["all", "face"],
                                 "gravity.weights": [2.0, 3.0]}),
        ("br:-255", {"brightness": -255}),
        ("col:0.5", {"colorize.opacity": 0.5, "colorize.color": (0, 0, 0)}),
    ],
)  # fmt: skip
def test_pro_options(options: str, expected: dict[str, object]) -> None:
    o, _ = parse(f"/{options}/plain/{ORIGIN}")
    for key, value in expected.items():
        assert o[key] == value, key


@pytest.mark.parametrize("options", ["g:obj:unicorn", "g:objw:face", "br:300", "col:2", "co:-1"])
def test_refused_pro_options(options: str) -> None:
    with pytest.raises(OptionError):
        parse(f"/{options}/plain/{ORIGIN}")


# imgproxy's security checks (security/checker.go CheckDimensions) and
# skip_processing (processing.go shouldSkipStandardProcessing).
@pytest.mark.parametrize(
    "o,size,frames,nbytes,message",
    [
        ({"max_src_resolution": 20_000}, (200, 100), 1, 10, ""),
        ({"max_src_resolution": 19_999}, (200, 100), 1, 10, "Source image resolution is too big"),
        # frames count only as far as max_animation_frames processes them
        ({"max_src_resolution": 40_000}, (200, 100), 3, 10, ""),
        (
            {"max_src_resolution": 40_000, "max_animation_frames": 3},
            (200, 100),
            3,
            10,
            "Source image resolution is too big",
        ),
        # a per-frame limit replaces the total for an animation
        (
            {
                "max_src_resolution": 1,
                "max_animation_frames": 3,
                "max_animation_frame_resolution": 20_000,
            },
            (200, 100),
            3,
            10,
            "",
        ),
        (
            {"max_animation_frames": 3, "max_animation_frame_resolution": 19_999},
            (200, 100),
            2,
            10,
            "Source image frame resolution is too big",
        ),
        ({"max_src_file_size": 10}, (1, 1), 1, 10, ""),
        ({"max_src_file_size": 10}, (1, 1), 1, 11, "Source image file is too big"),
    ],
)
def test_security_checks(o, size, frames, nbytes, message) -> None:
    from gateway.imgproxy.compile import security_error

    assert security_error(o, size, frames, nbytes) == message


def test_a_vector_source_has_no_resolution_limit() -> None:
    from gateway.imgproxy.compile import security_error

    assert security_error({"max_src_resolution": 1}, (2000, 2000), 1, 10, vector=True) == ""
    too_big = security_error({"max_src_file_size": 5}, (1, 1), 1, 10, vector=True)
    assert too_big == "Source image file is too big"


@pytest.mark.parametrize(
    "o,source,config,rasterize,skips",
    [
        ({"skip_processing": ["png"]}, "png", (), False, True),
        ({"skip_processing": ["png"], "format": "png"}, "png", (), False, True),
        ({"skip_processing": ["png"], "format": "webp"}, "png", (), False, False),
        ({"skip_processing": ["png"]}, "jpeg", (), False, False),
        ({}, "jpeg", ("jpeg",), False, True),
        ({}, "png", (), False, False),
        # an SVG is served as it is unless a raster format is asked
        ({}, "svg", (), False, True),
        ({"format": "png"}, "svg", (), False, False),
        ({"format": "svg"}, "svg", (), True, True),
        ({}, "svg", (), True, False),
        ({"skip_processing": ["svg"]}, "svg", (), True, True),
    ],
)
def test_skip_processing(o, source, config, rasterize, skips) -> None:
    from gateway.imgproxy.compile import skips_processing

    assert skips_processing(o, source, config, rasterize) is skips


def test_skip_processing_parses_imgproxy_format_names() -> None:
    o, _ = parse_path("/skp:jpg:png:svg/plain/local:///a.png", ParserConfig())
    assert o["skip_processing"] == ["jpeg", "png", "svg"]


def test_watermark_url_is_base64url_padded_or_not() -> None:
    o, _ = parse_path("/wm:1/wmu:bG9jYWw6Ly8vd20ucG5n/plain/local:///a.png", ParserConfig())
    assert o["watermark.url"] == "local:///wm.png"
    o, _ = parse_path("/wmu:bG9jYWw6Ly8vYS5wbmc=/plain/local:///a.png", ParserConfig())
    assert o["watermark.url"] == "local:///a.png"
    with pytest.raises(OptionError):
        parse_path("/wmu:***/plain/local:///a.png", ParserConfig())


# Chained pipelines (imgproxy Pro, docs/features/chained_pipelines.mdx).
def test_chained_pipelines_merge_with_presets_as_imgproxy_documents() -> None:
    """The docs' example: a preset's chain is chained to the pipeline it is
    used in, and merged with the URL's."""
    presets = parse_presets(
        ["test=width:300/height:300/-/width:200/height:200/-/width:100/height:200"]
    )
    o, _ = parse_path(
        "/width:400/-/preset:test/width:500/-/width:600/plain/local:///a.png",
        ParserConfig(presets=presets),
    )
    chain = opts.pipelines(o)
    assert [p.get("width") for p in chain] == [400, 500, 600, 100]
    assert [p.get("height") for p in chain] == [None, 300, 200, 200]


def test_output_options_of_any_pipeline_are_the_main_ones() -> None:
    o, _ = parse_path("/w:10/-/q:50/f:png/bl:2/plain/local:///a.png@webp", ParserConfig())
    main, child = opts.pipelines(o)
    assert (main["quality"], main["format"], main.get("blur")) == (50, "webp", None)
    assert "quality" not in child and "format" not in child and child["blur"] == 2


def test_info_options() -> None:
    from gateway.imgproxy.info import parse_info_path, unanswered

    o, url = parse_info_path("/s:0/exif:1:1/pn:t/plain/local:///a.png", ParserConfig())
    assert url == "local:///a.png"
    assert (o["size"], o["format"], o["exif"], o["exif.canonical"], o["pages_number"]) == (
        False,
        True,
        True,
        True,
        True,
    )
    assert unanswered(o) == ""
    assert unanswered(parse_info_path("/avg:1/plain/local:///a.png", ParserConfig())[0]) == ""
    built = parse_info_path("/dc:1:1/plain/local:///a.png", ParserConfig())[0]
    assert unanswered(built) == "dominant_colors.build_missed"
    assert unanswered(parse_info_path("/p:8/plain/local:///a.png", ParserConfig())[0]) == "palette"
    with pytest.raises(OptionError):
        parse_info_path("/rs:fit:1:1/plain/local:///a.png", ParserConfig())
    with pytest.raises(OptionError) as refused:
        parse_info_path("/msr:1/plain/local:///a.png", ParserConfig())
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "text,raw,value",
    [
        ("72/1 (72, Rational, 1 components, 8 bytes)", "72/1", "72"),
        ("x (8.00 EV (f/16.0), Rational, 1 components, 8 bytes)", "x", "8.00 EV (f/16.0)"),
        ("plain", "plain", "plain"),
    ],
)
def test_libvips_exif_strings(text: str, raw: str, value: str) -> None:
    from transform_svc.imaging import _exif_parts

    assert _exif_parts(text) == (raw, value)
