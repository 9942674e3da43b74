"""StepSpecs -> EditGraph.

Within one comma-joined step the ops run in a fixed order chosen for speed and
meaning: resize/crop (so later ops see fewer pixels) -> rotate -> flip -> blur
-> sharpen -> background removal -> background colour. ``bg`` inside a pad crop
mode is the pad colour; with background removal in the same step it is also
laid under the cut-out subject.
"""

from __future__ import annotations

from gateway.urlgrammar.errors import GrammarError
from gateway.urlgrammar.params import StepSpec, parse_step
from gateway.urlgrammar.split import Param
from imgmesh.v1 import edit_pb2

_PAD_MODES = (edit_pb2.CROP_MODE_PAD_RESIZE, edit_pb2.CROP_MODE_PAD_EXTRACT)


def steps_for(spec: StepSpec) -> list[edit_pb2.Step]:
    """Typed steps for one parsed step.

    Raises:
        GrammarError: ``ar`` / ``c`` / ``cm`` / ``fo`` without ``w`` or ``h``.
    """
    out: list[edit_pb2.Step] = []
    has_size = spec.width is not None or spec.height is not None
    if has_size:
        resize = edit_pb2.Resize(
            aspect_ratio=spec.aspect_ratio or 0.0,
            crop_mode=spec.crop_mode or edit_pb2.CROP_MODE_MAINTAIN_RATIO,
            focus=spec.focus or edit_pb2.FOCUS_CENTER,
        )
        if spec.width is not None:
            resize.width.CopyFrom(spec.width)
        if spec.height is not None:
            resize.height.CopyFrom(spec.height)
        if spec.background is not None and resize.crop_mode in _PAD_MODES:
            resize.background.CopyFrom(spec.background)
        out.append(edit_pb2.Step(resize=resize))
    else:
        for key, value in (("ar", spec.aspect_ratio), ("c/cm", spec.crop_mode), ("fo", spec.focus)):
            if value is not None:
                raise GrammarError(
                    "invalid_parameter",
                    f"{key} needs w or h in the same step",
                    key.split("/")[0],
                    "combine with w-* or h-*",
                )
    if spec.rotate is not None:
        bg = spec.background or edit_pb2.Color(r=255, g=255, b=255, a=255)
        out.append(edit_pb2.Step(rotate=edit_pb2.Rotate(degrees=spec.rotate, background=bg)))
    if spec.blur_sigma is not None:
        out.append(edit_pb2.Step(blur=edit_pb2.Blur(sigma=spec.blur_sigma)))
    if spec.sharpen_sigma is not None:
        out.append(edit_pb2.Step(sharpen=edit_pb2.Sharpen(sigma=spec.sharpen_sigma)))
    if spec.remove_background is not None:
        out.append(
            edit_pb2.Step(remove_background=edit_pb2.RemoveBackground(model=spec.remove_background))
        )
    used_as_pad = has_size and spec.crop_mode in _PAD_MODES
    if spec.background is not None and (not used_as_pad or spec.remove_background is not None):
        out.append(edit_pb2.Step(background_color=edit_pb2.BackgroundColor(color=spec.background)))
    return out


def build_graph(
    chain: list[list[Param]], source_path: str, accepted: list[int]
) -> edit_pb2.EditGraph:
    """Parse a tokenized chain into an EditGraph with source ``origin_path``.

    Args:
        accepted: formats the client accepts (from Accept), for f-auto.

    Raises:
        GrammarError: any parameter error.
    """
    graph = edit_pb2.EditGraph(source=edit_pb2.Source(origin_path=source_path))
    encode = edit_pb2.Encode(format=edit_pb2.FORMAT_AUTO)
    for params in chain:
        spec = parse_step(params)
        graph.steps.extend(steps_for(spec))
        if spec.format is not None:
            encode.format = spec.format
        if spec.quality is not None:
            encode.quality = spec.quality
    encode.accepted.extend(accepted)
    graph.encode.CopyFrom(encode)
    return graph
