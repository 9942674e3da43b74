"""Convert darknet YOLOv3-tiny (.cfg + .weights) to ONNX (numpy + onnx only).

Only the layer types used by YOLOv3-tiny are supported: ``[net]``, ``[convolutional]``
(leaky/linear, optional batch norm), ``[maxpool]``, ``[route]``, ``[upsample]`` and ``[yolo]``.

The exported graph takes ``images: float32[N, 3, size, size]`` (RGB, 0..1) and has one output
per ``[yolo]`` section, named ``yolo_<grid>`` (e.g. ``yolo_13``, ``yolo_26``), holding the raw
(undecoded) output of the convolution that feeds that yolo layer: ``float32[N, A*(5+C), g, g]``.
Batch norm is folded into the convolutions exactly as darknet applies it at inference time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["BN_EPSILON", "INPUT_NAME", "YoloHead", "convert", "parse_cfg", "yolo_heads"]

INPUT_NAME = "images"
OPSET = 13
IR_VERSION = 8
LEAKY_ALPHA = 0.1
# darknet normalize_cpu / normalize_kernel (inference path):
#   x = (x - mean) / (sqrt(variance) + .000001f)
# i.e. the epsilon is added to the standard deviation, not to the variance.
BN_EPSILON = 1e-6


@dataclass
class Section:
    """One ``[type]`` block of a darknet cfg file."""

    kind: str
    options: dict[str, str] = field(default_factory=dict)

    def get_int(self, key: str, default: int | None = None) -> int:
        """Return option ``key`` as int, or ``default`` if absent (error if no default)."""
        if key not in self.options:
            if default is None:
                raise ValueError(f"[{self.kind}] is missing required option {key!r}")
            return default
        return int(self.options[key])

    def get_ints(self, key: str) -> list[int]:
        """Return a comma separated option as a list of ints."""
        return [int(v) for v in self.options[key].split(",") if v.strip()]


@dataclass(frozen=True)
class YoloHead:
    """Description of one ``[yolo]`` output of the converted model."""

    name: str
    grid: int
    mask: tuple[int, ...]
    anchors: tuple[tuple[float, float], ...]
    classes: int


def parse_cfg(cfg_text: str) -> list[Section]:
    """Parse darknet cfg text into a list of sections (``[net]`` included, comments dropped)."""
    sections: list[Section] = []
    for raw in cfg_text.splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            sections.append(Section(match.group(1).lower()))
        elif "=" in line:
            if not sections:
                raise ValueError(f"cfg option outside a section: {raw!r}")
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
        else:
            raise ValueError(f"unparseable cfg line: {raw!r}")
    if not sections or sections[0].kind not in ("net", "network"):
        raise ValueError("cfg must start with a [net] section")
    return sections


class _WeightReader:
    """Sequential float32 reader over a darknet .weights payload."""

    def __init__(self, weights: bytes) -> None:
        if len(weights) < 20:
            raise ValueError("weights file is too short to hold a darknet header")
        header = np.frombuffer(weights, dtype="<i4", count=3)
        major, minor = int(header[0]), int(header[1])
        seen_size = 8 if major * 10 + minor >= 2 else 4
        self.offset = 12 + seen_size
        self.data = weights
        self.version = (major, minor, int(header[2]))

    def take(self, count: int) -> np.ndarray:
        """Return the next ``count`` little-endian float32 values."""
        end = self.offset + 4 * count
        if end > len(self.data):
            raise ValueError("weights file is too short for this cfg")
        out = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.offset)
        self.offset = end
        return out.astype(np.float32)

    def remaining(self) -> int:
        """Return the number of unread bytes."""
        return len(self.data) - self.offset


def _anchors(section: Section) -> list[tuple[float, float]]:
    values = [float(v) for v in section.options["anchors"].split(",") if v.strip()]
    return list(zip(values[0::2], values[1::2], strict=True))


def _resolve(index: int, current: int) -> int:
    """Darknet route indices: negative values are relative to the current layer."""
    resolved = current + index if index < 0 else index
    if not 0 <= resolved < current:
        raise ValueError(f"route index {index} out of range at layer {current}")
    return resolved


def convert(cfg_text: str, weights: bytes, size: int = 416) -> onnx.ModelProto:
    """Convert a darknet YOLOv3(-tiny) cfg + weights into an ONNX model.

    Args:
        cfg_text: contents of the darknet ``.cfg`` file.
        weights: contents of the darknet ``.weights`` file.
        size: square input resolution (multiple of 32).

    Returns:
        A checked ONNX model (opset 13) with input ``images`` ``float32[N, 3, size, size]`` and
        one ``yolo_<grid>`` output per ``[yolo]`` section, in cfg order.
    """
    sections = parse_cfg(cfg_text)
    reader = _WeightReader(weights)
    channels = sections[0].get_int("channels", 3)

    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    outputs: list[onnx.ValueInfoProto] = []
    # Per darknet layer: (tensor name, (channels, height, width)).
    layers: list[tuple[str, tuple[int, int, int]]] = []
    prev: tuple[str, tuple[int, int, int]] = (INPUT_NAME, (channels, size, size))

    for i, sec in enumerate(sections[1:]):
        src, (c, h, w) = prev
        name = f"l{i:03d}_{sec.kind}"
        if sec.kind == "convolutional":
            filters, k = sec.get_int("filters"), sec.get_int("size")
            stride = sec.get_int("stride", 1)
            pad = k // 2 if sec.get_int("pad", 0) else sec.get_int("padding", 0)
            if sec.get_int("groups", 1) != 1:
                raise ValueError("grouped convolutions are not supported")
            if sec.get_int("batch_normalize", 0):
                bias = reader.take(filters)
                gamma, mean, var = (reader.take(filters) for _ in range(3))
                kernel = reader.take(filters * c * k * k).reshape(filters, c, k, k)
                scale = gamma / (np.sqrt(var) + np.float32(BN_EPSILON))
                kernel = kernel * scale[:, None, None, None]
                bias = bias - mean * scale
            else:
                bias = reader.take(filters)
                kernel = reader.take(filters * c * k * k).reshape(filters, c, k, k)
            inits.append(numpy_helper.from_array(kernel.astype(np.float32), f"{name}.weight"))
            inits.append(numpy_helper.from_array(bias.astype(np.float32), f"{name}.bias"))
            act = sec.options.get("activation", "logistic")
            conv_out = name if act == "linear" else f"{name}_conv"
            nodes.append(
                helper.make_node(
                    "Conv",
                    [src, f"{name}.weight", f"{name}.bias"],
                    [conv_out],
                    name=f"{name}_conv",
                    kernel_shape=[k, k],
                    strides=[stride, stride],
                    pads=[pad, pad, pad, pad],
                )
            )
            if act == "leaky":
                nodes.append(
                    helper.make_node("LeakyRelu", [conv_out], [name], name, alpha=LEAKY_ALPHA)
                )
            elif act != "linear":
                raise ValueError(f"unsupported activation {act!r}")
            h = (h + 2 * pad - k) // stride + 1
            w = (w + 2 * pad - k) // stride + 1
            prev = (name, (filters, h, w))
        elif sec.kind == "maxpool":
            k = sec.get_int("size", 1)
            stride = sec.get_int("stride", 1)
            # darknet: total padding (default size-1), offset -padding/2, out-of-range = -inf.
            padding = sec.get_int("padding", k - 1)
            lo, hi = padding // 2, padding - padding // 2
            nodes.append(
                helper.make_node(
                    "MaxPool",
                    [src],
                    [name],
                    name,
                    kernel_shape=[k, k],
                    strides=[stride, stride],
                    pads=[lo, lo, hi, hi],
                )
            )
            h = (h + padding - k) // stride + 1
            w = (w + padding - k) // stride + 1
            prev = (name, (c, h, w))
        elif sec.kind == "route":
            idx = [_resolve(v, i) for v in sec.get_ints("layers")]
            picked = [layers[j] for j in idx]
            if len(picked) == 1:
                prev = picked[0]
            else:
                if len({p[1][1:] for p in picked}) != 1:
                    raise ValueError(f"route layer {i} concatenates mismatched spatial sizes")
                nodes.append(
                    helper.make_node("Concat", [p[0] for p in picked], [name], name, axis=1)
                )
                prev = (name, (sum(p[1][0] for p in picked), *picked[0][1][1:]))
        elif sec.kind == "upsample":
            stride = sec.get_int("stride", 2)
            scales = f"{name}.scales"
            inits.append(
                numpy_helper.from_array(np.array([1, 1, stride, stride], np.float32), scales)
            )
            nodes.append(
                helper.make_node(
                    "Resize",
                    [src, "", scales],
                    [name],
                    name,
                    mode="nearest",
                    coordinate_transformation_mode="asymmetric",
                    nearest_mode="floor",
                )
            )
            prev = (name, (c, h * stride, w * stride))
        elif sec.kind == "yolo":
            classes = sec.get_int("classes")
            n_mask = len(sec.get_ints("mask")) if "mask" in sec.options else sec.get_int("num")
            if c != n_mask * (classes + 5):
                raise ValueError(f"yolo layer {i}: got {c} channels, expected {n_mask}*(5+C)")
            out_name = f"yolo_{h}"
            nodes.append(helper.make_node("Identity", [src], [out_name], f"{name}_out"))
            outputs.append(
                helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["N", c, h, w])
            )
            # darknet yolo layer output has the same shape as its input.
        else:
            raise ValueError(f"unsupported darknet layer [{sec.kind}]")
        layers.append(prev)

    if reader.remaining() != 0:
        raise ValueError(f"{reader.remaining()} unread bytes left in weights (cfg mismatch?)")
    if not outputs:
        raise ValueError("cfg has no [yolo] sections")

    graph = helper.make_graph(
        nodes,
        "darknet_yolo",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", channels, size, size])],
        outputs,
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="darknet_onnx",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def yolo_heads(cfg_text: str, size: int = 416) -> list[YoloHead]:
    """Describe the ``[yolo]`` outputs of :func:`convert` for ``cfg_text`` (cfg order).

    The grid of each head is derived from the total downsampling before it, so this walks the
    cfg shapes without needing weights.
    """
    sections = parse_cfg(cfg_text)
    dims: list[int] = []
    heads: list[YoloHead] = []
    cur = size
    for i, sec in enumerate(sections[1:]):
        if sec.kind == "convolutional":
            k, stride = sec.get_int("size"), sec.get_int("stride", 1)
            pad = k // 2 if sec.get_int("pad", 0) else sec.get_int("padding", 0)
            cur = (cur + 2 * pad - k) // stride + 1
        elif sec.kind == "maxpool":
            k, stride = sec.get_int("size", 1), sec.get_int("stride", 1)
            cur = (cur + sec.get_int("padding", k - 1) - k) // stride + 1
        elif sec.kind == "route":
            cur = dims[_resolve(sec.get_ints("layers")[0], i)]
        elif sec.kind == "upsample":
            cur *= sec.get_int("stride", 2)
        elif sec.kind == "yolo":
            heads.append(
                YoloHead(
                    name=f"yolo_{cur}",
                    grid=cur,
                    mask=tuple(sec.get_ints("mask")),
                    anchors=tuple(_anchors(sec)),
                    classes=sec.get_int("classes"),
                )
            )
        dims.append(cur)
    return heads
