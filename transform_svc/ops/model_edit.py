"""Model-backed edits whose model slot may be empty (generative fill, variations,
background change, prompt edits, image generation, upscale, retouch).

The gateway validates their parameters fully; here we check the named Triton
model slot and answer 501 ``model_unavailable`` until a model is deployed.
"""

from __future__ import annotations

import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc.context import RenderContext
from transform_svc.errors import model_not_deployed
from transform_svc.ops import register


async def require_model(params: edit_pb2.ModelEdit, ctx: RenderContext) -> None:
    """Check the op's model slot (used before any work is done, too).

    Raises:
        TransformError: model_unavailable (501) naming the Triton model slot.
    """
    deployed = await ctx.inference.is_model_ready(params.model)
    detail = "is loaded but has no pipeline yet" if deployed else "is not deployed"
    raise model_not_deployed(
        f"{params.operation} needs Triton model '{params.model}', which {detail} "
        "in model_repository/"
    )


@register("model_edit", sequential=True)
async def model_edit(
    image: pyvips.Image, params: edit_pb2.ModelEdit, ctx: RenderContext
) -> pyvips.Image:
    """Raises:
    TransformError: model_unavailable (501) naming the Triton model slot.
    """
    await require_model(params, ctx)
    return image
