"""Cut-out quality harness (``make quality``): the real service over
``../shared/data/segmentation`` for each model, next to a rembg-style
in-process run of the same model on the same inputs, in one run.

Inputs: every image shrunk to 1024 px wide (JPEG q95), so both sides see the
same bytes. Metrics per image (ground-truth mask resized to the output):
IoU of alpha > 0.5; MAE of alpha/255 against mask/255; boundary F-measure
(Ehrig & Euzenat style as used in DIS, Qin et al. ECCV 2022: boundary pixels
= mask minus its 3x3 erosion, matched within 3 px). Printed per category and
overall, with ms/image.
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
from inference.fetch_models import ISNET, U2NETP, model_path
from inference.segmentation import MODELS
from mesh.processes import Mesh, Ports

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "segmentation"
WIDTH = 1024
TOLERANCE_PX = 3


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
            image = pyvips.Image.thumbnail(str(SHARED / row["image"]), WIDTH, size="down")
            flat = image.flatten() if image.hasalpha() else image
            inputs[row["id"]] = flat.jpegsave_buffer(Q=95)
            (root / "seg" / f"{row['id']}.jpg").write_bytes(inputs[row["id"]])
        mesh = Mesh(
            ports=Ports(), origin_root=root, log_dir=Path(tmp) / "logs", result_cache="none"
        )
        mesh.start()
        try:
            for model in ("u2netp", "isnet"):
                for row in rows:
                    request = urllib.request.Request(
                        f"{mesh.gateway_url}/seg/{row['id']}.jpg?tr=e-bgremove",
                        headers={"x-imgmesh-segmentation-model": model},
                    )
                    start = time.perf_counter()
                    with urllib.request.urlopen(request, timeout=300) as resp:
                        body = resp.read()
                    ms = (time.perf_counter() - start) * 1000
                    out = pyvips.Image.new_from_buffer(body, "")
                    alpha = out.numpy()[..., 3]
                    s = scores(alpha, _truth(row, out.width, out.height))
                    results.setdefault((model, "imgmesh HTTP"), []).append(
                        (row["category"], *s, ms)
                    )
        finally:
            mesh.stop()
    for model, spec in (("u2netp", U2NETP), ("isnet", ISNET)):
        seg = MODELS[model]
        baseline = RembgStyle(model_path(spec), size=seg.size, mean=seg.mean, std=seg.std)
        for row in rows:
            start = time.perf_counter()
            _img, mask = baseline.matte(inputs[row["id"]])
            ms = (time.perf_counter() - start) * 1000
            alpha = np.asarray(mask)
            s = scores(alpha, _truth(row, alpha.shape[1], alpha.shape[0]))
            results.setdefault((model, "rembg-style in-process"), []).append(
                (row["category"], *s, ms)
            )
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
