"""``saturation``: each colour pushed away from (or towards) the pixel's
perceived brightness (http://alienryderflex.com/saturation.html, thumbor's
saturation filter)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register

# Rec. 601 luma weights, as the alienryderflex formula uses them.
WEIGHTS = [[0.299, 0.587, 0.114]]


@register("saturation", sequential=True)
def saturation(
    image: pyvips.Image, params: edit_pb2.Saturation, ctx: RenderContext
) -> pyvips.Image:
    """p = sqrt(0.299 r^2 + 0.587 g^2 + 0.114 b^2); out = p + (in - p) * factor
    (0..255 scale, clipped); factor 1 = unchanged, 0 = grey. Alpha kept."""
    if params.factor == 1:
        return image
    rgb, alpha = split_alpha(image)
    value = rgb.cast("float")
    brightness = (value * value).recomb(WEIGHTS) ** 0.5
    return join_alpha((value - brightness) * params.factor + brightness, alpha)
