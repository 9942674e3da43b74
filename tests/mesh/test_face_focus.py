"""fo-face (BlazeFace) and fo-<object> (YOLOv3-tiny) in Triton: the crop keeps them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import pyvips
from numpy.lib.stride_tricks import sliding_window_view

from tests.helpers import SHARED_DATA, get, shared_params

BOXES_FILE = SHARED_DATA / "faces" / "faces_boxes.json"  # PASCAL VOC, research licence
BOXES = json.loads(BOXES_FILE.read_text()) if BOXES_FILE.exists() else {}


def locate(crop: np.ndarray, src: np.ndarray) -> tuple[int, int]:
    """(left, top) where ``crop`` sits in ``src`` (exact pixel match)."""
    h, w = crop.shape[:2]
    key = crop[0, :8].reshape(-1)
    for top in range(src.shape[0] - h + 1):
        windows = sliding_window_view(src[top, :, :].reshape(-1), 24)[::3]
        for left in np.where((windows == key).all(axis=1))[0]:
            if left + w <= src.shape[1] and (src[top : top + h, left : left + w] == crop).all():
                return int(left), top
    raise AssertionError("crop not found in the source")


@pytest.mark.parametrize("name", shared_params(sorted(BOXES), "faces/ (PASCAL VOC)"))
def test_face_crop_contains_every_labelled_face(base_url, name):
    faces = [f for f in BOXES[name]["faces"] if not f["ignore"]]
    x0 = min(f["x"] for f in faces)
    y0 = min(f["y"] for f in faces)
    x1 = max(f["x"] + f["w"] for f in faces)
    y1 = max(f["y"] + f["h"] for f in faces)
    src = pyvips.Image.new_from_file(str(SHARED_DATA / "faces" / name)).numpy()
    # An unscaled window 20 % larger than the faces: it can only hold them all
    # if the detector found every face and the crop is centred on them.
    w = min(src.shape[1], int((x1 - x0) * 1.2) + 10)
    h = min(src.shape[0], int((y1 - y0) * 1.2) + 10)
    r = get(f"{base_url}/faces/{name}?tr=w-{w},h-{h},cm-extract,fo-face,f-png")
    assert r.status == 200, r.body[:200]
    crop = r.pixels()
    assert crop.shape[:2] == (h, w)
    left, top = locate(crop, src)
    for f in faces:
        assert left <= f["x"] and f["x"] + f["w"] <= left + w, (name, f, left, w)
        assert top <= f["y"] and f["y"] + f["h"] <= top + h, (name, f, top, h)


@pytest.mark.parametrize("name", shared_params(sorted(BOXES), "faces/ (PASCAL VOC)"))
def test_a_crop_smaller_than_the_faces_still_frames_one(base_url, name):
    """A 120 x 120 extract cannot hold several faces: it must hold the centre
    of at least one labelled face, never the space between them."""
    faces = [f for f in BOXES[name]["faces"] if not f["ignore"]]
    src = pyvips.Image.new_from_file(str(SHARED_DATA / "faces" / name)).numpy()
    r = get(f"{base_url}/faces/{name}?tr=w-120,h-120,cm-extract,fo-face,f-png")
    assert r.status == 200, r.body[:200]
    left, top = locate(r.pixels(), src)
    centres = [(f["x"] + f["w"] / 2, f["y"] + f["h"] / 2) for f in faces]
    assert any(left <= cx < left + 120 and top <= cy < top + 120 for cx, cy in centres), (
        name,
        left,
        top,
        centres,
    )


def test_face_focus_with_maintain_ratio_and_zoom(base_url):
    name = "2008_001009.jpg"  # 360 x 480, two faces between y 79 and 305
    plain = get(f"{base_url}/faces/{name}?tr=w-200,h-200,fo-face")
    zoomed = get(f"{base_url}/faces/{name}?tr=w-200,h-200,fo-face,z-2")
    centre = get(f"{base_url}/faces/{name}?tr=w-200,h-200")
    for r in (plain, zoomed, centre):
        assert r.status == 200 and (r.image().width, r.image().height) == (200, 200)
    assert plain.body != centre.body and zoomed.body != plain.body


def test_object_focus_crops_around_the_named_object(base_url):
    def photo_fraction(tr: str) -> float:
        px = get(f"{base_url}/synthetic/cup_right.png?tr={tr}").pixels().astype(int)
        return float((np.abs(px - 128).max(axis=2) > 3).mean())

    assert photo_fraction("w-400,h-400") < 0.01  # centre: grey canvas
    assert photo_fraction("w-400,h-400,fo-cup") > 0.95  # YOLOv3-tiny found the cup
    assert photo_fraction("w-400,h-400,fo-giraffe") < 0.01  # nothing found: centre


def test_darknet_class_names_are_accepted(base_url):
    r = get(f"{base_url}/photos/skimage/coffee.png?tr=w-100,h-100,fo-diningtable")
    assert r.status == 200


def test_face_focus_frames_the_face_of_a_public_domain_portrait(base_url):
    """Runs without the shared data: astronaut.png (NASA, public domain; 512 x
    512) has its face in the upper third, so a 200 x 100 face-focused crop of
    the 200 x 200 downscale sits near the top, unlike the centre crop."""
    path = "/photos/skimage/astronaut.png"

    def crop(tr: str) -> np.ndarray:
        r = get(f"{base_url}{path}?tr=w-200,h-100,f-png{tr}")
        assert r.status == 200 and (r.image().width, r.image().height) == (200, 100)
        return r.pixels().astype(float)

    face, top, centre = crop(",fo-face"), crop(",fo-top"), crop("")
    assert np.abs(face - top).mean() < np.abs(face - centre).mean()
