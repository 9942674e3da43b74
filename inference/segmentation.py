"""Pre- and post-processing for salient-object segmentation models.

* u2netp (Qin et al., "U^2-Net", Pattern Recognition 2020,
  https://arxiv.org/abs/2005.09007): input ``float32[N,3,320,320]`` RGB,
  ``(x/255 - mean) / std`` with ImageNet mean/std; output ``d0``
  ``float32[N,1,320,320]``.
* ISNet (Qin et al., "Highly Accurate Dichotomous Image Segmentation", ECCV
  2022, https://arxiv.org/abs/2203.03041): input ``float32[N,3,1024,1024]``
  RGB, ``x/255 - 0.5`` (mean 0.5, std 1.0); output ``output``
  ``float32[N,1,1024,1024]`` in 0..1.

Both outputs are min-max normalised to a 0..1 matte as rembg does
(https://github.com/danielgatis/rembg, sessions/u2net.py and
sessions/dis_general_use.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contract import catalogue


@dataclass(frozen=True)
class SegmentationModel:
    """How to talk to one segmentation model in Triton."""

    name: str  # Triton model name
    size: int  # square input side, px
    input_name: str
    output_name: str
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)  # RGB, of x/255
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    def preprocess(self, rgb: np.ndarray) -> np.ndarray:
        """``uint8[size,size,3]`` RGB -> ``float32[1,3,size,size]`` normalised.

        Raises:
            ValueError: wrong shape.
        """
        if rgb.shape != (self.size, self.size, 3):
            raise ValueError(f"expected uint8[{self.size},{self.size},3], got {rgb.shape}")
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        x = (rgb.astype(np.float32) / 255.0 - mean) / std
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def postprocess(self, output: np.ndarray) -> np.ndarray:
        """``float32[1,1,size,size]`` -> ``uint8[size,size]`` matte, 255 = subject."""
        pred = output.reshape(self.size, self.size)
        lo, hi = float(pred.min()), float(pred.max())
        matte = (pred - lo) / (hi - lo) if hi > lo else np.zeros_like(pred)
        return np.clip(matte * 255.0 + 0.5, 0, 255).astype(np.uint8)


def from_catalogue(served: catalogue.ServedModel) -> SegmentationModel:
    """The adapter of a catalogue entry with capability ``segmentation``:
    square input side, tensor names and normalisation from the entry."""
    (output,) = served.outputs
    return SegmentationModel(
        name=served.name,
        size=served.input.dims[1],
        input_name=served.input.name,
        output_name=output.name,
        mean=served.mean,
        std=served.std,
    )


# Every segmentation model of the catalogue, by Triton name.
MODELS: dict[str, SegmentationModel] = {
    m.name: from_catalogue(m) for m in catalogue.with_capability(catalogue.SEGMENTATION)
}
U2NETP = MODELS["u2netp"]
ISNET = MODELS["isnet"]
