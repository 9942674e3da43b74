"""The faces (BlazeFace) and COCO objects (YOLOv3-tiny) of given classes
found in an image, for imgproxy Pro's ``blur_detections`` / ``draw_detections``
(https://docs.imgproxy.net/usage/processing#blur-detections)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pyvips

from inference import object_detection
from inference.client import ModelUnavailableError
from transform_svc.context import RenderContext
from transform_svc.errors import model_unavailable
from transform_svc.ops.resize_focus import find_faces, letterbox, record_regions

FACE = "face"

Found = tuple[str, float, int, int, int, int]  # class, score 0..1, left, top, width, height px


async def detect(image: pyvips.Image, classes: Sequence[str], ctx: RenderContext) -> list[Found]:
    """The detections of ``classes`` ("face" and COCO names; none = all of
    them) in ``image``, boxes clamped to it, best first.

    Raises:
        TransformError: model_unavailable when Triton cannot run a detector.
    """
    objects = [c for c in classes if c != FACE]
    found: list[tuple[str, float, float, float, float, float]] = []
    try:
        if not classes or FACE in classes:
            faces = await find_faces(image, ctx)
            record_regions(faces, image, FACE)
            found += [(FACE, *face) for face in faces]
        if not classes or objects:
            batch, scale, pad = await asyncio.to_thread(letterbox, image, object_detection.SIZE)
            outputs = await object_detection.infer(ctx.inference, batch)
            for name, score, box in object_detection.detect_classes(
                outputs, objects or None, scale, pad
            ):
                found.append((name, score, *map(float, box[:4])))
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    boxes = []
    for name, score, x0, y0, x1, y1 in sorted(found, key=lambda f: -f[1]):
        left, top = max(0, round(x0)), max(0, round(y0))
        right, bottom = min(image.width, round(x1)), min(image.height, round(y1))
        if right > left and bottom > top:
            boxes.append((name, score, left, top, right - left, bottom - top))
    return boxes
