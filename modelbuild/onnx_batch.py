"""Re-export a fixed-batch ONNX graph with a dynamic batch dimension.

Many published ONNX files (u2netp among them) declare ``[1, C, H, W]``. Triton's
dynamic batching can only hand the model a real batch if the graph accepts
``[N, C, H, W]``, so we rewrite the first dimension of the graph inputs and
outputs to the symbolic ``N``, drop stale intermediate shape annotations, keep
only the outputs we serve, rename them, and verify numerically that a batch of
``N`` equals ``N`` single runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper


def unfix_tf_batch(graph: onnx.GraphProto) -> None:
    """Remove batch-1 constants that tf2onnx bakes into graphs (in place).

    * ``Reshape`` shape constants ``[1, n, k]`` become ``[-1, n, k]``;
    * TF channel zero-padding, lowered to ``Concat(x, ConstantOfShape([1,C,H,W]),
      axis=1)``, becomes ``Pad(x, pads=[0,0,0,0, 0,C,0,0])``: same values, any batch.

    Raises:
        ValueError: a pattern does not look as expected (batch != 1, non-zero fill).
    """
    inits = {i.name: i for i in graph.initializer}
    zero_fills = {n.output[0]: n for n in graph.node if n.op_type == "ConstantOfShape"}
    dropped: set[str] = set()
    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        if node.op_type == "Reshape" and node.input[1] in inits:
            shape_init = inits[node.input[1]]
            shape = numpy_helper.to_array(shape_init).copy()
            if shape[0] != 1:
                raise ValueError(f"Reshape {node.name}: leading dim {shape[0]}, expected 1")
            shape[0] = -1
            shape_init.CopyFrom(numpy_helper.from_array(shape.astype(np.int64), shape_init.name))
        if node.op_type == "Concat" and len(node.input) == 2 and node.input[1] in zero_fills:
            fill = zero_fills[node.input[1]]
            fill_shape = numpy_helper.to_array(inits[fill.input[0]])
            axis = next(helper.get_attribute_value(a) for a in node.attribute if a.name == "axis")
            values = [a for a in fill.attribute if a.name == "value"]
            if (
                fill_shape[0] != 1
                or axis != 1
                or (values and numpy_helper.to_array(values[0].t).any())
            ):
                raise ValueError(f"Concat {node.name}: not a channel zero-padding")
            pads_name = node.output[0] + "_pads"
            graph.initializer.append(
                numpy_helper.from_array(
                    np.array([0, 0, 0, 0, 0, fill_shape[1], 0, 0], np.int64), pads_name
                )
            )
            nodes.append(
                helper.make_node(
                    "Pad",
                    [node.input[0], pads_name],
                    [node.output[0]],
                    name=node.output[0] + "_pad",
                    mode="constant",
                )
            )
            dropped.add(fill.output[0])
            continue
        nodes.append(node)
    nodes = [n for n in nodes if not (n.op_type == "ConstantOfShape" and n.output[0] in dropped)]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for n in graph.node for name in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def toposort(graph: onnx.GraphProto) -> None:
    """Reorder ``graph.node`` so every node comes after its inputs' producers.

    Some shipped exports (ISNet's from @imgly) are out of order: onnxruntime
    accepts that, the ONNX checker and spec do not.

    Raises:
        ValueError: a cycle, or an input nothing produces.
    """
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        rest = []
        for node in pending:
            if all(name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            missing = sorted({n for node in rest for n in node.input if n not in ready})
            raise ValueError(f"graph cannot be ordered; unproduced inputs {missing[:5]}")
        pending = rest
    del graph.node[:]
    graph.node.extend(ordered)


def make_batch_dynamic(
    src: Path,
    dst: Path,
    *,
    input_names: dict[str, str],
    output_names: dict[str, str],
    tf_surgery: bool = False,
) -> None:
    """Write ``dst``: ``src`` with a symbolic batch dim ``N`` and renamed tensors.

    Args:
        src: fixed-batch ONNX file.
        dst: where to write the dynamic-batch ONNX file.
        input_names: {old graph input name: new name}; all inputs must be listed.
        output_names: {old graph output name: new name}; other outputs are dropped.

    Raises:
        tf_surgery: also apply :func:`unfix_tf_batch` (tf2onnx graphs).

    Raises:
        KeyError: a listed tensor name is not a graph input/output.
    """
    model = onnx.load(str(src))
    graph = model.graph
    if tf_surgery:
        unfix_tf_batch(graph)
    known_inputs = {i.name for i in graph.input}
    known_outputs = {o.name for o in graph.output}
    for name in input_names:
        if name not in known_inputs:
            raise KeyError(f"{name!r} is not a graph input of {src} ({sorted(known_inputs)})")
    for name in output_names:
        if name not in known_outputs:
            raise KeyError(f"{name!r} is not a graph output of {src} ({sorted(known_outputs)})")

    kept = [o for o in graph.output if o.name in output_names]
    del graph.output[:]
    graph.output.extend(kept)
    renames = {**input_names, **output_names}
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
        for i, name in enumerate(node.output):
            if name in renames:
                node.output[i] = renames[name]
    for value in list(graph.input) + list(graph.output):
        value.name = renames.get(value.name, value.name)
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    del graph.value_info[:]
    toposort(graph)
    onnx.checker.check_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(dst))


def verify_batch_equivalence(
    fixed: Path,
    dynamic: Path,
    *,
    input_names: dict[str, str],
    output_names: dict[str, str],
    sample_shape: tuple[int, ...],
    batch: int = 3,
    atol: float = 1e-4,
) -> float:
    """Run ``batch`` random samples through both graphs and compare every output.

    The fixed graph sees them one at a time, the dynamic graph as one batch.

    Args:
        input_names / output_names: {fixed-graph name: dynamic-graph name}.
        sample_shape: shape of one sample without the batch dim, e.g. (3, 320, 320).

    Returns:
        the maximum absolute difference over all outputs.

    Raises:
        AssertionError: a difference exceeds ``atol`` or a shape differs.
    """
    rng = np.random.default_rng(0)
    x = rng.random((batch, *sample_shape), dtype=np.float32) * 2 - 1
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    ref_sess = ort.InferenceSession(str(fixed), opts, providers=["CPUExecutionProvider"])
    dyn_sess = ort.InferenceSession(str(dynamic), opts, providers=["CPUExecutionProvider"])
    ((fixed_in, dyn_in),) = input_names.items()
    fixed_outs, dyn_outs = list(output_names), list(output_names.values())
    singles = [ref_sess.run(fixed_outs, {fixed_in: x[i : i + 1]}) for i in range(batch)]
    batched = dyn_sess.run(dyn_outs, {dyn_in: x})
    worst = 0.0
    for k, name in enumerate(dyn_outs):
        ref = np.concatenate([s[k] for s in singles])
        if batched[k].shape != ref.shape:
            raise AssertionError(f"{name}: shape {batched[k].shape} != {ref.shape}")
        worst = max(worst, float(np.abs(batched[k] - ref).max()))
    if worst > atol:
        raise AssertionError(f"dynamic-batch export differs: max |diff| {worst}")
    return worst
