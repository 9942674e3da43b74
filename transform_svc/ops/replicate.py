"""``replicate``: the image tiled into a given size (imgproxy's replicated
watermark, ``wm:...:re``; processing/watermark.go and vips.c
``vips_replicate_go``)."""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import invalid
from transform_svc.ops import register


@register("replicate")
def replicate(image: pyvips.Image, params: edit_pb2.Replicate, ctx: RenderContext) -> pyvips.Image:
    """The image repeated ``ceil(width / W)`` x ``ceil(height / H)`` times
    (rounded up to odd counts when ``centered``) and the width x height px
    cut from the top-left, or centred when ``centered``.

    Raises:
        TransformError: invalid_parameter for a zero width or height.
    """
    if not params.width or not params.height:
        raise invalid("replicate needs a width and a height")
    across = math.ceil(params.width / image.width)
    down = math.ceil(params.height / image.height)
    if params.centered:
        across += 1 - across % 2
        down += 1 - down % 2
    tiled = image.replicate(across, down)
    left = (tiled.width - params.width) // 2 if params.centered else 0
    top = (tiled.height - params.height) // 2 if params.centered else 0
    return tiled.extract_area(left, top, params.width, params.height)
