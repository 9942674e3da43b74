"""Detected focus for resize: ``fo-face`` finds faces with BlazeFace and
``fo-<object>`` finds COCO objects with YOLOv3-tiny, both in Triton. The
focus box is the union of the most prominent detections (score x area) that
still fits the crop window together, so a crop never lands on the empty space
between subjects that do not fit: it always holds the most prominent one
(ImageKit frames the face(s), https://imagekit.io/docs/image-resize-and-crop#face-crop).
It is recorded as ``Resize.focus_box`` and the resize op crops around it
(see ``resize.focus_crop``). Nothing found: centre focus."""

from __future__ import annotations

import asyncio

import numpy as np
import pyvips

from contract.vocabulary import DETECTED_FOCUS
from imgmesh.v1 import edit_pb2
from inference import face_detection, object_detection
from inference.client import ModelUnavailableError
from transform_svc.context import RenderContext
from transform_svc.errors import model_unavailable
from transform_svc.imaging import resize_exact
from transform_svc.ops import register_prepare, resize  # registers resize first


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


Detection = tuple[float, float, float, float, float]  # score, left, top, right, bottom (px)


def focus_box(
    found: list[Detection], window: tuple[int, int] | None, width: int, height: int
) -> edit_pb2.Box:
    """The px box (clamped to the W x H image) around the detections to frame:
    the most prominent (score x area) first, then each next one whose union
    with those chosen still fits ``window`` (w, h px; None = no crop, keep all).

    Raises:
        ValueError: ``found`` is empty.
    """
    if not found:
        raise ValueError("no detections")
    ranked = sorted(found, key=lambda d: d[0] * (d[3] - d[1]) * (d[4] - d[2]), reverse=True)
    chosen = [ranked[0]]
    for candidate in ranked[1:]:
        trial = [*chosen, candidate]
        span_w = max(d[3] for d in trial) - min(d[1] for d in trial)
        span_h = max(d[4] for d in trial) - min(d[2] for d in trial)
        if window is None or (span_w <= window[0] and span_h <= window[1]):
            chosen = trial
    left = max(0.0, min(d[1] for d in chosen))
    top = max(0.0, min(d[2] for d in chosen))
    right = min(float(width), max(d[3] for d in chosen))
    bottom = min(float(height), max(d[4] for d in chosen))
    return edit_pb2.Box(
        left=int(left),
        top=int(top),
        width=max(1, int(right - left)),
        height=max(1, int(bottom - top)),
    )


def needs_detection(params: edit_pb2.Resize) -> bool:
    """fo-face / fo-<object> without a focus box yet."""
    return params.focus in DETECTED_FOCUS and not params.HasField("focus_box")


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


@register_prepare("resize", needs_detection)
async def detect_focus(
    image: pyvips.Image, params: edit_pb2.Resize, ctx: RenderContext
) -> tuple[pyvips.Image, edit_pb2.Resize]:
    """Fill ``focus_box`` for fo-face / fo-<object> (nothing found: centre focus).

    Raises:
        TransformError: model_unavailable when Triton cannot run the detector.
    """
    if not needs_detection(params):
        return image, params
    image = await asyncio.to_thread(image.copy_memory)
    try:
        if params.focus == edit_pb2.FOCUS_FACE:
            found = await find_faces(image, ctx)
        else:
            found = await find_objects(image, params.focus_object, ctx)
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    resolved = edit_pb2.Resize()
    resolved.CopyFrom(params)
    if found:
        window = resize.crop_window(params, image.width, image.height)
        resolved.focus_box.CopyFrom(focus_box(found, window, image.width, image.height))
    else:
        resolved.focus = edit_pb2.FOCUS_CENTER
    return image, resolved
