"""Per-band lookup tables: a 256-entry table for each colour band applied with
libvips ``maplut`` (equalize, curve)."""

from __future__ import annotations

import numpy as np
import pyvips

from transform_svc.alpha import join_alpha, split_alpha


def apply_lut(image: pyvips.Image, table: np.ndarray) -> pyvips.Image:
    """Map each colour band of an 8-bit sRGB image through its column of
    ``table``; alpha kept.

    Args:
        image: uchar, 3 colour bands (+ alpha).
        table: uint8[256, 3], row = input value, column = R, G, B.
    """
    rgb, alpha = split_alpha(image)
    lut = pyvips.Image.new_from_memory(
        np.ascontiguousarray(table, dtype=np.uint8).tobytes(), 256, 1, 3, "uchar"
    )
    return join_alpha(rgb.cast("uchar").maplut(lut), alpha)


def band_histograms(image: pyvips.Image) -> np.ndarray:
    """The colour bands' histograms: int64[256, 3], count of px per value."""
    rgb, _ = split_alpha(image)
    return np.asarray(rgb.cast("uchar").hist_find().numpy(), dtype=np.int64).reshape(256, 3)
