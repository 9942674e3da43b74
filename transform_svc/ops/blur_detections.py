"""``blur_detections``: the detected faces and objects blurred (imgproxy
Pro's ``bd``, https://docs.imgproxy.net/usage/processing#blur-detections)."""

from __future__ import annotations

import asyncio

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.detections import Found, detect
from transform_svc.ops import register
from transform_svc.ops.pixelate import blocks


def _blur(image: pyvips.Image, found: list[Found], params: edit_pb2.BlurDetections) -> pyvips.Image:
    mask = pyvips.Image.black(image.width, image.height)
    for *_, left, top, width, height in found:
        mask = mask.draw_rect(255, left, top, width, height, fill=True)
    if params.pixelate > 1:
        blurred = blocks(image, params.pixelate)
    else:
        blurred = image.gaussblur(params.sigma).cast(image.format)
    return (mask > 0).ifthenelse(blurred, image)


@register("blur_detections")
async def blur_detections(
    image: pyvips.Image, params: edit_pb2.BlurDetections, ctx: RenderContext
) -> pyvips.Image:
    """Each detected box of ``params.classes`` blurred (gaussian, ``sigma``
    px; alpha blurred with the colour) or pixelated (blocks of ``pixelate`` px)."""
    image = await asyncio.to_thread(image.copy_memory)
    found = await detect(image, list(params.classes), ctx)
    if not found or (params.sigma <= 0 and params.pixelate <= 1):
        return image
    return await asyncio.to_thread(_blur, image, found, params)
