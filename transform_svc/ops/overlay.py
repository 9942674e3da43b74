"""Layers: composite an image (rendered from its own edit graph) or text over
the current image (ImageKit ``l-image`` / ``l-text``)."""

from __future__ import annotations

import asyncio
import html

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.errors import impossible, unsupported
from transform_svc.ops import register

DEFAULT_FONT_SIZE = 45  # px, ImageKit's default
PANGO_ALIGN = {"left": "low", "center": "centre", "right": "high", "": "centre"}


def render_text(text: edit_pb2.TextLayer) -> pyvips.Image:
    """RGBA text: the pango mask in ``color`` (default black), padded, over
    ``background`` (default transparent)."""
    font = " ".join(
        part
        for part in (
            text.font or "sans",
            "bold" if text.bold else "",
            "italic" if text.italic else "",
            str(text.font_size or DEFAULT_FONT_SIZE),
        )
        if part
    )
    kwargs = {"width": text.max_width} if text.max_width else {}
    mask = pyvips.Image.text(
        html.escape(text.text),
        font=font,
        dpi=72,
        align=PANGO_ALIGN.get(text.align, "centre"),
        **kwargs,
    )
    c = text.color if text.color.ByteSize() else edit_pb2.Color(a=255)
    alpha = (mask.cast("float") * (c.a / 255.0)).cast("uchar")
    rgb = (pyvips.Image.black(mask.width, mask.height, bands=3) + [c.r, c.g, c.b]).cast("uchar")
    layer = rgb.bandjoin(alpha).copy(interpretation="srgb")
    if text.padding:
        top, right, bottom, left = text.padding
        layer = layer.embed(
            left,
            top,
            layer.width + left + right,
            layer.height + top + bottom,
            extend="background",
            background=[0, 0, 0, 0],
        )
    if text.background.ByteSize():
        b = text.background
        canvas = (
            (pyvips.Image.black(layer.width, layer.height, bands=4) + [b.r, b.g, b.b, b.a])
            .cast("uchar")
            .copy(interpretation="srgb")
        )
        layer = canvas.composite2(layer, "over").cast("uchar")
    return layer


def position(base: pyvips.Image, layer: pyvips.Image, params: edit_pb2.Overlay) -> tuple[int, int]:
    """Top-left of the layer: x/y px (negative = from the right/bottom edge),
    else the compass focus (default centre)."""
    direction = imaging.COMPASS.get(params.focus, "centre")
    free_x, free_y = base.width - layer.width, base.height - layer.height
    x = free_x // 2
    y = free_y // 2
    if "west" in direction:
        x = 0
    elif "east" in direction:
        x = free_x
    if "north" in direction:
        y = 0
    elif "south" in direction:
        y = free_y
    if params.HasField("x"):
        x = params.x if params.x >= 0 else free_x + params.x
    if params.HasField("y"):
        y = params.y if params.y >= 0 else free_y + params.y
    return x, y


def fit_to(layer: pyvips.Image, width: int, height: int, fit: int) -> pyvips.Image:
    """Scale the layer to the canvas: FIT_FILL covers it (centred crop),
    FIT_CONTAIN fits inside it (centred, transparent around); FIT_NONE: as is."""
    if fit == edit_pb2.Overlay.FIT_NONE:
        return layer
    sx, sy = width / layer.width, height / layer.height
    s = max(sx, sy) if fit == edit_pb2.Overlay.FIT_FILL else min(sx, sy)
    scaled = layer.resize(s, kernel="lanczos3")
    left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
    return scaled.embed(
        -left, -top, width, height, extend="background", background=[0, 0, 0, 0]
    ).cast("uchar")


def composite(base: pyvips.Image, layer: pyvips.Image, params: edit_pb2.Overlay) -> pyvips.Image:
    """``layer`` over ``base`` at :func:`position` (``under``: ``base`` over
    the layer, both with alpha kept); otherwise the output has alpha only if
    the base had it."""
    layer = imaging.ensure_alpha(imaging.to_srgb(layer, apply_icc=False))
    layer = fit_to(layer, base.width, base.height, params.fit)
    x, y = position(base, layer, params)
    if params.under:
        canvas = pyvips.Image.black(base.width, base.height, bands=4).copy(interpretation="srgb")
        canvas = canvas.composite2(layer, "over", x=x, y=y)
        return canvas.composite2(imaging.ensure_alpha(base), "over").cast("uchar")
    out = base.composite2(layer, "over", x=x, y=y).cast("uchar")
    return out if base.hasalpha() else out.extract_band(0, n=3)


@register("overlay", sequential=True)
async def overlay(
    image: pyvips.Image, params: edit_pb2.Overlay, ctx: RenderContext
) -> pyvips.Image:
    """Composite an image or text layer over (or under) the image.

    Raises:
        TransformError: the layer's source errors (e.g. source_not_found);
            impossible_edit (422) when the text cannot be rendered at its size.
    """
    kind = params.WhichOneof("layer")
    if kind == "image":
        if ctx.render_layer is None:
            raise unsupported("image layers are not available here")
        layer = await ctx.render_layer(params.image)
    else:
        try:
            layer = await asyncio.to_thread(render_text, params.text)
        except pyvips.Error as exc:  # e.g. wider than the text renderer's surface limit
            raise impossible(
                "the text layer could not be rendered at this size; shorten the text, "
                "lower fs or set a wrap width w"
            ) from exc
    return await asyncio.to_thread(composite, image, layer, params)
