"""``pixelate``: the image in blocks of one colour each (imgproxy ``pixelate``,
https://docs.imgproxy.net/usage/processing#pixelate; Cloudinary ``e_pixelate``)."""

from __future__ import annotations

import math

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.ops import register


@register("pixelate")
def pixelate(image: pyvips.Image, params: edit_pb2.Pixelate, ctx: RenderContext) -> pyvips.Image:
    """The image in blocks of ``params.size`` px (:func:`blocks`)."""
    return blocks(image, params.size)


def blocks(image: pyvips.Image, size: int) -> pyvips.Image:
    """Blocks of ``size`` px, each the mean of the pixels it covers (libvips
    ``shrink``, then ``zoom``), cropped back to the image's size; alpha
    averaged premultiplied; ``size`` <= 1 leaves the image unchanged."""
    if size <= 1:
        return image
    size = min(size, max(image.width, image.height))
    w, h = math.ceil(image.width / size) * size, math.ceil(image.height / size) * size
    work = image.premultiply() if image.hasalpha() else image.cast("float")
    # zero-padded to whole blocks; dividing by the covered share of each block
    # makes a partial block the mean of the pixels it does cover
    total = work.embed(0, 0, w, h, extend="black").shrink(size, size)
    covered = (pyvips.Image.black(image.width, image.height) + 1).embed(0, 0, w, h, extend="black")
    means = total / covered.shrink(size, size)
    blocks = means.zoom(size, size).crop(0, 0, image.width, image.height)
    if image.hasalpha():
        blocks = blocks.unpremultiply()
    return blocks.cast("uchar").copy(interpretation=image.interpretation)
