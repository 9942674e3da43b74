"""``contrast``: a linear luminance stretch (ImageKit ``e-contrast``,
https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("contrast")
def contrast(image: pyvips.Image, params: edit_pb2.Contrast, ctx: RenderContext) -> pyvips.Image:
    """Linear stretch of the luminance 0.5th..99.5th percentiles to 0..255,
    the same gain on every band so hues don't shift."""
    rgb, alpha = split_alpha(image)
    grey = rgb.colourspace("b-w")
    lo, hi = grey.percent(0.5), grey.percent(99.5)
    if hi <= lo:
        return image
    gain = 255.0 / (hi - lo)
    return join_alpha(rgb.linear([gain] * 3, [-lo * gain] * 3), alpha)
