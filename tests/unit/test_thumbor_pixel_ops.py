"""The ops thumbor's C filters became (linear, saturation, equalize, noise,
convolution, curve), the pad fills and max_bytes, checked pixel by pixel
against the C arithmetic of thumbor 7.8's ``thumbor/ext/filters/_*.c``
written out here in numpy, on a random RGB(A) image."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips

from imgmesh.v1 import edit_pb2
from transform_svc import encoding, ops
from transform_svc.ops.curve import curve_table
from transform_svc.ops.equalize import equalize_table

ops.load_all()
RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, size=(37, 53, 1), dtype=np.uint8)


def image(array: np.ndarray) -> pyvips.Image:
    return pyvips.Image.new_from_array(array).copy(interpretation="srgb")


def run(name: str, params: object, array: np.ndarray = RGB) -> np.ndarray:
    out = ops.REGISTRY[name].func(image(array), params, None)
    return np.asarray(out.numpy(), dtype=np.int64)


def clip(values: np.ndarray) -> np.ndarray:
    return np.clip(values, 0, 255).astype(np.int64)


def test_linear_is_brightness_rgb_and_colorize_exactly() -> None:
    x = RGB.astype(np.int64)
    # _brightness.c / _rgb.c: delta = 255 * d / 100 (ints), added, ADJUST_COLOR
    assert np.array_equal(run("linear", edit_pb2.Linear(add=[-76])), clip(x - 76))
    added = run("linear", edit_pb2.Linear(add=[25, -51, 76]))
    assert np.array_equal(added, clip(x + [25, -51, 76]))
    # _colorize.c: (pixel * (100 - p) + fill * p) / 100.0, stored as int
    p, fill = np.array([20, 40, 60]), np.array([255, 0, 128])
    colorized = run("linear", edit_pb2.Linear(multiply=(100 - p) / 100, add=fill * p / 100))
    assert np.array_equal(colorized, clip(np.trunc((x * (100 - p) + fill * p) / 100.0)))


def test_linear_is_thumbors_contrast_within_one_level() -> None:
    """_contrast.c divides ints (rounding toward zero below 128): 1 level apart at most."""
    k = (40 + 100) ** 2 // 100
    theirs = clip(np.trunc(k * (RGB.astype(np.int64) - 128) / 100) + 128)
    ours = run("linear", edit_pb2.Linear(multiply=[k / 100], add=[128 - 128 * k / 100]))
    assert np.abs(ours - theirs).max() <= 1


def test_linear_keeps_alpha() -> None:
    out = run("linear", edit_pb2.Linear(add=[50]), np.concatenate([RGB, ALPHA], axis=2))
    assert np.array_equal(out[..., 3], ALPHA[..., 0])


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])
def test_saturation_is_thumbors(factor: float) -> None:
    x = RGB.astype(np.float64)
    p = np.sqrt((x * x) @ np.array([0.299, 0.587, 0.114]))[..., None]
    theirs = clip(np.trunc(p + (x - p) * factor))  # _saturation.c, stored as int
    ours = run("saturation", edit_pb2.Saturation(factor=factor))
    assert np.abs(ours - theirs).max() <= 1  # float32 against C's float
    if factor == 0:
        assert (ours.max(axis=2) - ours.min(axis=2)).max() <= 1  # grey


def test_equalize_is_thumbors() -> None:
    ours = run("equalize", edit_pb2.Equalize())
    flat = RGB.reshape(-1, 3)
    theirs = np.empty_like(flat, dtype=np.int64)
    area = flat.shape[0]
    counts = [np.bincount(flat[:, b], minlength=256) for b in range(3)]
    cdfs = [np.where(c > 0, np.cumsum(c), 0) for c in counts]
    first = min(int(np.flatnonzero(c)[0]) for c in cdfs)  # _equalize.c's shared while loop
    for b in range(3):
        lowest = cdfs[b][first]
        theirs[:, b] = ((cdfs[b][flat[:, b]] - lowest) / (area - lowest) * 255.0).astype(int)
    assert np.array_equal(ours.reshape(-1, 3), theirs)
    assert ours.max() == 255  # spread over the whole range


def test_equalize_leaves_a_flat_band_alone() -> None:
    flat = np.full((4, 4, 3), 90, dtype=np.uint8)
    table = equalize_table(
        np.stack([np.bincount(flat[..., b].ravel(), minlength=256) for b in range(3)], 1)
    )
    assert table[90].tolist() == [90, 90, 90]


def test_noise_has_thumbors_spread_and_its_seed_repeats() -> None:
    grey = np.full((200, 200, 3), 128, dtype=np.uint8)
    a = run("noise", edit_pb2.Noise(amount=40, seed=3), grey)
    b = run("noise", edit_pb2.Noise(amount=40, seed=3), grey)
    assert np.array_equal(a, b)
    grain = a - 128
    assert np.array_equal(grain[..., 0], grain[..., 2])  # one value per pixel
    # thumbor's uniform -20..19 has a standard deviation of 40 / sqrt(12) = 11.5
    assert 10.5 < grain.std() < 12.5
    assert not np.array_equal(a, run("noise", edit_pb2.Noise(amount=40, seed=4), grey))


def _convolve_like_thumbor(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """_convolution.c: edges clamped, sum(kernel * neighbours), ADJUST_COLOR_DOUBLE."""
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    padded = np.pad(x.astype(np.float64), ((ry, ry), (rx, rx), (0, 0)), mode="edge")
    out = np.zeros(x.shape, dtype=np.float64)
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            out += kernel[dy, dx] * padded[dy : dy + x.shape[0], dx : dx + x.shape[1]]
    return clip(np.trunc(out))


@pytest.mark.parametrize(
    "kernel,columns,normalize",
    [
        ([1, 2, 1, 2, 4, 2, 1, 2, 1], 3, True),
        ([-1, -1, -1, -1, 9, -1, -1, -1, -1], 3, False),
        ([0, 0, 0, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1], 5, True),  # 3 rows x 5, asymmetric
    ],
)
def test_convolution_is_thumbors(kernel: list[float], columns: int, normalize: bool) -> None:
    matrix = np.array(kernel, dtype=np.float64).reshape(-1, columns)
    if normalize and matrix.sum():
        matrix = matrix / matrix.sum()
    ours = run(
        "convolution", edit_pb2.Convolution(kernel=kernel, columns=columns, normalize=normalize)
    )
    assert np.abs(ours - _convolve_like_thumbor(RGB, matrix)).max() <= 1


@pytest.mark.parametrize("kernel,columns", [([1, 2, 3, 4], 2), ([1, 2, 3], 2), ([], 1)])
def test_convolution_refuses_kernels_without_odd_sides(kernel: list[float], columns: int) -> None:
    from transform_svc.errors import TransformError

    with pytest.raises(TransformError):
        run("convolution", edit_pb2.Convolution(kernel=kernel, columns=columns))


def points(*pairs: tuple[int, int]) -> list[edit_pb2.Curve.Point]:
    return [edit_pb2.Curve.Point(x=x, y=y) for x, y in pairs]


def test_curve_tables() -> None:
    assert curve_table([]).tolist() == list(range(256))
    assert curve_table(points((0, 0), (255, 255))).tolist() == list(range(256))
    # two points: a straight line; outside them, the end points' y
    line = curve_table(points((50, 100), (150, 200)))
    assert line[:51].tolist() == [100] * 51 and line[150:].tolist() == [200] * 106
    assert line[100] == 150
    # the natural spline passes through every point and bends between them
    bent = curve_table(points((0, 0), (64, 100), (255, 255)))
    assert bent[0] == 0 and bent[64] == 100 and bent[255] == 255
    assert bent[32] > 50  # above the straight chord 0..100


def test_curve_runs_the_band_curve_then_the_all_bands_curve() -> None:
    params = edit_pb2.Curve(all_bands=points((0, 255), (255, 0)), red=points((0, 0), (255, 128)))
    out = run("curve", params)
    assert np.array_equal(out[..., 0], 255 - curve_table(params.red)[RGB[..., 0]])
    assert np.array_equal(out[..., 1], 255 - RGB[..., 1].astype(np.int64))


def _pad(fill: int, array: np.ndarray) -> np.ndarray:
    params = edit_pb2.Resize(
        width=edit_pb2.Dimension(px=80),
        height=edit_pb2.Dimension(px=60),
        crop_mode=edit_pb2.CROP_MODE_PAD_EXTRACT,
        pad_fill=fill,
    )
    return run("resize", params, array)


def test_pad_fill_mean_is_the_images_mean_colour() -> None:
    out = _pad(edit_pb2.Resize.PAD_FILL_MEAN, RGB)
    assert out.shape == (60, 80, 3)
    mean = RGB.reshape(-1, 3).mean(axis=0).astype(int)  # thumbor's _fill.c truncates
    assert out[0, 0].tolist() == mean.tolist()
    assert np.array_equal(out[11:48, 13:66], RGB)  # centred: (80 - 53) // 2, (60 - 37) // 2


def test_pad_fill_blurred_is_the_image_blurred_underneath() -> None:
    halves = np.zeros((40, 40, 3), dtype=np.uint8)
    halves[:, 20:] = 255  # black | white
    out = _pad(edit_pb2.Resize.PAD_FILL_BLURRED, halves)
    assert out.shape == (60, 80, 3)
    assert np.array_equal(out[10:50, 20:60], halves)
    # above the image: the blur of black | white, darker left than right, no hard edge
    assert out[2, 2, 0] < out[2, 40, 0] < out[2, 77, 0]
    assert 0 < out[2, 40, 0] < 255


def _noisy(side: int) -> pyvips.Image:
    return image(RNG.integers(0, 256, size=(side, side, 3), dtype=np.uint8))


def test_max_bytes_lowers_the_quality_until_the_file_fits() -> None:
    picture = _noisy(128)
    full = encoding.encode(picture, edit_pb2.FORMAT_JPEG, edit_pb2.Encode(quality=90))
    limit = len(full) // 2
    fitted = encoding.encode(
        picture, edit_pb2.FORMAT_JPEG, edit_pb2.Encode(quality=90, max_bytes=limit)
    )
    assert len(fitted) <= limit
    # thumbor's steps: 90 -> 67 -> 50 -> 37 ...: the first that fits
    sizes = {
        q: len(encoding.encode(picture, edit_pb2.FORMAT_JPEG, edit_pb2.Encode(quality=q)))
        for q in (67, 50, 37, 27, 20, 15, 11)
    }
    first = next(q for q, size in sizes.items() if size <= limit)
    assert len(fitted) == sizes[first]


def test_max_bytes_that_no_quality_meets_gives_the_first_encode() -> None:
    picture = _noisy(64)
    full = encoding.encode(picture, edit_pb2.FORMAT_WEBP, edit_pb2.Encode(quality=80))
    tiny = encoding.encode(picture, edit_pb2.FORMAT_WEBP, edit_pb2.Encode(quality=80, max_bytes=10))
    assert tiny == full
    png = encoding.encode(picture, edit_pb2.FORMAT_PNG, edit_pb2.Encode(max_bytes=10))
    assert len(png) > 10  # PNG is lossless: no quality to lower, as thumbor


@pytest.mark.parametrize("bottom_right", [False, True])
@pytest.mark.parametrize("distance", [0.0, 30.0])
def test_trim_by_colour_distance_is_thumbors_bounding_box(
    bottom_right: bool, distance: float
) -> None:
    """_bounding_box.c: every px further than the distance from the corner's
    colour (Euclidean over the bands) is content, a single speck included."""
    canvas = np.full((60, 80, 3), 200, dtype=np.uint8)
    canvas[-1, -1] = (10, 10, 10) if bottom_right else (200, 200, 200)
    reference = canvas[-1, -1] if bottom_right else canvas[0, 0]
    canvas[10:30, 20:50] = RGB[:20, :30]
    canvas[45, 70] = reference.astype(int) + 20  # a speck 34.6 away
    distances = np.sqrt(((canvas.astype(float) - reference) ** 2).sum(axis=2))
    ys, xs = np.nonzero(distances > distance)
    expected = (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    params = edit_pb2.Trim(color_distance=distance, bottom_right=bottom_right)
    out = run("trim", params, canvas)
    assert out.shape[:2] == (expected[3], expected[2])
    left, top = expected[:2]
    assert np.array_equal(out, canvas[top : top + expected[3], left : left + expected[2]])


def test_nine_patch_layout_reads_the_border_marks() -> None:
    from transform_svc.ops.nine_patch_frame import _targets, layout

    patch = np.zeros((12, 20, 4), dtype=np.uint8)
    mark = (0, 0, 0, 255)
    patch[0, 3:5] = patch[0, 9:12] = mark  # two stretching column runs
    patch[4:6, 0] = mark
    patch[11, 2:15] = mark  # padding left 2 - 1 = 1, right 18 - 14 = 4
    patch[3:9, 19] = mark  # padding top 3 - 1 = 2, bottom 10 - 8 = 2
    plan = layout(patch)
    assert plan.columns == [
        (0, 2, False),
        (2, 2, True),
        (4, 4, False),
        (8, 3, True),
        (11, 7, False),
    ]
    assert plan.rows == [(0, 3, False), (3, 2, True), (5, 5, False)]
    assert plan.padding == (1, 2, 4, 2)
    # 13 fixed px; 100 - 13 = 87 shared 2 : 3 between the stretching runs
    assert _targets(plan.columns, 100) == [2, 35, 4, 52, 7]


def test_pixelate_gives_blocks_of_their_mean_colour() -> None:
    out = run("pixelate", edit_pb2.Pixelate(size=8))
    assert out.shape == RGB.shape
    block = RGB[8:16, 16:24].reshape(-1, 3).mean(axis=0)
    assert (np.abs(out[8:16, 16:24] - block.round()) <= 1).all()
    edge = RGB[32:37, 48:53].reshape(-1, 3).mean(axis=0)  # a partial block: its own mean
    assert (np.abs(out[32:37, 48:53] - edge.round()) <= 1).all()
    assert np.array_equal(run("pixelate", edit_pb2.Pixelate(size=1)), RGB)


def test_replicate_tiles_from_the_top_left_or_centred() -> None:
    """imgproxy's vips_replicate_go: 3 copies (odd) of a 53 px row for 100 px
    centred, the middle copy's centre at the middle."""
    tiled = run("replicate", edit_pb2.Replicate(width=100, height=37))
    assert tiled.shape == (37, 100, 3)
    assert np.array_equal(tiled[:, :53], RGB) and np.array_equal(tiled[:, 53:], RGB[:, :47])
    centred = run("replicate", edit_pb2.Replicate(width=100, height=50, centered=True))
    assert centred.shape == (50, 100, 3)
    row = np.concatenate([RGB] * 3, axis=1)  # 159 px: cut from (159 - 100) // 2 = 29
    column = np.concatenate([row] * 3, axis=0)  # 111 px: cut from (111 - 50) // 2 = 30
    assert np.array_equal(centred, column[30:80, 29:129])


def test_duotone_maps_luminance_between_the_colours() -> None:
    """imgproxy Pro's duotone / monochrome: black -> dark, white -> light,
    grey in between; intensity mixes with the original."""
    levels = np.array([0, 128, 255], dtype=np.uint8)
    grey = np.repeat(np.repeat(levels[None, :, None], 3, axis=2), 2, axis=0)  # 2 x 3 px
    params = edit_pb2.Duotone(
        dark=edit_pb2.Color(b=100, a=255), light=edit_pb2.Color(r=255, g=200, a=255), intensity=1
    )
    out = run("duotone", params, grey).astype(int)
    assert np.abs(out[0, 0] - [0, 0, 100]).max() <= 1
    assert np.abs(out[0, 2] - [255, 200, 0]).max() <= 1
    assert np.abs(out[0, 1] - [128, 100, 50]).max() <= 2
    params.intensity = 0.5
    half = run("duotone", params, grey).astype(int)
    assert np.abs(half[0, 2] - [255, 228, 128]).max() <= 1
    with_alpha = run("duotone", params, np.concatenate([RGB, ALPHA], axis=2))
    assert np.array_equal(with_alpha[..., 3], ALPHA[..., 0])
    params.intensity = 0
    assert np.array_equal(run("duotone", params, RGB), RGB)
