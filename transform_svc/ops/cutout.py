"""Cut-out output options (Photoroom ``/v1/segment``): area limit
(``size``), alpha-only output (``channels=alpha``) and green despill."""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("area_limit")
def area_limit(image: pyvips.Image, params: edit_pb2.AreaLimit, ctx: RenderContext) -> pyvips.Image:
    """Shrink (never enlarge, aspect kept) to at most ``megapixels`` x 1e6 px."""
    limit = params.megapixels * 1_000_000
    area = image.width * image.height
    if limit <= 0 or area <= limit:
        return image
    return image.resize(math.sqrt(limit / area), kernel="lanczos3").cast("uchar")


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


@register("despill", sequential=True)
def despill(image: pyvips.Image, params: edit_pb2.Despill, ctx: RenderContext) -> pyvips.Image:
    """Average despill: green is clamped to the mean of red and blue
    (g' = min(g, (r + b) / 2)), which removes a green screen's reflections
    and leaves colours without excess green unchanged."""
    r, g, b = image[0], image[1], image[2]
    limit = ((r + b) / 2).cast("uchar")
    g = (g > limit).ifthenelse(limit, g)
    out = r.bandjoin([g, b])
    if image.bands > 3:
        out = out.bandjoin(image.extract_band(3, n=image.bands - 3))
    return out.cast("uchar").copy(interpretation="srgb")
