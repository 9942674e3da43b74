"""Source and output limits, checked from the image header before any pixel
is decoded (imgproxy's ``IMGPROXY_MAX_SRC_RESOLUTION`` idea): a 65536 x 65536
PNG of a few KB is refused with 413 without allocating its 16 GB of pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from transform_svc.errors import too_large


@dataclass(frozen=True)
class Limits:
    """Safe defaults; each is configurable (IMGMESH_MAX_* in __main__).

    Attributes:
        max_source_bytes: encoded source size, bytes.
        max_pixels: source width x height (all frames together), px.
        max_side: largest source width or height, px.
        max_frames: most animation frames / pages.
        max_output_pixels: output width x height, px.
    """

    max_source_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_side: int = 30_000
    max_frames: int = 500
    max_output_pixels: int = 100_000_000


DEFAULT_LIMITS = Limits()


def check_source(header: pyvips.Image, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an over-limit source from its header.

    Raises:
        TransformError: image_too_large (413) naming the limit.
    """
    pages = header.get("n-pages") if header.get_typeof("n-pages") else 1
    w, h = header.width, header.height
    if pages > limits.max_frames:
        raise too_large(f"source has {pages} frames; limit {limits.max_frames}")
    if max(w, h) > limits.max_side:
        raise too_large(f"source is {w}x{h} px; the largest side allowed is {limits.max_side}")
    # For animations the header describes one frame: count every frame.
    if w * h * max(pages, 1) > limits.max_pixels:
        raise too_large(f"source is {w}x{h} px x {pages} frame(s); limit {limits.max_pixels} px")


def check_output(width: int, height: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raises TransformError image_too_large when the output would be too big."""
    if width * height > limits.max_output_pixels:
        raise too_large(f"output would be {width}x{height} px; limit {limits.max_output_pixels} px")
