"""AI drop shadow (ImageKit ``e-dropshadow``) from the subject's alpha mask.

The subject's silhouette is projected away from a light at ``azimuth`` degrees
(compass bearing of the light, 0 = top, clockwise) and ``elevation`` degrees
above the ground: the lower the light, the longer the offset
(``offset = height * 0.15 / tan(elevation)``, capped at 40 % of the height).
The shadow softens with distance (sigma = 2 % of the height + 25 % of the
offset) and has ``saturation`` % opacity. It needs a transparent input, so it
is chained after ``e-bgremove``.

Photoroom's ``shadow.mode`` uses the same silhouette, projected onto the
ground instead: ``ai.soft``/``ai.hard`` squash it to a thin band at the
subject's base (a contact shadow; soft is wider and lighter), ``ai.floating``
puts a wider, more blurred band a little below the base, as under an object
hovering above the floor. Constants below are chosen by eye on product photos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.alpha import shadow_layer, subject_box
from transform_svc.context import RenderContext
from transform_svc.errors import impossible
from transform_svc.ops import register

Style = edit_pb2.DropShadow


@dataclass(frozen=True)
class GroundShadow:
    """A silhouette squashed onto the ground plane (ratios of the subject height).

    Attributes:
        squash: vertical scale of the silhouette.
        gap: how far below the subject's base the squashed silhouette's base lies.
        sigma: gaussian blur.
        opacity: 0..1 at the darkest.
    """

    squash: float
    gap: float
    sigma: float
    opacity: float


GROUND_SHADOWS = {
    Style.STYLE_CONTACT_SOFT: GroundShadow(squash=0.12, gap=0.05, sigma=0.025, opacity=0.55),
    Style.STYLE_CONTACT_HARD: GroundShadow(squash=0.06, gap=0.025, sigma=0.008, opacity=0.75),
    Style.STYLE_FLOATING: GroundShadow(squash=0.10, gap=0.20, sigma=0.03, opacity=0.45),
}


def ground_shadow(image: pyvips.Image, shape: GroundShadow) -> pyvips.Image:
    """RGBA in, RGBA out (same size): the silhouette squashed to ``shape.squash``
    of its height, its base ``shape.gap`` below the subject's, blurred, under the subject."""
    alpha = image[image.bands - 1]
    box = subject_box(image)
    if box is None:
        return image
    base = box.y + box.h
    k = shape.squash
    ody = base * (1 - k) + shape.gap * box.h
    shade = alpha.affine(
        [1, 0, 0, k], odx=0, ody=ody, oarea=[0, 0, image.width, image.height], extend="black"
    )
    shade = shade.gaussblur(max(shape.sigma * box.h, 0.5))
    shade = (shade.cast("float") * shape.opacity).cast("uchar")
    return shadow_layer(image.width, image.height, shade).composite2(image, "over").cast("uchar")


def cast_shadow(image: pyvips.Image, params: edit_pb2.DropShadow) -> pyvips.Image:
    """RGBA in, RGBA out (same size): shadow composited under the subject."""
    if not image.hasalpha():
        raise impossible("e-dropshadow needs a transparent image: chain it after e-bgremove")
    if params.style in GROUND_SHADOWS:
        return ground_shadow(image, GROUND_SHADOWS[params.style])
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
