"""AI drop shadow (ImageKit ``e-dropshadow``) from the subject's alpha mask.

The subject's silhouette is projected away from a light at ``azimuth`` degrees
(compass bearing of the light, 0 = top, clockwise) and ``elevation`` degrees
above the ground: the lower the light, the longer the offset
(``offset = height * 0.15 / tan(elevation)``, capped at 40 % of the height).
The shadow softens with distance (sigma = 2 % of the height + 25 % of the
offset) and has ``saturation`` % opacity. It needs a transparent input, so it
is chained after ``e-bgremove``.
"""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import impossible
from transform_svc.ops import register
from transform_svc.ops.effects import shadow_layer


def cast_shadow(image: pyvips.Image, params: edit_pb2.DropShadow) -> pyvips.Image:
    """RGBA in, RGBA out (same size): shadow composited under the subject."""
    if not image.hasalpha():
        raise impossible("e-dropshadow needs a transparent image: chain it after e-bgremove")
    azimuth = params.azimuth or 215.0
    elevation = min(max(params.elevation or 45.0, 1.0), 90.0)
    strength = (params.saturation or 60.0) / 100.0
    h = image.height
    length = min(h * 0.15 / math.tan(math.radians(elevation)), 0.4 * h)
    # Shadow falls opposite the light.
    dx = -math.sin(math.radians(azimuth)) * length
    dy = math.cos(math.radians(azimuth)) * length
    alpha = image[image.bands - 1]
    shade = alpha.affine(
        [1, 0, 0, 1], odx=dx, ody=dy, oarea=[0, 0, image.width, image.height], extend="black"
    )
    sigma = 0.02 * h + 0.25 * length
    shade = shade.gaussblur(max(sigma, 0.5))
    shade = (shade.cast("float") * strength).cast("uchar")
    black = shadow_layer(image.width, image.height, shade)
    return black.composite2(image, "over").cast("uchar")


@register("drop_shadow")
def drop_shadow(
    image: pyvips.Image, params: edit_pb2.DropShadow, ctx: RenderContext
) -> pyvips.Image:
    """See the module docstring. Raises TransformError impossible_edit without alpha."""
    return cast_shadow(image, params)
