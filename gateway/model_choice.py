"""Per-request choice of the background-removal model, for both APIs: the
``x-imgmesh-segmentation-model`` request header (like Photoroom's model-version
headers), ``isnet`` (quality) or ``u2netp`` (fast). Without it transform_svc
uses its configured default (``IMGMESH_SEGMENTATION_MODEL``)."""

from __future__ import annotations

from gateway.urlgrammar.errors import GrammarError
from imgmesh.v1 import edit_pb2

HEADER = "x-imgmesh-segmentation-model"
MODELS = ("isnet", "u2netp")


def apply(graph: edit_pb2.EditGraph, value: str | None) -> None:
    """Set every background-removal step of ``graph`` (layers included) to ``value``.

    Raises:
        GrammarError: invalid_parameter for a model not in MODELS (400).
    """
    if value is None:
        return
    name = value.strip().lower()
    if name not in MODELS:
        raise GrammarError(
            "invalid_parameter",
            f"unknown segmentation model {value!r} in {HEADER}",
            HEADER,
            " | ".join(MODELS),
        )
    for step in graph.steps:
        kind = step.WhichOneof("op")
        if kind == "remove_background":
            step.remove_background.model = name
        elif kind == "overlay" and step.overlay.WhichOneof("layer") == "image":
            apply(step.overlay.image, name)


def uses_segmentation(graph: edit_pb2.EditGraph) -> bool:
    """True if a background-removal step (layers included) depends on the header."""
    for step in graph.steps:
        kind = step.WhichOneof("op")
        if kind == "remove_background":
            return True
        if kind == "overlay" and step.overlay.WhichOneof("layer") == "image":
            if uses_segmentation(step.overlay.image):
                return True
    return False
