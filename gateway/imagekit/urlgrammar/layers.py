"""ImageKit layers -> Overlay steps (https://imagekit.io/docs/add-overlays-on-images).

``l-image,i-<path>,...,l-end`` overlays another image from the origin (``@@``
= ``/`` in the path, ``ie-`` = base64 path) with its own transformation (any
parameter, ``o`` opacity among them; ``:`` chains the layer's steps; layers
nest up to 3 levels). ``l-image,i-ik_canvas,bg-<colour>,w-..,h-..,l-end`` is a
solid-colour block (unset sides = the base image's; ``al`` 1..9 opacity in
tenths, ``r``, ``e-gradient`` and the rest apply to it). ``l-text,i-<text>,...,
l-end`` overlays text: ``fs`` font size (45), ``co`` colour (black), ``ff``
font family, ``bg`` background, ``pa`` padding (CSS shorthand ``10``,
``10_20``, ``10_20_30``, ``10_20_30_40``), ``tg`` typography ``b``/``i``/
``strikethrough`` joined by ``_``, ``w`` wrap width, ``ia`` alignment, ``lh``
line height, ``al`` opacity 1..9, and ``rt`` / ``fl`` / ``r`` applied to the
rendered text. Every layer takes ``lx``/``ly`` (its top-left) or
``lxc``/``lyc`` (its centre), px or arithmetic expressions (``bw_mul_0.4``),
measured from ``lap`` (the base's anchor point, default top-left; without it
``N`` = from the right/bottom), else ``lfo`` (compass placement, default
centre); and ``lm`` layer mode: multiply, cutout, cutter, displace (``lx``/``ly``
= the largest displacement, px).
"""

from __future__ import annotations

from collections.abc import Callable

from contract import vocabulary
from contract.limits import MAX_OUTPUT_SIDE
from gateway.errors import RequestError, invalid
from gateway.imagekit.urlgrammar.params import PARAMS, StepSpec
from gateway.imagekit.urlgrammar.split import Param
from gateway.imagekit.urlgrammar.values import (
    base64_text,
    color,
    dimension,
    integer,
    number,
    offset,
)
from imgmesh.v1 import edit_pb2

CANVAS = "ik_canvas"  # i-ik_canvas: a solid-colour block, not a file
POSITION_KEYS = ("lx", "ly", "lxc", "lyc", "lap", "lfo", "lm")
TEXT_KEYS = (
    "i",
    "ie",
    "fs",
    "co",
    "ff",
    "bg",
    "pa",
    "tg",
    "w",
    "ia",
    "lh",
    "al",
    "rt",
    "fl",
    "r",
    *POSITION_KEYS,
)
ALIGN = {"left": "left", "right": "right", "center": "center"}
COMPASS_HELP = "|".join(vocabulary.COMPASS_FOCUS)
# lm-<mode>: every blend mode but the default (over), by its canonical name.
BLENDS = tuple(name for name in vocabulary.BLEND_MODES if name != "over")
OFFSET_FIELDS = {"lx": "x", "ly": "y", "lxc": "x_center", "lyc": "y_center"}


def _input(key: str, value: str) -> str:
    return base64_text(key, value) if key == "ie" else value


def _compass(key: str, value: str) -> int:
    if value not in vocabulary.COMPASS_FOCUS:
        raise invalid(key, value, COMPASS_HELP)
    return vocabulary.COMPASS_FOCUS[value]


def _place(overlay: edit_pb2.Overlay, key: str, value: str) -> None:
    if key == "lfo":
        overlay.focus = _compass(key, value)
    elif key == "lap":
        overlay.anchor = _compass(key, value)
    elif key == "lm":
        if value not in BLENDS:
            raise invalid("lm", value, "|".join(BLENDS))
        overlay.blend = vocabulary.BLEND_MODES[value]
    else:
        getattr(overlay, OFFSET_FIELDS[key]).CopyFrom(offset(key, value))


def _check_offsets(overlay: edit_pb2.Overlay) -> None:
    for a, b, key in (("x", "x_center", "lxc"), ("y", "y_center", "lyc")):
        if overlay.HasField(a) and overlay.HasField(b):
            raise RequestError(
                "invalid_parameter", f"l{a} and {key} cannot be combined", key, f"l{a} or {key}"
            )


def _opacity_tenths(value: str) -> edit_pb2.Step:
    return edit_pb2.Step(opacity=edit_pb2.Opacity(opacity=integer("al", value, 1, 9) / 10))


def image_layer(
    layer: Param, build_steps: Callable[[list[list[Param]]], list[edit_pb2.Step]]
) -> edit_pb2.Step:
    """``l-image`` -> Overlay with a nested EditGraph (an origin file or,
    for ``i-ik_canvas``, a Canvas source).

    Args:
        build_steps: turns the layer's remaining chain into steps (the builder).

    Raises:
        RequestError: no ``i``/``ie``, a canvas without ``bg``, or bad values.
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
    _check_offsets(overlay)
    if path == CANVAS:
        graph = _canvas_graph(chain, build_steps)
    elif not path or ".." in path.split("/"):
        raise RequestError(
            "invalid_parameter",
            "l-image needs i-<path> (@@ for /) or i-ik_canvas",
            "i",
            "an image path in the origin, or ik_canvas",
        )
    else:
        graph = edit_pb2.EditGraph(source=edit_pb2.Source(origin_path=path))
        graph.steps.extend(build_steps([s for s in chain if s]))
    overlay.image.CopyFrom(graph)
    return edit_pb2.Step(overlay=overlay)


def _canvas_graph(
    chain: list[list[Param]], build_steps: Callable[[list[list[Param]]], list[edit_pb2.Step]]
) -> edit_pb2.EditGraph:
    """``i-ik_canvas``: its first step's ``bg``, ``w``, ``h`` size and colour the
    canvas, ``al`` its opacity; the rest of the chain transforms it."""
    canvas = edit_pb2.Canvas()
    first, rest = (chain[0] if chain else []), chain[1:]
    kept: list[Param] = []
    after: list[edit_pb2.Step] = []
    for p in first:
        if p.key == "bg":
            canvas.color.CopyFrom(color("bg", p.value))
        elif p.key == "w":
            canvas.width.CopyFrom(dimension("w", p.value))
        elif p.key == "h":
            canvas.height.CopyFrom(dimension("h", p.value))
        elif p.key == "al":
            after.append(_opacity_tenths(p.value))
        else:
            kept.append(p)
    if not canvas.HasField("color"):
        raise RequestError(
            "invalid_parameter", "i-ik_canvas needs bg-<colour>", "bg", "RRGGBB, RRGGBBAA or a name"
        )
    graph = edit_pb2.EditGraph(source=edit_pb2.Source(canvas=canvas))
    graph.steps.extend(build_steps([s for s in [kept, *rest] if s]))
    graph.steps.extend(after)
    return graph


def _padding(value: str) -> list[int]:
    parts = [integer("pa", v, 0, 10_000) for v in value.split("_")]
    if len(parts) not in (1, 2, 3, 4):
        raise invalid("pa", value, "1 to 4 px values joined by _ (CSS order)")
    top = parts[0]
    right = parts[1] if len(parts) > 1 else top
    bottom = parts[2] if len(parts) > 2 else top
    left = parts[3] if len(parts) > 3 else right
    return [top, right, bottom, left]


def _text_steps(key: str, value: str) -> list[edit_pb2.Step]:
    """``rt`` / ``fl`` / ``r`` of a text layer, parsed as the same parameters
    of an image step (one parser each); ``rt-auto`` asks for nothing."""
    spec = StepSpec()
    PARAMS[key](value, spec)
    if spec.rotate is not None:
        bg = edit_pb2.Color()  # transparent corners around rotated text
        return [edit_pb2.Step(rotate=edit_pb2.Rotate(degrees=spec.rotate, background=bg))]
    if spec.flip is not None:
        return [edit_pb2.Step(flip=spec.flip)]
    return spec.effects


def text_layer(layer: Param) -> edit_pb2.Step:
    """``l-text`` -> Overlay with a TextLayer (and text_steps for rt, fl, r, al).

    Raises:
        RequestError: no text, a parameter text layers don't take, or bad values.
    """
    overlay = edit_pb2.Overlay()
    text = edit_pb2.TextLayer()
    opacity: list[edit_pb2.Step] = []
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
            styles = p.value.split("_")
            if any(v not in ("b", "i", "strikethrough") for v in styles):
                raise invalid("tg", p.value, "b, i, strikethrough joined by _ (e.g. b_i)")
            text.bold, text.italic = "b" in styles, "i" in styles
            text.strikethrough = "strikethrough" in styles
        elif p.key == "w":
            text.max_width = integer("w", p.value, 1, MAX_OUTPUT_SIDE)
        elif p.key == "ia":
            if p.value not in ALIGN:
                raise invalid("ia", p.value, "left|center|right")
            text.align = ALIGN[p.value]
        elif p.key == "lh":
            text.line_height = int(number("lh", p.value, 1, 10_000, "line height, px 1..10000"))
        elif p.key == "al":
            opacity.append(_opacity_tenths(p.value))
        elif p.key in ("rt", "fl", "r"):
            overlay.text_steps.extend(_text_steps(p.key, p.value))
        else:
            _place(overlay, p.key, p.value)
    if not text.text:
        raise RequestError("invalid_parameter", "l-text needs i-<text>", "i", "the text to draw")
    _check_offsets(overlay)
    overlay.text_steps.extend(opacity)
    overlay.text.CopyFrom(text)
    return edit_pb2.Step(overlay=overlay)
