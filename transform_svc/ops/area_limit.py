"""``area_limit``: shrink to at most a pixel area (Photoroom ``/v1/segment``
``size``)."""

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
