"""``alpha_mask``: the alpha band alone as a grey mask (Photoroom
``channels=alpha``)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("alpha_mask", sequential=True)
def alpha_mask(image: pyvips.Image, params: edit_pb2.AlphaMask, ctx: RenderContext) -> pyvips.Image:
    """1-band grey out: the alpha band (all 255 when the image has none)."""
    if not image.hasalpha():
        return (
            (pyvips.Image.black(image.width, image.height) + 255)
            .cast("uchar")
            .copy(interpretation="b-w")
        )
    return image[image.bands - 1].copy(interpretation="b-w")
