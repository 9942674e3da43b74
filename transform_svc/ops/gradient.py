"""``gradient``: a linear gradient over the image (ImageKit ``e-gradient``,
https://imagekit.io/docs/effects-and-enhancements)."""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("gradient", sequential=True)
def gradient(image: pyvips.Image, params: edit_pb2.Gradient, ctx: RenderContext) -> pyvips.Image:
    """Overlay a linear gradient from ``from_color`` to ``to_color``.

    ``direction`` follows CSS ``linear-gradient`` angles: 0 = towards the top,
    90 = towards the right, 180 = towards the bottom (the default). The colour
    reaches ``to_color`` at ``stop_point`` (0..1) of the way across, or at
    ``stop_px`` px when ``stop_point`` is 0.
    """
    w, h = image.width, image.height
    angle = math.radians(params.direction)
    dx, dy = math.sin(angle), -math.cos(angle)
    half = (abs(w * dx) + abs(h * dy)) / 2 or 1.0
    xyz = pyvips.Image.xyz(w, h).cast("float")
    proj = (xyz[0] - w / 2) * dx + (xyz[1] - h / 2) * dy  # -half..half
    stop = params.stop_point * 2 * half if params.stop_point else float(params.stop_px or 2 * half)
    t = (proj + half) / max(stop, 1.0)
    t = (t < 0).ifthenelse(0, (t > 1).ifthenelse(1, t))
    f, to = params.from_color, params.to_color
    bands = [t * (getattr(to, c) - getattr(f, c)) + getattr(f, c) for c in ("r", "g", "b", "a")]
    overlay = bands[0].bandjoin(bands[1:]).cast("uchar").copy(interpretation="srgb")
    out = image.composite2(overlay, "over").cast("uchar")
    return out if image.hasalpha() else out.extract_band(0, n=3)
