"""In-process baselines the service is compared with.

* pyvips ``thumbnail_buffer`` on a thread pool (what imgproxy-style servers do
  per request, without any HTTP or gRPC).
* rembg's way of running u2netp (https://github.com/danielgatis/rembg,
  sessions/u2net.py + bg.py): PIL decode, LANCZOS resize to 320x320, divide by
  the max, ImageNet mean/std, one onnxruntime call per image with default
  session options, min-max the output, LANCZOS resize the matte back,
  ``putalpha``, PNG encode.
"""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyvips
from PIL import Image

from bench.load import Result

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def vips_thumbnails(buffer: bytes, count: int, threads: int, size: int, quality: int) -> Result:
    """``count`` center-cropped ``size``x``size`` JPEG thumbnails on ``threads`` threads."""

    def one(_: int) -> float:
        start = time.perf_counter()
        thumb = pyvips.Image.thumbnail_buffer(buffer, size, height=size, crop="centre")
        thumb.jpegsave_buffer(Q=quality, optimize_coding=True, keep=pyvips.enums.ForeignKeep.NONE)
        return (time.perf_counter() - start) * 1000

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(threads)))  # warm-up
        start = time.perf_counter()
        latencies = list(pool.map(one, range(count)))
        seconds = time.perf_counter() - start
    return Result(f"pyvips thumbnail_buffer, {threads} threads", count, seconds, latencies)


class RembgStyle:
    """A segmentation model the way rembg runs it, one image at a time
    (u2netp: 320 px, ImageNet mean/std; ISNet: 1024 px, mean 0.5, std 1.0 as
    rembg's sessions/dis_general_use.py)."""

    def __init__(
        self,
        onnx_path: Path,
        size: int = 320,
        mean: tuple[float, float, float] = tuple(MEAN),  # type: ignore[assignment]
        std: tuple[float, float, float] = tuple(STD),  # type: ignore[assignment]
    ) -> None:
        self.size = size
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_name = self.session.get_outputs()[0].name

    def matte(self, data: bytes, flip: bool = False) -> tuple[Image.Image, Image.Image]:
        """(RGB image, uint8 matte at the image's size). ``flip``: test-time
        augmentation, the mean of the prediction and that of the mirrored image
        mirrored back (not rembg's; measured by bench/quality.py)."""
        img = Image.open(io.BytesIO(data)).convert("RGB")
        side = (self.size, self.size)
        small = np.asarray(img.resize(side, Image.LANCZOS), dtype=np.float32)
        small = (small / np.max(small) - self.mean) / self.std
        pred = self._predict(small)
        if flip:
            pred = (pred + self._predict(small[:, ::-1])[:, ::-1]) / 2
        pred = (pred - pred.min()) / (pred.max() - pred.min())
        return img, Image.fromarray((pred * 255).astype(np.uint8)).resize(img.size, Image.LANCZOS)

    def _predict(self, small: np.ndarray) -> np.ndarray:
        """``float32[size,size,3]`` normalised -> ``float32[size,size]`` raw output."""
        batch = np.ascontiguousarray(small.transpose(2, 0, 1)[None], dtype=np.float32)
        return self.session.run([self.output_name], {self.input_name: batch})[0][0, 0]

    def remove(self, data: bytes) -> bytes:
        """RGBA PNG bytes with the matte as alpha."""
        img, mask = self.matte(data)
        img.putalpha(mask)
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()

    def run(self, inputs: list[bytes]) -> Result:
        self.remove(inputs[0])  # warm-up
        latencies = []
        start = time.perf_counter()
        for data in inputs:
            t = time.perf_counter()
            self.remove(data)
            latencies.append((time.perf_counter() - t) * 1000)
        return Result(
            "rembg-style loop (PIL + onnxruntime)",
            len(inputs),
            time.perf_counter() - start,
            latencies,
        )
