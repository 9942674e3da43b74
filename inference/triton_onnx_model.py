"""Triton python-backend model that runs an ONNX file with onnxruntime.

Each model version directory links its ``model.py`` here; the ONNX file sits
beside it as ``model.onnx``. Requests that Triton's dynamic batcher groups
together are concatenated along dim 0 and run as ONE onnxruntime call, so the
batch is real compute batching, then split back per request.

Config parameters (config.pbtxt ``parameters``):
    intra_op_threads: onnxruntime intra-op threads (default 0 = onnxruntime decides).
    allow_spinning: "0" stops idle onnxruntime threads from busy-waiting, which
        otherwise steals CPU from the libvips work sharing the cores (default "1").
    cpu_mem_arena: "1" keeps onnxruntime's CPU memory arena (default "0"). The
        arena never returns memory and grows by doubling to the largest batch
        and input size seen: under a 2-minute mixed soak it took the Triton
        process group from 3.8 to 10.7 GB. Without it memory is freed after
        each run.

Pattern from https://github.com/triton-inference-server/python_backend
(examples/add_sub/model.py): ``initialize`` / ``execute`` / ``finalize``.
"""

import json
import os

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    """Generic batched onnxruntime runner for one model."""

    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(params.get("intra_op_threads", "0"))
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry(
            "session.intra_op.allow_spinning", params.get("allow_spinning", "1")
        )
        opts.enable_cpu_mem_arena = params.get("cpu_mem_arena", "0") == "1"
        path = os.path.join(args["model_repository"], args["model_version"], "model.onnx")
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        self.input_names = [i["name"] for i in config["input"]]
        self.output_names = [o["name"] for o in config["output"]]

    def execute(self, requests: list) -> list:
        per_request = [
            [pb_utils.get_input_tensor_by_name(r, name).as_numpy() for name in self.input_names]
            for r in requests
        ]
        sizes = [inputs[0].shape[0] for inputs in per_request]
        feeds = {
            name: np.concatenate([inputs[i] for inputs in per_request], axis=0)
            for i, name in enumerate(self.input_names)
        }
        outputs = self.session.run(self.output_names, feeds)
        responses = []
        start = 0
        for size in sizes:
            tensors = [
                pb_utils.Tensor(name, out[start : start + size])
                for name, out in zip(self.output_names, outputs, strict=True)
            ]
            responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
            start += size
        return responses

    def finalize(self) -> None:
        self.session = None
