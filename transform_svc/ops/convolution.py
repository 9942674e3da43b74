"""``convolution``: a user's kernel over every band (thumbor's convolution
filter, https://thumbor.readthedocs.io/en/latest/convolution.html)."""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import invalid
from transform_svc.ops import register

MAX_SIDE = 15  # px of kernel per side: larger kernels are a blur's job


def kernel_rows(params: edit_pb2.Convolution) -> list[list[float]]:
    """The kernel as rows, normalised when asked.

    Raises:
        TransformError: invalid_parameter when the values do not fill odd
            rows of ``columns`` (odd, 1..15).
    """
    values, columns = list(params.kernel), params.columns
    if not values or not 1 <= columns <= MAX_SIDE or len(values) % columns:
        raise invalid("a convolution kernel must fill rows of `columns` values")
    rows = len(values) // columns
    if columns % 2 == 0 or rows % 2 == 0 or rows > MAX_SIDE:
        raise invalid("a convolution kernel needs odd sides of at most 15")
    total = sum(values)
    if params.normalize and total != 0:
        values = [v / total for v in values]
    return [values[r * columns : (r + 1) * columns] for r in range(rows)]


@register("convolution", sequential=True)
def convolution(
    image: pyvips.Image, params: edit_pb2.Convolution, ctx: RenderContext
) -> pyvips.Image:
    """Correlate every band (alpha included, as thumbor) with the kernel in
    float; the border pixels repeat beyond the edges; cast back to uchar."""
    rows = kernel_rows(params)
    mid_y, mid_x = len(rows) // 2, len(rows[0]) // 2
    mask = pyvips.Image.new_from_list(rows, scale=1)
    padded = image.embed(
        mid_x, mid_y, image.width + 2 * mid_x, image.height + 2 * mid_y, extend="copy"
    )
    out = padded.conv(mask, precision="float").crop(mid_x, mid_y, image.width, image.height)
    return out.cast("uchar").copy(interpretation=image.interpretation)
