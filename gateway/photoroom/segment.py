"""``POST /v1/segment`` (Photoroom's Remove Background, Basic plan) -> EditGraph.

Fields: ``image_file`` (required), ``format`` png|jpg|webp (png),
``channels`` rgba|alpha (rgba), ``bg_color``, ``size`` preview|medium|hd|full
(0.25 / 1.5 / 4 / 36 megapixels, never enlarged; full), ``crop`` (cut to the
subject's bounding box), ``despill`` (green reflections).
"""

from __future__ import annotations

from collections.abc import Mapping

from contract import vocabulary
from gateway.errors import RequestError
from gateway.photoroom import fields as f
from imgmesh.v1 import edit_pb2

SIZES_MP = {"preview": 0.25, "medium": 1.5, "hd": 4.0, "full": 36.0}
# format: png, jpg, webp (the reference's spellings; jpeg is not one of them).
FORMATS = {
    name: fmt
    for name, fmt in vocabulary.format_names(
        edit_pb2.FORMAT_PNG, edit_pb2.FORMAT_JPEG, edit_pb2.FORMAT_WEBP
    ).items()
    if name != "jpeg"
}
FIELDS = ("format", "channels", "bg_color", "size", "crop", "despill")


def build(fields: Mapping[str, str], image: bytes | None) -> edit_pb2.EditGraph:
    """Parse the form and build the graph.

    Raises:
        RequestError: missing ``image_file``, unknown field or bad value (400).
        ConflictError: ``channels=alpha`` with ``bg_color`` (400).
    """
    for name in fields:
        if name not in FIELDS:
            raise RequestError(
                "unknown_parameter", f"unknown field {name!r}", name, ", ".join(FIELDS)
            )
    if not image:
        raise RequestError("missing_source", "'image_file' is required", "image_file")
    fmt = f.enum("format", fields.get("format", "png"), tuple(FORMATS))
    channels = f.enum("channels", fields.get("channels", "rgba"), ("rgba", "alpha"))
    size = f.enum("size", fields.get("size", "full"), tuple(SIZES_MP))
    crop = f.boolean("crop", fields.get("crop", "false"))
    despill = f.boolean("despill", fields.get("despill", "false"))
    color = f.color("bg_color", fields["bg_color"]) if "bg_color" in fields else None
    if channels == "alpha" and color is not None:
        raise f.ConflictError("bg_color", "channels", "an alpha mask has no background")
    graph = edit_pb2.EditGraph(source=edit_pb2.Source(inline_bytes=image))
    graph.steps.add(remove_background=edit_pb2.RemoveBackground())
    if despill:
        graph.steps.add(despill=edit_pb2.Despill())
    if crop:
        graph.steps.add(
            subject_layout=edit_pb2.SubjectLayout(
                output_size=edit_pb2.SubjectLayout.OUTPUT_SIZE_CROPPED_SUBJECT
            )
        )
    graph.steps.add(area_limit=edit_pb2.AreaLimit(megapixels=SIZES_MP[size]))
    if channels == "alpha":
        graph.steps.add(alpha_mask=edit_pb2.AlphaMask())
    elif color is not None:
        graph.steps.add(background_color=edit_pb2.BackgroundColor(color=color))
    graph.encode.format = FORMATS[fmt]
    graph.encode.quality = 90
    return graph
