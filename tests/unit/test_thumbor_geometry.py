"""thumbor's own transformer cases (tests/thumbor_transformer_cases.py)
against the ported arithmetic that ``meta/`` reports
(gateway.thumbor.geometry), through the real URL parser: the crop thumbor
makes first and the resize it asks for, as thumbor's ``test_transformer.py``
checks them (``has_cropped_properly``, ``has_resized_properly``)."""

from __future__ import annotations

import pytest

from gateway.thumbor import geometry
from gateway.thumbor.compile import compile_request
from gateway.thumbor.urlgrammar import parse
from tests.thumbor_transformer_cases import CROP_CASES, FIT_IN_CASES, Case, FitCase

H_URL = {"left": "left", "right": "right", "center": "center", "middle": "center"}
V_URL = {"top": "top", "bottom": "bottom", "middle": "middle", "center": "middle"}


def case_path(case: Case) -> str:
    """The thumbor URL path of ``case``: its crop box as the manual crop (as
    thumbor's own test passes it), focal points as 2x2 ``focal()`` boxes."""
    w, h = case.target
    parts = ["unsafe", "meta"]
    if case.crop is not None:
        parts.append("{}x{}:{}x{}".format(*case.crop))
    parts += [f"{w}x{h}", H_URL[case.halign], V_URL[case.valign]]
    filters = [f"focal({x - 1}x{y - 1}:{x + 1}x{y + 1})" for x, y in case.focal_points]
    if case.stretch:
        filters.append("stretch()")
    if filters:
        parts.append("filters:" + ":".join(filters))
    return "/" + "/".join([*parts, "source.png"])


def fit_path(case: FitCase) -> str:
    mode = ("adaptive-" if case.adaptive else "") + ("full-" if case.full else "") + "fit-in"
    return f"/unsafe/meta/{mode}/{case.box[0]}x{case.box[1]}/source.png"


def plan_for(path: str, source: tuple[int, int]) -> geometry.Geometry:
    req = parse(path)
    compiled = compile_request(req)
    return geometry.plan(req, source, stretch=compiled.stretch, explicit=list(compiled.focal))


def ops(g: geometry.Geometry, kind: str) -> list[dict]:
    return [op for op in g.operations if op["type"] == kind]


def expected_resize(case: Case) -> tuple[float, float] | None:
    """thumbor's ``has_resized_properly``: the resize it must call, if any,
    of the image after the manual crop (thumbor's mock engine keeps the
    source size there; a real engine, and ``meta/``, has the cropped size)."""
    (sw, sh), (tw, th) = case.source, case.target
    if case.crop is not None:
        sw, sh = case.crop[2] - case.crop[0], case.crop[3] - case.crop[1]
    if not tw and not th:
        return None
    w = sw if tw == "orig" else tw
    h = sh if th == "orig" else th
    if (w, h) == (sw, sh):
        return None
    if not w:  # thumbor's engines round a proportional side (BaseEngine), 0 -> 1 px
        return round(float(sw) * h / sh, 0) or 1, h
    if not h:
        return w, round(float(sh) * w / sw, 0) or 1
    return w, h


@pytest.mark.parametrize("case", CROP_CASES, ids=case_path)
def test_thumbor_crop_cases(case: Case) -> None:
    g = plan_for(case_path(case), case.source)
    crops = ops(g, "crop")
    if case.crop is None:
        assert crops == []
    else:
        assert crops and tuple(crops[0][k] for k in ("left", "top", "right", "bottom")) == case.crop
    want = expected_resize(case)
    resizes = ops(g, "resize")
    if want is None:
        assert resizes == [] or (resizes[0]["width"], resizes[0]["height"]) == case.source
    else:  # resized to it, or cut to it already (thumbor then skips the resize)
        assert g.target() == want
        assert not resizes or (resizes[0]["width"], resizes[0]["height"]) == want


@pytest.mark.parametrize("case", FIT_IN_CASES, ids=fit_path)
def test_thumbor_fit_in_cases(case: FitCase) -> None:
    g = plan_for(fit_path(case), case.source)
    assert ops(g, "crop") == []
    resizes = ops(g, "resize")
    if case.resized is None:
        assert resizes == []
    else:
        assert [(r["width"], r["height"]) for r in resizes] == [case.resized]


def test_meta_json_shape_as_thumbor_writes_it() -> None:
    g = plan_for("/unsafe/meta/-400x150/left/top/a.jpg", (800, 600))
    assert g.to_json("a.jpg", 1) == {
        "thumbor": {
            "source": {"url": "a.jpg", "width": 400, "height": 150, "frameCount": 1},
            "operations": [
                {"type": "crop", "left": 0, "top": 0, "right": 800, "bottom": 300},
                {"type": "resize", "width": 400.0, "height": 150.0},
                {"type": "flip_horizontally"},
            ],
            "target": {"width": 400.0, "height": 150.0},
            "focal_points": [
                {"x": 0, "y": 0, "z": 1.0, "height": 1, "width": 1, "origin": "alignment"}
            ],
        }
    }
