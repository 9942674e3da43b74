"""``border``: a solid border on all four sides (ImageKit ``b``,
https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("border", sequential=True)
def border(image: pyvips.Image, params: edit_pb2.Border, ctx: RenderContext) -> pyvips.Image:
    """A ``width`` px border of ``color`` on all four sides."""
    w = params.width
    color = imaging.set_color(params, "color")
    if imaging.needs_alpha(color):
        image = imaging.ensure_alpha(image)
    return image.embed(
        w,
        w,
        image.width + 2 * w,
        image.height + 2 * w,
        extend="background",
        background=imaging.background_for(image, color),
    )
