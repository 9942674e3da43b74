"""``unsharp_mask``: the classic unsharp mask with a threshold (ImageKit
``e-usm``, https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("unsharp_mask", sequential=True)
def unsharp_mask(
    image: pyvips.Image, params: edit_pb2.UnsharpMask, ctx: RenderContext
) -> pyvips.Image:
    """Classic unsharp mask: out = in + amount * (in - gauss(in, sigma)) where
    |in - gauss| > threshold * 255 (threshold 0..1)."""
    rgb, alpha = split_alpha(image)
    sigma = params.sigma or max(params.radius / 2.0, 0.5)
    detail = rgb.cast("float") - rgb.gaussblur(sigma).cast("float")
    sharpened = rgb.cast("float") + detail * params.amount
    if params.threshold > 0:
        mask = detail.abs() > params.threshold * 255
        sharpened = mask.ifthenelse(sharpened, rgb.cast("float"))
    return join_alpha(sharpened, alpha)
