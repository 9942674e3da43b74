"""Layers: composite an image (rendered from its own edit graph, or a solid
colour canvas) or text over the current image (ImageKit ``l-image`` /
``l-text``, https://imagekit.io/docs/add-overlays-on-images): position by
offsets from an anchor or by focus, opacity, and the layer modes."""

from __future__ import annotations

import asyncio
import html
import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.errors import impossible, invalid, unsupported
from transform_svc.ops import register

DEFAULT_FONT_SIZE = 45  # px, ImageKit's default
PANGO_ALIGN = {"left": "low", "center": "centre", "right": "high", "": "centre"}


def render_text(text: edit_pb2.TextLayer) -> pyvips.Image:
    """RGBA text: the pango mask in ``color`` (default black), padded, over
    ``background`` (default transparent)."""
    kwargs: dict[str, int] = {"width": text.max_width} if text.max_width else {}
    size = text.font_size or DEFAULT_FONT_SIZE
    if text.line_height:  # pango's spacing: what lies between lines beyond the font size
        kwargs["spacing"] = text.line_height - size  # negative = tighter
    font = " ".join(
        part
        for part in (
            text.font or "sans",
            "bold" if text.bold else "",
            "italic" if text.italic else "",
            str(size),
        )
        if part
    )
    markup = text.text if text.markup else html.escape(text.text)
    if text.strikethrough:
        markup = f"<s>{markup}</s>"
    align = PANGO_ALIGN.get(text.align, "centre")
    if text.markup:  # the spans' own colours, black by default
        try:
            rendered = pyvips.Image.text(
                markup, font=font, dpi=72, align=align, rgba=True, **kwargs
            )
            layer = rendered.cast("uchar").copy(interpretation="srgb")
        except pyvips.Error as exc:
            raise invalid("the text is not valid Pango markup") from exc
    else:
        mask = pyvips.Image.text(markup, font=font, dpi=72, align=align, **kwargs)
        c = imaging.set_color(text, "color") or edit_pb2.Color(a=255)
        alpha = (mask.cast("float") * (c.a / 255.0)).cast("uchar")
        black = pyvips.Image.black(mask.width, mask.height, bands=3)
        rgb = (black + [c.r, c.g, c.b]).cast("uchar")
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
    if imaging.set_color(text, "background") is not None:
        b = text.background
        layer = imaging.solid(layer.width, layer.height, b).composite2(layer, "over").cast("uchar")
    return layer


def _axis(
    free: int,
    length: int,
    layer: int,
    offset: edit_pb2.Offset | None,
    centre: edit_pb2.Offset | None,
    anchor: float | None,
    default: int,
) -> int:
    """One axis of the layer's top-left, px (may lie outside the base: the
    composite clips). ``anchor`` 0 / 0.5 / 1 = the base's near edge / middle /
    far edge (None: no lap, near edge, negative offsets from the far edge);
    offsets point from the anchor into the image."""
    at = 0.0 if anchor is None else anchor
    inward = -1 if at == 1.0 else 1
    if offset is not None:
        if anchor is None and offset.px < 0:
            return free + offset.px
        return math.floor(at * length + inward * offset.px - at * layer + 0.5)
    if centre is not None:
        if anchor is None and centre.px < 0:
            return math.floor(length + centre.px - layer / 2 + 0.5)
        return math.floor(at * length + inward * centre.px - layer / 2 + 0.5)
    return default


def compass_origin(focus: int, free_x: int, free_y: int) -> tuple[int, int]:
    """Top-left (px) of a layer placed at the compass ``focus`` (default
    centre), given the base's room beyond the layer on each axis."""
    direction = imaging.COMPASS.get(focus, "centre")
    x = 0 if "west" in direction else free_x if "east" in direction else free_x // 2
    y = 0 if "north" in direction else free_y if "south" in direction else free_y // 2
    return x, y


def _offsets(
    params: edit_pb2.Overlay, axis: str
) -> tuple[edit_pb2.Offset | None, edit_pb2.Offset | None]:
    """The (edge, centre) offsets of one axis ("x" or "y"), None where unset."""
    centre = f"{axis}_center"
    return (
        getattr(params, axis) if params.HasField(axis) else None,
        getattr(params, centre) if params.HasField(centre) else None,
    )


def position(base: pyvips.Image, layer: pyvips.Image, params: edit_pb2.Overlay) -> tuple[int, int]:
    """Top-left of the layer in px: from the offsets (``x``/``y`` = the layer's
    top-left, ``x_center``/``y_center`` = its centre) measured from
    ``anchor``, else at the compass ``focus`` (default centre)."""
    free_x, free_y = base.width - layer.width, base.height - layer.height
    x, y = compass_origin(params.focus, free_x, free_y)
    anchor_x = anchor_y = None
    if params.anchor:
        compass = imaging.COMPASS.get(params.anchor)
        if compass is None:
            raise invalid("a layer anchor must be a compass point")
        anchor_x = 0.0 if "west" in compass else 1.0 if "east" in compass else 0.5
        anchor_y = 0.0 if "north" in compass else 1.0 if "south" in compass else 0.5
    x = _axis(free_x, base.width, layer.width, *_offsets(params, "x"), anchor_x, x)
    y = _axis(free_y, base.height, layer.height, *_offsets(params, "y"), anchor_y, y)
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


def _placed_alpha(layer: pyvips.Image, width: int, height: int, x: int, y: int) -> pyvips.Image:
    """The layer's alpha placed at (x, y) on a transparent width x height canvas."""
    return layer[layer.bands - 1].embed(x, y, width, height, extend="black")


def _displace(
    base: pyvips.Image, layer: pyvips.Image, x: int, y: int, params: edit_pb2.Overlay
) -> pyvips.Image:
    """Move each base pixel by the layer's red / green (128 = none, 0 / 255 =
    -1 / +1 times the x / y offsets in px) where the layer lies."""
    mx = params.x.px if params.HasField("x") else 0
    my = params.y.px if params.HasField("y") else 0
    red = layer[0].embed(x, y, base.width, base.height, extend="background", background=[128])
    green = layer[1].embed(x, y, base.width, base.height, extend="background", background=[128])
    shift = ((red.cast("float") - 128) / 128 * mx).bandjoin((green.cast("float") - 128) / 128 * my)
    index = pyvips.Image.xyz(base.width, base.height) + shift
    return base.mapim(index, extend="copy").cast("uchar")


# thumbor's watermark repeat (thumbor/filters/watermark.py): a copy too few to
# tile twice gets 10 px of room; more than this many copies on both axes are
# capped at TILE_CAP per axis.
TILE_MIN_ROOM = 10
TILE_MAX_COPIES = 100
TILE_CAP = 6


def tile_counts(length: int, size: int) -> tuple[int, int]:
    """(copies, px of room left) of a ``size`` px layer along ``length`` px."""
    if length / size < 2:
        return math.ceil(length / size), TILE_MIN_ROOM
    return divmod(length, size)


def tile_offsets(count: int, room: int, size: int) -> list[int]:
    """Where the copies start, px: the first at 0, the room shared equally
    between them (integer division, as thumbor)."""
    space = room // (max(count, 2) - 1)
    return [i * (space + size) for i in range(count)]


def tiled(
    base: pyvips.Image, layer: pyvips.Image, params: edit_pb2.Overlay, x: int, y: int
) -> tuple[pyvips.Image, int, int]:
    """The layer repeated along ``tile_x`` / ``tile_y`` (a base-sized
    transparent canvas where both repeat, else a strip at the layer's place
    on the other axis), and where that goes."""
    (nx, rx), (ny, ry) = (
        tile_counts(base.width, layer.width),
        tile_counts(base.height, layer.height),
    )
    if params.tile_x and params.tile_y and nx * ny > TILE_MAX_COPIES:
        nx, ny = min(TILE_CAP, nx), min(TILE_CAP, ny)
        rx, ry = base.width - nx * layer.width, base.height - ny * layer.height
    xs = tile_offsets(nx, rx, layer.width) if params.tile_x else [0]
    ys = tile_offsets(ny, ry, layer.height) if params.tile_y else [0]
    width = base.width if params.tile_x else layer.width
    height = base.height if params.tile_y else layer.height
    canvas = pyvips.Image.black(width, height, bands=4).copy(interpretation="srgb")
    for tx in xs:
        for ty in ys:
            canvas = canvas.insert(layer, tx, ty)
    return canvas.cast("uchar"), 0 if params.tile_x else x, 0 if params.tile_y else y


def composite(base: pyvips.Image, layer: pyvips.Image, params: edit_pb2.Overlay) -> pyvips.Image:
    """``layer`` combined with ``base`` at :func:`position` by ``params.blend``
    (``under``: ``base`` over the layer, both with alpha kept). Over and
    multiply keep the base's size and alpha-ness; cutout gives alpha; cutter
    gives the part of the base the layer covers.

    Raises:
        TransformError: impossible_edit when a cutter layer misses the image.
    """
    layer = imaging.ensure_alpha(imaging.to_srgb(layer, apply_icc=False))
    layer = fit_to(layer, base.width, base.height, params.fit)
    blend = params.blend
    if blend == edit_pb2.Overlay.BLEND_DISPLACE:
        free_x, free_y = base.width - layer.width, base.height - layer.height
        x, y = compass_origin(params.focus, free_x, free_y)
        return _displace(base, layer, x, y, params)
    x, y = position(base, layer, params)
    if params.under:
        canvas = pyvips.Image.black(base.width, base.height, bands=4).copy(interpretation="srgb")
        canvas = canvas.composite2(layer, "over", x=x, y=y)
        return canvas.composite2(imaging.ensure_alpha(base), "over").cast("uchar")
    if blend in (edit_pb2.Overlay.BLEND_CUTOUT, edit_pb2.Overlay.BLEND_CUTTER):
        with_alpha = imaging.ensure_alpha(base)
        rgb, alpha = with_alpha.extract_band(0, n=3), with_alpha[3]
        mask = _placed_alpha(layer, base.width, base.height, x, y)
        if blend == edit_pb2.Overlay.BLEND_CUTOUT:
            return rgb.bandjoin((alpha * (255 - mask) / 255).cast("uchar")).cast("uchar")
        left, top = max(0, x), max(0, y)
        right = min(base.width, x + layer.width)
        bottom = min(base.height, y + layer.height)
        if right <= left or bottom <= top:
            raise impossible("the cutter layer lies outside the image")
        kept = rgb.bandjoin((alpha * mask / 255).cast("uchar")).cast("uchar")
        return kept.extract_area(left, top, right - left, bottom - top)
    if params.tile_x or params.tile_y:
        layer, x, y = tiled(base, layer, params, x, y)
    mode = "multiply" if blend == edit_pb2.Overlay.BLEND_MULTIPLY else "over"
    out = base.composite2(layer, mode, x=x, y=y).cast("uchar")
    return out if base.hasalpha() else out.extract_band(0, n=3)


@register("overlay", sequential=True)
async def overlay(
    image: pyvips.Image, params: edit_pb2.Overlay, ctx: RenderContext
) -> pyvips.Image:
    """Composite an image, solid-colour or text layer over (or under) the image.

    Raises:
        TransformError: the layer's source errors (e.g. source_not_found);
            impossible_edit (422) when the text cannot be rendered at its size.
    """
    base = (image.width, image.height)
    if ctx.run_steps is None or ctx.render_layer is None:
        raise unsupported("layers are not available here")
    kind = params.WhichOneof("layer")
    if kind == "image":
        layer = await ctx.render_layer(params.image, base)
    else:
        try:
            layer = await asyncio.to_thread(render_text, params.text)
        except pyvips.Error as exc:  # e.g. wider than the text renderer's surface limit
            raise impossible(
                "the text layer could not be rendered at this size; shorten the text, "
                "lower fs or set a wrap width w"
            ) from exc
        if params.text_steps:
            layer = await ctx.run_steps(layer, list(params.text_steps), base)
    return await asyncio.to_thread(composite, image, layer, params)
