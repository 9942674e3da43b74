"""Dominant colours as Android's Palette picks them (vibrant, light vibrant,
dark vibrant, muted, light muted, dark muted), for imgproxy's ``/info``
``dominant_colors``.

The image's colours are quantised to 5 bits a channel and cut by median cut
(the box with the widest channel split at its population's median) into at
most MAX_SWATCHES swatches, each the population-weighted mean of its box.
Each target then takes the unused swatch within its HSL lightness and
saturation ranges that scores best on closeness to its targets and on
population (weights 0.24 saturation, 0.52 lightness, 0.24 population).
Source: androidx.palette ``Palette``, ``ColorCutQuantizer`` and ``Target``
(https://developer.android.com/reference/androidx/palette/graphics/Target).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SWATCHES = 16  # Palette's default maximum colour count
WEIGHTS = (0.24, 0.52, 0.24)  # saturation, lightness, population


@dataclass(frozen=True)
class Target:
    """A target's HSL ranges (0..1): (minimum, target, maximum)."""

    name: str
    lightness: tuple[float, float, float]
    saturation: tuple[float, float, float]


VIBRANT_S, MUTED_S = (0.35, 1.0, 1.0), (0.0, 0.3, 0.4)
LIGHT_L, NORMAL_L, DARK_L = (0.55, 0.74, 1.0), (0.3, 0.5, 0.7), (0.0, 0.26, 0.45)
# In Palette's order of selection (a swatch serves one target only).
TARGETS = (
    Target("light_vibrant", LIGHT_L, VIBRANT_S),
    Target("vibrant", NORMAL_L, VIBRANT_S),
    Target("dark_vibrant", DARK_L, VIBRANT_S),
    Target("light_muted", LIGHT_L, MUTED_S),
    Target("muted", NORMAL_L, MUTED_S),
    Target("dark_muted", DARK_L, MUTED_S),
)


def swatches(rgb: np.ndarray, max_swatches: int = MAX_SWATCHES) -> list[tuple[np.ndarray, int]]:
    """Median-cut swatches of ``uint8[N,3]`` RGB pixels: (mean RGB 0..255,
    population), largest first."""
    codes = rgb.astype(np.int64) >> 3  # 5 bits a channel
    keys, counts = np.unique(codes[:, 0] << 10 | codes[:, 1] << 5 | codes[:, 2], return_counts=True)
    colors = np.stack([keys >> 10 & 31, keys >> 5 & 31, keys & 31], axis=1)
    boxes = [np.arange(len(keys))]
    while len(boxes) < max_swatches:
        splittable = [i for i, b in enumerate(boxes) if len(b) > 1]
        if not splittable:
            break
        index = max(splittable, key=lambda i: np.ptp(colors[boxes[i]], axis=0).max())
        box = boxes.pop(index)
        channel = int(np.ptp(colors[box], axis=0).argmax())
        box = box[np.argsort(colors[box, channel], kind="stable")]
        cumulative = np.cumsum(counts[box])
        cut = int(np.searchsorted(cumulative, cumulative[-1] / 2)) + 1
        cut = min(max(cut, 1), len(box) - 1)
        boxes += [box[:cut], box[cut:]]
    found = []
    for box in boxes:
        weight = counts[box]
        mean = (colors[box] * 8 + 4).T @ weight / weight.sum()  # 5-bit centres back to 8 bits
        found.append((mean, int(weight.sum())))
    return sorted(found, key=lambda s: -s[1])


def hsl(color: np.ndarray) -> tuple[float, float]:
    """(saturation, lightness) 0..1 of an RGB 0..255 colour (HSL)."""
    r, g, b = (float(c) / 255 for c in color)
    high, low = max(r, g, b), min(r, g, b)
    lightness = (high + low) / 2
    if high == low:
        return 0.0, lightness
    return (high - low) / (1 - abs(2 * lightness - 1)), lightness


def dominant_colors(rgb: np.ndarray) -> dict[str, tuple[int, int, int]]:
    """The targets Palette finds in ``uint8[N,3]`` RGB pixels, by name
    (a target no swatch fits is left out)."""
    if not len(rgb):
        return {}
    found = swatches(rgb)
    most = max(population for _, population in found)
    used: set[int] = set()
    picked = {}
    for target in TARGETS:
        best, best_score = -1, -1.0
        for i, (color, population) in enumerate(found):
            s, light = hsl(color)
            if i in used or not (
                target.saturation[0] <= s <= target.saturation[2]
                and target.lightness[0] <= light <= target.lightness[2]
            ):
                continue
            score = (
                WEIGHTS[0] * (1 - abs(s - target.saturation[1]))
                + WEIGHTS[1] * (1 - abs(light - target.lightness[1]))
                + WEIGHTS[2] * population / most
            )
            if score > best_score:
                best, best_score = i, score
        if best >= 0:
            used.add(best)
            r, g, b = (int(round(c)) for c in found[best][0])
            picked[target.name] = (r, g, b)
    return picked
