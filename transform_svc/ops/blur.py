"""``blur``: Gaussian blur, premultiplied when there is alpha (ImageKit ``bl``)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("blur", sequential=True)
def blur(image: pyvips.Image, params: edit_pb2.Blur, ctx: RenderContext) -> pyvips.Image:
    """Gaussian blur, sigma in px. With alpha, blur premultiplied so transparent
    pixels don't bleed their (meaningless) colour into the edges."""
    if params.sigma <= 0:
        return image
    if image.hasalpha():
        return image.premultiply().gaussblur(params.sigma).unpremultiply().cast("uchar")
    return image.gaussblur(params.sigma)
