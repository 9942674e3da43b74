"""``Analyze``: the object classes in a source image (auto-tagging).

The source is decoded and letterboxed to the detector's 416 x 416 input by a
render worker (crash-contained, like every decode of untrusted bytes); this
process only reads back the PNG it asked for and runs YOLOv3-tiny in Triton.
"""

from __future__ import annotations

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2, transform_pb2
from inference import object_detection
from inference.client import InferenceClient, ModelUnavailableError
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


async def analyze(
    request: transform_pb2.AnalyzeRequest,
    origin: Origin,
    pool: RenderPool,
    inference: InferenceClient,
    timeout_s: float,
) -> transform_pb2.AnalyzeReply:
    """Labels found in ``request.source``, best first.

    Raises:
        TransformError: the source's errors (not found, undecodable, too
            large), model_unavailable when Triton cannot run the detector.
    """
    graph = letterbox_graph(request.source)
    fetched = None
    if request.source.WhichOneof("kind") != "origin_path":
        fetched = await origin.fetch(request.source)
    out = await pool.render(graph, fetched.data if fetched else None, timeout_s)
    try:
        outputs = await object_detection.infer(inference, to_batch(out.data))
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    threshold = max(request.min_confidence, object_detection.SCORE_THRESHOLD)
    found = object_detection.labels(outputs, threshold)
    if request.max_labels:
        found = found[: request.max_labels]
    return transform_pb2.AnalyzeReply(
        labels=[transform_pb2.Label(name=name, confidence=score) for name, score in found]
    )
