"""``radius``: rounded corners or an inscribed ellipse (ImageKit ``r``,
https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


def _rounded_mask(width: int, height: int, rx: float, ry: float) -> pyvips.Image:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" rx="{rx}" ry="{ry}" '
        f'fill="#fff"/></svg>'
    )
    return pyvips.Image.svgload_buffer(svg.encode())[3]


@register("radius", sequential=True)
def radius(image: pyvips.Image, params: edit_pb2.Radius, ctx: RenderContext) -> pyvips.Image:
    """Rounded corners: alpha is 0 outside a rounded rectangle of corner
    radius ``radius`` px, or an ellipse inscribed in the image for ``max``."""
    if params.max:
        rx, ry = image.width / 2, image.height / 2
    else:
        rx = ry = min(params.radius, image.width / 2, image.height / 2)
    mask = _rounded_mask(image.width, image.height, rx, ry)
    rgb, alpha = split_alpha(image)
    if alpha is not None:
        mask = (mask.cast("float") * alpha.cast("float") / 255).cast("uchar")
    return rgb.bandjoin(mask)
