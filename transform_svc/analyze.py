"""``Analyze``: the object classes in a source image (auto-tagging), and
on request the faces and objects with their boxes, the mean and dominant
colours (imgproxy's ``/info``) and the perceptual hash (ImageKit's metadata).

The source is decoded and fitted to the detectors' 512 px by a render worker
(crash-contained, like every decode of untrusted bytes); this process only
reads back the PNG it asked for, letterboxes it for YOLOv3-tiny and runs the
detectors in Triton.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pyvips

from contract.object_classes import DETECTED_CLASSES
from imgmesh.v1 import edit_pb2, transform_pb2
from inference import object_detection
from inference.client import ModelUnavailableError
from transform_svc import palette
from transform_svc.context import RenderContext
from transform_svc.detections import DETECTION_SIDE, detect, letterbox
from transform_svc.errors import model_unavailable
from transform_svc.origin import Origin
from transform_svc.phash import phash
from transform_svc.workers import RenderPool


def fitted_graph(source: edit_pb2.Source) -> edit_pb2.EditGraph:
    """``source`` fitted into the detectors' working side (no enlarging), PNG
    with its alpha."""
    side = edit_pb2.Dimension(px=DETECTION_SIDE)
    resize = edit_pb2.Resize(width=side, height=side, crop_mode=edit_pb2.CROP_MODE_AT_MAX)
    return edit_pb2.EditGraph(
        source=source,
        steps=[edit_pb2.Step(resize=resize)],
        encode=edit_pb2.Encode(format=edit_pb2.FORMAT_PNG),
    )


def rgba_pixels(image: pyvips.Image) -> np.ndarray:
    """``uint8[N,4]`` RGBA of every px (grey spread to RGB, alpha 255 without one)."""
    pixels = image.cast("uchar").numpy().reshape(-1, image.bands)
    colour, alpha = (pixels[:, :-1], pixels[:, -1:]) if image.bands in (2, 4) else (pixels, None)
    if colour.shape[1] == 1:
        colour = np.repeat(colour, 3, axis=1)
    if alpha is None:
        alpha = np.full((len(pixels), 1), 255, np.uint8)
    return np.hstack([colour, alpha])


def average_color(rgba: np.ndarray, keep_transparent: bool) -> edit_pb2.Color:
    """The mean of each band of ``uint8[N,4]`` RGBA px, over those whose alpha
    is not 0 unless ``keep_transparent`` (all of them when every px is)."""
    seen = rgba[rgba[:, 3] > 0]
    pixels = rgba if keep_transparent or not len(seen) else seen
    r, g, b, a = (round(v) for v in pixels.astype(np.float64).mean(axis=0))
    return edit_pb2.Color(r=r, g=g, b=b, a=a)


async def _objects(
    request: transform_pb2.AnalyzeRequest,
    reply: transform_pb2.AnalyzeReply,
    image: pyvips.Image,
    ctx: RenderContext,
) -> None:
    """Every face and COCO object over the threshold, boxes as fractions."""
    threshold = max(request.min_confidence, object_detection.SCORE_THRESHOLD)
    rgb = image.flatten(background=[0, 0, 0]) if image.hasalpha() else image
    for name, score, left, top, width, height in await detect(rgb, DETECTED_CLASSES, ctx):
        if score >= threshold:
            reply.objects.add(
                class_name=name,
                confidence=score,
                left=left / image.width,
                top=top / image.height,
                width=width / image.width,
                height=height / image.height,
            )


async def _labels(
    request: transform_pb2.AnalyzeRequest,
    reply: transform_pb2.AnalyzeReply,
    image: pyvips.Image,
    ctx: RenderContext,
) -> None:
    """The COCO classes found, best score first (auto-tagging)."""
    batch, _, _ = await asyncio.to_thread(letterbox, image, object_detection.SIZE)
    try:
        outputs = await object_detection.infer(ctx.inference, batch)
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    threshold = max(request.min_confidence, object_detection.SCORE_THRESHOLD)
    found = object_detection.labels(outputs, threshold)
    if request.max_labels:
        found = found[: request.max_labels]
    reply.labels.extend(transform_pb2.Label(name=name, confidence=score) for name, score in found)


async def analyze(
    request: transform_pb2.AnalyzeRequest,
    origin: Origin,
    pool: RenderPool,
    ctx: RenderContext,
    timeout_s: float,
) -> transform_pb2.AnalyzeReply:
    """Labels found in ``request.source``, best first; and the objects, the
    mean colour and the dominant colours when asked; all on one fit of the
    source to the detectors' side.

    Raises:
        TransformError: the source's errors (not found, undecodable, too
            large), model_unavailable when Triton cannot run a detector.
    """
    fetched = None
    if request.source.WhichOneof("kind") != "origin_path":
        fetched = (await origin.fetch(request.source)).data
    out = await pool.render(fitted_graph(request.source), fetched, timeout_s)
    image = pyvips.Image.new_from_buffer(out.data, "")  # our own PNG
    reply = transform_pb2.AnalyzeReply()
    if request.average_color or request.dominant_colors:
        rgba = rgba_pixels(image)
        if request.average_color:
            reply.average.CopyFrom(average_color(rgba, request.average_keeps_transparent))
        if request.dominant_colors:
            colours = palette.dominant_colors(rgba[rgba[:, 3] > 0, :3])
            for name, (r, g, b) in colours.items():
                reply.dominant_colors[name].CopyFrom(edit_pb2.Color(r=r, g=g, b=b, a=255))
    if request.phash:
        reply.phash = await asyncio.to_thread(phash, image)
    if request.detect_objects:
        await _objects(request, reply, image, ctx)
    if not request.skip_labels:
        await _labels(request, reply, image, ctx)
    return reply
