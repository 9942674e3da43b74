"""The step catalogue: which EditGraph steps are *AI steps*, and walking a
graph with its layers.

An AI step is one that calls a model in Triton (background removal, text
removal, upscale, face / object focus, model edits) or that ImageKit bills as
an AI transformation (``e-dropshadow``,
https://imagekit.io/docs/ai-transformations). Signing (``--require-signed=ai``),
the intermediate-response budget and the result cache's expiry all ask
:func:`has_ai_step`, so a new model-backed step is covered by adding it here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from contract.vocabulary import DETECTED_FOCUS
from imgmesh.v1 import edit_pb2


def _always(_params: Any) -> bool:
    return True


# Step.op oneof name -> does this step (with these parameters) need a model?
AI_STEPS: dict[str, Callable[[Any], bool]] = {
    "remove_background": _always,
    "drop_shadow": _always,
    "model_edit": _always,
    "upscale": _always,
    "text_removal": _always,
    "resize": lambda r: r.focus in DETECTED_FOCUS,  # fo-face, fo-<object>
    "focus_outline": lambda o: o.detect_faces,  # thumbor debug/smart
    "blur_detections": _always,  # imgproxy Pro bd
    "draw_detections": _always,  # imgproxy Pro dd
}

STEP_NAMES: tuple[str, ...] = tuple(
    f.name for f in edit_pb2.Step.DESCRIPTOR.oneofs_by_name["op"].fields
)


def walk(graph: edit_pb2.EditGraph, depth: int = 0) -> Iterator[tuple[int, edit_pb2.Step]]:
    """Every step of ``graph``, of both branches of its conditionals and of its
    layers (image layers' graphs, text layers' steps), depth-first in order,
    with its layer depth (0 = the graph itself)."""
    yield from _walk_steps(graph.steps, depth)


def _walk_steps(steps: Iterable[edit_pb2.Step], depth: int) -> Iterator[tuple[int, edit_pb2.Step]]:
    for step in steps:
        yield depth, step
        name = step.WhichOneof("op")
        if name == "conditional":
            yield from _walk_steps(step.conditional.then_steps, depth)
            yield from _walk_steps(step.conditional.else_steps, depth)
        elif name == "overlay":
            if step.overlay.WhichOneof("layer") == "image":
                yield from _walk_steps(step.overlay.image.steps, depth + 1)
            yield from _walk_steps(step.overlay.text_steps, depth + 1)


def is_ai_step(step: edit_pb2.Step) -> bool:
    """True if this one step (not its layers) is an AI step."""
    name = step.WhichOneof("op")
    predicate = AI_STEPS.get(name or "")
    return bool(predicate and predicate(getattr(step, name)))


def has_ai_step(graph: edit_pb2.EditGraph) -> bool:
    """True if any step, in any layer, is an AI step."""
    return any(is_ai_step(step) for _, step in walk(graph))
