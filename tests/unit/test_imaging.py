"""transform_svc.imaging.resize_exact: exact sizes and centre-aligned pixels,
the property model inputs and the mattes mapped back from them rely on."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips

from transform_svc.imaging import resize_exact


def _line_image(length: int, at: int, across: int = 8) -> pyvips.Image:
    """``across`` x ``length`` px, black with one white row at ``at``."""
    pixels = np.zeros((length, across), dtype=np.uint8)
    pixels[at, :] = 255
    return pyvips.Image.new_from_array(pixels)


def _centroid(column: np.ndarray) -> float:
    weights = column.astype(float)
    return float((weights * np.arange(len(weights))).sum() / weights.sum())


@pytest.mark.parametrize(
    ("source", "target"), [(480, 1024), (683, 1024), (3000, 1024), (1024, 480), (320, 4000)]
)
def test_a_row_keeps_its_centre_when_resized(source: int, target: int) -> None:
    """Pixel centre ``y + 0.5`` maps to ``(y + 0.5) * s``: the line's centre of
    mass lands within 0.1 output px of that, enlarging and shrinking alike
    (``thumbnail_image`` enlarges half an output px low)."""
    at = source * 2 // 5
    out = resize_exact(_line_image(source, at), 8, target)
    assert (out.width, out.height) == (8, target)
    expected = (at + 0.5) * target / source - 0.5
    assert abs(_centroid(out.numpy()[:, 4]) - expected) < 0.1


@pytest.mark.parametrize(
    ("size", "target"),
    [
        ((854, 480), (1024, 1024)),
        ((1023, 1025), (1024, 1024)),
        ((7, 5), (320, 320)),
        ((5108, 3421), (1024, 1024)),
        ((1024, 1024), (5108, 3421)),
    ],
)
def test_output_is_exactly_the_target_size_with_no_black_edges(
    size: tuple[int, int], target: tuple[int, int]
) -> None:
    image = pyvips.Image.black(*size, bands=3) + 200
    out = resize_exact(image.cast("uchar"), *target)
    assert (out.width, out.height, out.bands) == (*target, 3)
    assert out.min() >= 199  # edges extend by copy, never fade to black


def test_a_zero_target_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1x1"):
        resize_exact(pyvips.Image.black(4, 4), 0, 4)
