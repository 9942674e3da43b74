"""``trim``: crop away borders of the top-left pixel's colour (ImageKit ``t``,
https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("trim")
def trim(image: pyvips.Image, params: edit_pb2.Trim, ctx: RenderContext) -> pyvips.Image:
    """Crop away borders of the top-left pixel's colour (libvips find_trim);
    threshold 1..99 is the colour distance that counts as content."""
    rgb, _ = split_alpha(image)
    background = rgb.getpoint(0, 0)
    left, top, width, height = rgb.find_trim(
        threshold=params.threshold or 10, background=background
    )
    if width == 0 or height == 0:
        return image
    return image.extract_area(left, top, width, height)
