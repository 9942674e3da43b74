"""``focus_outline``: the focal regions drawn as 1 px rectangles, to see what
a crop centres on (thumbor's ``debug/``, thumbor/transformer.py ``debug``)."""

from __future__ import annotations

import asyncio

import pyvips

from imgmesh.v1 import edit_pb2
from inference.client import ModelUnavailableError
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.detections import find_faces, record_regions
from transform_svc.errors import model_unavailable
from transform_svc.ops import register

POINT_SIDE = 10  # px: thumbor draws a focal point of side <= 1 this wide
WHITE = edit_pb2.Color(r=255, g=255, b=255, a=255)


def outline_box(box: edit_pb2.Box) -> tuple[int, int, int, int]:
    """(left, top, width, height) px of the outline of ``box``: a side of 1 px
    or less becomes 10 px around the centre; thumbor's Pillow rectangle
    includes both end rows and columns, hence the + 1."""
    cx, cy = box.left + box.width // 2, box.top + box.height // 2
    w = box.width if box.width > 1 else POINT_SIDE
    h = box.height if box.height > 1 else POINT_SIDE
    return cx - w // 2, cy - h // 2, w + 1, h + 1


def _draw(image: pyvips.Image, boxes: list[edit_pb2.Box], color: edit_pb2.Color) -> pyvips.Image:
    ink = imaging.background_for(image, color)
    for box in boxes:
        left, top, width, height = outline_box(box)
        image = image.draw_rect(ink, left, top, width, height, fill=False)
    return image


@register("focus_outline", sequential=True)
async def focus_outline(
    image: pyvips.Image, params: edit_pb2.FocusOutline, ctx: RenderContext
) -> pyvips.Image:
    """Outline ``params.boxes`` and, with ``detect_faces``, the faces found
    (reported as the render's focal regions too).

    Raises:
        TransformError: model_unavailable when Triton cannot run the detector.
    """
    image = await asyncio.to_thread(image.copy_memory)
    boxes = list(params.boxes)
    if params.detect_faces:
        try:
            found = await find_faces(image, ctx)
        except ModelUnavailableError as exc:
            raise model_unavailable(str(exc)) from exc
        record_regions(found, image, "face")
        boxes += [
            edit_pb2.Box(left=round(x0), top=round(y0), width=round(x1 - x0), height=round(y1 - y0))
            for _, x0, y0, x1, y1 in found
        ]
    color = imaging.set_color(params, "color") or WHITE
    return await asyncio.to_thread(_draw, image, boxes, color)
