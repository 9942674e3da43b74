"""The focus box of detected faces / objects: the most prominent ones that fit
the crop window together (transform_svc.ops.resize_focus.focus_box)."""

from __future__ import annotations

import pytest

from imgmesh.v1 import edit_pb2
from transform_svc.ops.resize import crop_window
from transform_svc.ops.resize_focus import focus_box

# score, left, top, right, bottom (px)
BIG_LEFT = (0.9, 10.0, 10.0, 110.0, 110.0)  # 100 x 100
SMALL_RIGHT = (0.9, 800.0, 20.0, 850.0, 70.0)  # 50 x 50, far away
NEAR_BIG = (0.8, 120.0, 30.0, 160.0, 70.0)  # next to BIG_LEFT


def box(b: edit_pb2.Box) -> tuple[int, int, int, int]:
    return b.left, b.top, b.width, b.height


def test_faces_that_fit_together_are_all_framed():
    assert box(focus_box([BIG_LEFT, NEAR_BIG], (200, 200), 1000, 500)) == (10, 10, 150, 100)


def test_faces_too_far_apart_frame_the_most_prominent_not_the_gap():
    assert box(focus_box([SMALL_RIGHT, BIG_LEFT], (200, 200), 1000, 500)) == (10, 10, 100, 100)
    # a confident small face beats a doubtful big one
    doubtful = (0.05, *BIG_LEFT[1:])
    assert box(focus_box([doubtful, SMALL_RIGHT], (200, 200), 1000, 500)) == (800, 20, 50, 50)


def test_without_a_window_every_detection_counts():
    assert box(focus_box([BIG_LEFT, SMALL_RIGHT], None, 1000, 500)) == (10, 10, 840, 100)


def test_the_box_is_clamped_to_the_image():
    assert box(focus_box([(1.0, -5.0, -5.0, 50.0, 40.0)], None, 100, 100)) == (0, 0, 50, 40)


def test_no_detection_is_an_error():
    with pytest.raises(ValueError):
        focus_box([], None, 10, 10)


@pytest.mark.parametrize(
    "mode,zoom,expected",
    [
        (edit_pb2.CROP_MODE_EXTRACT, 0.0, (120, 120)),
        (edit_pb2.CROP_MODE_EXTRACT, 2.0, (60, 60)),
        (edit_pb2.CROP_MODE_MAINTAIN_RATIO, 0.0, (500, 500)),  # cover scale 120/500
        (edit_pb2.CROP_MODE_AT_MAX, 0.0, None),
    ],
)
def test_crop_window(mode, zoom, expected):
    params = edit_pb2.Resize(crop_mode=mode, zoom=zoom)
    params.width.px = 120
    params.height.px = 120
    assert crop_window(params, 1000, 500) == expected


def _cover(width: edit_pb2.Dimension, height: edit_pb2.Dimension) -> edit_pb2.Resize:
    return edit_pb2.Resize(width=width, height=height, focus=edit_pb2.FOCUS_FACE)


@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_detection_decodes_a_large_source_at_the_detection_side(fmt: str) -> None:
    import pyvips

    from transform_svc.ops.resize_focus import DETECTION_SIDE, detection_load

    source = pyvips.Image.black(4032, 3024, bands=3) + [200, 40, 40]
    data = source.cast("uchar").write_to_buffer(f".{fmt}")
    px = edit_pb2.Dimension
    reduced = detection_load(data, _cover(px(px=300), px(px=300)), None)  # type: ignore[arg-type]
    assert reduced is not None
    assert (reduced.width, reduced.height) == (DETECTION_SIDE, DETECTION_SIDE * 3 // 4)
    assert reduced.getpoint(10, 10)[:3] == pytest.approx([200, 40, 40], abs=2)
    # a target larger than the detection side keeps the crop's own pixels
    big = detection_load(data, _cover(px(px=1200), px(px=900)), None)  # type: ignore[arg-type]
    assert big is not None and (big.width, big.height) == (1200, 900)
    # ratios and orig are of the size the op sees: decoded in full
    assert detection_load(data, _cover(px(ratio=0.1), px(px=300)), None) is None  # type: ignore[arg-type]
    centre = edit_pb2.Resize(width=px(px=300), height=px(px=300))
    assert detection_load(data, centre, None) is None  # type: ignore[arg-type]
