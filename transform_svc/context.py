"""Per-service state handed to every op."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

import pyvips

from contract.limits import Limits
from imgmesh.v1 import edit_pb2, transform_pb2
from inference.client import InferenceClient

# What the steps of the render in progress found out, in the reply's own
# fields: focal_regions (resize_focus, focus_outline), trimmed (trim). Set by
# Executor.render; None outside a render.
RENDER_REPORT: ContextVar[transform_pb2.RenderReply | None] = ContextVar(
    "render_report", default=None
)

# The default cut-out model: ISNet, for quality (README, "Background removal models").
DEFAULT_SEGMENTATION_MODEL = "isnet"


@dataclass
class RenderContext:
    """What ops may use besides the image.

    Attributes:
        inference: the Triton client (one per process).
        segmentation_model: Triton model used when RemoveBackground.model is empty.
        limits: the bounds an op that allocates checks first (set by the Executor).
        render_layer: renders a layer's EditGraph to pixels, given the (W, H) px
            of the image it is placed on (set by the Executor).
        run_steps: runs steps on an image (a text layer's rt/fl/r), given the
            base's (W, H) px (set by the Executor).
    """

    inference: InferenceClient
    segmentation_model: str = DEFAULT_SEGMENTATION_MODEL
    limits: Limits = field(default_factory=Limits)
    render_layer: (
        Callable[[edit_pb2.EditGraph, tuple[int, int]], Awaitable[pyvips.Image]] | None
    ) = None
    run_steps: (
        Callable[[pyvips.Image, list[edit_pb2.Step], tuple[int, int]], Awaitable[pyvips.Image]]
        | None
    ) = None
