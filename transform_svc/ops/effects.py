"""Effects: grayscale, contrast, unsharp mask, trim, border, radius, shadow, gradient.

Each op is a small registered unit; parameters and defaults follow ImageKit's
effects docs (https://imagekit.io/docs/effects-and-enhancements).
"""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.errors import invalid
from transform_svc.ops import register

# "Shadows can only be applied to images with a resolution of maximum 2MP"
# (https://imagekit.io/docs/effects-and-enhancements#shadow---e-shadow)
SHADOW_MAX_PIXELS = 2_000_000


def _split_alpha(image: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    if image.hasalpha():
        return image.extract_band(0, n=image.bands - 1), image[image.bands - 1]
    return image, None


def _join(rgb: pyvips.Image, alpha: pyvips.Image | None) -> pyvips.Image:
    rgb = rgb.cast("uchar")
    return rgb.bandjoin(alpha) if alpha is not None else rgb


@register("grayscale", sequential=True)
def grayscale(image: pyvips.Image, params: edit_pb2.Grayscale, ctx: RenderContext) -> pyvips.Image:
    """Luminance only (libvips b-w), returned as 3-band sRGB; alpha kept."""
    rgb, alpha = _split_alpha(image)
    return _join(rgb.colourspace("b-w").colourspace("srgb"), alpha)


@register("contrast")
def contrast(image: pyvips.Image, params: edit_pb2.Contrast, ctx: RenderContext) -> pyvips.Image:
    """Linear stretch of the luminance 0.5th..99.5th percentiles to 0..255,
    the same gain on every band so hues don't shift."""
    rgb, alpha = _split_alpha(image)
    grey = rgb.colourspace("b-w")
    lo, hi = grey.percent(0.5), grey.percent(99.5)
    if hi <= lo:
        return image
    gain = 255.0 / (hi - lo)
    return _join(rgb.linear([gain] * 3, [-lo * gain] * 3), alpha)


@register("unsharp_mask", sequential=True)
def unsharp_mask(
    image: pyvips.Image, params: edit_pb2.UnsharpMask, ctx: RenderContext
) -> pyvips.Image:
    """Classic unsharp mask: out = in + amount * (in - gauss(in, sigma)) where
    |in - gauss| > threshold * 255 (threshold 0..1)."""
    rgb, alpha = _split_alpha(image)
    sigma = params.sigma or max(params.radius / 2.0, 0.5)
    detail = rgb.cast("float") - rgb.gaussblur(sigma).cast("float")
    sharpened = rgb.cast("float") + detail * params.amount
    if params.threshold > 0:
        mask = detail.abs() > params.threshold * 255
        sharpened = mask.ifthenelse(sharpened, rgb.cast("float"))
    return _join(sharpened, alpha)


@register("trim")
def trim(image: pyvips.Image, params: edit_pb2.Trim, ctx: RenderContext) -> pyvips.Image:
    """Crop away borders of the top-left pixel's colour (libvips find_trim);
    threshold 1..99 is the colour distance that counts as content."""
    rgb, _ = _split_alpha(image)
    background = rgb.getpoint(0, 0)
    left, top, width, height = rgb.find_trim(
        threshold=params.threshold or 10, background=background
    )
    if width == 0 or height == 0:
        return image
    return image.extract_area(left, top, width, height)


@register("border", sequential=True)
def border(image: pyvips.Image, params: edit_pb2.Border, ctx: RenderContext) -> pyvips.Image:
    """A ``width`` px border of ``color`` on all four sides."""
    w = params.width
    if imaging.needs_alpha(params.color):
        image = imaging.ensure_alpha(image)
    return image.embed(
        w,
        w,
        image.width + 2 * w,
        image.height + 2 * w,
        extend="background",
        background=imaging.background_for(image, params.color),
    )


def _rounded_mask(width: int, height: int, rx: float, ry: float) -> pyvips.Image:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" rx="{rx}" ry="{ry}" '
        f'fill="#fff"/></svg>'
    )
    return pyvips.Image.svgload_buffer(svg.encode())[3]


@register("radius", sequential=True)
def radius(image: pyvips.Image, params: edit_pb2.Radius, ctx: RenderContext) -> pyvips.Image:
    """Rounded corners: alpha is 0 outside a rounded rectangle of corner
    radius ``radius`` px, or an ellipse inscribed in the image for ``max``."""
    if params.max:
        rx, ry = image.width / 2, image.height / 2
    else:
        rx = ry = min(params.radius, image.width / 2, image.height / 2)
    mask = _rounded_mask(image.width, image.height, rx, ry)
    rgb, alpha = _split_alpha(image)
    if alpha is not None:
        mask = (mask.cast("float") * alpha.cast("float") / 255).cast("uchar")
    return rgb.bandjoin(mask)


def shadow_layer(width: int, height: int, alpha: pyvips.Image) -> pyvips.Image:
    """Black sRGB layer with the given alpha band."""
    black = pyvips.Image.black(width, height, bands=3).cast("uchar")
    return black.bandjoin(alpha).copy(interpretation="srgb")


@register("shadow")
def shadow(image: pyvips.Image, params: edit_pb2.Shadow, ctx: RenderContext) -> pyvips.Image:
    """Non-AI shadow: the alpha (or the whole frame if opaque), blurred by
    ``blur`` sigma px, ``saturation`` % opaque black, offset by (x, y) % of the
    image size, under the image on a canvas grown to hold it. Output has alpha."""
    if image.width * image.height > SHADOW_MAX_PIXELS:
        raise invalid(
            f"e-shadow works on images up to 2 MP; this one is {image.width}x{image.height}: "
            "resize it first (e.g. w-1000,e-shadow)"
        )
    image = imaging.ensure_alpha(image)
    alpha = image[3]
    dx = round(params.x_percent / 100 * image.width)
    dy = round(params.y_percent / 100 * image.height)
    pad = int(math.ceil(3 * params.blur)) + max(abs(dx), abs(dy))
    w, h = image.width + 2 * pad, image.height + 2 * pad
    shade = alpha.embed(pad + dx, pad + dy, w, h, extend="black")
    if params.blur > 0:
        shade = shade.gaussblur(params.blur)
    shade = (shade.cast("float") * (params.saturation / 100.0)).cast("uchar")
    black = shadow_layer(w, h, shade)
    placed = image.embed(pad, pad, w, h, extend="background", background=[0, 0, 0, 0])
    return black.composite2(placed, "over").cast("uchar")


@register("gradient", sequential=True)
def gradient(image: pyvips.Image, params: edit_pb2.Gradient, ctx: RenderContext) -> pyvips.Image:
    """Overlay a linear gradient from ``from_color`` to ``to_color``.

    ``direction`` follows CSS ``linear-gradient`` angles: 0 = towards the top,
    90 = towards the right, 180 = towards the bottom (the default). The colour
    reaches ``to_color`` at ``stop_point`` (0..1) of the way across, or at
    ``stop_px`` px when ``stop_point`` is 0.
    """
    w, h = image.width, image.height
    angle = math.radians(params.direction)
    dx, dy = math.sin(angle), -math.cos(angle)
    half = (abs(w * dx) + abs(h * dy)) / 2 or 1.0
    xyz = pyvips.Image.xyz(w, h).cast("float")
    proj = (xyz[0] - w / 2) * dx + (xyz[1] - h / 2) * dy  # -half..half
    stop = params.stop_point * 2 * half if params.stop_point else float(params.stop_px or 2 * half)
    t = (proj + half) / max(stop, 1.0)
    t = (t < 0).ifthenelse(0, (t > 1).ifthenelse(1, t))
    f, to = params.from_color, params.to_color
    bands = [t * (getattr(to, c) - getattr(f, c)) + getattr(f, c) for c in ("r", "g", "b", "a")]
    overlay = bands[0].bandjoin(bands[1:]).cast("uchar").copy(interpretation="srgb")
    out = image.composite2(overlay, "over").cast("uchar")
    return out if image.hasalpha() else out.extract_band(0, n=3)


@register("opacity", sequential=True)
def opacity(image: pyvips.Image, params: edit_pb2.Opacity, ctx: RenderContext) -> pyvips.Image:
    """Multiply the alpha by ``opacity`` (0..1), adding an opaque alpha first
    (ImageKit ``o``, https://imagekit.io/docs/effects-and-enhancements#opacity---o;
    ``al`` of text and solid-colour layers)."""
    rgb, alpha = _split_alpha(imaging.ensure_alpha(image))
    assert alpha is not None
    return _join(rgb, (alpha * max(0.0, min(1.0, params.opacity))).cast("uchar"))
