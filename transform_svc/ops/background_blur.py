"""``background_blur``: the photo blurred behind the cut-out subject
(Photoroom ``background.blur``)."""

from __future__ import annotations

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import impossible
from transform_svc.ops import register

BLUR_DEFAULT = 0.01  # Photoroom background.blur.radius default (ratio of the image size)


BOKEH_WORK_RADIUS = 8  # px: the disc kernel is applied at a scale where it has this radius


def _disc(radius: int) -> pyvips.Image:
    """Normalised disc kernel (bokeh), ``(2r+1)^2`` px."""
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    inside = (xx * xx + yy * yy <= radius * radius).astype(int)
    return pyvips.Image.new_from_list(inside.tolist(), scale=float(inside.sum()))


def blur_pixels(rgb: pyvips.Image, radius_px: float, bokeh: bool) -> pyvips.Image:
    """Gaussian (sigma = radius px) or bokeh (disc of radius px) blur of ``rgb``.

    The disc convolution runs on a copy shrunk so the disc is
    BOKEH_WORK_RADIUS px, then enlarged back: O(1) cost in the radius.
    """
    if radius_px < 0.5:
        return rgb
    if not bokeh:
        return rgb.gaussblur(radius_px)
    shrink = min(1.0, BOKEH_WORK_RADIUS / radius_px)
    small = rgb.resize(shrink) if shrink < 1 else rgb
    r = max(1, round(radius_px * shrink))
    blurred = small.conv(_disc(r), precision="float").cast("uchar")
    if shrink < 1:
        blurred = blurred.resize(rgb.width / blurred.width, vscale=rgb.height / blurred.height)
    return blurred.crop(0, 0, rgb.width, rgb.height)


@register("background_blur")
def background_blur(
    image: pyvips.Image, params: edit_pb2.BackgroundBlur, ctx: RenderContext
) -> pyvips.Image:
    """Subject (alpha) over a blurred copy of the photo: opaque RGB out.

    The RGB under transparent pixels is the original photo (background removal
    only adds alpha), so the background is blurred in place. ``radius`` is a
    ratio of the longer side (Photoroom ``background.blur.radius``, 0..0.05).

    Raises:
        TransformError: impossible_edit when the image has no alpha (no subject mask).
    """
    if not image.hasalpha():
        raise impossible("background.blur needs the subject's mask: keep removeBackground=true")
    rgb = image.extract_band(0, n=3)
    radius = (params.radius or BLUR_DEFAULT) * max(image.width, image.height)
    blurred = blur_pixels(rgb, radius, params.bokeh)
    return blurred.composite2(image, "over").extract_band(0, n=3).cast("uchar")
