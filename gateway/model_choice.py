"""Per-request choice of the background-removal model, for both APIs: the
``x-imgmesh-segmentation-model`` request header (like Photoroom's model-version
headers), one of :data:`contract.catalogue.SEGMENTATION_MODELS` (``isnet`` for
quality, ``u2netp`` for speed). Without it transform_svc uses its configured
default (``IMGMESH_SEGMENTATION_MODEL``)."""

from __future__ import annotations

from contract.catalogue import SEGMENTATION_MODELS
from contract.facts import GraphFacts
from gateway.errors import RequestError

HEADER = "x-imgmesh-segmentation-model"


def apply(facts: GraphFacts, value: str | None) -> None:
    """Set every background-removal step of the graph ``facts`` describe
    (layers and branches included) to the model ``value`` names.

    Raises:
        RequestError: invalid_parameter for a model not in SEGMENTATION_MODELS (400).
    """
    if value is None:
        return
    name = value.strip().lower()
    if name not in SEGMENTATION_MODELS:
        raise RequestError(
            "invalid_parameter",
            f"unknown segmentation model {value!r} in {HEADER}",
            HEADER,
            " | ".join(SEGMENTATION_MODELS),
        )
    for step in facts.segmentation:
        step.model = name
