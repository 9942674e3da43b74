"""``duotone``: the luminance mapped between two colours (imgproxy Pro's
``duotone`` and ``monochrome``, https://docs.imgproxy.net/usage/processing#duotone)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("duotone", sequential=True)
def duotone(image: pyvips.Image, params: edit_pb2.Duotone, ctx: RenderContext) -> pyvips.Image:
    """out = (1 - i) * in + i * (dark + (light - dark) * Y / 255), Y the
    libvips b-w luminance, i = ``intensity`` clamped to 0..1; alpha kept."""
    intensity = min(max(params.intensity, 0.0), 1.0)
    if intensity == 0:
        return image
    rgb, alpha = split_alpha(image)
    dark = [params.dark.r, params.dark.g, params.dark.b]
    light = [params.light.r, params.light.g, params.light.b]
    luminance = rgb.colourspace("b-w").extract_band(0).cast("float")
    toned = luminance.linear([(hi - lo) / 255 for lo, hi in zip(dark, light, strict=True)], dark)
    mixed = rgb.cast("float") * (1 - intensity) + toned * intensity
    return join_alpha((mixed + 0.5).cast("uchar"), alpha).copy(interpretation="srgb")
