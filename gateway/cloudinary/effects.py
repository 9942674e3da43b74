"""Cloudinary's ``e_<name>[:<arg>...]`` effects, each a small function
registered by its Cloudinary name
(https://cloudinary.com/documentation/transformation_reference#e_effect),
mapping Cloudinary's arguments onto EditGraph steps.

Effects imgmesh has no faithful render for (``art:*``, ``cartoonify``,
``vignette``...) answer 501 ``cloudinary_not_supported``; the generative ones
(``gen_fill``, ``gen_remove``...) are ModelEdits in their Triton model slot,
501 ``model_unavailable`` until a model is deployed there, as in the
ImageKit dialect. An unknown name is a 400 listing the effects served.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.cloudinary.values import color, integer, number
from gateway.errors import RequestError, invalid
from imgmesh.v1 import edit_pb2


@dataclass
class EffectContext:
    """What an effect reads of its component besides its own arguments.

    Attributes:
        color: the component's ``co_`` colour, or None.
        ai: the AI steps' names so far in this URL (Cloudinary runs one
            background removal per image).
    """

    color: edit_pb2.Color | None = None
    ai: list[str] = field(default_factory=list)


Effect = Callable[[list[str], EffectContext], list[edit_pb2.Step]]
EFFECTS: dict[str, Effect] = {}
# Effects Cloudinary documents that imgmesh does not render (no faithful port).
NOT_BUILT = (
    "art",
    "cartoonify",
    "oil_paint",
    "vignette",
    "hue",
    "tint",
    "colorize",
    "vibrance",
    "improve",
    "auto_contrast",
    "auto_brightness",
    "auto_color",
    "outline",
    "make_transparent",
    "replace_color",
    "gradient_fade",
    "assist_colorblind",
    "simulate_colorblind",
    "fill_light",
    "viesus_correct",
    "style_transfer",
    "theme",
    "displace",
    "distort",
    "shear",
    "blackwhite",
    "red",
    "green",
    "blue",
    "noise",
    "redeye",
    "adv_redeye",
    "anti_removal",
    "cut_out",
    "mask",
    "multiply",
    "overlay",
    "screen",
    "light",
    "ordered_dither",
    "grayworld",
    "dropshadow",
    "enhance",
    "extract",
    "blur_region",
    "pixelate_region",
)
# Generative effects -> the Triton model slot that would serve them.
MODEL_SLOTS = {
    "gen_fill": "genfill",
    "gen_background_replace": "changebg",
    "gen_remove": "genremove",
    "gen_replace": "genreplace",
    "gen_recolor": "genrecolor",
    "gen_restore": "genrestore",
}


def effect(*names: str) -> Callable[[Effect], Effect]:
    """Register ``fn`` as the effect ``names``."""

    def register(fn: Effect) -> Effect:
        for name in names:
            EFFECTS[name] = fn
        return fn

    return register


def not_supported(what: str) -> RequestError:
    """501 ``cloudinary_not_supported`` for a documented Cloudinary feature
    imgmesh does not render."""
    return RequestError(
        "cloudinary_not_supported", f"the Cloudinary {what} is not supported by imgmesh"
    )


def _level(name: str, args: list[str], default: float, lo: float, hi: float) -> float:
    if len(args) > 1:
        raise invalid(f"e_{name}", ":".join(args), f"e_{name}[:<{lo:g}..{hi:g}>]")
    return number(f"e_{name}", args[0], lo, hi) if args and args[0] else default


def steps_for(value: str, ctx: EffectContext) -> list[edit_pb2.Step]:
    """The steps of one ``e_`` value (``sepia:50``).

    Raises:
        RequestError: 400 for an unknown effect or bad arguments; 501 for an
            effect not rendered here.
    """
    name, *args = value.split(":")
    fn = EFFECTS.get(name)
    if fn is not None:
        return fn(args, ctx)
    if name in MODEL_SLOTS:
        edit = edit_pb2.ModelEdit(
            operation=f"e_{name}", model=MODEL_SLOTS[name], prompt=":".join(args)
        )
        return [edit_pb2.Step(model_edit=edit)]
    if name in NOT_BUILT:
        raise not_supported(f"effect e_{name}")
    raise invalid("e", value, "|".join(sorted(EFFECTS | MODEL_SLOTS.keys())))


@effect("grayscale", "greyscale")
def _grayscale(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    return [edit_pb2.Step(grayscale=edit_pb2.Grayscale())]


@effect("sepia")
def _sepia(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """ImageMagick's sepia tone (MagickCore/effect.c SepiaToneImage) at
    threshold t = level % (default 80): on the luminance I, red = I + (1 - t),
    green = I + (1 - 7t/6), blue = I - t/6, clipped."""
    t = _level("sepia", args, 80, 1, 100) / 100
    add = [255 * (1 - t), 255 * (1 - 7 * t / 6), -255 * t / 6]
    return [
        edit_pb2.Step(grayscale=edit_pb2.Grayscale()),
        edit_pb2.Step(linear=edit_pb2.Linear(multiply=[1.0], add=add)),
    ]


@effect("negate")
def _negate(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    return [edit_pb2.Step(linear=edit_pb2.Linear(multiply=[-1.0], add=[255.0]))]


@effect("brightness")
def _brightness(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """Level -99..100 (default 80): each colour band times (100 + level) / 100."""
    level = _level("brightness", args, 80, -99, 100)
    return [edit_pb2.Step(linear=edit_pb2.Linear(multiply=[(100 + level) / 100]))]


@effect("contrast")
def _contrast(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """Level -100..100 (default 0 = unchanged): the bands spread around mid
    grey (128) by (100 + level) / 100."""
    k = (100 + _level("contrast", args, 0, -100, 100)) / 100
    return [edit_pb2.Step(linear=edit_pb2.Linear(multiply=[k], add=[128 * (1 - k)]))]


@effect("saturation")
def _saturation(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """Level -100..100 (default 80): chroma times (100 + level) / 100."""
    level = _level("saturation", args, 80, -100, 100)
    return [edit_pb2.Step(saturation=edit_pb2.Saturation(factor=(100 + level) / 100))]


def _sigma(name: str, args: list[str], default: float) -> float:
    """Cloudinary's blur strength 1..2000 as a gaussian sigma: strength / 20 px
    (100 -> 5 px)."""
    return _level(name, args, default, 1, 2000) / 20


@effect("blur")
def _blur(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    return [edit_pb2.Step(blur=edit_pb2.Blur(sigma=_sigma("blur", args, 100)))]


@effect("blur_faces")
def _blur_faces(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """The detected faces blurred (default strength 500)."""
    sigma = _sigma("blur_faces", args, 500)
    return [edit_pb2.Step(blur_detections=edit_pb2.BlurDetections(classes=["face"], sigma=sigma))]


@effect("pixelate")
def _pixelate(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """Blocks of the given size, px 1..200 (default 5)."""
    size = int(_level("pixelate", args, 5, 1, 200))
    return [edit_pb2.Step(pixelate=edit_pb2.Pixelate(size=size))]


@effect("pixelate_faces")
def _pixelate_faces(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """The detected faces in blocks of the given size, px 1..200 (default 5)."""
    size = int(_level("pixelate_faces", args, 5, 1, 200))
    found = edit_pb2.BlurDetections(classes=["face"], pixelate=size)
    return [edit_pb2.Step(blur_detections=found)]


@effect("sharpen")
def _sharpen(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """Strength 1..2000 (default 100): a sharpen of sigma strength / 100 px."""
    strength = _level("sharpen", args, 100, 1, 2000)
    return [edit_pb2.Step(sharpen=edit_pb2.Sharpen(sigma=max(0.5, strength / 100)))]


@effect("unsharp_mask")
def _unsharp_mask(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """Strength 1..2000 (default 100): an unsharp mask of sigma 1 px and
    amount strength / 100."""
    amount = _level("unsharp_mask", args, 100, 1, 2000) / 100
    mask = edit_pb2.UnsharpMask(radius=0, sigma=1.0, amount=amount, threshold=0.0)
    return [edit_pb2.Step(unsharp_mask=mask)]


@effect("trim")
def _trim(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """``trim[:tolerance 0..100, default 10][:colour]``: the border of the
    corner colour (or the given one) cut away."""
    if len(args) > 2:
        raise invalid("e_trim", ":".join(args), "e_trim[:<tolerance 0..100>][:<colour>]")
    tolerance = integer("e_trim", args[0], 0, 100) if args and args[0] else 10
    trim = edit_pb2.Trim(threshold=max(1, tolerance))
    if len(args) == 2:
        trim.background.CopyFrom(color("e_trim", args[1]))
    return [edit_pb2.Step(trim=trim)]


@effect("shadow")
def _shadow(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """``shadow[:strength 0..100, default 40]``: a drop shadow behind the
    image's opaque area."""
    strength = _level("shadow", args, 40, 0, 100)
    shadow = edit_pb2.Shadow(blur=10, saturation=int(strength), x_percent=2, y_percent=2)
    return [edit_pb2.Step(shadow=shadow)]


@effect("background_removal", "bgremoval", "remove_background")
def _background_removal(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """The background made transparent by the default segmentation model."""
    if args and args != [""]:
        raise invalid("e_background_removal", ":".join(args), "no arguments")
    ctx.ai.append("e_background_removal")
    return [edit_pb2.Step(remove_background=edit_pb2.RemoveBackground())]


@effect("upscale")
def _upscale(args: list[str], ctx: EffectContext) -> list[edit_pb2.Step]:
    """x4 super-resolution by the upscale model."""
    return [edit_pb2.Step(upscale=edit_pb2.Upscale())]
