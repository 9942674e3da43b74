# ruff: noqa: E501  (one case per line, as pycloudinary writes them)
"""Option sets of pycloudinary's ``test/test_utils.py`` (the ``options=`` of its
``expected_url`` cases, v1.46.0), each with what imgmesh answers for it on
``synthetic/geometry.png`` (200 x 100 px, red = x, green = 2 y): the size
Cloudinary documents for the transformation, or the status of a feature not
served. The URL is built by the real SDK (``cloudinary.utils.cloudinary_url``)
in the test, never by hand.

Cases that are video-only (``du``, ``vc``, ``fps``...), delivery-domain
options (``secure``, ``cdn_subdomain``...) or SDK-internal helpers are not
image renders and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SdkCase:
    """One option set.

    Attributes:
        test: the pycloudinary test it comes from.
        options: ``cloudinary_url`` keyword arguments.
        size: (width, height) px of the 200 x 100 source's render; None when
            ``status`` is not 200.
        status: the HTTP status imgmesh answers.
        public_id: the public id (the geometry image unless given).
    """

    test: str
    options: dict[str, Any] = field(default_factory=dict)
    size: tuple[int, int] | None = (200, 100)
    status: int = 200
    public_id: str = ""


CASES = [
    SdkCase("test_cloud_name"),
    SdkCase("test_format", {"format": "jpg"}),
    SdkCase("test_crop", {"width": 100, "height": 100}, (100, 100)),
    SdkCase("test_crop", {"width": 100, "height": 100, "crop": "crop"}, (100, 100)),
    SdkCase("test_html_width_height_on_crop_fit_limit", {"width": 100, "height": 100, "crop": "limit"}, (100, 50)),
    SdkCase("test_html_width_height_on_crop_fit_limit", {"width": 100, "height": 100, "crop": "fit"}, (100, 50)),
    SdkCase("test_html_width_height_on_angle", {"width": 100, "height": 100, "crop": "scale", "angle": "auto"}, (100, 100)),
    SdkCase("test_various_options", {"x": 1, "y": 2, "opacity": 20, "radius": 3, "gravity": "center", "quality": 0.4, "prefix": "a"}),
    SdkCase("test_various_options", {"gravity": "auto", "width": 0.5, "crop": "crop"}, (100, 100)),
    SdkCase("test_radius", {"radius": 10}),
    SdkCase("test_radius", {"radius": "10:20"}),
    SdkCase("test_radius", {"radius": "max"}),
    SdkCase("test_should_support_auto_width", {"width": "auto:20", "crop": "fill"}),
    SdkCase("test_should_support_auto_width", {"width": "auto:20:350", "crop": "fill"}, (350, 175)),
    SdkCase("test_original_width_and_height", {"crop": "crop", "width": "ow", "height": "oh"}),
    SdkCase("test_support_a_percent_value", {"x": 1, "y": 2, "radius": 3, "gravity": "center", "quality": 80, "prefix": "a"}),
    SdkCase("test_support_a_percent_value", {"x": 1, "y": 2, "radius": 3, "gravity": "center", "quality": "80:444", "prefix": "a"}),
    SdkCase("test_should_support_auto_value", {"x": 1, "y": 2, "radius": 3, "gravity": "center", "quality": "auto", "prefix": "a"}),
    SdkCase("test_should_support_auto_value", {"x": 1, "y": 2, "radius": 3, "gravity": "center", "quality": "auto:good", "prefix": "a"}),
    SdkCase("test_should_support_auto_value", {"width": 100, "height": 100, "crop": "crop", "gravity": "auto:ocr_text"}, None, 501),
    SdkCase("test_should_support_auto_value", {"width": 100, "height": 100, "crop": "crop", "gravity": "ocr_text"}, None, 501),
    SdkCase("test_transformation_simple", {"transformation": "blip"}, (50, 25)),
    SdkCase("test_transformation_array", {"transformation": ["blip", "blop"]}, (25, 50)),
    SdkCase("test_transformation_simple (unknown name)", {"transformation": "nope"}, None, 400),
    SdkCase("test_base_transformations", {"transformation": {"x": 100, "y": 100, "crop": "fill"}, "crop": "crop", "width": 100}, (100, 100)),
    SdkCase("test_base_transformation_array", {"transformation": [{"x": 100, "y": 100, "width": 200, "crop": "fill"}, {"radius": 10}], "crop": "crop", "width": 100}, (100, 100)),
    SdkCase("test_no_empty_transformation", {"transformation": [{}, {"x": 100, "y": 100, "crop": "fill"}, {}]}),
    SdkCase("test_raw_transformation", {"transformation": {"width": 100, "raw_transformation": "g_north_west"}}, (100, 50)),
    SdkCase("test_raw_transformation", {"transformation": {"raw_transformation": "g_north_west"}}),
    SdkCase("test_raw_transformation", {"transformation": {"width": 100, "raw_transformation": ""}}, (100, 50)),
    SdkCase("test_chain_transformations", {"transformation": [{"width": 100, "crop": "scale"}, {"angle": 90}]}, (50, 100)),
    SdkCase("test_size", {"size": "10x10", "crop": "crop"}, (10, 10)),
    SdkCase("test_type", {"type": "facebook"}, None, 501),
    SdkCase("test_resource_type", {"resource_type": "raw"}, None, 501),
    SdkCase("test_background", {"background": "red"}),
    SdkCase("test_background", {"background": "#112233"}),
    SdkCase("test_default_image", {"default_image": "synthetic:halves.png"}, (200, 100), 200, "missing/nothing.png"),
    SdkCase("test_angle", {"angle": 12}, (216, 139)),  # the rotated box: 200 cos 12 + 100 sin 12 ...
    SdkCase("test_overlay", {"overlay": "text:hello"}),
    SdkCase("test_overlay", {"overlay": "text:hello", "height": 100, "width": 100}),
    SdkCase("test_overlay", {"overlay": {"font_family": "arial", "font_size": 20, "text": "hello"}, "height": 100, "width": 100}),
    SdkCase("test_underlay", {"underlay": "text:hello"}),
    SdkCase("test_underlay", {"underlay": "text:hello", "height": 100, "width": 100}),
    SdkCase("test_custom_function", {"custom_function": {"function_type": "wasm", "source": "blur.wasm"}}, None, 501),
    SdkCase("test_effect", {"effect": "sepia"}),
    SdkCase("test_effect_with_dict", {"effect": {"sepia": -10}}, None, 400),
    SdkCase("test_effect_with_array", {"effect": ["sepia", 10]}),
    SdkCase("test_density", {"density": 150}),
    SdkCase("test_page", {"page": 3}),
    SdkCase("test_border", {"border": {"width": 5}}, (210, 110)),
    SdkCase("test_border", {"border": {"width": 5, "color": "#ffaabbdd"}}, (210, 110)),
    SdkCase("test_border", {"border": "1px_solid_blue"}, (202, 102)),
    SdkCase("test_flags", {"flags": "abc"}, None, 400),
    SdkCase("test_flags", {"flags": ["progressive", "keep_iptc"]}),
    SdkCase("test_dpr", {"dpr": "2.0", "width": 50}, (100, 50)),
    SdkCase("test_folder_version", {"version": 123}),
    SdkCase("test_force_version", {"force_version": False}),
    SdkCase("test_aspect_ratio", {"aspect_ratio": "1.0", "width": 100, "crop": "fill"}, (100, 100)),
    SdkCase("test_aspect_ratio", {"aspect_ratio": "3:2", "width": 150, "crop": "fill"}, (150, 100)),
    SdkCase("test_aspect_ratio", {"aspect_ratio": "3:4", "height": 100, "crop": "fill"}, (75, 100)),
    SdkCase("test_overlay_options", {"overlay": "synthetic:logo.png"}),
    SdkCase("test_overlay_options", {"overlay": {"public_id": "synthetic/logo", "format": "png"}}),
    SdkCase("test_overlay_options", {"overlay": {"text": "Hello World", "font_family": "Arial", "font_size": 18, "font_style": "italic", "letter_spacing": 4}}),
    SdkCase("test_overlay_options", {"overlay": {"text": "Hello, World", "font_family": "Arial", "font_size": 18, "font_weight": "bold", "text_decoration": "strikethrough", "text_align": "center"}}),
    SdkCase("test_overlay_options", {"overlay": "video:cat"}, None, 501),
    SdkCase("test_translate_if", {"if": "w > 100", "width": 50, "crop": "scale"}, (50, 25)),
    SdkCase("test_translate_if", {"if": "w > 300", "width": 50, "crop": "scale"}),
    SdkCase("test_translate_if", {"if": "w > 100 && ar > 1.5", "width": 50, "crop": "scale"}, (50, 25)),
    SdkCase("test_translate_if", {"if": "w > 300 || h < 200", "width": 50, "crop": "scale"}, (50, 25)),
    SdkCase("test_translate_if", {"if": "fc > 0", "width": 50}, None, 501),
    SdkCase("test_pow_operator", {"width": "iw_pow_0.5_mul_10", "crop": "scale"}, (141, 71)),
    SdkCase("test_normalize_expression_with_predefined_variables", {"transformation": [{"$width": 10}, {"width": "$width_add_10_add_w", "crop": "scale"}]}, (220, 110)),
    SdkCase("test_dollar_key_should_define_a_variable", {"$foo": 50, "width": "$foo", "crop": "scale"}, (50, 25)),
    SdkCase("test_array_should_define_a_set_of_variables", {"variables": [["$a", 40], ["$b", 20]], "width": "$a", "height": "$b", "crop": "scale"}, (40, 20)),
    SdkCase("test_should_support_text_values (undefined)", {"width": "$nope"}, None, 400),
    SdkCase("test_signed_url", {"transformation": {"crop": "crop", "width": 10, "height": 20}, "sign_url": True}, (10, 20)),
    SdkCase("test_signed_url", {"version": 1234, "sign_url": True}),
    SdkCase("test_signed_url", {"type": "authenticated", "transformation": {"crop": "crop", "width": 10, "height": 20}, "sign_url": True}, (10, 20)),
    SdkCase("test_signed_url (authenticated unsigned)", {"type": "authenticated", "width": 10}, None, 401),
    SdkCase("test_signed_url_sha256", {"sign_url": True, "signature_algorithm": "sha256"}, None, 401),
    SdkCase("test_support_long_url_signature", {"sign_url": True, "long_url_signature": True, "width": 20}, (20, 10)),
    SdkCase("test_shorten", {"shorten": True}),
    SdkCase("test_shorten", {"shorten": True, "type": "private"}, None, 401),
    SdkCase("test_shorten", {"shorten": True, "type": "private", "sign_url": True}),
    SdkCase("test_escape_public_id (missing)", {}, None, 404, "a b"),
]  # fmt: skip
