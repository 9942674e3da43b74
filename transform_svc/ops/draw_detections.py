"""``draw_detections``: the detected faces and objects outlined and
labelled (imgproxy Pro's ``dd``,
https://docs.imgproxy.net/usage/processing#draw-detections)."""

from __future__ import annotations

import asyncio
import zlib

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.detections import Found, detect
from transform_svc.ops import register

LINE_PX = 2  # the outline's width
# Outline colours, one per class (by CRC-32 of its name), opaque sRGB.
PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230))  # fmt: skip


def color_of(name: str) -> tuple[int, int, int]:
    """The outline colour of a class (stable across renders)."""
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


def _draw(image: pyvips.Image, found: list[Found]) -> pyvips.Image:
    for name, score, left, top, width, height in found:
        ink = [*color_of(name), 255][: image.bands]
        for inset in range(LINE_PX):
            w, h = width - 2 * inset, height - 2 * inset
            if w > 0 and h > 0:
                image = image.draw_rect(ink, left + inset, top + inset, w, h, fill=False)
        label = pyvips.Image.text(f"{name} {score:.2f}", dpi=96, font="sans 8")
        if label.width > 0 and label.height > 0:
            x, y = left + LINE_PX, top + LINE_PX
            layer = (label.new_from_image(ink[:3]).bandjoin(label)).copy(interpretation="srgb")
            base = image if image.hasalpha() else image.bandjoin(255)
            placed = base.composite2(layer.cast("uchar"), "over", x=x, y=y).cast("uchar")
            image = placed if image.hasalpha() else placed.extract_band(0, n=3)
    return image


@register("draw_detections")
async def draw_detections(
    image: pyvips.Image, params: edit_pb2.DrawDetections, ctx: RenderContext
) -> pyvips.Image:
    """Each detected box of ``params.classes`` outlined (2 px, a colour per
    class) and labelled with its class and confidence."""
    image = await asyncio.to_thread(image.copy_memory)
    found = await detect(image, list(params.classes), ctx)
    return await asyncio.to_thread(_draw, image, found) if found else image
