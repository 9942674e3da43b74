"""``linear``: libvips ``linear`` on the colour bands, out = in * multiply +
add clipped to 0..255 (thumbor's brightness, contrast, rgb and colorize,
https://thumbor.readthedocs.io/en/latest/filters.html)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.errors import invalid
from transform_svc.ops import register


def _vector(values: list[float], default: float, name: str) -> list[float]:
    if len(values) not in (0, 1, 3):
        raise invalid(f"linear {name} takes 1 or 3 values")
    return list(values) if values else [default]


@register("linear", sequential=True)
def linear(image: pyvips.Image, params: edit_pb2.Linear, ctx: RenderContext) -> pyvips.Image:
    """Each colour band times ``multiply`` plus ``add`` (0..255 scale), cast
    back to uchar (libvips clips); alpha kept.

    Raises:
        TransformError: invalid_parameter for a vector of 2 or more than 3.
    """
    multiply = _vector(list(params.multiply), 1.0, "multiply")
    add = _vector(list(params.add), 0.0, "add")
    if multiply == [1.0] and add == [0.0]:
        return image
    rgb, alpha = split_alpha(image)
    return join_alpha(rgb.linear(multiply, add), alpha)
