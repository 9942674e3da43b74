"""``sharpen``: libvips sharpen on the colour bands (ImageKit ``e-sharpen``)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("sharpen", sequential=True)
def sharpen(image: pyvips.Image, params: edit_pb2.Sharpen, ctx: RenderContext) -> pyvips.Image:
    """libvips unsharp mask on the colour bands (sigma px); alpha untouched."""
    sigma = params.sigma if params.sigma > 0 else 0.5
    if image.hasalpha():
        rgb = image.extract_band(0, n=image.bands - 1)
        return rgb.sharpen(sigma=sigma).colourspace("srgb").bandjoin(image[image.bands - 1])
    return image.sharpen(sigma=sigma).colourspace("srgb")
