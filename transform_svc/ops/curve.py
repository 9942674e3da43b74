"""``curve``: tone curves through control points (thumbor's curve filter)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import invalid
from transform_svc.lut import apply_lut
from transform_svc.ops import register

Points = Sequence[edit_pb2.Curve.Point]


def _second_derivatives(xs: list[int], ys: list[int]) -> list[float]:
    """y'' at each point of the natural cubic spline (y'' = 0 at both ends),
    by the tridiagonal solve thumbor's ``_curve.c`` makes."""
    n = len(xs)
    lower, diag, upper = [0.0] * n, [0.0] * n, [0.0] * n
    rhs = [0.0] * n
    diag[0] = diag[n - 1] = 1.0
    for i in range(1, n - 1):
        lower[i] = (xs[i] - xs[i - 1]) / 6
        diag[i] = (xs[i + 1] - xs[i - 1]) / 3
        upper[i] = (xs[i + 1] - xs[i]) / 6
        rhs[i] = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) - (ys[i] - ys[i - 1]) / (
            xs[i] - xs[i - 1]
        )
    for i in range(1, n):
        k = lower[i] / diag[i - 1]
        diag[i] -= k * upper[i - 1]
        rhs[i] -= k * rhs[i - 1]
    for i in range(n - 2, -1, -1):
        k = upper[i] / diag[i + 1]
        rhs[i] -= k * rhs[i + 1]
    return [rhs[i] / diag[i] for i in range(n)]


def curve_table(points: Points) -> np.ndarray:
    """uint8[256]: the value each input 0..255 maps to. Below the first
    point, the first point's y; from the last point on, the last y; between,
    the spline rounded and clipped. No points: the identity.

    Raises:
        TransformError: invalid_parameter when x or y lies outside 0..255 or
            the x are not increasing.
    """
    if not points:
        return np.arange(256, dtype=np.uint8)
    xs, ys = [p.x for p in points], [p.y for p in points]
    if max(xs + ys) > 255 or any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
        raise invalid("curve points need x increasing and x, y within 0..255")
    sd = _second_derivatives(xs, ys)
    table = np.full(256, ys[0], dtype=np.float64)
    for i in range(len(xs) - 1):
        h = xs[i + 1] - xs[i]
        x = np.arange(xs[i], xs[i + 1], dtype=np.float64)
        b = (x - xs[i]) / h
        a = 1 - b
        y = a * ys[i] + b * ys[i + 1] + (h * h / 6) * ((a**3 - a) * sd[i] + (b**3 - b) * sd[i + 1])
        table[xs[i] : xs[i + 1]] = np.clip(np.round(y), 0, 255)
    table[xs[-1] :] = ys[-1]
    return table.astype(np.uint8)


@register("curve", sequential=True)
def curve(image: pyvips.Image, params: edit_pb2.Curve, ctx: RenderContext) -> pyvips.Image:
    """Each colour band through its own curve, then through ``all_bands``;
    alpha kept."""
    every = curve_table(params.all_bands)
    table = np.stack(
        [every[curve_table(band)] for band in (params.red, params.green, params.blue)], axis=1
    )
    return apply_lut(image, table)
