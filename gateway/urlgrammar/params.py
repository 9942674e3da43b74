"""One parser per ImageKit parameter key, registered by name.

Each parser validates its value and records it on a :class:`StepSpec`; the
builder turns a StepSpec into typed EditGraph steps. Ranges and defaults follow
https://imagekit.io/docs/image-resize-and-crop and
https://imagekit.io/docs/effects-and-enhancements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.urlgrammar.errors import GrammarError, invalid
from gateway.urlgrammar.split import Param
from imgmesh.v1 import edit_pb2

MAX_SIDE = 16_384  # px, largest w/h accepted

CROP_MODES: dict[tuple[str, str], int] = {
    ("c", "maintain_ratio"): edit_pb2.CROP_MODE_MAINTAIN_RATIO,
    ("c", "force"): edit_pb2.CROP_MODE_FORCE,
    ("c", "at_least"): edit_pb2.CROP_MODE_AT_LEAST,
    ("c", "at_max"): edit_pb2.CROP_MODE_AT_MAX,
    ("cm", "pad_resize"): edit_pb2.CROP_MODE_PAD_RESIZE,
    ("cm", "extract"): edit_pb2.CROP_MODE_EXTRACT,
    ("cm", "pad_extract"): edit_pb2.CROP_MODE_PAD_EXTRACT,
}

FOCUS: dict[str, int] = {
    "center": edit_pb2.FOCUS_CENTER,
    "top": edit_pb2.FOCUS_TOP,
    "bottom": edit_pb2.FOCUS_BOTTOM,
    "left": edit_pb2.FOCUS_LEFT,
    "right": edit_pb2.FOCUS_RIGHT,
    "top_left": edit_pb2.FOCUS_TOP_LEFT,
    "top_right": edit_pb2.FOCUS_TOP_RIGHT,
    "bottom_left": edit_pb2.FOCUS_BOTTOM_LEFT,
    "bottom_right": edit_pb2.FOCUS_BOTTOM_RIGHT,
    "auto": edit_pb2.FOCUS_AUTO,
}

FORMATS: dict[str, int] = {
    "auto": edit_pb2.FORMAT_AUTO,
    "jpg": edit_pb2.FORMAT_JPEG,
    "jpeg": edit_pb2.FORMAT_JPEG,
    "png": edit_pb2.FORMAT_PNG,
    "webp": edit_pb2.FORMAT_WEBP,
    "avif": edit_pb2.FORMAT_AVIF,
}

# e-<name>: AI effects map to the segmentation model serving them.
BACKGROUND_REMOVAL_EFFECTS = {"bgremove": "", "removedotbg": ""}

_HEX = re.compile(r"^[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass
class StepSpec:
    """Everything one comma-joined step asked for (unset = None)."""

    width: edit_pb2.Dimension | None = None
    height: edit_pb2.Dimension | None = None
    aspect_ratio: float | None = None
    crop_mode: int | None = None
    crop_key: str | None = None  # "c" or "cm", whichever set crop_mode
    focus: int | None = None
    background: edit_pb2.Color | None = None
    rotate: float | None = None
    blur_sigma: float | None = None
    sharpen_sigma: float | None = None
    remove_background: str | None = None  # model name ("" = service default)
    format: int | None = None
    quality: int | None = None
    seen: set[str] = field(default_factory=set)


Parser = Callable[[str, StepSpec], None]
PARAMS: dict[str, Parser] = {}


def param(*keys: str) -> Callable[[Parser], Parser]:
    """Register a parser for parameter ``keys``."""

    def decorate(func: Parser) -> Parser:
        for key in keys:
            PARAMS[key] = func
        return func

    return decorate


def dimension(key: str, value: str) -> edit_pb2.Dimension:
    """``300`` -> px 300; ``0.5`` -> ratio 0.5 (0 < ratio < 1)."""
    allowed = f"an integer 1..{MAX_SIDE} (px) or a ratio 0 < r < 1"
    if re.fullmatch(r"\d+", value):
        px = int(value)
        if 1 <= px <= MAX_SIDE:
            return edit_pb2.Dimension(px=px)
    elif re.fullmatch(r"0?\.\d+", value):
        ratio = float(value)
        if 0 < ratio < 1:
            return edit_pb2.Dimension(ratio=ratio)
    raise invalid(key, value, allowed)


def integer(key: str, value: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi]."""
    if re.fullmatch(r"\d+", value) and lo <= int(value) <= hi:
        return int(value)
    raise invalid(key, value, f"an integer {lo}..{hi}")


def color(key: str, value: str) -> edit_pb2.Color:
    """``RRGGBB`` or ``RRGGBBAA`` hex -> Color (alpha 255 if omitted)."""
    if not _HEX.match(value):
        raise invalid(key, value, "a hex colour RRGGBB or RRGGBBAA")
    rgba = [int(value[i : i + 2], 16) for i in range(0, len(value), 2)]
    if len(rgba) == 3:
        rgba.append(255)
    return edit_pb2.Color(r=rgba[0], g=rgba[1], b=rgba[2], a=rgba[3])


@param("w")
def _w(value: str, spec: StepSpec) -> None:
    spec.width = dimension("w", value)


@param("h")
def _h(value: str, spec: StepSpec) -> None:
    spec.height = dimension("h", value)


@param("ar")
def _ar(value: str, spec: StepSpec) -> None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", value)
    if not m or float(m[1]) <= 0 or float(m[2]) <= 0:
        raise invalid("ar", value, "W-H with positive numbers, e.g. ar-4-3")
    spec.aspect_ratio = float(m[1]) / float(m[2])


def _crop(key: str) -> Parser:
    names = [v for (k, v) in CROP_MODES if k == key]

    def parse(value: str, spec: StepSpec) -> None:
        mode = CROP_MODES.get((key, value))
        if mode is None:
            raise invalid(key, value, "|".join(names))
        if spec.crop_key is not None and spec.crop_key != key:
            raise GrammarError(
                "invalid_parameter",
                "c and cm cannot be combined in one step",
                key,
                "either c-* or cm-*",
            )
        spec.crop_mode, spec.crop_key = mode, key

    return parse


PARAMS["c"] = _crop("c")
PARAMS["cm"] = _crop("cm")


@param("fo")
def _fo(value: str, spec: StepSpec) -> None:
    if value not in FOCUS:
        raise invalid("fo", value, "|".join(FOCUS))
    spec.focus = FOCUS[value]


@param("bg")
def _bg(value: str, spec: StepSpec) -> None:
    spec.background = color("bg", value)


@param("q")
def _q(value: str, spec: StepSpec) -> None:
    spec.quality = integer("q", value, 1, 100)


@param("f")
def _f(value: str, spec: StepSpec) -> None:
    if value not in FORMATS:
        raise invalid("f", value, "|".join(FORMATS))
    spec.format = FORMATS[value]


@param("bl")
def _bl(value: str, spec: StepSpec) -> None:
    # ImageKit gives a blur radius 1..100 px; a Gaussian's visible radius is ~2 sigma.
    spec.blur_sigma = integer("bl", value, 1, 100) / 2.0


@param("rt")
def _rt(value: str, spec: StepSpec) -> None:
    if value == "auto":  # EXIF autorotation always happens on load
        return
    if not _NUMBER.match(value) or not -360 <= float(value) <= 360:
        raise invalid("rt", value, "degrees -360..360 (clockwise) or auto")
    spec.rotate = float(value)


@param("e")
def _e(value: str, spec: StepSpec) -> None:
    name, _, arg = value.partition("-")
    if name in BACKGROUND_REMOVAL_EFFECTS and not arg:
        if spec.remove_background is not None:
            raise GrammarError(
                "invalid_parameter",
                "only one AI transformation per step; chain them with ':'",
                "e",
                "one of " + "|".join(BACKGROUND_REMOVAL_EFFECTS),
            )
        spec.remove_background = BACKGROUND_REMOVAL_EFFECTS[name]
        return
    if name == "sharpen":
        # e-sharpen[-N], N 1..99 (ImageKit); sigma grows with N, default 0.5 px.
        spec.sharpen_sigma = integer("e-sharpen", arg, 1, 99) / 10.0 if arg else 0.5
        return
    raise invalid("e", value, "bgremove|removedotbg|sharpen[-N]")


def parse_step(params: list[Param]) -> StepSpec:
    """Parse the parameters of one step.

    Raises:
        GrammarError: unknown_parameter, invalid_parameter, or a repeated key.
    """
    spec = StepSpec()
    for p in params:
        key, value = p.key, p.value
        parser = PARAMS.get(key)
        if parser is None:
            raise GrammarError(
                "unknown_parameter", f"unknown parameter {key!r}", key, ", ".join(sorted(PARAMS))
            )
        tag = f"e-{value.partition('-')[0]}" if key == "e" else key
        if tag in spec.seen:
            raise GrammarError("invalid_parameter", f"parameter {tag!r} repeated in one step", key)
        spec.seen.add(tag)
        parser(value, spec)
    return spec
