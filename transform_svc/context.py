"""Per-service state handed to every op."""

from __future__ import annotations

from dataclasses import dataclass

from inference.client import InferenceClient


@dataclass
class RenderContext:
    """What ops may use besides the image.

    Attributes:
        inference: the Triton client (one per process).
        segmentation_model: Triton model used when RemoveBackground.model is empty.
    """

    inference: InferenceClient
    segmentation_model: str = "u2netp"
