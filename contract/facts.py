"""What one request's EditGraph asks of the mesh, found in one walk.

The gateway computes :func:`graph_facts` once per request (signing policy,
the segmentation-model header, the graph limits, ``Vary``); transform_svc
re-derives it once from the graph it receives, because it is the trust
boundary (limits, the model-slot preflight, layer sources for the cache key,
the cache expiry of AI outputs). Every consumer reads these facts instead of
walking the graph again.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.steps import is_ai_step, walk
from contract.vocabulary import FOCUS
from imgmesh.v1 import edit_pb2


@dataclass(frozen=True)
class GraphFacts:
    """One walk's findings over a graph, its conditional branches and layers.

    The messages held are the graph's own (not copies): setting a field on
    one (e.g. the segmentation model) changes the graph.

    Attributes:
        steps: every step with its layer depth (0 = the graph), in
            :func:`contract.steps.walk` order.
        chain_lengths: the length of every step chain (the graph's own, each
            branch's, each layer's).
        has_ai: any step is an AI step (:data:`contract.steps.AI_STEPS`).
        segmentation: every background-removal step.
        model_edits: every model-backed edit (its ``model`` is the Triton slot).
        layer_sources: the sources of image layers, nested ones included.
        custom_focus: the graph's own resizes (depth 0) with ``fo-custom``.
    """

    steps: tuple[tuple[int, edit_pb2.Step], ...]
    chain_lengths: tuple[int, ...]
    has_ai: bool
    segmentation: tuple[edit_pb2.RemoveBackground, ...]
    model_edits: tuple[edit_pb2.ModelEdit, ...]
    layer_sources: tuple[edit_pb2.Source, ...]
    custom_focus: tuple[edit_pb2.Resize, ...]

    @property
    def layers(self) -> int:
        """How many layers (image and text overlays) the graph has."""
        return sum(1 for _, step in self.steps if step.WhichOneof("op") == "overlay")


def graph_facts(graph: edit_pb2.EditGraph) -> GraphFacts:
    """Walk ``graph`` once and record what it asks for."""
    steps = tuple(walk(graph))
    chains = [len(graph.steps)]
    segmentation: list[edit_pb2.RemoveBackground] = []
    model_edits: list[edit_pb2.ModelEdit] = []
    layer_sources: list[edit_pb2.Source] = []
    custom_focus: list[edit_pb2.Resize] = []
    for depth, step in steps:
        name = step.WhichOneof("op")
        if name == "overlay":
            chains.append(len(step.overlay.text_steps))
            if step.overlay.WhichOneof("layer") == "image":
                chains.append(len(step.overlay.image.steps))
                layer_sources.append(step.overlay.image.source)
        elif name == "conditional":
            chains += [len(step.conditional.then_steps), len(step.conditional.else_steps)]
        elif name == "remove_background":
            segmentation.append(step.remove_background)
        elif name == "model_edit":
            model_edits.append(step.model_edit)
        elif name == "resize" and depth == 0 and step.resize.focus == FOCUS["custom"]:
            custom_focus.append(step.resize)
    return GraphFacts(
        steps=steps,
        chain_lengths=tuple(chains),
        has_ai=any(is_ai_step(step) for _, step in steps),
        segmentation=tuple(segmentation),
        model_edits=tuple(model_edits),
        layer_sources=tuple(layer_sources),
        custom_focus=tuple(custom_focus),
    )
