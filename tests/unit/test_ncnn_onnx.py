"""Self-contained tests for ncnn_onnx (numpy + onnx only; no ncnn runtime needed)."""

import struct

import numpy as np
import pytest
from onnx.reference import ReferenceEvaluator

from modelbuild.ncnn_onnx import convert, parse_param

FP16_TAG = struct.pack("<I", 0x01306B47)
FP32_TAG = struct.pack("<I", 0)

# Tiny animevideov3-like net: conv(3->12, fp16 weights) + PReLU, conv(12->12, fp32 weights)
# with fused LeakyReLU, PixelShuffle x2, nearest x2 residual, BinaryOp add, Eltwise sum.
PARAM = """7767517
10 12
Input            in0   0 1 data
Split            sp    1 3 data d0 d1 d2
Convolution      c0    1 1 d0 a 0=12 1=3 4=1 5=1 6=324
PReLU            p0    1 1 a b 0=12
Convolution      c1    1 1 b c 0=12 1=1 5=1 6=144 9=2 -23310=1,1.000000e-01
PixelShuffle     ps    1 1 c e 0=2
Interp           up    1 1 d1 f 0=1 1=2.000000e+00 2=2.000000e+00
BinaryOp         add   2 1 e f g 0=0
Interp           up2   1 1 d2 h 0=1 1=2.000000e+00 2=2.000000e+00
Eltwise          el    2 1 g h output 0=1 -23301=2,5.000000e-01,1.000000e+00
"""


def _weights(rng: np.random.Generator) -> tuple[bytes, dict[str, np.ndarray]]:
    w0 = (rng.standard_normal((12, 3, 3, 3)) * 0.2).astype(np.float16)
    b0 = rng.standard_normal(12).astype(np.float32) * 0.1
    s0 = rng.random(12).astype(np.float32) * 0.3
    w1 = (rng.standard_normal((12, 12, 1, 1)) * 0.2).astype(np.float32)
    b1 = rng.standard_normal(12).astype(np.float32) * 0.1
    blob = b"".join(
        [
            FP16_TAG + w0.tobytes() + b"\0\0" * (w0.size % 2),
            b0.tobytes(),
            s0.tobytes(),
            FP32_TAG + w1.tobytes(),
            b1.tobytes(),
        ]
    )
    return blob, {"w0": w0.astype(np.float32), "b0": b0, "s0": s0, "w1": w1, "b1": b1}


def _conv3x3(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd), np.float32)
    for dy in range(3):
        for dx in range(3):
            patch = xp[:, :, dy : dy + h, dx : dx + wd]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, dy, dx])
    return out + b[None, :, None, None]


def _reference(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    a = _conv3x3(x, p["w0"], p["b0"])
    a = np.where(a > 0, a, a * p["s0"][None, :, None, None])
    c = np.einsum("nchw,oc->nohw", a, p["w1"][:, :, 0, 0]) + p["b1"][None, :, None, None]
    c = np.where(c > 0, c, 0.1 * c)
    n, ch, h, w = c.shape  # PixelShuffle (PyTorch / CRD order)
    e = (
        c.reshape(n, ch // 4, 2, 2, h, w)
        .transpose(0, 1, 4, 2, 5, 3)
        .reshape(n, ch // 4, 2 * h, 2 * w)
    )
    up = x.repeat(2, axis=2).repeat(2, axis=3)
    return 0.5 * (e + up) + up


def test_parse_array_params() -> None:
    layers = parse_param(PARAM)
    assert [layer.type for layer in layers][:3] == ["Input", "Split", "Convolution"]
    assert layers[4].get_list(10) == pytest.approx([0.1])
    assert layers[9].get_list(1) == pytest.approx([0.5, 1.0])
    assert layers[2].get_int(6, 0) == 324


def test_convert_matches_numpy_reference() -> None:
    rng = np.random.default_rng(0)
    blob, params = _weights(rng)
    model = convert(PARAM, blob, clip_output=False)
    assert model.opset_import[0].version == 13 and model.ir_version == 8
    run = ReferenceEvaluator(model)
    x = rng.random((2, 3, 5, 7), dtype=np.float32)
    (y,) = run.run(None, {"input": x})
    assert y.shape == (2, 3, 10, 14)
    np.testing.assert_allclose(y, _reference(x, params), atol=1e-5)


def test_clip_and_reflect_pad() -> None:
    rng = np.random.default_rng(1)
    blob, _ = _weights(rng)
    x = rng.random((1, 3, 6, 6), dtype=np.float32)
    (y,) = ReferenceEvaluator(convert(PARAM, blob)).run(None, {"input": x})
    assert y.min() >= 0.0 and y.max() <= 1.0
    (yp,) = ReferenceEvaluator(convert(PARAM, blob, reflect_pad=2)).run(None, {"input": x})
    assert yp.shape == y.shape


def test_truncated_bin_rejected() -> None:
    blob, _ = _weights(np.random.default_rng(2))
    with pytest.raises(ValueError, match="truncated"):
        convert(PARAM, blob[:-8])
    with pytest.raises(ValueError, match="unread"):
        convert(PARAM, blob + b"\0" * 4)
