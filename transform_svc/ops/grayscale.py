"""``grayscale``: luminance only, alpha kept (ImageKit ``e-grayscale``,
https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("grayscale", sequential=True)
def grayscale(image: pyvips.Image, params: edit_pb2.Grayscale, ctx: RenderContext) -> pyvips.Image:
    """Luminance only (libvips b-w), returned as 3-band sRGB; alpha kept."""
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb.colourspace("b-w").colourspace("srgb"), alpha)
