"""Issue [14]: imgproxy's geometry arithmetic (gateway/imgproxy/geometry.py)
against every size case of imgproxy v4's processing_test.go, through the
real option parser; and the positions of its gravities."""

from __future__ import annotations

import pytest

from gateway.imgproxy import geometry
from gateway.imgproxy.options import ParserConfig
from gateway.imgproxy.url import parse_path
from tests.imgproxy_processing_cases import CASES, SOURCE, SizeCase

CONFIG = ParserConfig(allow_security_options=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.suite}-{c.url_options()}")
def test_imgproxy_size_cases(case: SizeCase) -> None:
    options, _ = parse_path(f"/{case.url_options()}/plain/local:///geometry.png", CONFIG)
    assert geometry.plan(SOURCE, options).size == case.out


def _plan(options: str, source: tuple[int, int] = SOURCE) -> geometry.Plan:
    return geometry.plan(source, parse_path(f"/{options}/plain/local:///g.png", CONFIG)[0])


@pytest.mark.parametrize(
    "gravity,left,top",
    [
        # centred as (W - w + 1) / 2 rounded half to even: 151 / 2 -> 76
        ("ce", 76, 0), ("no", 76, 0), ("so", 76, 0), ("we", 0, 0), ("ea", 150, 0),
        ("nowe", 0, 0), ("soea", 150, 0), ("we:10", 10, 0), ("ea:10", 140, 0),
        ("ce:0.1", 96, 0),  # a share of the side: 0.1 x 200 px
        ("fp:0.9:0.5", 150, 0), ("fp:0.2:0.5", 15, 0),
    ],
)  # fmt: skip
def test_fill_crops_at_the_gravity(gravity: str, left: int, top: int) -> None:
    """200 x 100 filled into 50 x 100 (no enlargement: cut out of the source)."""
    plan = _plan(f"rs:fill:50:100/g:{gravity}")
    assert plan.result_crop == (left, top, 50, 100)


def test_smart_gravity_is_a_smart_crop() -> None:
    plan = _plan("rs:fill:50:50/g:sm")
    assert plan.smart and plan.result_crop is not None and plan.result_crop[2:] == (50, 50)


def test_crop_comes_before_the_resize() -> None:
    plan = _plan("c:100:50:nowe/rs:fit:50:50")
    assert plan.crop == (0, 0, 100, 50) and plan.size == (50, 25)
    assert _plan("c:0.5:0.5").crop == (50, 26, 100, 50)  # shares; 101 / 2 -> 50, 51 / 2 -> 26


def test_extend_places_the_image_at_its_gravity() -> None:
    plan = _plan("rs:fit:300:300/ex:1:so")
    assert plan.extend == (300, 300, 50, 200) and plan.size == (300, 300)


def test_padding_and_dpr() -> None:
    plan = _plan("rs:fit:50:50/dpr:2/pd:5:10")
    assert plan.scaled == (100, 50)  # 50 x 50 at DPR 2, no enlargement needed
    assert plan.padding == (10, 20, 10, 20) and plan.size == (140, 70)


def test_rotation_swaps_the_sides_first() -> None:
    assert _plan("rot:90/rs:fit:50:50").size == (25, 50)
