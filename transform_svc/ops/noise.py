"""``noise``: one random value per pixel added to each of its colour bands
(thumbor's noise filter)."""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register

MAX_AMOUNT = 100.0  # thumbor's filter takes 0..100


@register("noise", sequential=True)
def noise(image: pyvips.Image, params: edit_pb2.Noise, ctx: RenderContext) -> pyvips.Image:
    """Add noise of spread ``amount`` (0..255 scale): thumbor draws it uniform
    in -amount/2..amount/2; this draws libvips ``gaussnoise`` of the same
    variance (amount^2 / 12), one value per pixel for all bands, ``seed``
    fixing it. Alpha kept; amount clipped to 0..100."""
    amount = min(max(params.amount, 0.0), MAX_AMOUNT)
    if amount == 0:
        return image
    rgb, alpha = split_alpha(image)
    grain = pyvips.Image.gaussnoise(
        rgb.width, rgb.height, sigma=amount / math.sqrt(12), mean=0, seed=params.seed
    )
    return join_alpha(rgb + grain, alpha)
