"""Text detection with PP-OCRv6 det small (a DB text detector) served by
Triton as ``ppocr_det``: pre-processing, and DB post-processing into a text mask.

Model: ``rapidocr/models/PP-OCRv6_det_small.onnx`` in the PyPI wheel
``rapidocr==3.10.0`` (Apache-2.0). I/O: ``x`` float32[N,3,H,W] (H, W multiples
of 32, BGR, ``(v/255 - 0.5) / 0.5``) -> ``prob`` float32[N,1,H,W], text
probability 0..1 (the graph ends in a Sigmoid).

Constants and where they come from (rapidocr 3.10.0):
  * mean = std = 0.5, scale 1/255, BGR input: ``rapidocr/config.yaml`` (Det),
    ``utils/load_image.py`` (RGB -> BGR, PaddleOCR's convention);
  * sides rounded to multiples of 32: ``ch_ppocr_det/utils.py`` DetPreProcess;
    here the long side is limited to 960 px (rapidocr upscales the short side
    to 736 instead; ours keeps the cost bounded on large photos);
  * thresh 0.3, box_thresh 0.5, unclip_ratio 1.6, 2x2 dilation, min_size 3:
    ``rapidocr/config.yaml`` Det and ``ch_ppocr_det/utils.py`` DBPostProcess
    (Liao et al., "Real-time Scene Text Detection with Differentiable
    Binarization", AAAI 2020). The per-box mean-probability filter matters:
    without it faces and textures come out as "text".
"""

from __future__ import annotations

import numpy as np

from contract import catalogue

SERVED = catalogue.model("ppocr_det")
MODEL = SERVED.name
INPUT = SERVED.input.name
(OUTPUT,) = (t.name for t in SERVED.outputs)
LIMIT_SIDE = 960  # px, long side of the network input (never upscaled)
MEAN = 0.5  # rapidocr/config.yaml Det.mean
STD = 0.5  # rapidocr/config.yaml Det.std
THRESH = 0.3  # rapidocr/config.yaml Det.thresh
UNCLIP_RATIO = 1.6  # rapidocr/config.yaml Det.unclip_ratio
BOX_THRESH = 0.5  # rapidocr/config.yaml Det.box_thresh
MIN_SIZE = 3  # rapidocr ch_ppocr_det/utils.py DBPostProcess.min_size


def target_size(src_h: int, src_w: int, limit_side: int = LIMIT_SIDE) -> tuple[int, int]:
    """Network input (h, w): long side <= ``limit_side`` (never enlarged), each
    side rounded to a multiple of 32, at least 32."""
    ratio = min(1.0, limit_side / max(src_h, src_w))
    h = max(32, int(round(int(src_h * ratio) / 32) * 32))
    w = max(32, int(round(int(src_w * ratio) / 32) * 32))
    return h, w


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """uint8[h,w,3] RGB, already at :func:`target_size` -> float32[1,3,h,w] BGR,
    ``(v/255 - 0.5) / 0.5``.

    Raises:
        ValueError: not uint8[h,w,3] or sides not multiples of 32.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected uint8[h,w,3], got {rgb.dtype}{list(rgb.shape)}")
    if rgb.shape[0] % 32 or rgb.shape[1] % 32:
        raise ValueError(f"sides must be multiples of 32, got {rgb.shape[:2]}")
    x = (rgb[..., ::-1].astype(np.float32) * (1.0 / 255.0) - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def label8(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of bool[h,w] -> (int32[h,w] labels 0=background, 1..n; n).

    Run-length union-find, numpy only: horizontal runs, links between overlapping runs of
    adjacent rows (8-connectivity, as cv2.findContours in rapidocr), min-label propagation.
    """
    h, w = mask.shape
    d = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    r, s = np.nonzero(d == 1)  # run row, start col (row-major order)
    e = np.nonzero(d == -1)[1]  # end col, exclusive
    n = len(r)
    lab = np.zeros((h, w), np.int32)
    if n == 0:
        return lab, 0
    stride = w + 2
    # runs b in row r+1 touching run a (8-connected): b.end_excl >= a.start
    # and b.start <= a.end_excl
    lo = np.searchsorted(r * stride + e, (r + 1) * stride + s, "left")
    hi = np.searchsorted(r * stride + s, (r + 1) * stride + e, "right")
    cnt = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(n), cnt)
    b = (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)) + np.repeat(lo, cnt)
    root = np.arange(n)
    while True:  # min-label propagation with pointer jumping
        m = np.minimum(root[a], root[b])
        new = root.copy()
        np.minimum.at(new, root[a], m)
        np.minimum.at(new, root[b], m)
        new = new[new]
        while not np.array_equal(new, new[new]):
            new = new[new]
        if np.array_equal(new, root):
            break
        root = new
    _, comp = np.unique(root, return_inverse=True)
    run_len = e - s
    flat = np.repeat(r * w + s - np.cumsum(run_len) + run_len, run_len) + np.arange(run_len.sum())
    lab.ravel()[flat] = np.repeat(comp + 1, run_len)
    return lab, int(comp.max()) + 1


def text_boxes(
    prob: np.ndarray,
    thresh: float = THRESH,
    box_thresh: float = BOX_THRESH,
    unclip_ratio: float = UNCLIP_RATIO,
    min_size: int = MIN_SIZE,
) -> list[tuple[np.ndarray, float]]:
    """DB post-processing on float32[h,w] -> [(corners float32[4,2] (x, y) in net pixels, score)].

    Mirrors rapidocr DBPostProcess (ch_ppocr_det/utils.py): bitmap = prob > thresh, 2x2 dilation,
    per component a rotated rectangle (PCA axes here, cv2.minAreaRect there), drop if short side
    < min_size or mean prob inside the rectangle < box_thresh, then grow every side by
    D = area * unclip_ratio / perimeter (pyclipper offset there), drop if short side < min_size + 2.
    """
    bitmap = prob > thresh
    bitmap[1:, 1:] |= bitmap[:-1, :-1] | bitmap[1:, :-1] | bitmap[:-1, 1:]  # 2x2 dilation
    bitmap[0, 1:] |= bitmap[0, :-1]
    bitmap[1:, 0] |= bitmap[:-1, 0]
    lab, n = label8(bitmap)
    if n == 0:
        return []
    flat = lab.ravel()
    nz = np.flatnonzero(flat)
    order = nz[np.argsort(flat[nz], kind="stable")]  # pixel indices grouped by label
    bounds = np.searchsorted(flat[order], np.arange(1, n + 2))
    h, w = prob.shape
    out: list[tuple[np.ndarray, float]] = []
    for k in range(n):
        idx = order[bounds[k] : bounds[k + 1]]
        if len(idx) < min_size * min_size:
            continue
        ys, xs = np.divmod(idx, w)
        pts = np.stack([xs, ys], 1).astype(np.float64)
        c = pts.mean(0)
        ev = np.linalg.eigh(np.cov((pts - c).T))[1]
        axes = ev[:, ::-1].T  # rows: major, minor unit vectors
        uv = (pts - c) @ axes.T
        lo_, hi_ = uv.min(0), uv.max(0)
        size = hi_ - lo_
        if size.min() < min_size:
            continue
        # score: mean prob of pixels inside the rectangle (within its bounding box)
        x0, y0 = xs.min(), ys.min()
        gy, gx = np.mgrid[y0 : ys.max() + 1, x0 : xs.max() + 1]
        guv = (np.stack([gx, gy], -1).reshape(-1, 2) - c) @ axes.T
        inside = np.all((guv >= lo_ - 0.5) & (guv <= hi_ + 0.5), 1)
        score = float(prob[gy.ravel()[inside], gx.ravel()[inside]].mean())
        if score < box_thresh:
            continue
        dist = size[0] * size[1] * unclip_ratio / (2 * size.sum())
        lo2, hi2 = lo_ - dist, hi_ + dist
        if (hi2 - lo2).min() < min_size + 2:
            continue
        corners = (
            np.array([[lo2[0], lo2[1]], [hi2[0], lo2[1]], [hi2[0], hi2[1]], [lo2[0], hi2[1]]])
            @ axes
            + c
        )
        out.append((corners.astype(np.float32), score))
    return out


def fill_quads(quads: list[np.ndarray], out_size: tuple[int, int]) -> np.ndarray:
    """Rasterise convex quads float[4,2] (x, y) -> uint8[H,W] 0/255 (pixel
    centres inside, edges inclusive)."""
    out_h, out_w = out_size
    mask = np.zeros((out_h, out_w), np.uint8)
    for q in quads:
        x0, y0 = np.clip(np.floor(q.min(0)).astype(int), 0, [out_w - 1, out_h - 1])
        x1, y1 = np.clip(np.ceil(q.max(0)).astype(int), 0, [out_w - 1, out_h - 1])
        gy, gx = np.mgrid[y0 : y1 + 1, x0 : x1 + 1].astype(np.float32)
        nxt = np.roll(q, -1, 0)
        cross = [
            (b[0] - a[0]) * (gy - a[1]) - (b[1] - a[1]) * (gx - a[0])
            for a, b in zip(q, nxt, strict=True)
        ]
        inside = np.all([cr >= -1e-3 for cr in cross], 0) | np.all([cr <= 1e-3 for cr in cross], 0)
        mask[y0 : y1 + 1, x0 : x1 + 1][inside] = 255
    return mask


def postprocess(
    prob: np.ndarray,
    out_size: tuple[int, int],
    thresh: float = THRESH,
    box_thresh: float = BOX_THRESH,
    unclip_ratio: float = UNCLIP_RATIO,
) -> np.ndarray:
    """Probability map float32[h,w] (or [1,1,h,w]) -> uint8 text mask [H,W]
    (0/255), out_size = (H, W).

    Boxes from ``text_boxes`` at network resolution, corners scaled by (W/w, H/h) as rapidocr
    does (x * dest_w / w, no half-pixel shift), filled at full resolution.
    """
    if prob.ndim == 4:
        prob = prob[0, 0]
    h, w = prob.shape
    out_h, out_w = out_size
    scale = np.array([out_w / w, out_h / h], np.float32)
    return fill_quads(
        [q * scale for q, _ in text_boxes(prob, thresh, box_thresh, unclip_ratio)], out_size
    )
