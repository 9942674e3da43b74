"""contract.steps.walk, the one step walker: conditional branches and text
layers' steps are walked, so limits, AI detection and model choice see them."""

from __future__ import annotations

import pytest

from contract.facts import graph_facts
from contract.limits import GraphLimitError, Limits, check_graph
from contract.steps import has_ai_step, walk
from gateway import model_choice
from imgmesh.v1 import edit_pb2


def graph_with_branch(branch: list[edit_pb2.Step]) -> edit_pb2.EditGraph:
    conditional = edit_pb2.Conditional(else_steps=branch)
    return edit_pb2.EditGraph(steps=[edit_pb2.Step(conditional=conditional)])


def test_branches_and_text_steps_are_walked_at_their_depth():
    text = edit_pb2.Overlay(
        text=edit_pb2.TextLayer(text="a"),
        text_steps=[edit_pb2.Step(flip=edit_pb2.Flip(horizontal=True))],
    )
    graph = graph_with_branch([edit_pb2.Step(overlay=text)])
    assert [(d, s.WhichOneof("op")) for d, s in walk(graph)] == [
        (0, "conditional"),
        (0, "overlay"),
        (1, "flip"),
    ]


def test_an_ai_step_inside_a_branch_counts():
    graph = graph_with_branch([edit_pb2.Step(remove_background=edit_pb2.RemoveBackground())])
    assert has_ai_step(graph)
    model_choice.apply(graph_facts(graph), "u2netp")
    (step,) = graph.steps[0].conditional.else_steps
    assert step.remove_background.model == "u2netp"


def test_a_long_branch_is_over_the_chain_limit():
    limits = Limits(max_steps=3)
    graph = graph_with_branch([edit_pb2.Step(grayscale=edit_pb2.Grayscale())] * 4)
    with pytest.raises(GraphLimitError) as raised:
        check_graph(graph, limits)
    assert raised.value.limit == "max_steps"
