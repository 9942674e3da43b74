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


def make_batch_dynamic(
    src: Path,
    dst: Path,
    *,
    input_names: dict[str, str],
    output_names: dict[str, str],
) -> None:
    """Write ``dst``: ``src`` with a symbolic batch dim ``N`` and renamed tensors.

    Args:
        src: fixed-batch ONNX file.
        dst: where to write the dynamic-batch ONNX file.
        input_names: {old graph input name: new name}; all inputs must be listed.
        output_names: {old graph output name: new name}; other outputs are dropped.

    Raises:
        KeyError: a listed tensor name is not a graph input/output.
    """
    model = onnx.load(str(src))
    graph = model.graph
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
    onnx.checker.check_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(dst))


def verify_batch_equivalence(
    fixed: Path,
    dynamic: Path,
    *,
    fixed_io: tuple[str, str],
    dynamic_io: tuple[str, str],
    sample_shape: tuple[int, ...],
    batch: int = 3,
    atol: float = 1e-5,
) -> float:
    """Run ``batch`` random samples through both graphs and compare.

    The fixed graph sees them one at a time, the dynamic graph as one batch.

    Args:
        fixed_io / dynamic_io: (input name, output name) in each graph.
        sample_shape: shape of one sample without the batch dim, e.g. (3, 320, 320).

    Returns:
        the maximum absolute difference.

    Raises:
        AssertionError: the difference exceeds ``atol``.
    """
    rng = np.random.default_rng(0)
    x = rng.random((batch, *sample_shape), dtype=np.float32)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    ref_sess = ort.InferenceSession(str(fixed), opts, providers=["CPUExecutionProvider"])
    dyn_sess = ort.InferenceSession(str(dynamic), opts, providers=["CPUExecutionProvider"])
    ref = np.concatenate(
        [ref_sess.run([fixed_io[1]], {fixed_io[0]: x[i : i + 1]})[0] for i in range(batch)]
    )
    out = dyn_sess.run([dynamic_io[1]], {dynamic_io[0]: x})[0]
    diff = float(np.abs(out - ref).max())
    if out.shape != ref.shape or diff > atol:
        raise AssertionError(
            f"dynamic-batch export differs: shapes {out.shape} vs {ref.shape}, max |diff| {diff}"
        )
    return diff
