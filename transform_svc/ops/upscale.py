"""Upscale x4 with Real-ESRGAN in Triton (tiled, see inference/upscale.py).
Alpha, if any, is upscaled by libvips (lanczos3) and rejoined."""

from __future__ import annotations

import asyncio

import numpy as np
import pyvips

from imgmesh.v1 import edit_pb2
from inference import upscale as esrgan
from inference.client import ModelUnavailableError
from transform_svc.context import RenderContext
from transform_svc.errors import invalid, model_unavailable, too_large
from transform_svc.ops import register

# The output may hold at most 16 MP, so the input at most 1 MP.
MAX_INPUT_PIXELS = 16_000_000 // (esrgan.SCALE * esrgan.SCALE)


def _rgb_pixels(image: pyvips.Image) -> np.ndarray:
    rgb = image.extract_band(0, n=3) if image.hasalpha() else image
    return rgb.cast("uchar").numpy()


def _join(rgb: np.ndarray, image: pyvips.Image) -> pyvips.Image:
    out = pyvips.Image.new_from_array(rgb, interpretation="srgb")
    if image.hasalpha():
        alpha = image[image.bands - 1].resize(esrgan.SCALE, kernel="lanczos3")
        out = out.bandjoin(alpha.crop(0, 0, out.width, out.height).cast("uchar"))
    return out


@register("upscale", sequential=True)
async def upscale(
    image: pyvips.Image, params: edit_pb2.Upscale, ctx: RenderContext
) -> pyvips.Image:
    """4x the width and height.

    Raises:
        TransformError: image_too_large above ``max_width`` x ``max_height``
            when set, else above 1 MP input (16 MP output); model_unavailable
            when Triton cannot serve the model.
    """
    if params.max_width and (image.width > params.max_width or image.height > params.max_height):
        raise too_large(
            f"upscale ({params.quality or 'fast'}) accepts up to "
            f"{params.max_width}x{params.max_height} px ({image.width}x{image.height} given)"
        )
    if image.width * image.height > MAX_INPUT_PIXELS:
        raise too_large(
            f"upscale works on images up to {MAX_INPUT_PIXELS} px ({image.width}x{image.height} "
            "given): resize first, e.g. w-1000:e-upscale"
        )
    model = esrgan.MODELS.get(params.quality or "fast")
    if model is None:
        raise invalid(f"upscale quality {params.quality!r}; allowed: {', '.join(esrgan.MODELS)}")
    pixels = await asyncio.to_thread(_rgb_pixels, image)
    try:
        out = await esrgan.upscale(ctx.inference, model, pixels)
    except ModelUnavailableError as exc:
        raise model_unavailable(str(exc)) from exc
    return await asyncio.to_thread(_join, out, image)
