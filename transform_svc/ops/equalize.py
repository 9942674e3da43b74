"""``equalize``: histogram equalisation of each colour band
(https://en.wikipedia.org/wiki/Histogram_equalization, thumbor's equalize)."""

from __future__ import annotations

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.lut import apply_lut, band_histograms
from transform_svc.ops import register


def equalize_table(histograms: np.ndarray) -> np.ndarray:
    """The equalising table of each band, as thumbor's ``_equalize.c`` computes it.

    out(v) = (cdf(v) - cdf_min) / (pixels - cdf_min) * 255, truncated, with
    cdf(v) = 0 for values no pixel has. thumbor takes cdf_min of every band at
    the lowest value where *any* band first has pixels (0 for the bands that
    have none there), and this keeps that. A band of one value is left as is.

    Args:
        histograms: int64[256, 3], px per value and band.
    Returns:
        uint8[256, 3].
    """
    area = int(histograms[:, 0].sum())
    cumulative = np.where(histograms > 0, np.cumsum(histograms, axis=0), 0)
    first = int(np.argmax((cumulative != 0).any(axis=1)))
    table = np.tile(np.arange(256, dtype=np.float64)[:, None], (1, 3))
    for band in range(3):
        lowest = int(cumulative[first, band])
        if area > lowest:
            table[:, band] = (cumulative[:, band] - lowest) / (area - lowest) * 255.0
    return np.clip(np.trunc(table), 0, 255).astype(np.uint8)


@register("equalize")
def equalize(image: pyvips.Image, params: edit_pb2.Equalize, ctx: RenderContext) -> pyvips.Image:
    """Each colour band through its equalising table; alpha kept. Two passes
    (the histogram, then the table), so not sequential."""
    return apply_lut(image, equalize_table(band_histograms(image)))
