"""``shadow``: a non-AI blurred shadow under the image (ImageKit ``e-shadow``,
https://imagekit.io/docs/effects-and-enhancements#shadow---e-shadow)."""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.alpha import shadow_layer
from transform_svc.context import RenderContext
from transform_svc.errors import invalid
from transform_svc.ops import register

# "Shadows can only be applied to images with a resolution of maximum 2MP"
# (https://imagekit.io/docs/effects-and-enhancements#shadow---e-shadow)
SHADOW_MAX_PIXELS = 2_000_000


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
