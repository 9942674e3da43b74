"""Geometry ops: extract, pad, rotate, flip."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.errors import impossible
from transform_svc.ops import register


@register("extract", sequential=True)
def extract(image: pyvips.Image, params: edit_pb2.Extract, ctx: RenderContext) -> pyvips.Image:
    """Cut the px region (left, top, width, height) out of the image.

    Raises:
        TransformError: impossible_edit if the region is empty or leaves the image.
    """
    if (
        params.width == 0
        or params.height == 0
        or params.left + params.width > image.width
        or params.top + params.height > image.height
    ):
        raise impossible(
            f"extract {params.width}x{params.height}+{params.left}+{params.top} is outside "
            f"the {image.width}x{image.height} image"
        )
    return image.extract_area(params.left, params.top, params.width, params.height)


@register("pad", sequential=True)
def pad(image: pyvips.Image, params: edit_pb2.Pad, ctx: RenderContext) -> pyvips.Image:
    """Add borders (px) filled with the colour (unset = imaging.DEFAULT_BACKGROUND)."""
    if imaging.needs_alpha(params.color):
        image = imaging.ensure_alpha(image)
    return image.embed(
        params.left,
        params.top,
        image.width + params.left + params.right,
        image.height + params.top + params.bottom,
        extend="background",
        background=imaging.background_for(image, params.color),
    )


@register("rotate")
def rotate(image: pyvips.Image, params: edit_pb2.Rotate, ctx: RenderContext) -> pyvips.Image:
    """Rotate clockwise by ``degrees``. Multiples of 90 are exact (vips_rot);
    other angles use vips_rotate, which enlarges the canvas to hold the whole
    rotated image and fills the corners with the background colour."""
    angle = params.degrees % 360
    if angle == 0:
        return image
    if angle % 90 == 0:
        return image.rot({90: "d90", 180: "d180", 270: "d270"}[int(angle)])
    if imaging.needs_alpha(params.background):
        image = imaging.ensure_alpha(image)
    return image.rotate(angle, background=imaging.background_for(image, params.background))


@register("flip")
def flip(image: pyvips.Image, params: edit_pb2.Flip, ctx: RenderContext) -> pyvips.Image:
    """Mirror horizontally and/or vertically."""
    if params.horizontal:
        image = image.fliphor()
    if params.vertical:
        image = image.flipver()
    return image
