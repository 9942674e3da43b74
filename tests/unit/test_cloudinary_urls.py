"""Issue [15]: the Cloudinary dialect's parser without a mesh: the SDK's
signing vectors, the path split, conditions and named transformations, and
random components only ever refused with a RequestError (400/501), never a
crash."""

from __future__ import annotations

import cloudinary.utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.cloudinary import components, signing
from gateway.cloudinary.compile import COMPASS, CROP_MODES, Request, compile_components
from gateway.cloudinary.effects import EFFECTS
from gateway.cloudinary.path import KEYS, PathError, parse
from gateway.errors import RequestError
from imgmesh.v1 import edit_pb2
from tests.cloudinary_sdk_cases import CASES

# pycloudinary test/test_utils.py test_signed_url, api_secret "b"
SDK_VECTORS = [
    ("c_crop,h_20,w_10/image.jpg", "Ai4Znfl3"),
    ("image.jpg", "--SjmNDA"),
    ("http://google.com/path/to/image.png", "hH_YcbiS"),
    ("co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D/image.jpg", "Uqk1a-5W"),
]


def _request(extension: str = "") -> Request:
    return Request(
        extension=extension,
        accepted=[],
        source_for=lambda public_id: edit_pb2.Source(origin_path=public_id, by_stem=True),
    )


@pytest.mark.parametrize("signed_part,expected", SDK_VECTORS)
def test_signing_vectors(signed_part: str, expected: str) -> None:
    assert signing.sign(signed_part, "b") == expected
    assert signing.valid(expected, signed_part, "b")
    assert not signing.valid(expected, signed_part + "x", "b")
    assert not signing.valid(expected, signed_part, "")


def test_the_sdks_urls_split_as_it_builds_them() -> None:
    built, _ = cloudinary.utils.cloudinary_url(
        "folder/photo.png",
        cloud_name="demo",
        api_secret="b",
        sign_url=True,
        transformation=[{"width": 400, "crop": "scale"}, {"angle": 90}],
    )
    path = parse(built.split("res.cloudinary.com", 1)[1])
    assert (path.cloud_name, path.resource_type, path.delivery_type) == ("demo", "image", "upload")
    assert path.components == ("c_scale,w_400", "a_90") and path.version == "v1"
    assert (path.public_id, path.format) == ("folder/photo.png", "png")
    assert path.signed_part == "c_scale,w_400/a_90/folder/photo.png"
    assert signing.valid(path.signature or "", path.signed_part, "b")
    # a folder that looks like a component is kept when the SDK writes v1 before it
    assert parse("/demo/image/upload/w_10/v1/w_20/x.jpg").public_id == "w_20/x.jpg"
    # the last segment is always the public id
    assert parse("/demo/image/upload/a_b.jpg").public_id == "a_b.jpg"
    with pytest.raises(PathError):
        parse("/demo/image/upload")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.test}-{sorted(c.options)}")
def test_every_sdk_option_set_compiles_or_is_refused_with_its_status(case) -> None:
    built, _ = cloudinary.utils.cloudinary_url(
        case.public_id or "synthetic/geometry.png",
        cloud_name="demo",
        api_secret="b",
        **case.options,
    )
    try:
        path = parse(built.split("res.cloudinary.com", 1)[1])
    except PathError:
        assert case.status == 501  # raw/ and facebook/ are refused by the handler
        return
    named = {"blip": "c_scale,w_50", "blop": "a_90"}
    try:
        compiled = compile_components(path.components, named, _request(path.format))
    except RequestError as exc:
        assert case.status in (400, 501), exc.message
        return
    assert compiled.graph.encode is not None


def test_conditions_nest_and_or_as_cloudinary_binds_them() -> None:
    step = components.conditional("w_gt_100_and_h_lt_50_or_ar_gt_2", [edit_pb2.Step()], [])
    outer = step.conditional
    assert outer.condition.property == edit_pb2.Expression.CURRENT_WIDTH
    inner = outer.then_steps[0].conditional
    assert inner.condition.comparison == edit_pb2.Condition.LT and inner.condition.value == 50
    assert inner.else_steps[0].conditional.condition.value == 2  # the _or_ alternative
    assert outer.else_steps[0].conditional.condition.property == (
        edit_pb2.Expression.CURRENT_ASPECT_RATIO
    )
    with pytest.raises(RequestError):
        components.conditional("w_between_3", [], [])


def test_named_transformations_expand_and_are_bounded() -> None:
    named = {"a": "w_10/t_b", "b": "e_sepia", "loop": "t_loop"}
    assert components.expand_named(["t_a,h_5"], named) == ["w_10", "e_sepia", "h_5"]
    with pytest.raises(RequestError):
        components.expand_named(["t_loop"], named)
    with pytest.raises(RequestError):
        components.expand_named(["t_missing"], named)


ITEM_KEYS = sorted(KEYS - {"t"})
VALUES = st.one_of(
    st.sampled_from(
        [
            *CROP_MODES,
            *COMPASS,
            *EFFECTS,
            "auto",
            "face",
            "0.5",
            "1.5",
            "-3",
            "iw_div_2",
            "rgb:ff0000",
            "red",
            "text:Arial_20:hi",
            "fetch:aHR0cDovL3guY28vYS5wbmc",
            "max",
            "w_gt_10",
            "end",
            "else",
            "$v",
            "layer_apply",
            "100",
            "99999999999",
            "nan",
            "",
        ]
    ),  # fmt: skip
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_:.-$!%", max_size=12),
)
ITEM = st.tuples(st.sampled_from([*ITEM_KEYS, "$v"]), VALUES).map(lambda kv: f"{kv[0]}_{kv[1]}")
COMPONENT = st.lists(ITEM, min_size=1, max_size=4).map(",".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(COMPONENT, min_size=1, max_size=5))
def test_random_components_are_refused_cleanly(raw: list[str]) -> None:
    try:
        compile_components(raw, {"n": "w_10"}, _request("png"))
    except RequestError as exc:
        assert exc.code in ("invalid_parameter", "cloudinary_not_supported"), exc.code


@pytest.mark.parametrize(
    "raw",
    [
        # each variable ten times the one before: refused, not built
        ["$a_xxxxxxxxxx,$b_" + "$a" * 10 + ",$c_" + "$b" * 10 + ",$d_" + "$c" * 10 + ",w_$d"],
        [",".join(f"$v{i}_1" for i in range(40))],
        ["if_" + "_and_".join(["w_gt_1"] * 50) + ",w_10"],
        ["if_" + "_or_".join(["w_gt_1"] * 20) + ",w_10"],
        ["a_auto_right,w_\u00b2,h_100"],
        ["g_auto:\r\nx,w_100,h_100,c_fill"],
    ],
)
def test_hostile_components_are_refused_quickly(raw: list[str]) -> None:
    try:
        compile_components(raw, {}, _request("png"))
    except RequestError as exc:
        assert exc.code in ("invalid_parameter", "cloudinary_not_supported")
