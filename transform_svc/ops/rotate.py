"""``rotate``: clockwise by any angle (crops and pads are ``resize`` crop modes)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("rotate")
def rotate(image: pyvips.Image, params: edit_pb2.Rotate, ctx: RenderContext) -> pyvips.Image:
    """Rotate clockwise by ``degrees``. Multiples of 90 are exact (vips_rot);
    other angles use vips_rotate, which enlarges the canvas to hold the whole
    rotated image and fills the corners with the background colour."""
    angle = params.degrees % 360
    if angle == 0:
        return image
    if angle % 90 == 0:
        return image.rot({90: "d90", 180: "d180", 270: "d270"}[int(angle)])
    background = imaging.set_color(params, "background")
    if imaging.needs_alpha(background):
        image = imaging.ensure_alpha(image)
    return image.rotate(angle, background=imaging.background_for(image, background))
