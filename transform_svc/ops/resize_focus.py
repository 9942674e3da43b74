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

import pyvips

from contract.vocabulary import DETECTED_FOCUS
from imgmesh.v1 import edit_pb2
from inference.client import ModelUnavailableError
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.detections import (
    DETECTION_SIDE,
    Detection,
    detect,
    find_faces,
    find_objects,
    record_regions,
)
from transform_svc.errors import model_unavailable
from transform_svc.ops import register_prepare, register_reduced_load, resize  # resize first
from transform_svc.shrink_on_load import jpeg_thumbnail


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


def _px(dim: edit_pb2.Dimension) -> bool:
    return dim.WhichOneof("value") == "px"


@register_reduced_load("resize")
def detection_load(
    buffer: bytes, params: edit_pb2.Resize, ctx: RenderContext
) -> pyvips.Image | None:
    """The source decoded at the scale s = max(w/W, h/H, DETECTION_SIDE/max(W, H))
    for a detected-focus cover crop to w x h px (thumbor's ``smart``,
    ``fo-face``): the crop window then still holds at least w x h px and the
    detectors get the pixels they would take from the full image, so a 12 MP
    JPEG is decoded at libjpeg's 1/4 (1008x756) instead of in full. The focus
    box is found, and the crop made, in the reduced image's px.

    Returns:
        The upright sRGB W*s x H*s image; None (decode in full) for other
        modes, sides that are not px (ratios and ``orig`` are of the size the
        op sees), or s > 1/2 (too little to gain).
    """
    mode = params.crop_mode or edit_pb2.CROP_MODE_MAINTAIN_RATIO
    if (
        not needs_detection(params)
        or mode != edit_pb2.CROP_MODE_MAINTAIN_RATIO
        or not (_px(params.width) and _px(params.height))
    ):
        return None
    header = imaging.load(buffer)
    full_w, full_h = imaging.upright_size(header)
    w, h = resize.target_box(params, full_w, full_h)
    if not w or not h:
        return None
    scale = max(w / full_w, h / full_h, DETECTION_SIDE / max(full_w, full_h))
    if scale > 0.5:
        return None
    size = max(1, round(full_w * scale)), max(1, round(full_h * scale))
    fast = jpeg_thumbnail(
        buffer, header, (full_w, full_h), size[0], height=size[1], size="force", crop="none"
    )
    if fast is None:
        fast = pyvips.Image.thumbnail_buffer(buffer, size[0], height=size[1], size="force")
    return imaging.to_srgb(fast, apply_icc=False)


@register_prepare("resize", needs_detection)
async def detect_focus(
    image: pyvips.Image, params: edit_pb2.Resize, ctx: RenderContext
) -> tuple[pyvips.Image, edit_pb2.Resize]:
    """Fill ``focus_box`` for fo-face / fo-<object> / several classes
    (``focus_objects``; nothing found: centre focus).

    Raises:
        TransformError: model_unavailable when Triton cannot run the detector;
            invalid_parameter for an unknown class.
    """
    if not needs_detection(params):
        return image, params
    image = await asyncio.to_thread(image.copy_memory)
    if params.focus_objects:  # several classes: their detections together
        classes = list(params.focus_objects)
        found: list[Detection] = [
            (score, left, top, left + width, top + height)
            for _, score, left, top, width, height in await detect(image, classes, ctx)
        ]
    else:
        try:
            if params.focus == edit_pb2.FOCUS_FACE:
                found = await find_faces(image, ctx)
            else:
                found = await find_objects(image, params.focus_object, ctx)
        except ModelUnavailableError as exc:
            raise model_unavailable(str(exc)) from exc
        origin = "face" if params.focus == edit_pb2.FOCUS_FACE else params.focus_object
        record_regions(found, image, origin)
    resolved = edit_pb2.Resize()
    resolved.CopyFrom(params)
    if found:
        window = resize.crop_window(params, image.width, image.height)
        resolved.focus_box.CopyFrom(focus_box(found, window, image.width, image.height))
    else:
        resolved.focus = edit_pb2.FOCUS_CENTER
    return image, resolved
