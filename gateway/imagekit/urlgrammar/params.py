"""One parser per ImageKit parameter key, registered by name.

Each parser validates its value and records it on a :class:`StepSpec`; the
builder turns a StepSpec into typed EditGraph steps. Ranges and defaults follow
https://imagekit.io/docs/image-resize-and-crop,
https://imagekit.io/docs/effects-and-enhancements and
https://imagekit.io/docs/ai-transformations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from contract import vocabulary
from contract.object_classes import COCO_CLASSES, object_class
from gateway import expressions
from gateway.errors import RequestError, invalid
from gateway.imagekit.urlgrammar.split import Param
from gateway.imagekit.urlgrammar.values import (
    base64_text,
    boolean,
    color,
    dimension,
    integer,
    number,
    offset,
    sub_params,
)
from imgmesh.v1 import edit_pb2

# ImageKit's crop strategies (c-*) and crop modes (cm-*) spell the contract's
# crop modes by their canonical names; the key says which parameter takes each.
CROP_KEYS: dict[str, tuple[str, ...]] = {
    "c": ("maintain_ratio", "force", "at_least", "at_max", "at_max_enlarge"),
    "cm": ("pad_resize", "extract", "pad_extract"),
}
# fo-<name>: the compass positions, smart crop and faces by their canonical names.
FOCUS_NAMES: tuple[str, ...] = (*vocabulary.COMPASS_FOCUS, "auto", "face")
# f-<name>: auto and every output format with its aliases (jpg).
FORMATS: dict[str, int] = {"auto": vocabulary.FORMAT_AUTO, **vocabulary.format_names()}
# Output flags -> the Encode field each sets (contract.vocabulary.ENCODE_FLAGS).
FLAG_KEYS: dict[str, str] = {
    "lo": "lossless",
    "pr": "progressive",
    "md": "keep_metadata",
    "cp": "keep_color_profile",
    "orig": "original",
}

GRADIENT_DIRECTIONS = {
    "top": 0,
    "top_right": 45,
    "right": 90,
    "bottom_right": 135,
    "bottom": 180,
    "bottom_left": 225,
    "left": 270,
    "top_left": 315,
}

# Model-backed edits -> the Triton model slot that serves them.
MODEL_SLOTS = {
    "e-retouch": "retouch",
    "e-genvar": "genvar",
    "e-changebg": "changebg",
    "e-edit": "edit",
    "bg-genfill": "genfill",
    "ik-genimg": "genimg",
}


@dataclass
class StepSpec:
    """Everything one comma-joined step asked for (unset = None / False)."""

    width: edit_pb2.Dimension | None = None
    height: edit_pb2.Dimension | None = None
    width_auto: bool = False
    aspect_ratio: float | None = None
    crop_mode: int | None = None
    crop_key: str | None = None  # "c" or "cm", whichever set crop_mode
    focus: int | None = None
    focus_object: str = ""
    zoom: float | None = None
    position: dict[str, edit_pb2.Offset] = field(default_factory=dict)  # x, y, xc, yc
    dpr: float | None = None
    dpr_auto: bool = False
    background: edit_pb2.Color | None = None
    rotate: float | None = None
    flip: edit_pb2.Flip | None = None
    blur_sigma: float | None = None
    sharpen_sigma: float | None = None
    effects: list[edit_pb2.Step] = field(default_factory=list)  # e-*, t, b, r in URL order
    ai: edit_pb2.Step | None = None  # the one AI op of the step
    ai_name: str = ""
    format: int | None = None
    quality: int | None = None
    flags: dict[str, bool] = field(default_factory=dict)  # lo, pr, md, cp, orig
    default_image: str | None = None
    layers: list[Param] = field(default_factory=list)  # l-image / l-text, in URL order
    conditions: list[Param] = field(default_factory=list)  # if-... if-end, in URL order
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


def set_ai(spec: StepSpec, name: str, step: edit_pb2.Step) -> None:
    """Record the step's AI op; a second one is an error (chain them with ':')."""
    if spec.ai is not None:
        raise RequestError(
            "invalid_parameter",
            f"only one AI transformation per step ({spec.ai_name} and {name}); "
            "chain them with ':', e.g. e-bgremove:e-dropshadow",
            name.split("-")[0],
            "one AI transformation per step",
        )
    spec.ai, spec.ai_name = step, name


def set_model_edit(spec: StepSpec, operation: str, text: str) -> None:
    """The step's AI op: a ModelEdit for ``operation`` (e.g. ``e-genvar``) in
    its Triton model slot (MODEL_SLOTS), 501 until that model is deployed."""
    edit = edit_pb2.ModelEdit(operation=operation, model=MODEL_SLOTS[operation], prompt=text)
    set_ai(spec, operation, edit_pb2.Step(model_edit=edit))


def prompt(key: str, value: str, required: bool) -> str:
    """``prompt-<text>`` or ``prompte-<url-safe base64>`` -> the prompt text."""
    if value.startswith("prompt-") and len(value) > 7:
        return value[7:]
    if value.startswith("prompte-"):
        return base64_text(key, value[8:])
    if not value and not required:
        return ""
    raise invalid(key, value, "prompt-<text> or prompte-<base64>")


# --- resize and crop -----------------------------------------------------------------


@param("w")
def _w(value: str, spec: StepSpec) -> None:
    if value == "auto":
        spec.width_auto = True
        return
    spec.width = dimension("w", value)


@param("h")
def _h(value: str, spec: StepSpec) -> None:
    spec.height = dimension("h", value)


@param("ar")
def _ar(value: str, spec: StepSpec) -> None:
    m = re.fullmatch(r"([0-9]{1,12}(?:\.[0-9]{1,12})?)-([0-9]{1,12}(?:\.[0-9]{1,12})?)", value)
    if not m or float(m[1]) <= 0 or float(m[2]) <= 0:
        raise invalid("ar", value, "W-H with positive numbers, e.g. ar-4-3")
    spec.aspect_ratio = float(m[1]) / float(m[2])


def _crop(key: str) -> Parser:
    names = CROP_KEYS[key]

    def parse(value: str, spec: StepSpec) -> None:
        if value not in names:
            raise invalid(key, value, "|".join(names))
        mode = vocabulary.CROP_MODES[value]
        if spec.crop_key is not None and spec.crop_key != key:
            raise RequestError(
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
    if value in FOCUS_NAMES:
        spec.focus = vocabulary.FOCUS[value]
    elif (name := object_class(value)) is not None:
        spec.focus = vocabulary.FOCUS["object"]
        spec.focus_object = name
    elif value == "custom":  # the media-library file's customCoordinates (centre without)
        spec.focus = vocabulary.FOCUS["custom"]
    else:
        raise invalid(
            "fo", value, "|".join(FOCUS_NAMES) + " or an object: " + ", ".join(COCO_CLASSES)
        )


@param("z")
def _z(value: str, spec: StepSpec) -> None:
    spec.zoom = number("z", value, 0.01, 100, "a number > 0 (< 1 zooms out, > 1 zooms in)")
    if spec.zoom <= 0:
        raise invalid("z", value, "a number > 0")


@param("dpr")
def _dpr(value: str, spec: StepSpec) -> None:
    if value == "auto":
        spec.dpr_auto = True
        return
    spec.dpr = number("dpr", value, 0.1, 5, "0.1..5 or auto")


def _position_parser(key: str) -> Parser:
    def parse(value: str, spec: StepSpec) -> None:
        spec.position[key] = offset(key, value)

    return parse


for _key in ("x", "y", "xc", "yc"):
    PARAMS[_key] = _position_parser(_key)


# --- colour, rotation, flips, blur -----------------------------------------------------


@param("bg")
def _bg(value: str, spec: StepSpec) -> None:
    if value.startswith("genfill"):
        text = prompt("bg", value[len("genfill") :].lstrip("-"), required=False)
        set_model_edit(spec, "bg-genfill", text)
        return
    spec.background = color("bg", value)


@param("rt")
def _rt(value: str, spec: StepSpec) -> None:
    if value == "auto":  # EXIF autorotation always happens on load
        return
    spec.rotate = number(
        "rt", value, -360, 360, "degrees -360..360 (N prefix = counter-clockwise) or auto"
    )


@param("fl")
def _fl(value: str, spec: StepSpec) -> None:
    flips = {"h": (True, False), "v": (False, True), "h_v": (True, True), "v_h": (True, True)}
    if value not in flips:
        raise invalid("fl", value, "h|v|h_v|v_h")
    h, v = flips[value]
    spec.flip = edit_pb2.Flip(horizontal=h, vertical=v)


@param("bl")
def _bl(value: str, spec: StepSpec) -> None:
    # ImageKit gives a blur radius 1..100 px; a Gaussian's visible radius is ~2 sigma.
    spec.blur_sigma = integer("bl", value, 1, 100) / 2.0


# --- output ---------------------------------------------------------------------------


@param("q")
def _q(value: str, spec: StepSpec) -> None:
    spec.quality = integer("q", value, 1, 100)


@param("f")
def _f(value: str, spec: StepSpec) -> None:
    if value not in FORMATS:
        raise invalid("f", value, "|".join(FORMATS))
    spec.format = FORMATS[value]


def _flag_parser(key: str) -> Parser:
    def parse(value: str, spec: StepSpec) -> None:
        spec.flags[key] = boolean(key, value)

    return parse


for _key in FLAG_KEYS:
    PARAMS[_key] = _flag_parser(_key)


@param("di")
def _di(value: str, spec: StepSpec) -> None:
    path = value.replace("@@", "/").strip("/")
    if not path or ".." in path.split("/"):
        raise invalid("di", value, "an image path with @@ as the folder separator")
    spec.default_image = path


# --- effects ----------------------------------------------------------------------------


@param("t")
def _t(value: str, spec: StepSpec) -> None:
    if value == "false":
        return
    threshold = 10 if value == "true" else integer("t", value, 1, 99)
    spec.effects.append(edit_pb2.Step(trim=edit_pb2.Trim(threshold=threshold)))


@param("b")
def _b(value: str, spec: StepSpec) -> None:
    width, sep, colour = value.partition("_")
    if not sep:
        raise invalid("b", value, "<width px>_<colour>, e.g. b-5_FF0000")
    border = edit_pb2.Border(width=integer("b", width, 1, 1000), color=color("b", colour))
    spec.effects.append(edit_pb2.Step(border=border))


@param("o")
def _o(value: str, spec: StepSpec) -> None:
    opacity = edit_pb2.Opacity(opacity=integer("o", value, 0, 100) / 100)
    spec.effects.append(edit_pb2.Step(opacity=opacity))


@param("r")
def _r(value: str, spec: StepSpec) -> None:
    radius = (
        edit_pb2.Radius(max=True)
        if value == "max"
        else edit_pb2.Radius(radius=integer("r", value, 1, 65_535))
    )
    spec.effects.append(edit_pb2.Step(radius=radius))


EffectParser = Callable[[str, StepSpec], None]
EFFECTS: dict[str, EffectParser] = {}  # e-<name>[-<arg>] -> its parser


def effect(*names: str, takes_arg: bool = True) -> Callable[[EffectParser], EffectParser]:
    """Register the parser of ``e-<name>[-<arg>]`` for each of ``names``; it
    gets the text after ``e-<name>-`` ("" without one). ``takes_arg=False``:
    an argument is an error (400 naming the allowed effects)."""

    def decorate(func: EffectParser) -> EffectParser:
        for name in names:
            if name in EFFECTS:
                raise ValueError(f"effect {name!r} registered twice")
            EFFECTS[name] = func if takes_arg else _without_arg(name, func)
        return func

    return decorate


def _without_arg(name: str, func: EffectParser) -> EffectParser:
    def parse(arg: str, spec: StepSpec) -> None:
        if arg:
            raise invalid("e", f"{name}-{arg}", "|".join(EFFECTS))
        func(arg, spec)

    return parse


def _cutout_effect(name: str) -> None:
    """Register ``e-<name>``: background removal with the default model."""

    def parse(arg: str, spec: StepSpec) -> None:
        step = edit_pb2.Step(remove_background=edit_pb2.RemoveBackground())
        set_ai(spec, f"e-{name}", step)

    effect(name, takes_arg=False)(parse)


_cutout_effect("bgremove")
_cutout_effect("removedotbg")


@effect("dropshadow")
def _e_dropshadow(arg: str, spec: StepSpec) -> None:
    sub = sub_params("e-dropshadow", arg, {"az": "0..360", "el": "0..90", "st": "0..100"})
    set_ai(
        spec,
        "e-dropshadow",
        edit_pb2.Step(
            drop_shadow=edit_pb2.DropShadow(
                azimuth=number("e-dropshadow", sub.get("az", "215"), 0, 360),
                elevation=number("e-dropshadow", sub.get("el", "45"), 0, 90),
                saturation=number("e-dropshadow", sub.get("st", "60"), 0, 100),
            )
        ),
    )


@effect("sharpen")
def _e_sharpen(arg: str, spec: StepSpec) -> None:
    # e-sharpen[-N], N 1..99; sigma grows with N (0.5 px default).
    spec.sharpen_sigma = integer("e-sharpen", arg, 1, 99) / 10.0 if arg else 0.5


@effect("usm")
def _e_usm(arg: str, spec: StepSpec) -> None:
    parts = arg.split("-") if arg else ["2", "2", "0.8", "0.024"]
    if len(parts) != 4:
        raise invalid("e-usm", arg, "e-usm-<radius>-<sigma>-<amount>-<threshold>, positive numbers")
    r, s, a, t = (number("e-usm", p, 0, 1000) for p in parts)
    spec.effects.append(
        edit_pb2.Step(
            unsharp_mask=edit_pb2.UnsharpMask(radius=r, sigma=s, amount=a, threshold=min(t, 1.0))
        )
    )


@effect("grayscale", takes_arg=False)
def _e_grayscale(arg: str, spec: StepSpec) -> None:
    spec.effects.append(edit_pb2.Step(grayscale=edit_pb2.Grayscale()))


@effect("contrast", takes_arg=False)
def _e_contrast(arg: str, spec: StepSpec) -> None:
    spec.effects.append(edit_pb2.Step(contrast=edit_pb2.Contrast()))


@effect("shadow")
def _e_shadow(arg: str, spec: StepSpec) -> None:
    sub = sub_params(
        "e-shadow", arg, {"bl": "0..15", "st": "0..100", "x": "N100..100", "y": "N100..100"}
    )
    shadow = edit_pb2.Shadow(
        blur=number("e-shadow", sub.get("bl", "10"), 0, 15),
        saturation=int(number("e-shadow", sub.get("st", "30"), 0, 100)),
        x_percent=number("e-shadow", sub.get("x", "2"), -100, 100),
        y_percent=number("e-shadow", sub.get("y", "2"), -100, 100),
    )
    spec.effects.append(edit_pb2.Step(shadow=shadow))


@effect("gradient")
def _e_gradient(arg: str, spec: StepSpec) -> None:
    sub = sub_params(
        "e-gradient",
        arg,
        {"ld": "0..359 or a direction", "from": "colour", "to": "colour", "sp": "stop point"},
    )
    ld = sub.get("ld", "180")
    direction = (
        GRADIENT_DIRECTIONS[ld] if ld in GRADIENT_DIRECTIONS else number("e-gradient", ld, 0, 359)
    )
    sp = number("e-gradient", sub.get("sp", "1"), 0.01, 65_535)
    gradient = edit_pb2.Gradient(
        direction=direction,
        from_color=color("e-gradient", sub.get("from", "FFFFFF")),
        to_color=color("e-gradient", sub.get("to", "00000000")),
        stop_point=sp if sp <= 1 else 0.0,
        stop_px=int(sp) if sp > 1 else 0,
    )
    spec.effects.append(edit_pb2.Step(gradient=gradient))


@effect("upscale")
def _e_upscale(arg: str, spec: StepSpec) -> None:
    if arg:
        raise invalid("e-upscale", arg, "no value")
    set_ai(spec, "e-upscale", edit_pb2.Step(upscale=edit_pb2.Upscale()))


def _model_effect(name: str, *, prompt_required: bool, takes_prompt: bool = True) -> None:
    """Register ``e-<name>``: a ModelEdit in its Triton model slot (MODEL_SLOTS)."""
    op = f"e-{name}"

    def parse(arg: str, spec: StepSpec) -> None:
        text = prompt(op, arg, required=prompt_required)
        if arg and not takes_prompt:
            raise invalid(op, arg, "no value")
        set_model_edit(spec, op, text)

    effect(name)(parse)


_model_effect("retouch", prompt_required=False, takes_prompt=False)
_model_effect("genvar", prompt_required=False)
_model_effect("changebg", prompt_required=True)
_model_effect("edit", prompt_required=True)


@param("e")
def _e(value: str, spec: StepSpec) -> None:
    name, _, arg = value.partition("-")
    parser = EFFECTS.get(name)
    if parser is None:
        raise invalid("e", value, "|".join(EFFECTS))
    parser(arg, spec)


@param("ik")
def _ik(value: str, spec: StepSpec) -> None:
    if not value.startswith("genimg"):
        raise invalid("ik", value, "ik-genimg-prompt-<text> as the first path segment")
    text = prompt("ik-genimg", value[len("genimg") :].lstrip("-"), required=True)
    set_model_edit(spec, "ik-genimg", text)


def parse_step(params: list[Param]) -> StepSpec:
    """Parse the parameters of one step.

    Raises:
        RequestError: unknown_parameter, invalid_parameter, or a repeated key.
    """
    spec = StepSpec()
    for p in params:
        key, value = p.key, p.value
        if key == "l":  # the tokenizer already grouped l-image/l-text ... l-end
            spec.layers.append(p)
            continue
        if key == "if":  # and if-<condition> ... if-else ... if-end
            spec.conditions.append(p)
            continue
        parser = PARAMS.get(key)
        if parser is None:
            raise RequestError(
                "unknown_parameter",
                f"unknown parameter {key!r}",
                key,
                ", ".join(sorted([*PARAMS, "l", "if"])),
            )
        tag = f"e-{value.partition('-')[0]}" if key == "e" else key
        if tag in spec.seen:
            raise RequestError("invalid_parameter", f"parameter {tag!r} repeated in one step", key)
        spec.seen.add(tag)
        parser(value, spec)
    return spec


CONDITION_PROPERTIES = expressions.CONDITION_PROPERTIES
COMPARISONS = expressions.COMPARISONS


def condition(value: str) -> edit_pb2.Condition:
    """``w_gt_300`` -> Condition(CURRENT_WIDTH, GT, 300)
    (https://imagekit.io/docs/conditional-transformations).

    Raises:
        RequestError: invalid_parameter naming the allowed form.
    """
    allowed = (
        "if-<property>_<comparison>_<number>, property "
        + "|".join(CONDITION_PROPERTIES)
        + ", comparison "
        + "|".join(COMPARISONS)
    )
    prop, _, rest = value.partition("_")
    comparison, _, number_text = rest.partition("_")
    if prop not in CONDITION_PROPERTIES or comparison not in COMPARISONS or not number_text:
        raise invalid("if", value, allowed)
    return edit_pb2.Condition(
        property=CONDITION_PROPERTIES[prop],
        comparison=COMPARISONS[comparison],
        value=number("if", number_text, -1e9, 1e9, allowed),
    )
