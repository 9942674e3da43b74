"""Android Palette's dominant colours (transform_svc/palette.py), on pixels
whose swatches are known."""

from __future__ import annotations

import numpy as np

from transform_svc.palette import dominant_colors, hsl, swatches


def _pixels(*parts: tuple[tuple[int, int, int], int]) -> np.ndarray:
    return np.concatenate([np.tile(np.array(c, np.uint8), (n, 1)) for c, n in parts])


def test_each_target_takes_the_swatch_in_its_ranges() -> None:
    pixels = _pixels(((255, 0, 0), 600), ((20, 20, 80), 300), ((200, 190, 190), 100))
    found = dominant_colors(pixels)
    assert set(found) == {"vibrant", "dark_vibrant", "light_muted"}
    for name, expected in {
        "vibrant": (255, 0, 0),
        "dark_vibrant": (20, 20, 80),
        "light_muted": (200, 190, 190),
    }.items():
        assert np.abs(np.array(found[name]) - expected).max() <= 4, name  # 5-bit quantisation


def test_swatches_are_population_weighted_and_capped() -> None:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, size=(5000, 3), dtype=np.uint8)
    found = swatches(pixels)
    assert len(found) == 16 and sum(p for _, p in found) == 5000
    assert [p for _, p in found] == sorted((p for _, p in found), reverse=True)
    ((mean, population),) = swatches(_pixels(((9, 9, 9), 10)))  # one colour: one swatch
    assert population == 10 and mean.tolist() == [12, 12, 12]  # 5-bit cell 1's centre


def test_hsl() -> None:
    assert hsl(np.array([255, 0, 0])) == (1.0, 0.5)
    assert hsl(np.array([128, 128, 128]))[0] == 0.0
    assert dominant_colors(_pixels(((128, 128, 128), 50))) == {"muted": (132, 132, 132)}
