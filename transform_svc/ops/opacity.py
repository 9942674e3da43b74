"""``opacity``: multiply the alpha (ImageKit ``o``, ``al`` of layers)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.alpha import join_alpha, split_alpha
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("opacity", sequential=True)
def opacity(image: pyvips.Image, params: edit_pb2.Opacity, ctx: RenderContext) -> pyvips.Image:
    """Multiply the alpha by ``opacity`` (0..1), adding an opaque alpha first
    (ImageKit ``o``, https://imagekit.io/docs/effects-and-enhancements#opacity---o;
    ``al`` of text and solid-colour layers)."""
    rgb, alpha = split_alpha(imaging.ensure_alpha(image))
    assert alpha is not None
    return join_alpha(rgb, (alpha * max(0.0, min(1.0, params.opacity))).cast("uchar"))
