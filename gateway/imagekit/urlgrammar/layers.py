"""ImageKit layers -> Overlay steps (https://imagekit.io/docs/add-overlays-on-images).

``l-image,i-<path>,...,l-end`` overlays another image from the origin (``@@``
= ``/`` in the path, ``ie-`` = URL-safe base64 path) with its own
transformation (any parameter; ``:`` chains the layer's steps; layers nest up
to 3 levels). ``l-text,i-<text>,...,l-end`` overlays text: ``fs`` font size
(45), ``co`` colour (black), ``ff`` font family, ``bg`` background, ``pa``
padding (CSS shorthand ``10``, ``10_20``, ``10_20_30``, ``10_20_30_40``),
``tg`` typography ``b``/``i``/``b_i``, ``w`` wrap width, ``ia`` alignment.
Both take ``lx``/``ly`` (px from the left/top; ``N`` = from the right/bottom)
or ``lfo`` (compass placement, default centre).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from contract.limits import MAX_OUTPUT_SIDE
from gateway.errors import RequestError, invalid
from gateway.imagekit.urlgrammar.params import FOCUS
from gateway.imagekit.urlgrammar.split import Param
from gateway.imagekit.urlgrammar.values import color, integer
from imgmesh.v1 import edit_pb2

POSITION_KEYS = ("lx", "ly", "lfo")
TEXT_KEYS = ("i", "ie", "fs", "co", "ff", "bg", "pa", "tg", "w", "ia", *POSITION_KEYS)
ALIGN = {"left": "left", "right": "right", "center": "center"}


def _input(key: str, value: str) -> str:
    if key == "ie":
        try:
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error is a ValueError
            raise invalid("ie", value, "URL-safe base64 of the layer input") from exc
    return value


def _place(overlay: edit_pb2.Overlay, key: str, value: str) -> None:
    if key == "lfo":
        if value not in FOCUS or value in ("auto", "face"):
            raise invalid(
                "lfo",
                value,
                "center|top|bottom|left|right|top_left|top_right|bottom_left|bottom_right",
            )
        overlay.focus = FOCUS[value]
    else:
        setattr(overlay, key[1], integer(key, value, -65_535, 65_535))


def image_layer(
    layer: Param, build_steps: Callable[[list[list[Param]]], list[edit_pb2.Step]]
) -> edit_pb2.Step:
    """``l-image`` -> Overlay with a nested EditGraph.

    Args:
        build_steps: turns the layer's remaining chain into steps (the builder).

    Raises:
        RequestError: no ``i``/``ie``, or bad values.
    """
    overlay = edit_pb2.Overlay()
    path = None
    chain: list[list[Param]] = []
    for step in layer.children:
        rest = []
        for p in step:
            if p.key in ("i", "ie"):
                path = _input(p.key, p.value).replace("@@", "/").strip("/")
            elif p.key in POSITION_KEYS:
                _place(overlay, p.key, p.value)
            else:
                rest.append(p)
        chain.append(rest)
    if not path or ".." in path.split("/"):
        raise RequestError(
            "invalid_parameter",
            "l-image needs i-<path> (@@ for /)",
            "i",
            "an image path in the origin",
        )
    graph = edit_pb2.EditGraph(source=edit_pb2.Source(origin_path=path))
    graph.steps.extend(build_steps([s for s in chain if s]))
    overlay.image.CopyFrom(graph)
    return edit_pb2.Step(overlay=overlay)


def _padding(value: str) -> list[int]:
    parts = [integer("pa", v, 0, 10_000) for v in value.split("_")]
    if len(parts) not in (1, 2, 3, 4):
        raise invalid("pa", value, "1 to 4 px values joined by _ (CSS order)")
    top = parts[0]
    right = parts[1] if len(parts) > 1 else top
    bottom = parts[2] if len(parts) > 2 else top
    left = parts[3] if len(parts) > 3 else right
    return [top, right, bottom, left]


def text_layer(layer: Param) -> edit_pb2.Step:
    """``l-text`` -> Overlay with a TextLayer.

    Raises:
        RequestError: no text, a parameter text layers don't take, or bad values.
    """
    overlay = edit_pb2.Overlay()
    text = edit_pb2.TextLayer()
    for p in (p for step in layer.children for p in step):
        if p.key not in TEXT_KEYS:
            raise RequestError(
                "unknown_parameter",
                f"{p.key!r} is not a text layer parameter",
                p.key,
                ", ".join(TEXT_KEYS),
            )
        if p.key in ("i", "ie"):
            text.text = _input(p.key, p.value)
        elif p.key == "fs":
            text.font_size = integer("fs", p.value, 1, 1000)
        elif p.key == "co":
            text.color.CopyFrom(color("co", p.value))
        elif p.key == "ff":
            text.font = p.value.replace("@@", "/").replace("_", " ")
        elif p.key == "bg":
            text.background.CopyFrom(color("bg", p.value))
        elif p.key == "pa":
            text.padding.extend(_padding(p.value))
        elif p.key == "tg":
            if p.value not in ("b", "i", "b_i", "i_b"):
                raise invalid("tg", p.value, "b|i|b_i")
            text.bold, text.italic = "b" in p.value, "i" in p.value
        elif p.key == "w":
            text.max_width = integer("w", p.value, 1, MAX_OUTPUT_SIDE)
        elif p.key == "ia":
            if p.value not in ALIGN:
                raise invalid("ia", p.value, "left|center|right")
            text.align = ALIGN[p.value]
        else:
            _place(overlay, p.key, p.value)
    if not text.text:
        raise RequestError("invalid_parameter", "l-text needs i-<text>", "i", "the text to draw")
    overlay.text.CopyFrom(text)
    return edit_pb2.Step(overlay=overlay)
