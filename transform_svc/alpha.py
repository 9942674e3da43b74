"""The alpha band: splitting it off and joining it back, the subject's
bounding box in a cut-out, and a black layer with a given alpha (shadows)."""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

ALPHA_SUBJECT = 128  # alpha at or above this counts as subject for the bounding box


def split_alpha(image: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    """(colour bands, alpha band or None when the image has no alpha)."""
    if image.hasalpha():
        return image.extract_band(0, n=image.bands - 1), image[image.bands - 1]
    return image, None


def join_alpha(rgb: pyvips.Image, alpha: pyvips.Image | None) -> pyvips.Image:
    """``rgb`` cast to uchar, with ``alpha`` appended when there is one."""
    rgb = rgb.cast("uchar")
    return rgb.bandjoin(alpha) if alpha is not None else rgb


def shadow_layer(width: int, height: int, alpha: pyvips.Image) -> pyvips.Image:
    """Black ``width`` x ``height`` px sRGB layer with the given uchar alpha band."""
    black = pyvips.Image.black(width, height, bands=3).cast("uchar")
    return black.bandjoin(alpha).copy(interpretation="srgb")


@dataclass(frozen=True)
class Box:
    """A px rectangle (left, top, width, height), floats allowed."""

    x: float
    y: float
    w: float
    h: float


def subject_box(image: pyvips.Image) -> Box | None:
    """Bounding box of alpha >= ALPHA_SUBJECT, or None when nothing is opaque enough."""
    alpha = image[image.bands - 1] >= ALPHA_SUBJECT
    # find_trim on the thresholded alpha (no median: line_art) = the bounding box.
    left, top, width, height = alpha.find_trim(threshold=0.5, background=[0], line_art=True)
    if width == 0 or height == 0:
        return None
    return Box(left, top, width, height)
