"""Cut-out quality harness (``make quality``): the real service over
``../shared/data/segmentation`` for each model, next to a rembg-style
in-process run of the same model on the same inputs, in one run.

Inputs: the dataset's original files at full resolution (up to 5108 x 3421
px; none carries EXIF orientation, ICC or alpha), so both sides see the same
bytes a user would upload. Metrics per image, at full resolution (ground-truth
mask resized to the output where the dataset stores it smaller):
IoU of alpha > 0.5; MAE of alpha/255 against mask/255; boundary F-measure
(Ehrig & Euzenat style as used in DIS, Qin et al. ECCV 2022: boundary pixels
= mask minus its 3x3 erosion, matched within 3 px). Printed per category and
overall, with ms/image.

One more row, in-process on the service's ISNet output: the matte refined by
a guided filter (He et al., "Guided Image Filtering", ECCV 2010,
https://doi.org/10.1007/978-3-642-15549-9_1) with the grey full-resolution
photo as guide, only in the matte's uncertain band; and flip test-time
augmentation on the in-process ISNet baseline (mean of the prediction and the
mirrored image's). Both are measured here, not served: the guided filter does
not help on this set, flip TTA helps a little for twice the cost (see README,
Background removal models).
"""

from __future__ import annotations

import csv
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pyvips

from bench.baselines import RembgStyle
from inference.segmentation import MODELS
from mesh.processes import Mesh, Ports
from modelbuild.fetch_models import ISNET, U2NETP, model_path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "segmentation"
TOLERANCE_PX = 3
# Guided filter: radius per 1024 px of image width, regularisation (0..1 grey
# levels squared), uncertain band = matte strictly between these, grown by the radius.
GUIDED_RADIUS_PX = 1
GUIDED_EPS = 1e-4
BAND = (0.02, 0.98)


def _boundary(mask: np.ndarray) -> np.ndarray:
    img = pyvips.Image.new_from_array(mask.astype(np.uint8) * 255)
    eroded = img.erode(pyvips.Image.new_from_list([[255] * 3] * 3)).numpy() > 0
    return mask & ~eroded


def _near(points: np.ndarray, radius: int) -> np.ndarray:
    img = pyvips.Image.new_from_array(points.astype(np.uint8) * 255)
    size = 2 * radius + 1
    return img.dilate(pyvips.Image.new_from_list([[255] * size] * size)).numpy() > 0


def scores(alpha: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """(IoU, MAE, boundary F) of a uint8 alpha against a uint8 mask of the same size."""
    pred, gt = alpha > 127, truth > 127
    union = (pred | gt).sum()
    iou = float((pred & gt).sum() / union) if union else 1.0
    mae = float(np.abs(alpha.astype(float) - truth.astype(float)).mean() / 255)
    bp, bg = _boundary(pred), _boundary(gt)
    precision = float((bp & _near(bg, TOLERANCE_PX)).sum() / max(bp.sum(), 1))
    recall = float((bg & _near(bp, TOLERANCE_PX)).sum() / max(bg.sum(), 1))
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return iou, mae, f


def guided_refine(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Guided-filter refinement of ``uint8[H,W]`` alpha with ``uint8[H,W,3]`` RGB
    as guide, applied only to the uncertain band; ``uint8[H,W]`` out."""
    import cv2  # opencv-python-headless: already a dependency of text removal

    radius = max(1, round(GUIDED_RADIUS_PX * rgb.shape[1] / 1024))
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    matte = alpha.astype(np.float32) / 255

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1))

    mean_i, mean_p = box(guide), box(matte)
    a = (box(guide * matte) - mean_i * mean_p) / (box(guide * guide) - mean_i**2 + GUIDED_EPS)
    b = mean_p - a * mean_i
    refined = np.clip(box(a) * guide + box(b), 0, 1)
    band = ((matte > BAND[0]) & (matte < BAND[1])).astype(np.uint8)
    band = cv2.dilate(band, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)) > 0
    out = np.where(band, refined, matte)
    return np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)


def _truth(row: dict[str, str], width: int, height: int) -> np.ndarray:
    mask = pyvips.Image.new_from_file(str(SHARED / row["mask"]))
    mask = mask[0] if mask.bands > 1 else mask
    return mask.thumbnail_image(width, height=height, size="force").numpy()


def main() -> None:
    rows = list(csv.DictReader((SHARED / "index.csv").open()))
    results: dict[tuple[str, str], list[tuple[str, float, float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "origin"
        (root / "seg").mkdir(parents=True)
        inputs: dict[str, bytes] = {}
        for row in rows:
            source = SHARED / row["image"]
            inputs[row["id"]] = source.read_bytes()
            (root / "seg" / f"{row['id']}{source.suffix}").write_bytes(inputs[row["id"]])
        mesh = Mesh(
            ports=Ports(), origin_root=root, log_dir=Path(tmp) / "logs", result_cache="none"
        )
        mesh.start()
        try:
            for model in ("u2netp", "isnet"):
                for row in rows:
                    request = urllib.request.Request(
                        f"{mesh.gateway_url}/seg/{Path(row['image']).name}?tr=e-bgremove",
                        headers={"x-imgmesh-segmentation-model": model},
                    )
                    start = time.perf_counter()
                    with urllib.request.urlopen(request, timeout=300) as resp:
                        body = resp.read()
                    ms = (time.perf_counter() - start) * 1000
                    out = pyvips.Image.new_from_buffer(body, "")
                    pixels = out.numpy()
                    truth = _truth(row, out.width, out.height)
                    s = scores(pixels[..., 3], truth)
                    results.setdefault((model, "imgmesh HTTP"), []).append(
                        (row["category"], *s, ms)
                    )
                    if model == "isnet":
                        start = time.perf_counter()
                        refined = guided_refine(pixels[..., :3], pixels[..., 3])
                        extra = (time.perf_counter() - start) * 1000
                        results.setdefault((model, "HTTP + guided filter"), []).append(
                            (row["category"], *scores(refined, truth), ms + extra)
                        )
        finally:
            mesh.stop()
    for model, spec in (("u2netp", U2NETP), ("isnet", ISNET)):
        seg = MODELS[model]
        baseline = RembgStyle(model_path(spec), size=seg.size, mean=seg.mean, std=seg.std)
        for row in rows:
            for flip in (False, True) if model == "isnet" else (False,):
                start = time.perf_counter()
                _img, mask = baseline.matte(inputs[row["id"]], flip=flip)
                ms = (time.perf_counter() - start) * 1000
                alpha = np.asarray(mask)
                s = scores(alpha, _truth(row, alpha.shape[1], alpha.shape[0]))
                path = "rembg-style + flip TTA" if flip else "rembg-style in-process"
                results.setdefault((model, path), []).append((row["category"], *s, ms))
    categories = sorted({r["category"] for r in rows})
    print("\n| model | path | category | n | IoU | MAE | boundary F | ms/image |")
    print("|---|---|---|---|---|---|---|---|")
    for (model, path), items in results.items():
        for category in [*categories, "overall"]:
            sel = [i for i in items if category in ("overall", i[0])]
            iou, mae, bf, ms = (float(np.mean([i[k] for i in sel])) for k in (1, 2, 3, 4))
            print(
                f"| {model} | {path} | {category} | {len(sel)} | {iou:.3f} | {mae:.4f} | "
                f"{bf:.3f} | {ms:.0f} |"
            )


if __name__ == "__main__":
    main()
