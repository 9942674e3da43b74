"""The detectors' front: the faces (BlazeFace) and COCO objects
(YOLOv3-tiny) found in an image, in Triton, as px boxes of the image; for
detected focus (``fo-face``, ``fo-<object>``, imgproxy's ``g:obj``), thumbor's
``debug/``, and imgproxy Pro's ``blur_detections`` / ``draw_detections``
(https://docs.imgproxy.net/usage/processing#blur-detections)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pyvips

from contract.object_classes import COCO_CLASSES
from imgmesh.v1 import transform_pb2
from inference import face_detection, object_detection
from inference.client import ModelUnavailableError
from transform_svc.context import RENDER_REPORT, RenderContext
from transform_svc.errors import invalid, model_unavailable
from transform_svc.imaging import resize_exact

FACE = "face"
# px, the longest side detection needs: the face tiles are cut at WORK_SIDE,
# the object detector letterboxes to SIZE (smaller)
DETECTION_SIDE = max(face_detection.WORK_SIDE, object_detection.SIZE)

Detection = tuple[float, float, float, float, float]  # score, left, top, right, bottom (px)


def face_tiles(image: pyvips.Image) -> tuple[float, list[face_detection.Region], np.ndarray]:
    """Scale ``image`` to at most WORK_SIDE px and cut the model's regions.

    Returns:
        (scale of the working image relative to ``image``, regions,
        ``uint8[N,256,256,3]`` RGB tiles).
    """
    rgb = image.flatten(background=[0, 0, 0]) if image.hasalpha() else image
    scale = min(1.0, face_detection.WORK_SIDE / max(rgb.width, rgb.height))
    work = rgb.resize(scale) if scale < 1.0 else rgb
    work = work.copy_memory()
    regions = face_detection.plan_regions(work.width, work.height)
    size = face_detection.SIZE
    tiles = []
    for r in regions:
        square = work.embed(-r.left, -r.top, r.side, r.side, extend="black")
        tile = resize_exact(square, size, size) if r.side != size else square
        tiles.append(tile.cast("uchar").numpy()[:size, :size, :3])
    return scale, regions, np.stack(tiles)


def letterbox(image: pyvips.Image, size: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Fit ``image`` into ``size``x``size`` on grey (darknet's letterbox).

    Returns:
        (``float32[1,3,size,size]`` RGB 0..1, scale source->input, (left, top) pad px).
    """
    rgb = image.flatten(background=[128, 128, 128]) if image.hasalpha() else image
    scale = size / max(rgb.width, rgb.height)
    fitted = resize_exact(rgb, max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    left, top = (size - fitted.width) // 2, (size - fitted.height) // 2
    canvas = fitted.embed(left, top, size, size, extend="background", background=[128, 128, 128])
    pixels = canvas.cast("uchar").numpy()[:size, :size, :3].astype(np.float32) / 255.0
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None]), scale, (left, top)


async def find_objects(image: pyvips.Image, name: str, ctx: RenderContext) -> list[Detection]:
    """The detected ``name`` objects, px in ``image``.

    Raises:
        ModelUnavailableError: Triton cannot run the detector.
    """
    batch, scale, pad = await asyncio.to_thread(letterbox, image, object_detection.SIZE)
    found = await object_detection.detect(ctx.inference, batch, name, scale, pad)
    return [(float(score), *map(float, box[:4])) for score, box in found]  # type: ignore[misc]


async def find_faces(image: pyvips.Image, ctx: RenderContext) -> list[Detection]:
    """The detected faces, px in ``image``.

    Raises:
        ModelUnavailableError: Triton cannot run the detector.
    """
    scale, regions, tiles = await asyncio.to_thread(face_tiles, image)
    faces = await face_detection.detect(ctx.inference, tiles, regions)
    return [
        (f.score, f.left / scale, f.top / scale, f.right / scale, f.bottom / scale) for f in faces
    ]


def record_regions(found: list[Detection], image: pyvips.Image, origin: str) -> None:
    """Add detections (px in ``image``) to the render's reported focal
    regions (normalised 0..1), when a render is recording them."""
    report = RENDER_REPORT.get()
    if report is None:
        return
    report.focal_regions.extend(
        transform_pb2.FocalRegion(
            left=d[1] / image.width,
            top=d[2] / image.height,
            right=d[3] / image.width,
            bottom=d[4] / image.height,
            score=d[0],
            origin=origin,
        )
        for d in found
    )


Found = tuple[str, float, int, int, int, int]  # class, score 0..1, left, top, width, height px


async def detect(image: pyvips.Image, classes: Sequence[str], ctx: RenderContext) -> list[Found]:
    """The detections of ``classes`` ("face" and COCO names; none = all of
    them) in ``image``, boxes clamped to it, best first.

    Raises:
        TransformError: invalid_parameter for another name; model_unavailable
            when Triton cannot run a detector.
    """
    objects = [c for c in classes if c != FACE]
    unknown = [c for c in objects if c not in COCO_CLASSES]
    if unknown:
        raise invalid(f"{unknown[0]} is not a detected class (face or a COCO class)")
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
                record_regions([(score, *map(float, box[:4]))], image, name)
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    boxes = []
    for name, score, x0, y0, x1, y1 in sorted(found, key=lambda f: -f[1]):
        left, top = max(0, round(x0)), max(0, round(y0))
        right, bottom = min(image.width, round(x1)), min(image.height, round(y1))
        if right > left and bottom > top:
            boxes.append((name, score, left, top, right - left, bottom - top))
    return boxes
