"""``despill``: remove a green screen's reflections (Photoroom ``despill``)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


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
