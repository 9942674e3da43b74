"""URL grammar -> EditGraph, for every parameter of issue [1], and its errors."""

from __future__ import annotations

import pytest

from gateway.errors import RequestError
from gateway.imagekit.urlgrammar import Built, ClientHints, build_graph, split_request
from gateway.negotiation import accepted_formats
from imgmesh.v1 import edit_pb2


def graph(
    path: str,
    tr: str | None = None,
    accepted: list[int] | None = None,
    hints: ClientHints | None = None,
    named: dict[str, str] | None = None,
):
    return built(path, tr, accepted, hints, named).graph


def built(
    path: str,
    tr: str | None = None,
    accepted: list[int] | None = None,
    hints: ClientHints | None = None,
    named: dict[str, str] | None = None,
) -> Built:
    chain, source = split_request(path, tr, named)
    return build_graph(chain, source, accepted or [], hints)


def only_step(g: edit_pb2.EditGraph, kind: str):
    assert [s.WhichOneof("op") for s in g.steps] == [kind]
    return getattr(g.steps[0], kind)


def error(path: str, tr: str | None = None) -> RequestError:
    with pytest.raises(RequestError) as exc:
        graph(path, tr)
    return exc.value


# --- splitting -------------------------------------------------------------


def test_query_form_and_path_form_give_the_same_graph():
    assert graph("/photos/a.jpg", "w-300,h-200") == graph("/tr:w-300,h-200/photos/a.jpg")


def test_source_path_is_relative_to_origin():
    assert graph("/photos/sub/a.jpg").source.origin_path == "photos/sub/a.jpg"
    assert graph("/tr:w-10/photos/a.jpg").source.origin_path == "photos/a.jpg"


def test_colon_chains_steps_and_path_chain_runs_before_query_chain():
    g = graph("/tr:w-300/a.jpg", "rt-90:bl-4")
    assert [s.WhichOneof("op") for s in g.steps] == ["resize", "rotate", "blur"]


def test_no_transformation_is_an_empty_chain_with_auto_format():
    g = graph("/a.png")
    assert list(g.steps) == [] and g.encode.format == edit_pb2.FORMAT_AUTO


@pytest.mark.parametrize("path", ["/", "/tr:w-300", "/tr:w-300/", "/photos/"])
def test_missing_source(path):
    assert error(path).code == "missing_source"


@pytest.mark.parametrize("tr", ["w-300,,h-200", "w-300:", ",w-300"])
def test_empty_parameters_are_rejected(tr):
    assert error("/a.jpg", tr).code == "invalid_parameter"


# --- resize parameters -------------------------------------------------------


def test_width_and_height_in_px():
    r = only_step(graph("/a.jpg", "w-300,h-200"), "resize")
    assert (r.width.px, r.height.px) == (300, 200)
    assert r.crop_mode == edit_pb2.CROP_MODE_MAINTAIN_RATIO
    assert r.focus == edit_pb2.FOCUS_CENTER


def test_width_and_height_as_ratio():
    r = only_step(graph("/a.jpg", "w-0.5,h-.25"), "resize")
    assert r.width.ratio == pytest.approx(0.5) and r.height.ratio == pytest.approx(0.25)
    assert r.width.WhichOneof("value") == "ratio"


def test_only_width_leaves_height_unset():
    r = only_step(graph("/a.jpg", "w-300"), "resize")
    assert r.width.px == 300 and r.height.WhichOneof("value") is None


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "16385", "0.0", "1e3", ""])
@pytest.mark.parametrize("key", ["w", "h"])
def test_bad_dimensions(key, value):
    exc = error("/a.jpg", f"{key}-{value}")
    assert (exc.code, exc.parameter) == ("invalid_parameter", key)
    assert "1..16384" in exc.allowed


def test_aspect_ratio():
    r = only_step(graph("/a.jpg", "w-400,ar-4-3"), "resize")
    assert r.aspect_ratio == pytest.approx(4 / 3)


@pytest.mark.parametrize("value", ["4", "4-0", "a-b", "4-3-2", "-4-3"])
def test_bad_aspect_ratio(value):
    assert error("/a.jpg", f"w-10,ar-{value}").parameter == "ar"


@pytest.mark.parametrize("tr,param", [("ar-4-3", "ar"), ("c-force", "c"), ("fo-top", "fo")])
def test_crop_parameters_need_a_size(tr, param):
    exc = error("/a.jpg", tr)
    assert (exc.code, exc.parameter) == ("invalid_parameter", param)


@pytest.mark.parametrize(
    "tr,mode",
    [
        ("c-maintain_ratio", edit_pb2.CROP_MODE_MAINTAIN_RATIO),
        ("c-force", edit_pb2.CROP_MODE_FORCE),
        ("c-at_least", edit_pb2.CROP_MODE_AT_LEAST),
        ("c-at_max", edit_pb2.CROP_MODE_AT_MAX),
        ("cm-pad_resize", edit_pb2.CROP_MODE_PAD_RESIZE),
        ("cm-extract", edit_pb2.CROP_MODE_EXTRACT),
        ("cm-pad_extract", edit_pb2.CROP_MODE_PAD_EXTRACT),
    ],
)
def test_crop_modes(tr, mode):
    assert only_step(graph("/a.jpg", f"w-10,h-10,{tr}"), "resize").crop_mode == mode


@pytest.mark.parametrize("tr", ["c-pad_resize", "cm-force", "c-", "cm-stretch"])
def test_bad_crop_modes_name_the_allowed_values(tr):
    exc = error("/a.jpg", f"w-10,{tr}")
    assert exc.parameter == tr.split("-")[0] and "|" in exc.allowed


def test_c_and_cm_together_are_rejected():
    assert error("/a.jpg", "w-10,h-10,c-force,cm-extract").parameter == "cm"


@pytest.mark.parametrize(
    "value,focus",
    [
        ("center", edit_pb2.FOCUS_CENTER),
        ("top", edit_pb2.FOCUS_TOP),
        ("bottom", edit_pb2.FOCUS_BOTTOM),
        ("left", edit_pb2.FOCUS_LEFT),
        ("right", edit_pb2.FOCUS_RIGHT),
        ("top_left", edit_pb2.FOCUS_TOP_LEFT),
        ("top_right", edit_pb2.FOCUS_TOP_RIGHT),
        ("bottom_left", edit_pb2.FOCUS_BOTTOM_LEFT),
        ("bottom_right", edit_pb2.FOCUS_BOTTOM_RIGHT),
        ("auto", edit_pb2.FOCUS_AUTO),
    ],
)
def test_focus(value, focus):
    assert only_step(graph("/a.jpg", f"w-10,h-10,fo-{value}"), "resize").focus == focus


def test_bad_focus():
    exc = error("/a.jpg", "w-10,fo-middle")
    assert exc.parameter == "fo" and "top_left" in exc.allowed


# --- background, rotation, blur, effects -------------------------------------


def test_bg_is_the_pad_colour_in_pad_resize():
    r = only_step(graph("/a.jpg", "w-300,h-300,cm-pad_resize,bg-F3F3F3"), "resize")
    assert (r.background.r, r.background.g, r.background.b, r.background.a) == (243,) * 3 + (255,)


def test_bg_with_alpha_is_a_decimal_opacity():
    c = only_step(graph("/a.jpg", "bg-FF000080"), "background_color").color
    assert (c.r, c.g, c.b, c.a) == (255, 0, 0, 204)  # 80 -> 0.80 opacity


def test_bg_colour_names():
    c = only_step(graph("/a.jpg", "bg-lightgreen"), "background_color").color
    assert (c.r, c.g, c.b, c.a) == (144, 238, 144, 255)


def test_bg_without_pad_mode_is_a_background_colour_step():
    g = graph("/a.jpg", "w-300,bg-00FF00")
    assert [s.WhichOneof("op") for s in g.steps] == ["resize", "background_color"]


@pytest.mark.parametrize("value", ["F3F3F", "GGGGGG", "F3F3F3F3F3", "FF0000AB", "Red", ""])
def test_bad_bg(value):
    assert error("/a.jpg", f"bg-{value}").parameter == "bg"


def test_rotate_is_clockwise_degrees_and_auto_is_implicit():
    assert only_step(graph("/a.jpg", "rt-90"), "rotate").degrees == 90
    assert only_step(graph("/a.jpg", "rt--45"), "rotate").degrees == -45
    assert only_step(graph("/a.jpg", "rt-N45"), "rotate").degrees == -45
    assert list(graph("/a.jpg", "rt-auto").steps) == []


@pytest.mark.parametrize("value", ["400", "abc", "9x"])
def test_bad_rotate(value):
    assert error("/a.jpg", f"rt-{value}").parameter == "rt"


def test_blur_radius_to_sigma():
    assert only_step(graph("/a.jpg", "bl-10"), "blur").sigma == pytest.approx(5.0)


@pytest.mark.parametrize("value", ["0", "101", "x"])
def test_bad_blur(value):
    assert error("/a.jpg", f"bl-{value}").parameter == "bl"


@pytest.mark.parametrize("effect", ["bgremove", "removedotbg"])
def test_background_removal_effects(effect):
    rb = only_step(graph("/a.jpg", f"e-{effect}"), "remove_background")
    assert rb.model == ""  # the service's default model


def test_bgremove_runs_after_the_resize_of_its_step():
    g = graph("/a.jpg", "e-bgremove,w-512")
    assert [s.WhichOneof("op") for s in g.steps] == ["resize", "remove_background"]


def test_bgremove_with_pad_bg_lays_the_subject_on_the_colour():
    g = graph("/a.jpg", "e-bgremove,w-300,h-300,cm-pad_resize,bg-FFFFFF")
    ops = [s.WhichOneof("op") for s in g.steps]
    assert ops == ["resize", "remove_background", "background_color"]


def test_two_ai_ops_in_one_step_are_rejected():
    exc = error("/a.jpg", "e-bgremove,e-removedotbg")
    assert exc.parameter == "e" and "chain" in exc.message


def test_repeated_parameter_in_one_step_is_rejected():
    assert error("/a.jpg", "w-10,w-20").parameter == "w"


def test_unknown_effect_and_unknown_parameter():  # noqa: D103
    assert error("/a.jpg", "e-foo").parameter == "e"
    exc = error("/a.jpg", "zz-1")
    assert (exc.code, exc.parameter) == ("unknown_parameter", "zz")
    assert "w" in exc.allowed.split(", ")


def test_sharpen():
    assert only_step(graph("/a.jpg", "e-sharpen"), "sharpen").sigma == pytest.approx(0.5)
    assert only_step(graph("/a.jpg", "e-sharpen-20"), "sharpen").sigma == pytest.approx(2.0)


# --- output ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,fmt",
    [
        ("auto", edit_pb2.FORMAT_AUTO),
        ("jpg", edit_pb2.FORMAT_JPEG),
        ("jpeg", edit_pb2.FORMAT_JPEG),
        ("png", edit_pb2.FORMAT_PNG),
        ("webp", edit_pb2.FORMAT_WEBP),
        ("avif", edit_pb2.FORMAT_AVIF),
    ],
)
def test_format(value, fmt):
    assert graph("/a.jpg", f"f-{value}").encode.format == fmt


def test_format_and_quality_are_global_last_wins():
    g = graph("/a.jpg", "f-png,q-50:f-webp,w-10")
    assert (g.encode.format, g.encode.quality) == (edit_pb2.FORMAT_WEBP, 50)


@pytest.mark.parametrize("tr", ["f-gif2", "q-0", "q-101", "q-high"])
def test_bad_output_parameters(tr):
    assert error("/a.jpg", tr).parameter == tr.split("-")[0]


def test_accepted_formats_are_carried_for_f_auto():
    g = graph("/a.jpg", None, [edit_pb2.FORMAT_WEBP])
    assert list(g.encode.accepted) == [edit_pb2.FORMAT_WEBP]


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, []),
        ("*/*", []),
        ("image/webp,*/*", [edit_pb2.FORMAT_WEBP]),
        (
            "image/avif,image/webp,image/apng,*/*;q=0.8",
            [edit_pb2.FORMAT_AVIF, edit_pb2.FORMAT_WEBP],
        ),
        ("image/avif;q=0, image/webp;q=0.5", [edit_pb2.FORMAT_WEBP]),
        ("IMAGE/WEBP", [edit_pb2.FORMAT_WEBP]),
    ],
)
def test_accept_header_negotiation(accept, expected):
    assert accepted_formats(accept) == expected


def test_error_json_names_parameter_and_allowed_values():
    body = error("/a.jpg", "fo-middle").to_json()
    assert body["code"] == "invalid_parameter" and body["parameter"] == "fo"
    assert "auto" in body["allowed"] and "middle" in body["message"]
