"""Subject outline (Photoroom ``outline.*``): the alpha mask dilated by
``width`` and filled with ``color``, optionally blurred, under the subject."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import impossible
from transform_svc.ops import register

WIDTH_DEFAULT = 0.03  # Photoroom outline.width default (ratio of the image size)
# A mask blurred with sigma d/2 is >= 255 * Q(2) ~ 5.8 out to distance ~d from
# the edge of a straight boundary (Q = the normal tail), so thresholding it
# there dilates by ~d px at O(1) cost in d (gaussblur is separable).
DILATE_LEVEL = 6


def dilate(alpha: pyvips.Image, distance_px: float) -> pyvips.Image:
    """uchar mask dilated by ``distance_px`` (0/255 out)."""
    if distance_px < 0.5:
        return (alpha >= 128).ifthenelse(255, 0).cast("uchar")
    soft = alpha.gaussblur(distance_px / 2, precision="float")
    return (soft >= DILATE_LEVEL).ifthenelse(255, 0).cast("uchar")


def outline_subject(image: pyvips.Image, params: edit_pb2.Outline) -> pyvips.Image:
    """RGBA in, RGBA out (same size): the outline ring under the subject.

    ``width`` and ``blur_radius`` are ratios of the longer side (0..0.1, 0..0.025).

    Raises:
        TransformError: impossible_edit when the image has no alpha.
    """
    if not image.hasalpha():
        raise impossible("outline needs a cut-out subject: keep removeBackground=true")
    longer = max(image.width, image.height)
    alpha = image[image.bands - 1]
    ring = dilate(alpha, (params.width or WIDTH_DEFAULT) * longer)
    blur = params.blur_radius * longer
    if blur >= 0.5:
        ring = ring.gaussblur(blur / 2).cast("uchar")
    c = params.color
    ring = (ring.cast("float") * (c.a / 255.0)).cast("uchar")
    paint = (pyvips.Image.black(image.width, image.height, bands=3) + [c.r, c.g, c.b]).cast("uchar")
    layer = paint.bandjoin(ring).copy(interpretation="srgb")
    return layer.composite2(image, "over").cast("uchar")


@register("outline")
def outline(image: pyvips.Image, params: edit_pb2.Outline, ctx: RenderContext) -> pyvips.Image:
    """See :func:`outline_subject`."""
    return outline_subject(image, params)
