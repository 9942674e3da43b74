"""``flip``: mirror horizontally and/or vertically."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("flip")
def flip(image: pyvips.Image, params: edit_pb2.Flip, ctx: RenderContext) -> pyvips.Image:
    """Mirror horizontally and/or vertically."""
    if params.horizontal:
        image = image.fliphor()
    if params.vertical:
        image = image.flipver()
    return image
