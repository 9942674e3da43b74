"""thumbor's transformer arithmetic: the crop box, resize and flips a thumbor
URL asks of a W x H source, as ``meta/`` reports them.

A port of ``thumbor/transformer.py`` (thumbor 7.8: ``manual_crop``,
``_calculate_target_dimensions``, ``adjust_focal_points``, ``auto_crop``,
``get_center_of_mass``, ``resize``, ``fit_in_resize``, ``flip``) and of the
JSON that ``thumbor/engines/json_engine.py`` writes, including its rounding,
its ``ceil``, its float/int mix and its 1e-5 that rounds .5 up. It works on
numbers only (the source size from the transform service), never on pixels;
the image path renders the same geometry with the Resize step, to within the
1 px that libvips' and PIL's own rounding differ by.

What thumbor reports and this mirrors, quirks included: ``source.width`` /
``height`` are the size *after* the operations (the JSON engine reads its
wrapped engine's size at the end), and ``focal_points`` always holds at least
the alignment point. Not reported: ``trim`` (its box needs the pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gateway.thumbor.urlgrammar import ThumborRequest

# FocalPoint.ALIGNMENT_PERCENTAGES (thumbor/point.py)
ALIGNMENT = {"left": 0.0, "center": 0.5, "right": 1.0, "top": 0.0, "middle": 0.5, "bottom": 1.0}


@dataclass
class FocalPoint:
    """thumbor's ``FocalPoint``: a centre (px, int) with a size and a weight.

    Attributes:
        origin: ``alignment``, ``Explicit`` (the ``focal()`` filter) or the
            detector's name (``Face Detection``, an object class).
    """

    x: int
    y: int
    width: int = 1
    height: int = 1
    weight: float = 1.0
    origin: str = "alignment"

    @classmethod
    def from_square(
        cls, left: float, top: float, width: float, height: float, origin: str
    ) -> FocalPoint:
        """``FocalPoint.from_square``: the centre of the box, weight = its area."""
        w, h = int(width), int(height)
        return cls(int(left + w // 2), int(top + h // 2), w, h, w * h, origin)

    @classmethod
    def from_alignment(cls, halign: str, valign: str, width: float, height: float) -> FocalPoint:
        """``FocalPoint.from_alignment``: the corner/edge/centre point of W x H."""
        return cls(int(width * ALIGNMENT[halign]), int(height * ALIGNMENT[valign]))

    def to_dict(self) -> dict[str, Any]:
        """thumbor's JSON for the point."""
        return {
            "x": self.x,
            "y": self.y,
            "z": self.weight,
            "height": self.height,
            "width": self.width,
            "origin": self.origin,
        }


@dataclass
class Geometry:
    """What thumbor's transformer does to one source.

    Attributes:
        operations: thumbor's JSON operations in order (``crop`` with
            left/top/right/bottom px, ``resize`` with width/height px,
            ``flip_horizontally``, ``flip_vertically``).
        size: the (W, H) px after them.
        focal_points: the points the crop was centred on.
    """

    operations: list[dict[str, Any]] = field(default_factory=list)
    size: tuple[float, float] = (0, 0)
    focal_points: list[FocalPoint] = field(default_factory=list)

    def crop(self, left: float, top: float, right: float, bottom: float) -> None:
        self.operations.append(
            {"type": "crop", "left": left, "top": top, "right": right, "bottom": bottom}
        )
        self.size = (right - left, bottom - top)

    def resize(self, width: float, height: float) -> None:
        self.operations.append({"type": "resize", "width": width, "height": height})
        self.size = (int(width), int(height))  # PIL's resize((int(w), int(h)))

    def target(self) -> tuple[float, float]:
        """``JSONEngine.get_target_dimensions``: the last crop's or resize's
        size as the operation was asked (floats where thumbor passed floats)."""
        for op in reversed(self.operations):
            if op["type"] == "crop":
                return op["right"] - op["left"], op["bottom"] - op["top"]
            if op["type"] == "resize":
                return op["width"], op["height"]
        return self.size

    def to_json(self, url: str, frames: int) -> dict[str, Any]:
        """The body of thumbor's ``meta/`` answer."""
        width, height = self.size
        target_w, target_h = self.target()
        body: dict[str, Any] = {
            "source": {"url": url, "width": width, "height": height, "frameCount": frames},
            "operations": self.operations,
            "target": {"width": target_w, "height": target_h},
        }
        if self.focal_points:
            body["focal_points"] = [p.to_dict() for p in self.focal_points]
        return {"thumbor": body}


Region = tuple[float, float, float, float, str]  # left, top, right, bottom (0..1), origin


def inside_crop(points: list[FocalPoint], crop: tuple[int, int, int, int]) -> list[FocalPoint]:
    """``adjust_focal_points``: the points inside the (left, top, right,
    bottom) px crop, shifted into it."""
    left, top, right, bottom = crop
    return [
        FocalPoint(p.x - left, p.y - top, p.width, p.height, p.weight, p.origin)
        for p in points
        if left <= p.x <= right and top <= p.y <= bottom
    ]


def centre_of_mass(points: list[FocalPoint]) -> tuple[float, float]:
    """``get_center_of_mass``: the weighted mean of the points, floored (px)."""
    total = sum(p.weight for p in points)
    return (
        sum(p.x * p.weight for p in points) // total,
        sum(p.y * p.weight for p in points) // total,
    )


def normalized(source: tuple[int, int], limits: tuple[int, int]) -> tuple[int, int]:
    """The source size after fitting inside the (MAX_WIDTH, MAX_HEIGHT) px
    limits that are set (0 = none), never enlarged, sides rounded half up
    as the render's resize rounds them."""
    w, h = source
    scale = min(
        [limit / side for limit, side in zip(limits, source, strict=True) if limit] or [1.0]
    )
    if scale >= 1:
        return w, h
    return max(1, int(w * scale + 0.5)), max(1, int(h * scale + 0.5))


def plan(
    req: ThumborRequest,
    source: tuple[int, int],
    *,
    stretch: bool = False,
    explicit: list[FocalPoint] | None = None,
    detected: list[Region] | None = None,
    trimmed: tuple[int, int, int, int] | None = None,
) -> Geometry:
    """thumbor's operations on a ``source`` (W, H px) image.

    Args:
        req: the parsed URL.
        stretch: the ``stretch()`` filter.
        trimmed: the (left, top, right, bottom) px box ``trim`` kept: its
            crop comes first and the manual crop is moved by it
            (``Transformer.trim``).
        explicit: ``focal()`` points, px of the source (moved by a manual crop).
        detected: what the detectors found, fractions of the image after the
            manual crop (where imgmesh detects).
    """
    g = Geometry(size=(source[0], source[1]))
    shift = (0, 0)
    if trimmed is not None:
        g.crop(*trimmed)
        shift = trimmed[:2]
    crop = _manual_crop(req, g, shift)
    target_w, target_h = _target_dimensions(req, g.size)
    points = list(explicit or [])
    if crop is not None:
        points = inside_crop(points, crop)
    w, h = g.size
    points += [
        FocalPoint.from_square(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h, origin)
        for x0, y0, x1, y1, origin in detected or []
    ]
    g.focal_points = points or [FocalPoint.from_alignment(req.halign, req.valign, w, h)]
    if req.debug:
        return g
    if req.fit_in:
        _fit_in_resize(req, g, target_w, target_h)
    else:
        if not stretch:
            _auto_crop(g, target_w, target_h)
        if not (target_w == g.size[0] and target_h == g.size[1]):
            g.resize(target_w or 1, target_h or 1)
    if req.horizontal_flip:
        g.operations.append({"type": "flip_horizontally"})
    if req.vertical_flip:
        g.operations.append({"type": "flip_vertically"})
    return g


def _manual_crop(
    req: ThumborRequest, g: Geometry, shift: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    if req.crop is None:
        return None
    w, h = g.size
    dx, dy = shift
    left, top = min(max(req.crop.left - dx, 0), w), min(max(req.crop.top - dy, 0), h)
    right, bottom = min(max(req.crop.right - dx, 0), w), min(max(req.crop.bottom - dy, 0), h)
    if left >= right or top >= bottom:
        return None
    g.crop(left, top, right, bottom)
    return int(left), int(top), int(right), int(bottom)


def _target_dimensions(req: ThumborRequest, size: tuple[float, float]) -> tuple[float, float]:
    """``_calculate_target_dimensions``: floats; ``orig`` is the source side;
    a 0 side proportional, rounded half to even as thumbor's engines do."""
    source_w, source_h = float(size[0]), float(size[1])
    if not req.width and not req.height and req.width is not None and req.height is not None:
        return source_w, source_h
    if req.width is None:
        width = source_w
    elif req.width:
        width = float(req.width)
    else:  # proportional to the requested height (BaseEngine.get_proportional_width)
        width = round(
            float(req.height if req.height is not None else source_h) * source_w / source_h, 0
        )
    if req.height is None:
        height = source_h
    elif req.height:
        height = float(req.height)
    else:
        height = round(
            float(req.width if req.width is not None else source_w) * source_h / source_w, 0
        )
    return width, height


def _auto_crop(g: Geometry, target_w: float, target_h: float) -> None:
    """``auto_crop``: cut the source to the target's aspect ratio around the
    focal points' centre of mass (ratios compared at 2 decimals)."""
    source_w, source_h = g.size
    if round(source_w / source_h, 2) == round((target_w or 1) / (target_h or 1), 2):
        return
    focal_x, focal_y = centre_of_mass(g.focal_points)
    if target_w / source_w > target_h / source_h:
        crop_w = source_w
        crop_h = int(round(source_w * target_h / (target_w or 1), 0))
    else:
        crop_w = int(round(math.ceil(target_w * source_h / (target_h or 1)), 0))
        crop_h = source_h
    if crop_w <= 0 or crop_h <= 0:  # a side rounded to 0 px (0x1 of a tall image): no cut
        return
    left = int(round(min(max(focal_x - crop_w / 2, 0.0), source_w - crop_w)))
    top = int(round(min(max(focal_y - crop_h / 2, 0.0), source_h - crop_h)))
    g.crop(left, top, min(left + crop_w, source_w), min(top + crop_h, source_h))


def _fit_in_resize(req: ThumborRequest, g: Geometry, target_w: float, target_h: float) -> None:
    """``fit_in_resize``: inside the box, never enlarged (``full-``: the
    smaller ratio fills the box); ``adaptive-`` turns the box to the source's
    orientation."""
    source_w, source_h = g.size
    if req.adaptive and (
        (source_w < source_h and target_w > target_h)
        or (source_w > source_h and target_w < target_h)
    ):
        target_w, target_h = target_h, target_w
    sign = -1 if req.full_fit_in else 1
    if sign == 1 and target_w >= source_w and target_h >= source_h:
        return
    if source_w / target_w * sign >= source_h / target_h * sign:
        g.resize(target_w, round(source_h * target_w / source_w + 1e-5))
    else:
        g.resize(round(source_w * target_h / source_h + 1e-5), target_h)
