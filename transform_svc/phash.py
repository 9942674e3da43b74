"""The perceptual hash ImageKit's metadata API reports (``pHash``): the DCT
hash of Zauner, "Implementation and Benchmarking of Perceptual Image Hash
Functions" (2010), as the ImageHash library computes it
(https://github.com/JohannesBuchner/imagehash ``phash``): the image as 32 x 32
px of luminance, its 2-D DCT-II, the top-left 8 x 8 coefficients compared
with their median, 64 bits as 16 hex digits."""

from __future__ import annotations

import numpy as np
import pyvips

SIDE = 32  # px the image is reduced to (hash_size 8 x highfreq_factor 4)
BITS = 8  # the low-frequency block's side


def _dct_matrix(n: int) -> np.ndarray:
    """``float64[n,n]``: row k is the DCT-II basis cos(pi (2i + 1) k / 2n)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * i + 1) * k / (2 * n))


def phash(image: pyvips.Image) -> str:
    """16 hex digits for ``image`` (any size and bands; alpha flattened on black).

    Similar images differ in few bits (Hamming distance); the hash does not
    change with scaling or mild compression."""
    if image.hasalpha():
        image = image.flatten(background=[0])
    grey = image.colourspace("b-w")[0]
    small = grey.thumbnail_image(SIDE, height=SIDE, size="force")
    pixels = small.cast("float").numpy().astype(np.float64).reshape(SIDE, SIDE)
    basis = _dct_matrix(SIDE)
    coefficients = basis @ pixels @ basis.T
    low = coefficients[:BITS, :BITS]
    bits = (low > np.median(low)).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"
