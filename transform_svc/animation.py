"""Animated GIF/WebP: decode every frame, run the steps frame by frame, and
join them back (libvips keeps frames stacked vertically, ``page-height`` px
each, with ``delay`` in ms per frame and ``loop`` count).

Only GIF and WebP outputs keep the animation; other formats get the first frame.
"""

from __future__ import annotations

from collections.abc import Callable

import pyvips

from transform_svc import imaging

ANIMATED_LOADERS = ("gifload", "webpload")


def is_animated(header: pyvips.Image) -> bool:
    """More than one frame, from a loader whose frames are an animation (the
    frame count is bounded by ``Limits.max_frames``, checked first)."""
    loader = header.get("vips-loader").removesuffix("_buffer").removesuffix("_source")
    pages = header.get("n-pages") if header.get_typeof("n-pages") else 1
    return loader in ANIMATED_LOADERS and pages > 1


def page_height(image: pyvips.Image) -> int:
    """Height of one frame (the whole image if it has no frames)."""
    if image.get_typeof("page-height"):
        height = image.get("page-height")
        if 0 < height < image.height and image.height % height == 0:
            return height
    return image.height


def first_frame(image: pyvips.Image) -> pyvips.Image:
    """The first frame alone (no-op for a still image)."""
    height = page_height(image)
    return image if height == image.height else image.crop(0, 0, image.width, height)


def map_frames(
    buffer: bytes, step: Callable[[pyvips.Image], pyvips.Image], frames: int = -1
) -> pyvips.Image:
    """Decode the first ``frames`` frames (-1: all), apply ``step`` to each
    (sRGB, upright), join them.

    Raises:
        pyvips.Error: undecodable data; frames that come out different sizes.
    """
    stacked = pyvips.Image.new_from_buffer(buffer, "", n=frames)
    height = page_height(stacked)
    count = stacked.height // height
    pages = [
        step(imaging.to_srgb(stacked.crop(0, i * height, stacked.width, height)))
        for i in range(count)
    ]
    joined = pyvips.Image.arrayjoin(pages, across=1).copy()
    joined.set_type(pyvips.GValue.gint_type, "page-height", pages[0].height)
    for name in ("delay", "loop"):
        if stacked.get_typeof(name):
            joined.set_type(stacked.get_typeof(name), name, stacked.get(name))
    return joined
