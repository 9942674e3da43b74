"""``background_color``: a solid colour under the image (ImageKit ``bg``,
Photoroom ``background.color``)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("background_color", sequential=True)
def background_color(
    image: pyvips.Image, params: edit_pb2.BackgroundColor, ctx: RenderContext
) -> pyvips.Image:
    """Put the image over ``color``. Opaque colour: alpha is flattened away.
    Translucent colour: Porter-Duff "over" keeps an alpha band. No alpha: no-op."""
    if not image.hasalpha():
        return image
    color = imaging.set_color(params, "color")
    if not imaging.needs_alpha(color):
        rgb = imaging.background_for(image, color)[:3]
        return image.flatten(background=rgb).cast("uchar")
    canvas = (
        (
            pyvips.Image.black(image.width, image.height, bands=4)
            + [color.r, color.g, color.b, color.a]
        )
        .cast("uchar")
        .copy(interpretation="srgb")
    )
    return canvas.composite2(image, "over").cast("uchar")
