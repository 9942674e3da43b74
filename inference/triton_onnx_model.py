"""Triton python-backend model that runs an ONNX file on the CPU with OpenVINO.

Each model version directory links its ``model.py`` here; the ONNX file sits
beside it as ``model.onnx``. Requests that Triton's dynamic batcher groups
together are concatenated along dim 0 and run as ONE inference, so the batch is
real compute batching, then split back per request.

Why OpenVINO and not onnxruntime on CPU: on the same file, same 2 threads, one
image (this repository's [10] note, ``/tmp`` profile on a 2-core Xeon with
AMX): u2netp 320 px 245 -> 160 ms (f32), ISNet 1024 px 1485 -> 261 ms (bf16),
PP-OCR det 960 px 493 -> 67 ms (bf16). OpenVINO reads ONNX directly
(https://docs.openvino.ai/2025/openvino-workflow/model-preparation.html).

Config parameters (config.pbtxt ``parameters``, written by
``contract.catalogue.render_config``):
    threads: OpenVINO ``INFERENCE_NUM_THREADS`` (default 0 = OpenVINO decides).
    precision: ``f32`` or ``bf16``, OpenVINO's ``INFERENCE_PRECISION_HINT``.
        ``bf16`` is used only where the CPU computes it natively (AVX512_BF16
        or AMX: ``BF16`` in ``OPTIMIZATION_CAPABILITIES``); elsewhere f32.
        https://docs.openvino.ai/2025/openvino-workflow/running-inference/inference-devices-and-modes/cpu-device.html

Pattern from https://github.com/triton-inference-server/python_backend
(examples/add_sub/model.py): ``initialize`` / ``execute`` / ``finalize``.
"""

import json
import os

import numpy as np
import openvino as ov
import triton_python_backend_utils as pb_utils


def inference_precision(core: ov.Core, requested: str) -> str:
    """``requested`` (``f32`` | ``bf16``) where the CPU computes it natively, else ``f32``.

    Raises:
        ValueError: an unknown precision.
    """
    if requested not in ("f32", "bf16"):
        raise ValueError(f"precision must be f32 or bf16, not {requested!r}")
    if requested == "bf16" and "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        return "bf16"
    return "f32"


class TritonPythonModel:
    """Generic batched OpenVINO runner for one model."""

    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        core = ov.Core()
        path = os.path.join(args["model_repository"], args["model_version"], "model.onnx")
        compiled = core.compile_model(
            path,
            "CPU",
            {
                "INFERENCE_NUM_THREADS": int(params.get("threads", "0")),
                "INFERENCE_PRECISION_HINT": inference_precision(
                    core, params.get("precision", "f32")
                ),
                "PERFORMANCE_HINT": "LATENCY",
            },
        )
        self.request = compiled.create_infer_request()
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
        result = self.request.infer(feeds)
        outputs = [result[name] for name in self.output_names]
        responses = []
        start = 0
        for size in sizes:
            tensors = [
                pb_utils.Tensor(name, np.ascontiguousarray(out[start : start + size]))
                for name, out in zip(self.output_names, outputs, strict=True)
            ]
            responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
            start += size
        return responses

    def finalize(self) -> None:
        self.request = None
