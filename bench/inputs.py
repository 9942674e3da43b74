"""The benchmark's inputs, shared by every table: real photos from
``../shared/data`` (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared" / "data"
# 3024 x 4032 = 12.2 MP camera JPEG from the segmentation set.
TWELVE_MP = SHARED / "segmentation/images/dis5k_te1_furniture_easel_41350193222.jpg"
# Real photos scaled to ~1 MP (1155 x 866) for background removal.
ONE_MP_SOURCES = [
    "segmentation/images/humanseg_011.jpg",
    "segmentation/images/humanseg_045.jpg",
    "segmentation/images/davis16_dog_00000.jpg",
    "segmentation/images/davis16_camel_00000.jpg",
    "photos/thumbor/800px-Katherine_Maher.jpg",
    "photos/skimage/astronaut.png",
    "photos/skimage/coffee.png",
    "segmentation/images/davis16_cows_00000.jpg",
]
