"""Source and output limits applied to pixels: a 65536 x 65536 PNG of a few
KB is refused with 413 from its header, without allocating its 16 GB of
pixels. The bounds themselves are ``contract.limits.Limits``.
"""

from __future__ import annotations

import pyvips

from contract.limits import Limits
from transform_svc.errors import too_large

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
