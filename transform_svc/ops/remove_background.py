"""Background removal: a segmentation model in Triton predicts a matte at model
size; libvips upsamples it to full resolution and joins it as the alpha band."""

from __future__ import annotations

import asyncio

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from inference.client import ModelUnavailableError
from inference.segmentation import MODELS, SegmentationModel
from transform_svc.context import RenderContext
from transform_svc.errors import invalid, model_unavailable
from transform_svc.imaging import resize_exact
from transform_svc.ops import register


def model_input(image: pyvips.Image, model: SegmentationModel) -> np.ndarray:
    """Squash the RGB bands to ``uint8[size,size,3]`` (aspect ignored, as the model was trained)."""
    rgb = image.flatten(background=[255, 255, 255]) if image.hasalpha() else image
    small = resize_exact(rgb, model.size, model.size).cast("uchar")
    return small.numpy()


def join_matte(image: pyvips.Image, matte: np.ndarray) -> pyvips.Image:
    """Upsample ``uint8[s,s]`` matte to the image size and use it as alpha (RGBA out)."""
    alpha = pyvips.Image.new_from_array(matte).cast("uchar")
    alpha = resize_exact(alpha, image.width, image.height)
    rgb = image.extract_band(0, n=3) if image.bands > 3 else image
    return rgb.bandjoin(alpha.cast("uchar"))


@register("remove_background", sequential=True)
async def remove_background(
    image: pyvips.Image, params: edit_pb2.RemoveBackground, ctx: RenderContext
) -> pyvips.Image:
    """Cut out the salient subject: RGBA out, background alpha ~0, subject ~255
    (``invert``: the reverse). ``keep_existing_alpha``: a source with
    transparency is returned as is.

    Raises:
        TransformError: invalid_parameter for an unknown model; model_unavailable
            when Triton cannot serve it.
    """
    name = params.model or ctx.segmentation_model
    model = MODELS.get(name)
    if model is None:
        raise invalid(f"unknown segmentation model {name!r}; allowed: {', '.join(MODELS)}")
    # Render once: the alpha check, the model input and the output all read these pixels.
    image = await asyncio.to_thread(image.copy_memory)
    if params.keep_existing_alpha and image.hasalpha() and image[image.bands - 1].min() < 255:
        return image  # keepExistingAlphaChannel=auto: the source's transparency is the cut-out
    pixels = await asyncio.to_thread(model_input, image, model)
    try:
        output = await ctx.inference.infer(
            model.name, model.input_name, model.preprocess(pixels), model.output_name
        )
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    matte = model.postprocess(output)
    if params.invert:
        matte = 255 - matte
    return await asyncio.to_thread(join_matte, image, matte)
