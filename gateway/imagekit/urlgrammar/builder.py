"""StepSpecs -> EditGraph.

Within one comma-joined step the ops run in the one order of
:data:`gateway.step_order.STEP_ORDER`. ``bg`` inside a pad crop mode is the
pad colour; with background removal in the same step it is also laid under the
cut-out subject.

Client hints (https://imagekit.io/docs/image-transformation#client-hints):
``w-auto`` takes ``Sec-CH-Width``/``Width`` (already in device px) rounded up to
the next 100, ``dpr-auto`` takes ``Sec-CH-DPR``/``DPR``; ``Content-DPR`` =
selected width / (hinted width / DPR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contract.vocabulary import DETECTED_FOCUS, EXTRACT_MODES, PAD_MODES
from gateway.errors import RequestError
from gateway.imagekit.urlgrammar.layers import image_layer, text_layer
from gateway.imagekit.urlgrammar.params import (
    FLAG_KEYS,
    StepSpec,
    condition,
    parse_step,
)
from gateway.imagekit.urlgrammar.split import Param
from gateway.step_order import StepSlots
from imgmesh.v1 import edit_pb2

# With these, the pixel size after DPR must stay within 1..5000 px or DPR is ignored.
DPR_MAX_PX = 5000


@dataclass(frozen=True)
class ClientHints:
    """Request client hints: DPR (ratio) and intrinsic width (px)."""

    dpr: float | None = None
    width: int | None = None


@dataclass
class Built:
    """An EditGraph plus what the HTTP layer needs to know about it."""

    graph: edit_pb2.EditGraph
    content_dpr: float | None = None
    uses_client_hints: bool = False
    default_image: str | None = None


def _resolve_dpr(spec: StepSpec, hints: ClientHints) -> float | None:
    if spec.dpr_auto:
        return hints.dpr or 1.0
    return spec.dpr


def _resize(spec: StepSpec, hints: ClientHints, built: Built) -> edit_pb2.Step | None:
    width = spec.width
    dpr = _resolve_dpr(spec, hints)
    if spec.width_auto:
        built.uses_client_hints = True
        if hints.width:
            selected = math.ceil(hints.width / 100) * 100
            width = edit_pb2.Dimension(px=selected)
            built.content_dpr = round(selected / (hints.width / (hints.dpr or 1.0)), 2)
            dpr = None  # the hinted width already includes the DPR
    if spec.dpr_auto:
        built.uses_client_hints = True
        if built.content_dpr is None and dpr:
            built.content_dpr = dpr
    has_size = width is not None or spec.height is not None
    if not has_size:
        for key, value in (
            ("ar", spec.aspect_ratio),
            ("c", spec.crop_mode),
            ("fo", spec.focus),
            ("dpr", spec.dpr),
            ("z", spec.zoom),
        ):
            if value is not None and not spec.width_auto:
                raise RequestError(
                    "invalid_parameter",
                    f"{key} needs w or h in the same step",
                    key,
                    "combine with w-* or h-*",
                )
        if spec.position:
            raise RequestError(
                "invalid_parameter",
                "x/y/xc/yc need w, h and cm-extract",
                next(iter(spec.position)),
                "cm-extract|cm-pad_extract with w, h",
            )
        return None
    resize = edit_pb2.Resize(
        aspect_ratio=spec.aspect_ratio or 0.0,
        crop_mode=spec.crop_mode or edit_pb2.CROP_MODE_MAINTAIN_RATIO,
        focus=spec.focus or edit_pb2.FOCUS_CENTER,
        focus_object=spec.focus_object,
        zoom=spec.zoom or 0.0,
        dpr=dpr or 0.0,
    )
    if width is not None:
        resize.width.CopyFrom(width)
    if spec.height is not None:
        resize.height.CopyFrom(spec.height)
    if spec.background is not None and resize.crop_mode in PAD_MODES:
        resize.background.CopyFrom(spec.background)
    if spec.position:
        if resize.crop_mode not in EXTRACT_MODES:
            raise RequestError(
                "invalid_parameter",
                "x/y/xc/yc need cm-extract or cm-pad_extract",
                next(iter(spec.position)),
                "cm-extract|cm-pad_extract",
            )
        for key, value in spec.position.items():
            getattr(resize, key).CopyFrom(value)
    if spec.zoom is not None and spec.focus not in DETECTED_FOCUS:
        raise RequestError(
            "invalid_parameter",
            "z needs fo-face or fo-<object>",
            "z",
            "combine with fo-face or fo-<object>",
        )
    return edit_pb2.Step(resize=resize)


def steps_for(spec: StepSpec, hints: ClientHints, built: Built) -> list[edit_pb2.Step]:
    """Typed steps for one parsed step.

    Raises:
        RequestError: parameters that need others in the same step.
    """
    out = StepSlots()
    resize = _resize(spec, hints, built)
    if resize is not None:
        out.add("resize", resize)
    if spec.ai_name == "bg-genfill" and (
        resize is None
        or resize.resize.crop_mode not in PAD_MODES
        or not resize.resize.HasField("width")
        or not resize.resize.HasField("height")
    ):
        raise RequestError(
            "invalid_parameter",
            "bg-genfill needs w, h and cm-pad_resize or cm-pad_extract",
            "bg",
            "w-*, h-*, cm-pad_resize|cm-pad_extract",
        )
    if spec.rotate is not None:
        bg = spec.background or edit_pb2.Color(r=0, g=0, b=0, a=255)
        out.add("rotate", edit_pb2.Step(rotate=edit_pb2.Rotate(degrees=spec.rotate, background=bg)))
    if spec.flip is not None:
        out.add("flip", edit_pb2.Step(flip=spec.flip))
    if spec.blur_sigma is not None:
        out.add("blur", edit_pb2.Step(blur=edit_pb2.Blur(sigma=spec.blur_sigma)))
    if spec.sharpen_sigma is not None:
        out.add("sharpen", edit_pb2.Step(sharpen=edit_pb2.Sharpen(sigma=spec.sharpen_sigma)))
    if spec.ai is not None:
        out.add("ai", spec.ai)
    out.add("effects", *spec.effects)
    for layer in spec.layers:
        if layer.value == "image":
            out.add("layers", image_layer(layer, lambda chain: _layer_steps(chain, hints, built)))
        else:
            out.add("layers", text_layer(layer))
    for block in spec.conditions:
        conditional = edit_pb2.Conditional(condition=condition(block.value))
        conditional.then_steps.extend(_layer_steps(block.children, hints, built))
        conditional.else_steps.extend(_layer_steps(block.otherwise, hints, built))
        out.add("conditionals", edit_pb2.Step(conditional=conditional))
    used_as_pad = resize is not None and resize.resize.crop_mode in PAD_MODES
    removes = spec.ai is not None and spec.ai.WhichOneof("op") == "remove_background"
    if spec.background is not None and (not used_as_pad or removes):
        color = edit_pb2.BackgroundColor(color=spec.background)
        out.add("background", edit_pb2.Step(background_color=color))
    return out.ordered()


def _layer_steps(chain: list[list[Param]], hints: ClientHints, built: Built) -> list[edit_pb2.Step]:
    """Steps of a nested chain: a layer's own or a condition's branch."""
    steps: list[edit_pb2.Step] = []
    for params in chain:
        if not params:
            continue
        steps.extend(steps_for(parse_step(params), hints, built))
    return steps


def build_graph(
    chain: list[list[Param]],
    source_path: str,
    accepted: list[int],
    hints: ClientHints | None = None,
) -> Built:
    """Parse a tokenized chain into an EditGraph with source ``origin_path``.

    Args:
        accepted: formats the client accepts (from Accept), for f-auto.
        hints: client hints from the request headers.

    Raises:
        RequestError: any parameter error.
    """
    hints = hints or ClientHints()
    graph = edit_pb2.EditGraph(source=edit_pb2.Source(origin_path=source_path))
    built = Built(graph)
    encode = edit_pb2.Encode(format=edit_pb2.FORMAT_AUTO)
    for params in chain:
        spec = parse_step(params)
        graph.steps.extend(steps_for(spec, hints, built))
        if spec.format is not None:
            encode.format = spec.format
        if spec.quality is not None:
            encode.quality = spec.quality
        for key, value in spec.flags.items():
            setattr(encode, FLAG_KEYS[key], value)
        if spec.default_image is not None:
            built.default_image = spec.default_image
    encode.accepted.extend(accepted)
    graph.encode.CopyFrom(encode)
    return built
