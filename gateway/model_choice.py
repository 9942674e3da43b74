"""Per-request choice of the background-removal model, for both APIs: the
``x-imgmesh-segmentation-model`` request header (like Photoroom's model-version
headers), ``isnet`` (quality) or ``u2netp`` (fast). Without it transform_svc
uses its configured default (``IMGMESH_SEGMENTATION_MODEL``)."""

from __future__ import annotations

from collections.abc import Iterator

from contract.steps import walk
from gateway.errors import RequestError
from imgmesh.v1 import edit_pb2
from inference import catalogue

HEADER = "x-imgmesh-segmentation-model"
MODELS = tuple(m.name for m in catalogue.with_capability(catalogue.SEGMENTATION))


def segmentation_steps(graph: edit_pb2.EditGraph) -> Iterator[edit_pb2.RemoveBackground]:
    """Every background-removal step of ``graph``, layers and conditional
    branches included."""
    for _, step in walk(graph):
        if step.WhichOneof("op") == "remove_background":
            yield step.remove_background


def apply(graph: edit_pb2.EditGraph, value: str | None) -> None:
    """Set every background-removal step of ``graph`` (layers included) to ``value``.

    Raises:
        RequestError: invalid_parameter for a model not in MODELS (400).
    """
    if value is None:
        return
    name = value.strip().lower()
    if name not in MODELS:
        raise RequestError(
            "invalid_parameter",
            f"unknown segmentation model {value!r} in {HEADER}",
            HEADER,
            " | ".join(MODELS),
        )
    for step in segmentation_steps(graph):
        step.model = name


def uses_segmentation(graph: edit_pb2.EditGraph) -> bool:
    """True if a background-removal step (layers included) depends on the header."""
    return next(segmentation_steps(graph), None) is not None
