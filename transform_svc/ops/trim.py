"""``trim``: crop away borders of a corner pixel's colour (ImageKit ``t``,
https://imagekit.io/docs/effects-and-enhancements; thumbor ``trim``,
https://thumbor.readthedocs.io/en/latest/usage.html#trim)."""

from __future__ import annotations

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.alpha import split_alpha
from transform_svc.context import RENDER_REPORT, RenderContext
from transform_svc.ops import register

Box = tuple[int, int, int, int]  # left, top, width, height px


def content_box(image: pyvips.Image, distance: float, bottom_right: bool) -> Box | None:
    """thumbor's bounding box: the px whose Euclidean distance over all bands
    from the corner's colour exceeds ``distance``, as (left, top, width,
    height); None when there are none (thumbor then leaves the image)."""
    corner = (image.width - 1, image.height - 1) if bottom_right else (0, 0)
    reference = image.getpoint(*corner)
    difference = image.cast("float") - reference
    content = (difference * difference).bandmean() * image.bands > distance * distance
    columns, rows = content.ifthenelse(1, 0).cast("uchar").project()
    xs = np.flatnonzero(np.asarray(columns.numpy()).ravel())
    ys = np.flatnonzero(np.asarray(rows.numpy()).ravel())
    if xs.size == 0:
        return None
    return int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)


def _find_trim(image: pyvips.Image, params: edit_pb2.Trim) -> Box | None:
    rgb, _ = split_alpha(image)
    background = imaging.set_color(params, "background")
    if background is None:
        corner = (rgb.width - 1, rgb.height - 1) if params.bottom_right else (0, 0)
        reference = rgb.getpoint(*corner)
    else:
        reference = [background.r, background.g, background.b][: rgb.bands]
    left, top, width, height = rgb.find_trim(threshold=params.threshold or 10, background=reference)
    return None if width == 0 or height == 0 else (left, top, width, height)


def equal_margins(box: Box, size: tuple[int, int], horizontal: bool, vertical: bool) -> Box:
    """``box`` grown so the margins it leaves on opposite sides are equal,
    the smaller of the two (imgproxy vips.c ``vips_trim``)."""
    left, top, width, height = box
    if horizontal:
        right = size[0] - left - width
        width += max(right - left, 0) + max(left - right, 0)
        left = min(left, right)
    if vertical:
        bottom = size[1] - top - height
        height += max(bottom - top, 0) + max(top - bottom, 0)
        top = min(top, bottom)
    return left, top, width, height


@register("trim")
def trim(image: pyvips.Image, params: edit_pb2.Trim, ctx: RenderContext) -> pyvips.Image:
    """Crop to the content: libvips find_trim at ``threshold`` 1..99 against
    ``background`` or the corner's colour, or thumbor's exact box with
    ``color_distance``; margins evened out on request; the last trim of a render
    reports the box it kept (RenderReply.trimmed)."""
    if params.HasField("color_distance"):
        box = content_box(image, params.color_distance, params.bottom_right)
    else:
        box = _find_trim(image, params)
    if box is not None and (params.equal_horizontal or params.equal_vertical):
        size = (image.width, image.height)
        box = equal_margins(box, size, params.equal_horizontal, params.equal_vertical)
    report = RENDER_REPORT.get()
    if box is None or box == (0, 0, image.width, image.height):
        if report is not None:  # the report is the last trim's
            report.ClearField("trimmed")
        return image
    if report is not None:
        left, top, width, height = box
        report.trimmed.CopyFrom(edit_pb2.Box(left=left, top=top, width=width, height=height))
    return image.extract_area(*box)
