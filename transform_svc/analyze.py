"""``Analyze``: the object classes in a source image (auto-tagging), and
on request the faces and objects with their boxes and the mean colour
(imgproxy's ``/info``).

The source is decoded and letterboxed to the detector's 416 x 416 input by a
render worker (crash-contained, like every decode of untrusted bytes); this
process only reads back the PNG it asked for and runs YOLOv3-tiny in Triton.
"""

from __future__ import annotations

import numpy as np
import pyvips

from contract.object_classes import DETECTED_CLASSES
from imgmesh.v1 import edit_pb2, transform_pb2
from inference import object_detection
from inference.client import ModelUnavailableError
from transform_svc import palette
from transform_svc.context import RenderContext
from transform_svc.detections import DETECTION_SIDE, detect
from transform_svc.errors import model_unavailable
from transform_svc.origin import Origin
from transform_svc.workers import RenderPool

GREY = edit_pb2.Color(r=128, g=128, b=128, a=255)  # darknet's letterbox fill


def letterbox_graph(source: edit_pb2.Source) -> edit_pb2.EditGraph:
    """``source`` fitted into the detector's square input on grey, as PNG."""
    size = edit_pb2.Dimension(px=object_detection.SIZE)
    return edit_pb2.EditGraph(
        source=source,
        steps=[
            edit_pb2.Step(
                resize=edit_pb2.Resize(
                    width=size,
                    height=size,
                    crop_mode=edit_pb2.CROP_MODE_PAD_RESIZE,
                    background=GREY,
                )
            )
        ],
        encode=edit_pb2.Encode(format=edit_pb2.FORMAT_PNG),
    )


def to_batch(png: bytes) -> np.ndarray:
    """Our own letterboxed PNG -> ``float32[1,3,416,416]`` RGB 0..1."""
    image = pyvips.Image.new_from_buffer(png, "")
    if image.hasalpha():
        image = image.flatten(background=[128, 128, 128])
    pixels = image.cast("uchar").numpy()[..., :3].astype(np.float32) / 255.0
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])


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


def average_color(image: pyvips.Image, keep_transparent: bool) -> edit_pb2.Color:
    """The mean of each band (alpha 255 without one), over the px whose alpha
    is not 0 unless ``keep_transparent`` (all of them when every px is)."""
    pixels = image.cast("uchar").numpy().reshape(-1, image.bands).astype(np.float64)
    if image.bands in (2, 4):
        seen = pixels[pixels[:, -1] > 0]
        if not keep_transparent and seen.size:
            pixels = seen
    else:
        pixels = np.hstack([pixels, np.full((len(pixels), 1), 255.0)])
    if pixels.shape[1] == 2:  # grey + alpha
        pixels = pixels[:, [0, 0, 0, 1]]
    r, g, b, a = (round(v) for v in pixels.mean(axis=0))
    return edit_pb2.Color(r=r, g=g, b=b, a=a)


async def _extras(
    request: transform_pb2.AnalyzeRequest,
    reply: transform_pb2.AnalyzeReply,
    fetched: bytes | None,
    pool: RenderPool,
    ctx: RenderContext,
    timeout_s: float,
) -> None:
    """The objects, mean colour and dominant colours asked for, on the source fitted to the
    detectors' side (decoded by a worker; this process reads our own PNG)."""
    out = await pool.render(fitted_graph(request.source), fetched, timeout_s)
    image = pyvips.Image.new_from_buffer(out.data, "")
    if request.average_color:
        reply.average.CopyFrom(average_color(image, request.average_keeps_transparent))
    if request.dominant_colors:
        pixels = image.cast("uchar").numpy().reshape(-1, image.bands)
        if image.bands in (2, 4):
            pixels = pixels[pixels[:, -1] > 0]
        rgb = pixels[:, [0, 0, 0]] if image.bands <= 2 else pixels[:, :3]
        for name, (r, g, b) in palette.dominant_colors(rgb).items():
            reply.dominant_colors[name].CopyFrom(edit_pb2.Color(r=r, g=g, b=b, a=255))
    if request.detect_objects:
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


async def analyze(
    request: transform_pb2.AnalyzeRequest,
    origin: Origin,
    pool: RenderPool,
    ctx: RenderContext,
    timeout_s: float,
) -> transform_pb2.AnalyzeReply:
    """Labels found in ``request.source``, best first; and the objects and
    mean colour when asked.

    Raises:
        TransformError: the source's errors (not found, undecodable, too
            large), model_unavailable when Triton cannot run the detector.
    """
    fetched = None
    if request.source.WhichOneof("kind") != "origin_path":
        fetched = (await origin.fetch(request.source)).data
    reply = transform_pb2.AnalyzeReply()
    if request.detect_objects or request.average_color or request.dominant_colors:
        await _extras(request, reply, fetched, pool, ctx, timeout_s)
    if request.skip_labels:
        return reply
    out = await pool.render(letterbox_graph(request.source), fetched, timeout_s)
    try:
        outputs = await object_detection.infer(ctx.inference, to_batch(out.data))
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    threshold = max(request.min_confidence, object_detection.SCORE_THRESHOLD)
    found = object_detection.labels(outputs, threshold)
    if request.max_labels:
        found = found[: request.max_labels]
    reply.labels.extend(transform_pb2.Label(name=name, confidence=score) for name, score in found)
    return reply
