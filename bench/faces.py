"""Face detection quality on ../shared/data/faces: recall and precision at IoU
>= 0.5 (and 0.3) of the fo-face detector, with the service's own regions,
pre- and post-processing, running the served ONNX file in-process.

Run: ``python -m bench.faces`` (also part of ``make bench``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyvips

from inference import face_detection
from modelbuild.fetch_models import BLAZEFACE, model_path
from transform_svc.detections import face_tiles

FACES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "faces"


def detect_all() -> dict[str, list[list[float]]]:
    """{file: [[x1, y1, x2, y2], ...]} in source px."""
    session = ort.InferenceSession(str(model_path(BLAZEFACE)), providers=["CPUExecutionProvider"])
    found = {}
    for name in sorted(json.loads((FACES / "faces_boxes.json").read_text())):
        image = pyvips.Image.new_from_file(str(FACES / name))
        scale, regions, tiles = face_tiles(image)
        values = session.run(
            list(face_detection.OUTPUTS), {"input": face_detection.preprocess(tiles)}
        )
        faces = face_detection.postprocess(
            dict(zip(face_detection.OUTPUTS, values, strict=True)), regions
        )
        found[name] = [
            [f.left / scale, f.top / scale, f.right / scale, f.bottom / scale] for f in faces
        ]
    return found


def score(found: dict[str, list[list[float]]], iou_min: float) -> tuple[float, float, int, int]:
    """(recall, precision, true positives, labelled faces); ignore-faces neither count
    as misses nor as false positives."""
    labels = json.loads((FACES / "faces_boxes.json").read_text())
    tp = fp = positives = 0
    for name, dets in found.items():
        gt = labels[name]["faces"]
        boxes = np.array([[f["x"], f["y"], f["x"] + f["w"], f["y"] + f["h"]] for f in gt], float)
        ignore = np.array([f["ignore"] for f in gt])
        positives += int((~ignore).sum())
        used = np.zeros(len(gt), bool)
        for det in dets:
            d = np.array(det)
            x1 = np.maximum(d[0], boxes[:, 0])
            y1 = np.maximum(d[1], boxes[:, 1])
            x2 = np.minimum(d[2], boxes[:, 2])
            y2 = np.minimum(d[3], boxes[:, 3])
            inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
            union = (
                (d[2] - d[0]) * (d[3] - d[1])
                + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
                - inter
            )
            iou = np.where(used, -1, inter / union)
            j = int(np.argmax(iou))
            if iou[j] >= iou_min and not ignore[j]:
                used[j] = True
                tp += 1
            elif iou[j] < iou_min:
                fp += 1
    return tp / positives, tp / max(tp + fp, 1), tp, positives


def main() -> None:
    found = detect_all()
    print("\nfo-face detector (BlazeFace 256, tiles + letterbox) on shared/data/faces")
    print("| IoU >= | recall | precision | found / labelled |")
    print("|---|---|---|---|")
    for iou_min in (0.5, 0.3):
        recall, precision, tp, positives = score(found, iou_min)
        print(f"| {iou_min} | {recall:.2f} | {precision:.2f} | {tp} / {positives} |")


if __name__ == "__main__":
    main()
