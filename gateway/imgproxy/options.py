"""imgproxy v4's processing options: the ``name:arg:arg/`` segments of a URL
path parsed into imgproxy's own option keys (``width``, ``gravity.type``,
``padding.left`` ...), applied in URL order with later ones overriding, as
``options/parser/processing_options.go`` applies them
(https://docs.imgproxy.net/usage/processing). Presets, the ``default``
preset and only-presets mode are here too; the source URL is
:mod:`gateway.imgproxy.source`.

imgproxy is strict: an unknown option or an argument it does not accept
refuses the URL (:class:`OptionError`, 404 as imgproxy answers; 403 for a
security option that is not allowed).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract import vocabulary
from contract.object_classes import object_class
from gateway.imgproxy import b64

LOG = logging.getLogger("imgmesh.gateway.imgproxy")

Options = dict[str, Any]
RESIZE_TYPES = ("fit", "fill", "fill-down", "force", "auto")
COMMON_GRAVITY = ("ce", "no", "ea", "so", "we", "nowe", "noea", "sowe", "soea")
CROP_GRAVITY = ("sm", "fp", *COMMON_GRAVITY)
EXTEND_GRAVITY = ("fp", *COMMON_GRAVITY)
WATERMARK_GRAVITY = ("re", *COMMON_GRAVITY)
# imagetype's names (imagetype/defs.go): the formats imgmesh writes, by
# contract.vocabulary's names and aliases ("jpg"), and the ones imgproxy also
# names that imgmesh cannot write (parsed, then refused with 501 when asked for).
NOT_WRITTEN_FORMATS = ("jxl", "ico", "svg", "heic", "bmp", "tiff")
FORMATS: dict[str, str] = {
    **{name: vocabulary.format_name(fmt) for name, fmt in vocabulary.format_names().items()},
    **{name: name for name in NOT_WRITTEN_FORMATS},
}
HEX_COLOR = re.compile(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}")
INTEGER = re.compile(r"[+-]?\d+")  # Go's strconv.Atoi
MAX_WATERMARK_TEXT = 1000  # characters of watermark_text
# Pango markup that scales the text (https://docs.gtk.org/Pango/pango_markup.html).
SIZING_MARKUP = re.compile(
    r"(?i)\b(?:size|font|font_desc|font_size|font_scale|face|scale|rise|line_height)\s*="
    r"|<\s*big\b"
)
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class OptionError(ValueError):
    """imgproxy refuses the URL.

    Attributes:
        key: the option or option key at fault.
        status: imgproxy's HTTP status (404 invalid, 403 not allowed).
    """

    def __init__(self, key: str, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.key = key
        self.status = status


@dataclass(frozen=True)
class UrlOption:
    """One ``name:arg:...`` segment."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class ParserConfig:
    """What parsing needs of the settings (imgproxy's names in brackets).

    Attributes:
        presets: name -> options (IMGPROXY_PRESETS / _PATH).
        only_presets: the path holds preset names only (IMGPROXY_ONLY_PRESETS).
        allow_security_options: msr, msfs, maf, mafr, mrd accepted
            (IMGPROXY_ALLOW_SECURITY_OPTIONS).
        base_url: prefixed to source URLs that lack it (IMGPROXY_BASE_URL).
        base64_url_includes_filename: the last segment of a base64 source
            is a file name to ignore (IMGPROXY_BASE64_URL_INCLUDES_FILENAME).
        separator: the argument separator (IMGPROXY_ARGUMENTS_SEPARATOR).
        allowed_options: the option names a URL may use, empty = all
            (IMGPROXY_ALLOWED_PROCESSING_OPTIONS); presets may use any.
        url_replacements: (pattern, replacement) applied to source URLs in
            order (IMGPROXY_URL_REPLACEMENTS), replacements in Go's ``${1}``.
    """

    presets: dict[str, tuple[UrlOption, ...]] = field(default_factory=dict)
    only_presets: bool = False
    allow_security_options: bool = False
    base_url: str = ""
    base64_url_includes_filename: bool = False
    separator: str = ":"
    allowed_options: tuple[str, ...] = ()
    url_replacements: tuple[tuple[re.Pattern[str], str], ...] = ()


def _invalid(key: str, value: str, *expected: str) -> OptionError:
    allowed = f"; expected {', '.join(expected)}" if expected else ""
    return OptionError(key, f"invalid {key} argument: {value!r}{allowed}")


def _max_args(key: str, args: list[str], n: int) -> None:
    if len(args) > n:
        raise OptionError(key, f"invalid {key} arguments: {':'.join(args)}")


def _bool(o: Options, key: str, args: list[str]) -> None:
    """Go's strconv.ParseBool; anything else is false (imgproxy only warns)."""
    _max_args(key, args, 1)
    if args[0] not in GO_TRUE + GO_FALSE:
        LOG.warning("%s %r is not a boolean; treated as false", key, args[0])
    o[key] = args[0] in GO_TRUE


def _go_float(text: str) -> float:
    """A finite number (Go's ParseFloat takes ``inf`` and ``NaN``, which no
    option can use).

    Raises:
        ValueError: not a finite number.
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(text) from None
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _float(o: Options, key: str, args: list[str], *, lo: float | None = None) -> None:
    _max_args(key, args, 1)
    try:
        value = _go_float(args[0])
    except ValueError:
        raise _invalid(key, args[0], "number") from None
    if lo is not None and value < lo:
        raise _invalid(key, args[0], "positive number or 0")
    o[key] = value


def _positive_float(o: Options, key: str, args: list[str], *, nonzero: bool = False) -> None:
    _max_args(key, args, 1)
    try:
        value = _go_float(args[0])
    except ValueError:
        value = -1.0
    if value < 0 or (nonzero and value == 0):
        raise _invalid(key, args[0], "positive number" if nonzero else "positive number or 0")
    o[key] = value


def _opacity(o: Options, key: str, args: list[str]) -> None:
    """``parseOpacityFloat``: a number within 0..1."""
    _max_args(key, args, 1)
    try:
        value = _go_float(args[0])
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise _invalid(key, args[0], "number in range 0-1")
    o[key] = value


def _int(o: Options, key: str, args: list[str], *, lo: int | None = None) -> None:
    _max_args(key, args, 1)
    if not INTEGER.fullmatch(args[0]) or (lo is not None and int(args[0]) < lo):
        expected = {None: "integer number", 0: "positive number or 0", 1: "positive number"}
        raise _invalid(key, args[0], expected[lo])
    o[key] = int(args[0])


def _quality(o: Options, key: str, args: list[str]) -> None:
    _max_args(key, args, 1)
    if not INTEGER.fullmatch(args[0]) or not 0 <= int(args[0]) <= 100:
        raise _invalid(key, args[0], "number in range 0-100")
    o[key] = int(args[0])


def _hex_color(o: Options, key: str, args: list[str]) -> None:
    _max_args(key, args, 1)
    text = args[0]
    if not HEX_COLOR.fullmatch(text):
        raise _invalid(key, text, "hex-encoded color")
    if len(text) == 3:
        o[key] = tuple(int(c, 16) * 17 for c in text)
    else:
        o[key] = tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))


Parse = Callable[[Options, str, list[str]], None]


def _positional(o: Options, args: list[str], *fields: tuple[int, str, Parse]) -> None:
    """Each (index, key, parse) whose argument is given and not empty parsed
    into ``o[key]``; an empty one leaves ``o[key]`` as it was."""
    for index, key, parse in fields:
        if len(args) > index and args[index]:
            parse(o, key, args[index : index + 1])


def _gravity_type(o: Options, key: str, allowed: tuple[str, ...], args: list[str]) -> str:
    _max_args(key, args, 1)
    if args[0] not in allowed:
        raise _invalid(key, args[0], *allowed)
    o[key] = args[0]
    return args[0]


def _gravity(o: Options, key: str, allowed: tuple[str, ...], args: list[str]) -> None:
    """``type[:x_offset[:y_offset]]``; ``fp`` takes both offsets within 0..1,
    ``sm`` none (``options/parser/parse.go parseGravity``)."""
    kind = _gravity_type(o, key + ".type", allowed, args[:1])
    x_key, y_key = key + ".x_offset", key + ".y_offset"
    if kind == "sm":
        if len(args) > 1:
            raise OptionError(key, f"invalid {key} arguments: {':'.join(args)}")
        o.pop(x_key, None)
        o.pop(y_key, None)
        return
    if (kind == "fp" and len(args) != 3) or len(args) > 3:
        raise OptionError(key, f"invalid {key} arguments: {':'.join(args)}")
    for offset_key, text in ((x_key, args[1:2]), (y_key, args[2:3])):
        if not text or not text[0]:
            continue
        try:
            value = _go_float(text[0])
        except ValueError:
            raise _invalid(offset_key, text[0]) from None
        if kind == "fp" and not 0 <= value <= 1:
            raise _invalid(offset_key, text[0])
        o[offset_key] = value


def _extend(o: Options, key: str, args: list[str]) -> None:
    _max_args(key, args, 4)
    _bool(o, key + ".enabled", args[:1])
    if len(args) > 1:
        _gravity(o, key + ".gravity", EXTEND_GRAVITY, args[1:])


Apply = Callable[[Options, list[str], ParserConfig, tuple[str, ...]], None]
OPTIONS: dict[str, Apply] = {}
PIPELINE_BREAK = "-"  # a path segment that starts a chained pipeline (imgproxy Pro)
MAIN_KEY, NEXT_KEY = "pipeline.main", "pipeline.next"  # the chain's links in an Options


def option(*names: str) -> Callable[[Apply], Apply]:
    """Register the option under its full and short names."""

    def register(fn: Apply) -> Apply:
        for name in names:
            OPTIONS[name] = fn
        return fn

    return register


def _simple(
    names: tuple[str, ...], parse: Callable[[Options, str, list[str]], None], key: str
) -> None:
    def fn(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
        parse(o, key, args)

    for name in names:
        OPTIONS[name] = fn


def _positive_int(o: Options, key: str, args: list[str]) -> None:
    _int(o, key, args, lo=0)


for _names, _parse, _key in (
    (("width", "w"), _positive_int, "width"),
    (("height", "h"), _positive_int, "height"),
    (("min-width", "mw"), _positive_int, "min-width"),
    (("min-height", "mh"), _positive_int, "min-height"),
    (("enlarge", "el"), _bool, "enlarge"),
    (("extend", "ex"), _extend, "extend"),
    (("extend_aspect_ratio", "extend_ar", "exar"), _extend, "extend_aspect_ratio"),
    (("blur", "bl"), _positive_float, "blur"),
    (("sharpen", "sh"), _positive_float, "sharpen"),
    (("pixelate", "pix"), _positive_int, "pixelate"),
    (("strip_metadata", "sm"), _bool, "strip_metadata"),
    (("keep_copyright", "kcr"), _bool, "keep_copyright"),
    (("strip_color_profile", "scp"), _bool, "strip_color_profile"),
    (("preserve_hdr", "ph"), _bool, "preserve_hdr"),
    (("enforce_thumbnail", "eth"), _bool, "enforce_thumbnail"),
    (("auto_rotate", "ar"), _bool, "auto_rotate"),
    (("return_attachment", "att"), _bool, "return_attachment"),
    (("raw",), _bool, "raw"),
    (("quality", "q"), _quality, "quality"),
    (("max_bytes", "mb"), _positive_int, "max_bytes"),
):
    _simple(_names, _parse, _key)


@option("dpr")
def _dpr(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    _positive_float(o, "dpr", args, nonzero=True)


@option("resizing_type", "rt")
def _resizing_type(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    _max_args("resizing_type", args, 1)
    if args[0] not in RESIZE_TYPES:
        raise _invalid("resizing_type", args[0], *RESIZE_TYPES)
    o["resizing_type"] = args[0]


@option("size", "s")
def _size(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``s:width:height:enlarge:extend[:gravity...]``; empty parts keep their value."""
    _max_args("size", args, 7)
    for i, key, parse in (
        (0, "width", _positive_int),
        (1, "height", _positive_int),
        (2, "enlarge", _bool),
    ):
        if len(args) > i and args[i]:
            parse(o, key, args[i : i + 1])
    if len(args) > 3 and args[3]:
        _extend(o, "extend", args[3:])


@option("resize", "rs")
def _resize(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``rs:type:width:height:enlarge:extend[:gravity...]``."""
    _max_args("resize", args, 8)
    if args[0]:
        _resizing_type(o, args[:1], config, used)
    if len(args) > 1:
        _size(o, args[1:], config, used)


@option("zoom", "z")
def _zoom(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    _max_args("zoom", args, 2)
    _positive_float(o, "zoom_width", args[:1], nonzero=True)
    if len(args) < 2:
        o["zoom_height"] = o["zoom_width"]
    else:
        _positive_float(o, "zoom_height", args[1:2], nonzero=True)


OBJECT_GRAVITY = ("obj", "objw")  # imgproxy Pro's object-oriented gravities


@option("gravity", "g")
def _gravity_option(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """``g:type[:x:y]``; and imgproxy Pro's ``g:obj[:class...]`` and
    ``g:objw[:class:weight...]`` (classes: ``face``, the COCO classes, ``all``)."""
    if args and args[0] in OBJECT_GRAVITY:
        _object_gravity(o, args)
        return
    for key in ("gravity.classes", "gravity.weights"):
        o.pop(key, None)
    _gravity(o, "gravity", CROP_GRAVITY, args)


def _object_gravity(o: Options, args: list[str]) -> None:
    names = args[1::2] if args[0] == "objw" else args[1:]
    weights = args[2::2] if args[0] == "objw" else []
    if args[0] == "objw" and len(names) != len(weights):
        raise OptionError("gravity", f"invalid gravity arguments: {':'.join(args)}")
    classes = [n if n == "all" else _class_names("gravity.classes", [n])[0] for n in names]
    parsed_weights = []
    for text in weights:
        try:
            parsed_weights.append(_go_float(text))
        except ValueError:
            raise _invalid("gravity.weights", text, "number") from None
    o["gravity.type"] = args[0]
    o["gravity.classes"] = classes or ["all"]
    o["gravity.weights"] = parsed_weights
    o.pop("gravity.x_offset", None)
    o.pop("gravity.y_offset", None)


@option("brightness", "br")
def _brightness(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """imgproxy Pro: added to every band, -255..255."""
    _int(o, "brightness", args)
    if not -255 <= o["brightness"] <= 255:
        raise _invalid("brightness", args[0], "integer in range -255-255")


@option("contrast", "co")
def _contrast(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """imgproxy Pro: a positive factor, 1 = unchanged (``co``, as Pro parses it;
    Pro's colorize is ``col``)."""
    _positive_float(o, "contrast", args)


@option("saturation", "sa")
def _saturation(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """imgproxy Pro: a positive factor, 1 = unchanged."""
    _positive_float(o, "saturation", args)


@option("colorize", "col")
def _colorize(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """imgproxy Pro: ``col:opacity[:colour[:keep_alpha]]``, a colour laid over the image."""
    _max_args("colorize", args, 3)
    _opacity(o, "colorize.opacity", args[:1])
    o["colorize.color"] = (0, 0, 0)
    _positional(o, args, (1, "colorize.color", _hex_color), (2, "colorize.keep_alpha", _bool))


def _class_names(key: str, names: list[str]) -> list[str]:
    """``face`` and COCO class names (darknet aliases canonicalised).

    Raises:
        OptionError: a name that is neither (404).
    """
    classes = []
    for name in names:
        known = "face" if name == "face" else object_class(name)
        if known is None:
            raise _invalid(key, name, "face", "a COCO class name")
        classes.append(known)
    return classes


@option("blur_detections", "bd")
def _blur_detections(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """imgproxy Pro: ``bd:sigma[:class...]``, the detections blurred (no
    class: every class)."""
    _positive_float(o, "blur_detections.sigma", args[:1])
    o["blur_detections.classes"] = _class_names("blur_detections.classes", args[1:])


@option("draw_detections", "dd")
def _draw_detections(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """imgproxy Pro: ``dd:draw[:class...]``, the detections outlined."""
    _bool(o, "draw_detections", args[:1])
    o["draw_detections.classes"] = _class_names("draw_detections.classes", args[1:])


@option("monochrome", "mc")
def _monochrome(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """imgproxy Pro: ``mc:intensity[:colour]``, default ``0:b3b3b3``."""
    _max_args("monochrome", args, 2)
    _opacity(o, "monochrome.intensity", args[:1])
    o["monochrome.color"] = (0xB3, 0xB3, 0xB3)
    _positional(o, args, (1, "monochrome.color", _hex_color))


@option("duotone", "dt")
def _duotone(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """imgproxy Pro: ``dt:intensity[:dark[:light]]``, default ``0:000000:ffffff``."""
    _max_args("duotone", args, 3)
    _opacity(o, "duotone.intensity", args[:1])
    o["duotone.dark"], o["duotone.light"] = (0, 0, 0), (255, 255, 255)
    _positional(o, args, (1, "duotone.dark", _hex_color), (2, "duotone.light", _hex_color))


@option("remove_background", "rmbg")
def _remove_background(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """imgmesh's own: ``rmbg:1`` cuts the subject out (the segmentation model
    of ImageKit's ``e-bgremove``); not an imgproxy option."""
    _bool(o, "remove_background", args)


@option("crop", "c")
def _crop(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``c:width[:height[:gravity...]]``: px when >= 1, a share of the side below."""
    _positive_float(o, "crop.width", args[:1])
    if len(args) > 1:
        _positive_float(o, "crop.height", args[1:2])
    if len(args) > 2:
        _gravity(o, "crop.gravity", CROP_GRAVITY, args[2:])


@option("padding", "pd")
def _padding(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``pd:top[:right[:bottom[:left]]]``, CSS order; missing sides copy as CSS does."""
    _max_args("padding", args, 4)
    sides = ("padding.top", "padding.right", "padding.bottom", "padding.left")
    copy_from = {1: "padding.top", 2: "padding.top", 3: "padding.right"}
    for i, key in enumerate(sides):
        if len(args) > i and args[i]:
            _positive_int(o, key, args[i : i + 1])
        elif i and copy_from[i] in o:
            o[key] = o[copy_from[i]]
        elif i:
            o.pop(key, None)


@option("trim", "t")
def _trim(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``t:threshold[:colour[:equal_hor[:equal_ver]]]``."""
    _max_args("trim", args, 4)
    if args[0]:
        _float(o, "trim.threshold", args[:1])
    else:
        o.pop("trim.threshold", None)
    if len(args) > 1 and args[1]:
        _hex_color(o, "trim.color", args[1:2])
    else:
        o.pop("trim.color", None)
    _positional(o, args, (2, "trim.equal_horizontal", _bool), (3, "trim.equal_vertical", _bool))


@option("rotate", "rot")
def _rotate(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    _int(o, "rotate", args)
    if o["rotate"] % 90:
        raise OptionError("rotate", "Rotation angle must be a multiple of 90")


@option("flip", "fl")
def _flip(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    _max_args("flip", args, 2)
    if args[0]:
        _bool(o, "flip.horizontal", args[:1])
    _positional(o, args, (1, "flip.vertical", _bool))


@option("background", "bg")
def _background(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``bg:RRGGBB`` or ``bg:R:G:B``; ``bg:`` removes it."""
    if len(args) == 1:
        if not args[0]:
            o.pop("background", None)
            return
        _hex_color(o, "background", args)
        return
    if len(args) != 3:
        raise OptionError("background", f"invalid background arguments: {':'.join(args)}")
    rgb = []
    for channel, text in zip("RGB", args, strict=True):
        if not re.fullmatch(r"\d{1,3}", text) or int(text) > 255:
            raise _invalid(f"background.{channel}", text, "number in range 0-255")
        rgb.append(int(text))
    o["background"] = tuple(rgb)


@option("watermark", "wm")
def _watermark(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``wm:opacity[:position[:x_offset[:y_offset[:scale]]]]``."""
    _max_args("watermark", args, 7)
    _opacity(o, "watermark.opacity", args[:1])
    _positional(
        o,
        args,
        (1, "watermark.position", lambda o, k, a: _gravity_type(o, k, WATERMARK_GRAVITY, a)),
        (2, "watermark.x_offset", _float),
        (3, "watermark.y_offset", _float),
        (4, "watermark.scale", lambda o, k, a: _positive_float(o, k, a, nonzero=True)),
    )


@option("watermark_url", "wmu")
def _watermark_url(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """imgproxy Pro's ``wmu:<base64url of the watermark's URL>`` (padding
    allowed): this request's watermark image instead of the configured one."""
    _max_args("watermark_url", args, 1)
    try:
        o["watermark.url"] = b64.decode(args[0].rstrip("=")).decode()
    except ValueError as exc:
        raise _invalid("watermark_url", args[0], "base64-encoded URL") from exc


@option("watermark_text", "wmt")
def _watermark_text(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """imgproxy Pro's ``wmt:<base64url of Pango markup>``: a text watermark,
    at most MAX_WATERMARK_TEXT characters and without the markup that sets
    the text's size (``size=``, ``font=``, ``<big>``...): a URL must not
    choose how large a bitmap the renderer draws."""
    _max_args("watermark_text", args, 1)
    try:
        text = b64.decode(args[0].rstrip("=")).decode()
    except ValueError as exc:
        raise _invalid("watermark_text", args[0], "base64-encoded text") from exc
    if len(text) > MAX_WATERMARK_TEXT or SIZING_MARKUP.search(text):
        raise OptionError(
            "watermark_text",
            f"watermark text: at most {MAX_WATERMARK_TEXT} characters, no size or font markup",
        )
    o["watermark.text"] = text


@option("format_quality", "fq")
def _format_quality(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    """``fq:format:q[:format:q...]``."""
    if len(args) % 2:
        raise OptionError("format_quality", f"Missing format_quality for: {args[-1]}")
    for name, quality in zip(args[::2], args[1::2], strict=True):
        if name not in FORMATS:
            raise OptionError("format_quality", f"Invalid image format: {name}")
        _quality(o, f"format_quality.{FORMATS[name]}", [quality])


@option("format", "f", "ext")
def _format(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    _max_args("format", args, 1)
    if args[0] not in FORMATS:
        raise _invalid("format", args[0], "supported image format")
    o["format"] = FORMATS[args[0]]


@option("skip_processing", "skp")
def _skip_processing(
    o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]
) -> None:
    for name in args:
        if name not in FORMATS:
            raise OptionError("skip_processing", f"Invalid image format in skip_processing: {name}")
        o.setdefault("skip_processing", []).append(FORMATS[name])


@option("cachebuster", "cb")
def _cachebuster(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    _max_args("cachebuster", args, 1)
    if args[0]:
        o["cachebuster"] = args[0]
    else:
        o.pop("cachebuster", None)


@option("expires", "exp")
def _expires(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``exp:unix_timestamp``: refused once past (0 = never)."""
    _max_args("expires", args, 1)
    if not INTEGER.fullmatch(args[0]):
        raise _invalid("expires", args[0], "unix timestamp")
    stamp = int(args[0])
    if 0 < stamp < time.time():
        raise OptionError("expires", "Expired URL")
    o["expires"] = stamp


@option("filename", "fn")
def _filename(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``fn:name[:encoded]``: ``encoded`` true = urlsafe base64."""
    _max_args("filename", args, 2)
    if len(args) > 1 and args[1] in GO_TRUE:
        o["filename"] = _base64(args[0], "filename")
        return
    o["filename"] = args[0]


def _base64(text: str, key: str) -> str:
    try:
        return b64.decode(text.rstrip("=")).decode()
    except (ValueError, UnicodeDecodeError):
        raise _invalid(key, text, "URL-safe base64-encoded string") from None


def _security(name: str, parse: Callable[[Options, str, list[str]], None]) -> Apply:
    def fn(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
        if not config.allow_security_options:
            raise OptionError(name, "Security processing options are not allowed", status=403)
        parse(o, name, args)

    return fn


def _resolution(o: Options, key: str, args: list[str]) -> None:
    """Megapixels in the URL, px stored."""
    _positive_float(o, key, args)
    o[key] = int(o[key] * 1_000_000)


for _names, _parse in (
    (("max_src_resolution", "msr"), _resolution),
    (("max_src_file_size", "msfs"), _int),
    (("max_animation_frames", "maf"), lambda o, k, a: _int(o, k, a, lo=1)),
    (("max_animation_frame_resolution", "mafr"), _resolution),
    (("max_result_dimension", "mrd"), _int),
):
    _fn = _security(_names[0], _parse)
    for _name in _names:
        OPTIONS[_name] = _fn


# Options imgproxy applies to the main pipeline wherever they appear
# (options/parser/processing_options.go applyURLOption's o.Main()).
MAIN_OPTIONS = frozenset(
    OPTIONS[name]
    for name in (
        "strip_metadata", "keep_copyright", "strip_color_profile", "preserve_hdr",
        "enforce_thumbnail", "quality", "format_quality", "max_bytes", "format",
        "skip_processing", "raw", "cachebuster", "expires", "filename",
        "return_attachment", "max_src_resolution", "max_src_file_size",
        "max_animation_frames", "max_animation_frame_resolution", "max_result_dimension",
    )
)  # fmt: skip


@option("preset", "pr")
def _preset(o: Options, args: list[str], config: ParserConfig, used: tuple[str, ...]) -> None:
    """``pr:name[:name...]``: each preset's options in place; a preset used
    inside itself is skipped (imgproxy warns)."""
    for name in args:
        if name not in config.presets:
            raise OptionError("preset", f"Unknown preset: {name}")
        if name in used:
            LOG.warning("recursive preset usage: %s", name)
            continue
        o.setdefault("used_presets", []).append(name)
        apply_options(o, config.presets[name], config, (*used, name), allow_all=True)


def apply_options(
    o: Options,
    opts: tuple[UrlOption, ...],
    config: ParserConfig,
    used: tuple[str, ...] = (),
    *,
    allow_all: bool = False,
) -> None:
    """Apply ``opts`` in order.

    Raises:
        OptionError: an unknown option, a refused argument, or one that
            IMGPROXY_ALLOWED_PROCESSING_OPTIONS leaves out (404).
    """
    current = o
    for opt in opts:
        if opt.name == PIPELINE_BREAK:
            current = next_pipeline(current)
            continue
        if not allow_all and config.allowed_options and opt.name not in config.allowed_options:
            raise OptionError(opt.name, f"Forbidden processing option {opt.name}")
        fn = OPTIONS.get(opt.name)
        if fn is None:
            raise OptionError(opt.name, f"Unknown processing option: {opt.name}")
        target = main_pipeline(current) if fn in MAIN_OPTIONS else current
        fn(target, list(opt.args), config, used)


def main_pipeline(o: Options) -> Options:
    """The first pipeline's options, which hold the output, handling and
    security options of every pipeline (imgproxy ``Options.Main``)."""
    return o.get(MAIN_KEY, o)


def next_pipeline(o: Options) -> Options:
    """The pipeline chained after ``o``'s (made empty on first use; a
    preset's ``-`` and the URL's reach the same one, imgproxy ``AddChild``)."""
    if NEXT_KEY not in o:
        o[NEXT_KEY] = {MAIN_KEY: main_pipeline(o)}
    return o[NEXT_KEY]


def pipelines(o: Options) -> list[Options]:
    """The main pipeline's options then each chained one's, in order."""
    chain = [o]
    while NEXT_KEY in chain[-1]:
        chain.append(chain[-1][NEXT_KEY])
    return chain


def split_options(
    parts: list[str], separator: str = ":"
) -> tuple[tuple[UrlOption, ...], list[str]]:
    """The leading ``name:args`` segments and the rest (the source URL):
    the first segment without a separator starts the URL (``parseURLOptions``),
    except ``-``, which starts a chained pipeline (imgproxy Pro)."""
    opts = []
    for i, part in enumerate(parts):
        args = part.split(separator)
        if part == PIPELINE_BREAK:
            opts.append(UrlOption(PIPELINE_BREAK, ()))
            continue
        if len(args) == 1:
            return tuple(opts), parts[i:]
        opts.append(UrlOption(args[0], tuple(args[1:])))
    return tuple(opts), []


def parse_presets(lines: list[str], separator: str = ":") -> dict[str, tuple[UrlOption, ...]]:
    """IMGPROXY_PRESETS entries, ``name=opt:arg/opt:arg``; blank and ``#`` lines skipped.

    Raises:
        ValueError: a malformed entry (imgproxy refuses to start).
    """
    presets: dict[str, tuple[UrlOption, ...]] = {}
    for raw in lines:
        text = raw.strip(" ")
        if not text or text.startswith("#"):
            continue
        parts = text.split("=")
        if len(parts) != 2:
            raise ValueError(f"invalid preset string: {text}")
        name, value = parts[0].strip(" "), parts[1].strip(" ")
        if not name:
            raise ValueError(f"empty preset name: {text}")
        if not value:
            raise ValueError(f"empty preset value: {text}")
        opts, rest = split_options(value.split("/"), separator)
        if rest:
            raise ValueError(f"invalid preset value: {text}")
        presets[name] = opts
    return presets


def validate_presets(config: ParserConfig) -> None:
    """Apply every preset once, as imgproxy does at start.

    Raises:
        ValueError: naming the preset and its error.
    """
    for name, opts in config.presets.items():
        try:
            apply_options(
                {},
                opts,
                ParserConfig(**{**config.__dict__, "allow_security_options": True}),
                (name,),
            )
        except OptionError as exc:
            raise ValueError(f"error in preset `{name}`: {exc}") from exc


def defaults(config: ParserConfig) -> Options:
    """The options every URL starts from: the ``default`` preset's, if any."""
    o: Options = {}
    if "default" in config.presets:
        _preset(o, ["default"], config, ())
    return o
