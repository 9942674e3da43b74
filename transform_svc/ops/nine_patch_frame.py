"""``nine_patch_frame``: a nine-patch frame drawn around the image (Android's
9-patch format, https://developer.android.com/studio/write/draw9patch;
thumbor's ``frame`` filter, thumbor/ext/filters/_nine_patch.c)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.errors import impossible, unsupported
from transform_svc.ops import register

MARK = np.array([0, 0, 0, 255])  # opaque black: the 9-patch border's mark
WHITE = [255, 255, 255, 255]  # thumbor pads with an opaque white canvas


@dataclass(frozen=True)
class NinePatch:
    """A 9-patch's layout, px of the patch without its 1 px border.

    Attributes:
        columns / rows: (start, length, stretches) runs along each axis.
        padding: (left, top, right, bottom) of the content.
    """

    columns: list[tuple[int, int, bool]]
    rows: list[tuple[int, int, bool]]
    padding: tuple[int, int, int, int]


def _runs(marks: np.ndarray) -> list[tuple[int, int, bool]]:
    runs: list[tuple[int, int, bool]] = []
    start = 0
    for i in range(1, len(marks) + 1):
        if i == len(marks) or marks[i] != marks[start]:
            runs.append((start, i - start, bool(marks[start])))
            start = i
    return runs


def _first_last(marks: np.ndarray) -> tuple[int, int]:
    found = np.flatnonzero(marks)
    if found.size == 0:
        return 0, 0
    return int(found[0]), int(len(marks) - 1 - found[-1])


def layout(patch: np.ndarray) -> NinePatch:
    """Read the border marks of an RGBA uint8[H, W, 4] 9-patch.

    Raises:
        TransformError: impossible_edit for a patch under 3 x 3 px.
    """
    if patch.shape[0] < 3 or patch.shape[1] < 3:
        raise impossible("a nine-patch frame needs at least 3 x 3 px")

    def marked(line: np.ndarray) -> np.ndarray:
        return (line == MARK).all(axis=-1)

    top, left = marked(patch[0, 1:-1]), marked(patch[1:-1, 0])
    bottom, right = marked(patch[-1, 1:-1]), marked(patch[1:-1, -1])
    pad_left, pad_right = _first_last(bottom)
    pad_top, pad_bottom = _first_last(right)
    return NinePatch(_runs(top), _runs(left), (pad_left, pad_top, pad_right, pad_bottom))


def _targets(runs: list[tuple[int, int, bool]], target: int) -> list[int]:
    """Target lengths of the runs: fixed ones as they are, the stretching ones
    sharing what is left by their share of the patch, rounded half up."""
    stretchy = sum(n for _, n, s in runs if s)
    room = max(0, target - (sum(n for _, n, _ in runs) - stretchy))
    return [int(n / stretchy * room + 0.5) if s else n for _, n, s in runs]


def _cell(
    patch: pyvips.Image, sx: int, sy: int, sw: int, sh: int, tw: int, th: int
) -> pyvips.Image:
    """A patch cell stretched to tw x th by _nine_patch.c's bilinear sampling
    (target px x reads source x * (sw - 1) / tw)."""
    index = pyvips.Image.xyz(tw, th) * [(sw - 1) / tw, (sh - 1) / th] + [sx, sy]
    return patch.mapim(index, interpolate=pyvips.Interpolate.new("bilinear"))


def draw(image: pyvips.Image, patch_image: pyvips.Image) -> pyvips.Image:
    """The image padded (opaque white) and framed; output RGBA."""
    rgba = imaging.ensure_alpha(imaging.to_srgb(patch_image, apply_icc=False)).cast("uchar")
    pixels = np.asarray(rgba.numpy())
    plan = layout(pixels)
    left, top, right, bottom = plan.padding
    image = imaging.ensure_alpha(image)
    padded = image.embed(
        left,
        top,
        image.width + left + right,
        image.height + top + bottom,
        extend="background",
        background=WHITE,
    )
    inner = rgba.crop(1, 1, rgba.width - 2, rgba.height - 2)
    canvas = pyvips.Image.black(padded.width, padded.height, bands=4).copy(interpretation="srgb")
    widths, heights = _targets(plan.columns, padded.width), _targets(plan.rows, padded.height)
    ty = 0
    for (sy, sh, _), th in zip(plan.rows, heights, strict=True):
        tx = 0
        for (sx, sw, _), tw in zip(plan.columns, widths, strict=True):
            # _nine_patch.c skips a cell that would not fit (rounding overflow)
            if tw and th and tx + tw <= padded.width and ty + th <= padded.height:
                canvas = canvas.insert(_cell(inner, sx, sy, sw, sh, tw, th), tx, ty)
            tx += tw
        ty += th
    frame_alpha = canvas[3] / 255.0
    colour = canvas.extract_band(0, n=3) * frame_alpha + padded.extract_band(0, n=3) * (
        padded[3] / 255.0
    ) * (1 - frame_alpha)
    return colour.cast("uchar").bandjoin(padded[3]).copy(interpretation="srgb")


@register("nine_patch_frame", sequential=True)
async def nine_patch_frame(
    image: pyvips.Image, params: edit_pb2.NinePatchFrame, ctx: RenderContext
) -> pyvips.Image:
    """Frame the image with the rendered 9-patch (thumbor's ``frame``).

    Raises:
        TransformError: the frame source's errors; impossible_edit for a
            patch under 3 x 3 px.
    """
    if ctx.render_layer is None:
        raise unsupported("frames are not available here")
    patch = await ctx.render_layer(params.image, (image.width, image.height))
    image = await asyncio.to_thread(image.copy_memory)
    return await asyncio.to_thread(draw, image, patch)
