"""imgproxy v4's geometry as arithmetic over the source size: what its
processing pipeline (``processing/processing.go``: crop, scale,
rotate-and-flip, crop to result, extend, extend aspect ratio, padding) does to
the image's size and where each crop and extension lies, ported from
``processing/prepare.go`` (``CalcParams``), ``crop.go``, ``extend.go``,
``padding.go`` and ``calc_position.go``. No pixels: the compiler turns a
:class:`Plan` into px-exact EditGraph steps.

Everything is computed in the output's orientation (the source's sides
swapped by a 90/270 ``rotate``), as imgproxy's ``ExtractGeometry`` does; the
rotation is applied first when rendering, which gives the same pixels for
every crop (imgproxy turns its crop gravity back instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gateway.imgproxy.options import Options, main_pipeline

Box = tuple[int, int, int, int]  # left, top, width, height px


def _round(value: float) -> int:
    """Go's math.Round: half away from zero."""
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def _round_even(value: float) -> int:
    """Go's math.RoundToEven (Python's round)."""
    return round(value)


def scale(a: int, by: float) -> int:
    """``imath.Scale``."""
    return 0 if a == 0 else _round(a * by)


def scale_to_even(a: int, by: float) -> int:
    """``imath.ScaleToEven``."""
    return 0 if a == 0 else _round_even(a * by)


def shrink_to_even(a: int, by: float) -> int:
    """``imath.ShrinkToEven``."""
    return 0 if a == 0 else _round_even(a / by)


def min_non_zero(a: int, b: int) -> int:
    """``imath.MinNonZero``."""
    return b if a == 0 else a if b == 0 else min(a, b)


@dataclass(frozen=True)
class Gravity:
    """A gravity: its type (``ce``, ``no``, ... ``sm``, ``fp``) and offsets
    (px when >= 1, a share of the side below; ``fp``: the point, 0..1)."""

    type: str = "ce"
    x: float = 0.0
    y: float = 0.0

    @classmethod
    def of(cls, o: Options, key: str, default: str = "ce") -> Gravity:
        return cls(
            o.get(f"{key}.type", default),
            o.get(f"{key}.x_offset", 0.0),
            o.get(f"{key}.y_offset", 0.0),
        )


def offset_px(offset: float, side: int, dpr: float) -> int:
    """A gravity offset in px: px times the dpr when >= 1 (in magnitude), a
    share of ``side`` below (calcPosition's offX / offY)."""
    return _round_even(offset * dpr) if abs(offset) >= 1 else scale_to_even(side, offset)


def position(
    width: int,
    height: int,
    inner_w: int,
    inner_h: int,
    g: Gravity,
    dpr: float,
    *,
    overflow: bool = False,
) -> tuple[int, int]:
    """``calcPosition``: the top-left (px) of an inner_w x inner_h box in a
    width x height one at gravity ``g``; inside it, or with ``overflow``
    (a watermark) anywhere at least 1 px of it still overlaps."""
    if g.type == "fp":
        left = scale_to_even(width, g.x) - inner_w // 2
        top = scale_to_even(height, g.y) - inner_h // 2
    else:
        off_x, off_y = offset_px(g.x, width, dpr), offset_px(g.y, height, dpr)
        left = shrink_to_even(width - inner_w + 1, 2) + off_x
        top = shrink_to_even(height - inner_h + 1, 2) + off_y
        if g.type in ("no", "noea", "nowe"):
            top = off_y
        if g.type in ("ea", "noea", "soea"):
            left = width - inner_w - off_x
        if g.type in ("so", "soea", "sowe"):
            top = height - inner_h - off_y
        if g.type in ("we", "nowe", "sowe"):
            left = off_x
    if overflow:
        return max(1 - inner_w, min(left, width - 1)), max(1 - inner_h, min(top, height - 1))
    return max(0, min(left, width - inner_w)), max(0, min(top, height - inner_h))


def crop_size(side: int, crop: float) -> int:
    """``CalcCropSize``: px when >= 1, a share of the side below (at least 1)."""
    if crop == 0:
        return 0
    if crop >= 1:
        return int(crop)
    return max(1, scale(side, crop))


@dataclass(frozen=True)
class Plan:
    """What imgproxy does to a W x H source, in order (px, output orientation).

    Attributes:
        crop: the ``crop`` option's box on the source, or None.
        scaled: the size after scaling.
        result_crop: the box cut from the scaled image (None: none;
            ``smart`` set: libvips' smartcrop of that size instead).
        smart: the result crop is a smart crop.
        extend: (canvas w, h, image left, top) of ``extend``, or None.
        extend_ar: the same for ``extend_aspect_ratio``.
        padding: (top, right, bottom, left) px added last.
        size: the result's size.
        dpr_scale: the scale px offsets are multiplied by (``dpr``, or less
            when the result could not grow that much).
    """

    crop: Box | None
    scaled: tuple[int, int]
    result_crop: Box | None
    smart: bool
    extend: Box | None
    extend_ar: Box | None
    padding: tuple[int, int, int, int]
    size: tuple[int, int]
    dpr_scale: float = 1.0


@dataclass
class _Sizes:
    w_scale: float = 1.0
    h_scale: float = 1.0
    dpr_scale: float = 1.0
    target_w: int = 0
    target_h: int = 0
    scaled_w: int = 0
    scaled_h: int = 0
    result_crop_w: int = 0
    result_crop_h: int = 0
    extend_ar_w: int = 0
    extend_ar_h: int = 0


def _resizing_type(o: Options, src_w: float, src_h: float, dst_w: float, dst_h: float) -> str:
    rt = o.get("resizing_type", "fit")
    if rt == "auto":
        same = (src_w - src_h >= 0) == (dst_w - dst_h >= 0)
        rt = "fill" if same else "fit"
    return rt


def _calc_scale(s: _Sizes, width: int, height: int, o: Options) -> None:
    """``calcScale``."""
    w_shrink = h_shrink = 1.0
    src_w, src_h = float(width), float(height)
    po_w, po_h = o.get("width", 0), o.get("height", 0)
    dst_w = float(po_w) or src_w
    dst_h = float(po_h) or src_h
    if dst_w != src_w:
        w_shrink = src_w / dst_w
    if dst_h != src_h:
        h_shrink = src_h / dst_h
    if w_shrink != 1 or h_shrink != 1:
        rt = _resizing_type(o, src_w, src_h, dst_w, dst_h)
        if po_w == 0 and rt != "force":
            w_shrink = h_shrink
        elif po_h == 0 and rt != "force":
            h_shrink = w_shrink
        elif rt == "fit":
            w_shrink = h_shrink = max(w_shrink, h_shrink)
        elif rt in ("fill", "fill-down"):
            w_shrink = h_shrink = min(w_shrink, h_shrink)
    w_shrink /= o.get("zoom_width", 1.0)
    h_shrink /= o.get("zoom_height", 1.0)
    s.dpr_scale = o.get("dpr", 1.0)
    if not o.get("enlarge", False):
        least = min(w_shrink, h_shrink)
        if least < 1:
            w_shrink /= least
            h_shrink /= least
            if not o.get("extend.enabled", False):
                s.dpr_scale /= least
        s.dpr_scale = min(s.dpr_scale, w_shrink, h_shrink)
    if (min_w := o.get("min-width", 0)) > 0 and (least := src_w / min_w) < w_shrink:
        h_shrink /= w_shrink / least
        w_shrink = least
    if (min_h := o.get("min-height", 0)) > 0 and (least := src_h / min_h) < h_shrink:
        w_shrink /= h_shrink / least
        h_shrink = least
    w_shrink /= s.dpr_scale
    h_shrink /= s.dpr_scale
    w_shrink = min(w_shrink, src_w)
    h_shrink = min(h_shrink, src_h)
    s.w_scale, s.h_scale = 1.0 / w_shrink, 1.0 / h_shrink


def _calc_sizes(s: _Sizes, width: int, height: int, o: Options) -> None:
    """``calcSizes``."""
    s.target_w = scale(o.get("width", 0), s.dpr_scale * o.get("zoom_width", 1.0))
    s.target_h = scale(o.get("height", 0), s.dpr_scale * o.get("zoom_height", 1.0))
    s.scaled_w, s.scaled_h = scale(width, s.w_scale), scale(height, s.h_scale)
    s.result_crop_w, s.result_crop_h = s.target_w, s.target_h
    if o.get("resizing_type", "fit") == "fill-down" and not o.get("enlarge", False):
        diff_w = s.target_w / s.scaled_w
        diff_h = s.target_h / s.scaled_h
        if diff_w > diff_h and diff_w > 1:
            s.result_crop_h = scale(s.scaled_w, s.target_h / s.target_w)
            s.result_crop_w = s.scaled_w
        elif diff_h > diff_w and diff_h > 1:
            s.result_crop_w = scale(s.scaled_h, s.target_w / s.target_h)
            s.result_crop_h = s.scaled_h
    s.extend_ar_w = s.extend_ar_h = 0
    if o.get("extend_aspect_ratio.enabled", False) and s.target_w > 0 and s.target_h > 0:
        out_w = min_non_zero(s.scaled_w, s.result_crop_w)
        out_h = min_non_zero(s.scaled_h, s.result_crop_h)
        diff_w, diff_h = s.target_w / out_w, s.target_h / out_h
        if diff_h > diff_w:
            s.extend_ar_h, s.extend_ar_w = scale(out_w, s.target_h / s.target_w), out_w
        elif diff_w > diff_h:
            s.extend_ar_w, s.extend_ar_h = scale(out_h, s.target_w / s.target_h), out_h


def _limit_scale(s: _Sizes, width: int, height: int, o: Options) -> None:
    """``limitScale``: ``max_result_dimension``."""
    limit = main_pipeline(o).get("max_result_dimension", 0)  # a chained pipeline's too
    if limit <= 0:
        return
    out_w = min_non_zero(s.scaled_w, s.result_crop_w)
    out_h = min_non_zero(s.scaled_h, s.result_crop_h)
    if o.get("extend.enabled", False):
        out_w, out_h = max(out_w, s.target_w), max(out_h, s.target_h)
    elif o.get("extend_aspect_ratio.enabled", False):
        out_w, out_h = max(out_w, s.extend_ar_w), max(out_h, s.extend_ar_h)
    pad = _padding(o, s.dpr_scale)
    out_w += pad[1] + pad[3]
    out_h += pad[0] + pad[2]
    if out_w > limit or out_h > limit:
        down = limit / max(out_w, out_h)
        s.w_scale = max(s.w_scale * down, 1.0 / width)
        s.h_scale = max(s.h_scale * down, 1.0 / height)
        s.dpr_scale *= down
        _calc_sizes(s, width, height, o)


def _padding(o: Options, dpr: float) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        scale_to_even(o.get(f"padding.{side}", 0), dpr)
        for side in ("top", "right", "bottom", "left")
    )


def _extend_box(
    width: int, height: int, img_w: int, img_h: int, g: Gravity, dpr: float
) -> Box | None:
    """``extendImage``: the canvas and the image's place on it, None when
    the image already covers it."""
    if width <= img_w and height <= img_h:
        return None
    width = width if width > 0 else img_w
    height = height if height > 0 else img_h
    left, top = position(width, height, img_w, img_h, g, dpr)
    return width, height, left, top


def plan(source: tuple[int, int], o: Options) -> Plan:
    """imgproxy's geometry for a source of ``source`` (W, H) px, upright
    (EXIF orientation applied), with the options ``o``."""
    w, h = source
    if o.get("rotate", 0) % 180:
        w, h = h, w
    crop_w, crop_h = crop_size(w, o.get("crop.width", 0.0)), crop_size(h, o.get("crop.height", 0.0))
    to_scale_w, to_scale_h = min_non_zero(crop_w, w), min_non_zero(crop_h, h)
    s = _Sizes()
    _calc_scale(s, to_scale_w, to_scale_h, o)
    _calc_sizes(s, to_scale_w, to_scale_h, o)
    _limit_scale(s, to_scale_w, to_scale_h, o)

    gravity = Gravity.of(o, "gravity")
    crop = None
    if crop_w or crop_h:
        cw, ch = min_non_zero(crop_w, w), min_non_zero(crop_h, h)
        if cw < w or ch < h:
            crop_gravity = Gravity.of(o, "crop.gravity", "")
            if not crop_gravity.type:
                crop_gravity = gravity
            left, top = position(w, h, cw, ch, crop_gravity, 1.0)
            crop = (left, top, cw, ch)
    scaled = size = (s.scaled_w, s.scaled_h)  # (the unscaled size when both scales are 1)

    result_crop, smart = None, False
    if s.result_crop_w or s.result_crop_h:
        rw, rh = min_non_zero(s.result_crop_w, size[0]), min_non_zero(s.result_crop_h, size[1])
        if rw < size[0] or rh < size[1]:
            smart = gravity.type == "sm"
            left, top = (0, 0) if smart else position(*size, rw, rh, gravity, s.dpr_scale)
            result_crop = (left, top, rw, rh)
            size = (rw, rh)

    extend = extend_ar = None
    if o.get("extend.enabled", False):
        extend = _extend_box(
            s.target_w, s.target_h, *size, Gravity.of(o, "extend.gravity"), s.dpr_scale
        )
        if extend is not None:
            size = extend[:2]
    if o.get("extend_aspect_ratio.enabled", False) and s.extend_ar_w and s.extend_ar_h:
        gravity_ar = Gravity.of(o, "extend_aspect_ratio.gravity")
        extend_ar = _extend_box(s.extend_ar_w, s.extend_ar_h, *size, gravity_ar, s.dpr_scale)
        if extend_ar is not None:
            size = extend_ar[:2]
    padding = _padding(o, s.dpr_scale)
    size = (size[0] + padding[1] + padding[3], size[1] + padding[0] + padding[2])
    return Plan(crop, scaled, result_crop, smart, extend, extend_ar, padding, size, s.dpr_scale)
