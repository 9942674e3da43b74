"""Text removal through the real HTTP path: PSNR against the clean photo on
``../shared/data/watermarks`` (before vs after) and per-image time plus the
share of pixels changed on ``../shared/data/scene_text``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyvips

from bench.load import FormPost, post
from gateway.accounts import DEV_KEY

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _post(base: str, data: bytes) -> bytes:
    fields = {"removeBackground": "false", "textRemoval.mode": "ai.all", "export.format": "png"}
    return post(FormPost(f"{base}/v2/edit", fields, {"imageFile": data}, {"x-api-key": DEV_KEY}))


def _rgb(data: bytes) -> np.ndarray:
    return pyvips.Image.new_from_buffer(data, "").extract_band(0, n=3).numpy().astype(float)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio, dB, 8-bit peak."""
    mse = float(((a - b) ** 2).mean())
    return 10 * np.log10(255**2 / mse) if mse else float("inf")


def run(base: str) -> None:
    """Print both tables."""
    clean = _rgb((SHARED / "watermarks/source.jpg").read_bytes())
    print("\n(g) textRemoval.mode=ai.all on ../shared/data/watermarks (PSNR vs source.jpg)")
    print("| file | before dB | after dB | ms |\n|---|---|---|---|")
    for path in sorted((SHARED / "watermarks").glob("watermark*.jpg")):
        data = path.read_bytes()
        start = time.perf_counter()
        out = _rgb(_post(base, data))
        ms = (time.perf_counter() - start) * 1000
        print(
            f"| {path.name} | {psnr(_rgb(data), clean):.2f} | {psnr(out, clean):.2f} | {ms:.0f} |"
        )
    print("\n(h) textRemoval.mode=ai.all on ../shared/data/scene_text")
    print("| file | size | changed % | ms |\n|---|---|---|---|")
    for path in sorted((SHARED / "scene_text").glob("*.*")):
        if path.suffix.lower() not in (".jpg", ".png"):
            continue
        data = path.read_bytes()
        before = _rgb(data)
        start = time.perf_counter()
        out = _rgb(_post(base, data))
        ms = (time.perf_counter() - start) * 1000
        changed = float((np.abs(out - before).max(axis=2) > 24).mean() * 100)
        size = f"{before.shape[1]}x{before.shape[0]}"
        print(f"| {path.name} | {size} | {changed:.1f} | {ms:.0f} |")
