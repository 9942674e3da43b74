"""Cloudinary transformation components -> the one EditGraph.

Each component is one step of Cloudinary's chain, applied to the previous
one's result. Inside a component the actions run in this order: the resize
or crop (``w h c g x y z ar dpr``, ``b_`` as the padding colour), the
effect (``e_``), opacity (``o_``), radius (``r_``), angle (``a_``),
border (``bo_``) and the background under transparent areas (``b_``).

Crop modes (https://cloudinary.com/documentation/resizing_and_cropping):

* ``scale`` (the default with ``w``/``h``): both sides -> exactly w x h;
  one -> proportional. Enlarges.
* ``fit``: inside w x h, aspect kept, enlarging; ``limit``: the same, never
  enlarging; ``mfit``: only enlarging (an image larger than the box either
  way is left as it is).
* ``fill``: cover w x h and cut the overflow at the gravity; ``lfill``:
  the same without enlarging; ``fill_pad``, ``auto``, ``auto_pad`` and
  ``thumb`` crop like ``fill`` around their gravity (``auto`` for
  ``auto``/``auto_pad``/``fill_pad``).
* ``crop``: a w x h region of the unscaled image at the gravity or at
  ``x``/``y``, cut to the image where it exceeds it.
* ``pad``: fit inside w x h (enlarging) and pad to w x h with ``b_``
  (white by default); ``lpad``: without enlarging; ``mpad``: pad an image
  smaller than the box without scaling it, leave a larger one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from contract import vocabulary
from contract.object_classes import DETECTED_CLASSES
from gateway.cloudinary import components, effects, layers
from gateway.cloudinary.components import Component
from gateway.cloudinary.effects import EffectContext, not_supported
from gateway.cloudinary.values import color, dimension, integer, number, offset
from gateway.errors import invalid
from gateway.value_parsers import MAX_SIDE
from imgmesh.v1 import edit_pb2

E = edit_pb2.Expression
C = edit_pb2.Condition
WHITE = edit_pb2.Color(r=255, g=255, b=255, a=255)
CROP_MODES = (
    "scale", "fit", "limit", "mfit", "fill", "lfill", "fill_pad", "crop", "thumb",
    "pad", "lpad", "mpad", "auto", "auto_pad",
)  # fmt: skip
NOT_BUILT_CROPS = ("imagga_crop", "imagga_scale")
# Cloudinary's compass gravities -> (vertical, horizontal) for vocabulary.compass.
COMPASS = {
    "north_west": ("top", "left"),
    "north": ("top", "center"),
    "north_east": ("top", "right"),
    "west": ("center", "left"),
    "center": ("center", "center"),
    "east": ("center", "right"),
    "south_west": ("bottom", "left"),
    "south": ("bottom", "center"),
    "south_east": ("bottom", "right"),
}
FACE_GRAVITIES = (
    "face", "faces", "face:center", "faces:center", "face:auto", "faces:auto",
    "auto:face", "auto:faces",
)  # fmt: skip
AUTO_GRAVITIES = ("auto", "auto:subject", "auto:classic", "auto:advanced", "auto:good")
# q_auto levels -> quality (imgmesh's fixed choice per level; Cloudinary's
# perceptual search is not ported).
AUTO_QUALITY = {"": 80, "best": 90, "good": 80, "eco": 70, "low": 60}
FLAGS = (
    "progressive", "lossy", "attachment", "layer_apply", "relative", "tiled",
    "keep_iptc", "keep_attribution", "strip_profile", "preserve_transparency",
    "any_format", "png8", "png24", "png32", "immutable_cache", "force_strip",
    "no_overlay", "text_no_trim", "region_relative", "ignore_aspect_ratio",
    "awebp", "animated", "apng", "rasterize", "force_icc", "alternate", "clip",
    "clip_evenodd", "cutter", "draco", "no_stream", "sanitize", "splice",
    "truncate_ts", "waveform", "streaming_attachment", "getinfo", "lossless",
)  # fmt: skip
# Formats f_ / the extension may name that imgmesh does not write.
NOT_WRITTEN_FORMATS = (
    "heic", "heif", "jxl", "tiff", "tif", "bmp", "ico", "svg", "pdf", "eps",
    "psd", "jp2", "wdp", "mp4", "webm", "flif", "djvu", "arw", "cr2",
)  # fmt: skip


@dataclass
class Compiled:
    """What the URL compiled to.

    Attributes:
        graph: the EditGraph (its source set by the handler).
        attachment: ``fl_attachment``'s file name ("" = the public id's
            stem), or None when the image is shown inline.
        immutable: ``fl_immutable_cache``.
        fallbacks: ``d_`` default images, origin paths tried for a missing source.
        negotiated: the output depends on the Accept header (``f_auto``).
        ai: the AI effects asked for (``e_background_removal``...).
    """

    graph: edit_pb2.EditGraph = field(default_factory=edit_pb2.EditGraph)
    attachment: str | None = None
    immutable: bool = False
    fallbacks: list[str] = field(default_factory=list)
    negotiated: bool = False
    ai: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    """The URL facts compiling needs besides the components.

    Attributes:
        extension: the public id's format extension ("" = none).
        accepted: the formats the Accept header allows, best first.
        dpr_hint: the client's DPR (``Sec-CH-DPR`` / ``DPR``) for ``dpr_auto``.
        width_hint: the client's ``Sec-CH-Width`` px for ``w_auto``.
        source_for: the Source a layer's public id reads.
    """

    extension: str
    accepted: Sequence[int]
    source_for: Callable[[str], edit_pb2.Source]
    dpr_hint: float | None = None
    width_hint: int | None = None


def _side(c: Component, key: str, operand: int, req: Request) -> edit_pb2.Dimension | None:
    value = c.get(key)
    if value is None or value == "":
        return None
    if key == "w" and value.startswith("auto"):
        # w_auto[:<step>[:<fallback px>]]: the client's width hint, else the fallback
        parts = value.split(":")
        if req.width_hint:
            return edit_pb2.Dimension(px=min(req.width_hint, MAX_SIDE))
        fallback = parts[2] if len(parts) > 2 else ""
        return edit_pb2.Dimension(px=integer("w", fallback, 1, MAX_SIDE)) if fallback else None
    if value in ("iw", "ow"):
        return edit_pb2.Dimension(expression=E(terms=[E.Term(operand=E.INPUT_WIDTH)]))
    if value in ("ih", "oh"):
        return edit_pb2.Dimension(expression=E(terms=[E.Term(operand=E.INPUT_HEIGHT)]))
    return dimension(key, value, operand)


def _aspect(value: str) -> float:
    """``ar_16:9`` or ``ar_1.5``."""
    w, sep, h = value.partition(":")
    if sep:
        return number("ar", w, 0.001, 10_000) / number("ar", h, 0.001, 10_000)
    return number("ar", value, 0.001, 1000)


def _dpr(c: Component, req: Request) -> float:
    value = c.get("dpr")
    if value is None:
        return 0.0
    if value == "auto":
        return min(max(req.dpr_hint or 1.0, 0.1), 5.0)
    return number("dpr", value, 0.1, 5)


def gravity(value: str, resize: edit_pb2.Resize) -> None:
    """Set ``resize``'s focus from a ``g_`` value.

    Raises:
        RequestError: 400 for an unknown gravity; 501 for ``ocr_text`` and
            other detectors not served.
    """
    if value in COMPASS:
        resize.focus = vocabulary.compass(*COMPASS[value])
    elif value in FACE_GRAVITIES:
        resize.focus = edit_pb2.FOCUS_FACE
    elif value in AUTO_GRAVITIES:
        resize.focus = edit_pb2.FOCUS_AUTO
    elif value.startswith("auto:") and value[5:] in DETECTED_CLASSES:
        resize.focus = edit_pb2.FOCUS_OBJECT
        resize.focus_object = value[5:]
    elif value in ("custom", "custom:face", "custom:faces", "custom:adv_face"):
        resize.focus = edit_pb2.FOCUS_CUSTOM
    elif value == "xy_center":
        resize.focus = edit_pb2.FOCUS_CENTER
    elif value.split(":")[0] in ("ocr_text", "adv_face", "adv_faces", "adv_eyes", "liquid") or (
        value.startswith("auto:")
    ):
        raise not_supported(f"gravity g_{value}")
    else:
        allowed = "|".join([*COMPASS, "xy_center", *FACE_GRAVITIES, *AUTO_GRAVITIES])
        raise invalid("g", value, allowed + "|auto:<COCO class>")


def _px_origin(
    c: Component, key: str, size: edit_pb2.Dimension | None, current: int, side: str
) -> edit_pb2.Offset | None:
    """The crop region's left (``x``) or top (``y``) px: Cloudinary measures
    ``x``/``y`` from the gravity's corner or edge (north_west: the offset is
    the top-left; east: from the right edge inwards; centre: from the centre)."""
    value = c.get(key)
    g = c.get("g", "north_west" if value is not None else "center") or "center"
    if value is None and g not in COMPASS:
        return None
    given = offset(key, value, current) if value is not None else edit_pb2.Offset(px=0)
    where = COMPASS.get(g, ("center", "center"))[0 if side == "v" else 1]
    if g == "xy_center" or where in ("top", "left"):
        return given if value is not None else None
    if size is None or size.WhichOneof("value") != "px":
        return given if where in ("top", "left") else None
    # left = free * share + sign * given, free = current side - region side
    share, sign = (0.5, 1.0) if where == "center" else (1.0, -1.0)
    terms = [E.Term(operand=current), E.Term(number=float(size.px)), E.Term(operator=E.SUBTRACT)]
    terms += [E.Term(number=share), E.Term(operator=E.MULTIPLY)]
    if given.WhichOneof("value") == "px":
        terms += [E.Term(number=sign * given.px), E.Term(operator=E.ADD)]
    else:
        terms += list(given.expression.terms)
        terms += [E.Term(number=sign), E.Term(operator=E.MULTIPLY), E.Term(operator=E.ADD)]
    return edit_pb2.Offset(expression=E(terms=terms))


def _when(
    operand: int,
    comparison: int,
    value: float,
    then: list[edit_pb2.Step],
    other: list[edit_pb2.Step],
) -> list[edit_pb2.Step]:
    cond = C(property=operand, comparison=comparison, value=value)
    return [
        edit_pb2.Step(
            conditional=edit_pb2.Conditional(condition=cond, then_steps=then, else_steps=other)
        )
    ]


def _fits(
    resize: edit_pb2.Resize, inside: list[edit_pb2.Step], outside: list[edit_pb2.Step]
) -> list[edit_pb2.Step]:
    """``inside`` when the image fits in the box (both sides <= the px
    target, times dpr), else ``outside``; ``outside`` alone without px sides."""
    dpr = resize.dpr or 1.0
    sides = [
        (operand, dim.px * dpr)
        for operand, dim, set_ in (
            (E.CURRENT_WIDTH, resize.width, resize.HasField("width")),
            (E.CURRENT_HEIGHT, resize.height, resize.HasField("height")),
        )
        if set_ and dim.WhichOneof("value") == "px"
    ]
    if not sides:
        return outside
    steps = inside
    for operand, limit in reversed(sides):
        steps = _when(operand, C.LTE, limit, steps, outside)
    return steps


def _step(resize: edit_pb2.Resize, **changes: object) -> edit_pb2.Step:
    copy = edit_pb2.Resize()
    copy.CopyFrom(resize)
    for name, value in changes.items():
        setattr(copy, name, value)
    return edit_pb2.Step(resize=copy)


def _crop_region(resize: edit_pb2.Resize, c: Component) -> list[edit_pb2.Step]:
    """``c_crop``: the region at x/y or the gravity, cut to the image where
    it exceeds it (each px side capped by a condition on the image's side)."""
    resize.crop_mode = edit_pb2.CROP_MODE_EXTRACT
    if c.has("x") or c.has("y") or c.get("g") in COMPASS or c.get("g") == "xy_center":
        centre = c.get("g") == "xy_center"
        for key, side, operand, dim in (
            ("x", "h", E.CURRENT_WIDTH, resize.width if resize.HasField("width") else None),
            ("y", "v", E.CURRENT_HEIGHT, resize.height if resize.HasField("height") else None),
        ):
            origin = _px_origin(c, key, dim, operand, side)
            if origin is not None:
                getattr(resize, f"{key}c" if centre else key).CopyFrom(origin)
        resize.focus = edit_pb2.FOCUS_UNSPECIFIED
    steps = [edit_pb2.Step(resize=resize)]
    for name, operand in (("height", E.CURRENT_HEIGHT), ("width", E.CURRENT_WIDTH)):
        dim = getattr(resize, name)
        if not resize.HasField(name) or dim.WhichOneof("value") != "px":
            continue
        capped = []
        for step in steps:
            clamped = edit_pb2.Step()
            clamped.CopyFrom(step)
            _cap(clamped, name, operand)
            capped.append(clamped)
        steps = _when(operand, C.LT, dim.px, capped, steps)
    return steps


def _cap(step: edit_pb2.Step, name: str, operand: int) -> None:
    """Set the side ``name`` of every Resize under ``step`` to the image's own."""
    if step.HasField("resize"):
        getattr(step.resize, name).CopyFrom(
            edit_pb2.Dimension(expression=E(terms=[E.Term(operand=operand)]))
        )
        return
    for inner in (*step.conditional.then_steps, *step.conditional.else_steps):
        _cap(inner, name, operand)


def resize_steps(c: Component, req: Request, *, in_layer: bool = False) -> list[edit_pb2.Step]:
    """The resize or crop of one component (none without a size).

    Raises:
        RequestError: 400 for a bad size, mode or gravity; 501 for imagga modes.
    """
    relative = in_layer and "relative" in c.flags()
    width = _side(c, "w", E.BASE_WIDTH if relative else E.CURRENT_WIDTH, req)
    height = _side(c, "h", E.BASE_HEIGHT if relative else E.CURRENT_HEIGHT, req)
    if relative:
        width, height = _relative(width, E.BASE_WIDTH), _relative(height, E.BASE_HEIGHT)
    aspect = c.get("ar")
    crop = c.get("c") or "scale"
    if crop in NOT_BUILT_CROPS:
        raise not_supported(f"crop mode c_{crop}")
    if crop not in CROP_MODES:
        raise invalid("c", crop, "|".join(CROP_MODES))
    if width is None and height is None:
        return []
    resize = edit_pb2.Resize(dpr=_dpr(c, req))
    if width is not None:
        resize.width.CopyFrom(width)
    if height is not None:
        resize.height.CopyFrom(height)
    if aspect and (width is None or height is None):
        resize.aspect_ratio = _aspect(aspect)
    g = c.get("g")
    if g and not in_layer:
        gravity(g, resize)
    elif crop in ("auto", "auto_pad", "fill_pad") or (crop == "thumb" and not g):
        resize.focus = edit_pb2.FOCUS_AUTO if crop != "thumb" else edit_pb2.FOCUS_CENTER
    if c.get("z"):
        resize.zoom = number("z", c.get("z") or "", 0.01, 100)
    both = (width is not None and height is not None) or bool(aspect)
    if crop == "crop":
        return _crop_region(resize, c)
    if crop in ("pad", "lpad", "mpad"):
        resize.background.CopyFrom(_pad_background(c, resize))
        padded = _step(resize, crop_mode=edit_pb2.CROP_MODE_PAD_RESIZE)
        extracted = _step(resize, crop_mode=edit_pb2.CROP_MODE_PAD_EXTRACT)
        if not both:  # one side: a proportional scale, nothing to pad
            if crop == "mpad":
                return []
            enlarge = crop == "pad"
            mode = edit_pb2.CROP_MODE_AT_MAX_ENLARGE if enlarge else edit_pb2.CROP_MODE_AT_MAX
            return [_step(resize, crop_mode=mode)]
        if crop == "pad":
            return [padded]
        if crop == "lpad":
            return _fits(resize, [extracted], [padded])
        return _fits(resize, [extracted], [])
    if crop == "scale":
        mode = edit_pb2.CROP_MODE_FORCE if both else edit_pb2.CROP_MODE_MAINTAIN_RATIO
        return [_step(resize, crop_mode=mode)]
    if crop == "fit":
        return [_step(resize, crop_mode=edit_pb2.CROP_MODE_AT_MAX_ENLARGE)]
    if crop == "limit":
        return [_step(resize, crop_mode=edit_pb2.CROP_MODE_AT_MAX)]
    if crop == "mfit":
        fit = _step(resize, crop_mode=edit_pb2.CROP_MODE_AT_MAX_ENLARGE)
        return _fits(resize, [fit], [])
    fill = _step(resize, crop_mode=edit_pb2.CROP_MODE_MAINTAIN_RATIO)
    if crop == "lfill":
        # lfill: no enlarging: an image smaller than the box either way is
        # only cut to the box where it exceeds it
        if not both:
            return [_step(resize, crop_mode=edit_pb2.CROP_MODE_AT_MAX)]
        return _fits(resize, [], [_lfill(resize)])
    return [fill]


def _lfill(resize: edit_pb2.Resize) -> edit_pb2.Step:
    """``lfill`` of an image larger than the box on some side: fill when it
    covers the box both ways, else the region of the box's size that fits."""
    fill = _step(resize, crop_mode=edit_pb2.CROP_MODE_MAINTAIN_RATIO)
    steps: list[edit_pb2.Step] = [fill]
    dpr = resize.dpr or 1.0
    for name, operand in (("height", E.CURRENT_HEIGHT), ("width", E.CURRENT_WIDTH)):
        dim = getattr(resize, name)
        if not resize.HasField(name) or dim.WhichOneof("value") != "px":
            continue
        region = _step(resize, crop_mode=edit_pb2.CROP_MODE_EXTRACT)
        _cap(region, name, operand)
        other = "width" if name == "height" else "height"
        if resize.HasField(other) and getattr(resize, other).WhichOneof("value") == "px":
            getattr(region.resize, other).px = round(getattr(resize, other).px * dpr)
        region.resize.dpr = 0
        steps = _when(operand, C.LT, dim.px * dpr, [region], steps)
    return steps[0]


def _relative(dim: edit_pb2.Dimension | None, operand: int) -> edit_pb2.Dimension | None:
    """A layer's fractional side under ``fl_relative``: of the base image."""
    if dim is None or dim.WhichOneof("value") != "ratio":
        return dim
    terms = [E.Term(operand=operand), E.Term(number=dim.ratio), E.Term(operator=E.MULTIPLY)]
    return edit_pb2.Dimension(expression=E(terms=terms))


def _pad_background(c: Component, resize: edit_pb2.Resize) -> edit_pb2.Color:
    value = c.get("b")
    if not value:
        return WHITE
    if value.startswith("auto"):
        resize.pad_fill = edit_pb2.Resize.PAD_FILL_MEAN
        return WHITE
    if value.startswith("blurred"):
        resize.pad_fill = edit_pb2.Resize.PAD_FILL_BLURRED
        return WHITE
    return color("b", value)


def angle_steps(value: str, c: Component) -> list[edit_pb2.Step]:
    """``a_<degrees>`` clockwise, ``hflip``/``vflip``, ``ignore``/``exif``
    (the EXIF orientation is always applied), ``auto_right``/``auto_left``
    (turned by 90 degrees when its orientation differs from the component's
    w x h box); several joined with ``.``.

    Raises:
        RequestError: invalid_parameter.
    """
    steps: list[edit_pb2.Step] = []
    b = c.get("b") or ""
    background = color("b", b) if b and not b.startswith(("auto", "blurred")) else None
    for part in value.split("."):
        if part in ("hflip", "vflip"):
            flip = edit_pb2.Flip(horizontal=part == "hflip", vertical=part == "vflip")
            steps.append(edit_pb2.Step(flip=flip))
        elif part in ("ignore", "exif", "auto"):
            continue
        elif part in ("auto_right", "auto_left"):
            continue  # decided with the resize (see turned_for)
        else:
            degrees = number("a", part, -360, 360) % 360
            if degrees:
                rotate = edit_pb2.Rotate(degrees=degrees)
                if background is not None:
                    rotate.background.CopyFrom(background)
                steps.append(edit_pb2.Step(rotate=rotate))
    return steps


def turned_for(value: str, c: Component) -> list[edit_pb2.Step]:
    """``a_auto_right``/``a_auto_left`` (and ``a_auto``): a 90 degree turn
    (clockwise, or counter-clockwise for auto_left) when the image's
    orientation differs from the component's w x h box, before the resize."""
    parts = value.split(".")
    turn = next((p for p in parts if p in ("auto_right", "auto_left", "auto")), None)
    w, h = c.get("w") or "", c.get("h") or ""
    digits = all(v.isascii() and v.isdigit() and len(v) < 10 for v in (w, h))
    if turn is None or not digits or int(w) == int(h):
        return []
    degrees = 270.0 if turn == "auto_left" else 90.0
    landscape_box = int(w) > int(h)
    rotate = [edit_pb2.Step(rotate=edit_pb2.Rotate(degrees=degrees))]
    return _when(E.CURRENT_ASPECT_RATIO, C.LT if landscape_box else C.GT, 1.0, rotate, [])


def border(value: str) -> edit_pb2.Step:
    """``bo_<width>px_solid_<colour>``.

    Raises:
        RequestError: invalid_parameter.
    """
    width, sep, rest = value.partition("px_")
    style, _, colour = rest.partition("_")
    if not sep or style != "solid" or not colour:
        raise invalid("bo", value, "<width>px_solid_<colour>, e.g. 4px_solid_black")
    return edit_pb2.Step(
        border=edit_pb2.Border(width=integer("bo", width, 1, 1000), color=color("bo", colour))
    )


def radius(value: str) -> edit_pb2.Step:
    """``r_<px>``, ``r_max``, or per corner ``r_20:40`` (the first value is used).

    Raises:
        RequestError: invalid_parameter.
    """
    if value == "max":
        return edit_pb2.Step(radius=edit_pb2.Radius(max=True))
    first = value.split(":")[0]
    return edit_pb2.Step(radius=edit_pb2.Radius(radius=integer("r", first, 0, MAX_SIDE)))


@dataclass
class _Layer:
    """A layer being built: its Overlay, its steps, and where it applies."""

    overlay: edit_pb2.Overlay
    steps: list[edit_pb2.Step]
    start: Component


@dataclass
class _Block:
    """An open ``if_`` ... ``if_else`` ... ``if_end`` block."""

    condition: str
    then_steps: list[edit_pb2.Step] = field(default_factory=list)
    else_steps: list[edit_pb2.Step] = field(default_factory=list)
    in_else: bool = False


class Compiler:
    """Compile one URL's components (see the module docstring)."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.out = Compiled()
        self.encode = edit_pb2.Encode()
        self.variables: dict[str, str] = {}
        self.root: list[edit_pb2.Step] = []
        self.blocks: list[_Block] = []
        self.layer: _Layer | None = None
        self.effect_ctx = EffectContext()

    @property
    def target(self) -> list[edit_pb2.Step]:
        """Where the next steps go: the open block's branch, else the graph."""
        if not self.blocks:
            return self.root
        block = self.blocks[-1]
        return block.else_steps if block.in_else else block.then_steps

    def run(self, raw_components: Sequence[str], named: Mapping[str, str]) -> Compiled:
        """Compile ``raw_components`` (``t_`` names from ``named``).

        Raises:
            RequestError: 400 for a malformed component; 501 for a feature not served.
        """
        for raw in components.expand_named(list(raw_components), named):
            self.component(components.split(raw, self.variables))
        if self.layer is not None:
            self._apply_layer(self.layer.start)
        if self.blocks:
            raise invalid("if", self.blocks[-1].condition, "a condition closed by if_end")
        self.out.graph.steps.extend(self.root)
        self._encode()
        self.out.graph.encode.CopyFrom(self.encode)
        self.out.ai = self.effect_ctx.ai
        return self.out

    def component(self, c: Component) -> None:
        """One component: a condition, a layer's start, part or end, or actions."""
        if not c.items:
            return
        cond = c.get("if")
        if cond is not None:
            self._condition(cond, c.without("if"))
            return
        if self.layer is not None:
            if "layer_apply" in c.flags():
                self._apply_layer(c)
            else:
                self.layer.steps.extend(self.actions(c, in_layer=True))
            return
        start = c.get("l") or c.get("u")
        if start is not None:
            key = "l" if c.has("l") else "u"
            self._start_layer(key, start, c)
            return
        self.target.extend(self.actions(c))
        self._outputs(c)

    def _condition(self, text: str, rest: Component) -> None:
        if text == "end":
            if not self.blocks or rest.items:
                raise invalid("if", "end", "if_end closing an if_<condition> component")
            block = self.blocks.pop()
            self.target.append(
                components.conditional(block.condition, block.then_steps, block.else_steps)
            )
            return
        if text == "else":
            if not self.blocks or self.blocks[-1].in_else or rest.items:
                raise invalid("if", "else", "if_else inside an if_<condition> block")
            self.blocks[-1].in_else = True
            return
        components.check_condition(text)
        if not rest.items:
            self.blocks.append(_Block(text))
            return
        steps = self.actions(rest)
        self._outputs(rest)
        self.target.append(components.conditional(text, steps, []))

    def _start_layer(self, key: str, value: str, c: Component) -> None:
        overlay = layers.parse(key, value, self.req.source_for)
        own = c.without("l", "u", "g", "x", "y", "fl")
        kept_flags = [f for f in c.flags() if f in ("relative",)]
        if kept_flags:
            own = Component((*own.items, ("fl", ".".join(kept_flags))))
        if overlay.HasField("text"):
            if c.get("co"):
                overlay.text.color.CopyFrom(color("co", c.get("co") or ""))
            if c.get("b"):
                overlay.text.background.CopyFrom(color("b", c.get("b") or ""))
            own = own.without("co", "b")
        self.layer = _Layer(overlay, self.actions(own, in_layer=True), c)

    def _apply_layer(self, c: Component) -> None:
        layer = self.layer
        assert layer is not None
        self.layer = None
        overlay = layer.overlay
        placement = c if c.has("g") or c.has("x") or c.has("y") else layer.start
        g = placement.get("g") or "center"
        if g not in COMPASS:
            raise invalid("g", g, "|".join(COMPASS) + " (a layer's placement)")
        focus = vocabulary.compass(*COMPASS[g])
        overlay.focus = focus
        if placement.has("x") or placement.has("y"):
            overlay.anchor = focus
            overlay.x.CopyFrom(offset("x", placement.get("x") or "0", E.BASE_WIDTH))
            overlay.y.CopyFrom(offset("y", placement.get("y") or "0", E.BASE_HEIGHT))
        flags = c.flags() + layer.start.flags()
        if "tiled" in flags:
            overlay.tile_x = overlay.tile_y = True
        if overlay.HasField("text"):
            overlay.text_steps.extend(layer.steps)
        else:
            overlay.image.steps.extend(layer.steps)
        self.target.append(edit_pb2.Step(overlay=overlay))

    def actions(self, c: Component, *, in_layer: bool = False) -> list[edit_pb2.Step]:
        """The steps of one component's actions, in the module docstring's order.

        Raises:
            RequestError: 400 / 501 as the parts do.
        """
        steps: list[edit_pb2.Step] = []
        if c.get("fn"):
            raise not_supported("custom function fn_")
        if c.get("d"):
            self.out.fallbacks.append(c.get("d", "") or "")
        angle = c.get("a") or ""
        steps += turned_for(angle, c) if angle else []
        steps += resize_steps(c, self.req, in_layer=in_layer)
        if c.get("e"):
            self.effect_ctx.color = color("co", c.get("co") or "") if c.get("co") else None
            steps += effects.steps_for(c.get("e") or "", self.effect_ctx)
        if c.get("o"):
            opacity = number("o", c.get("o") or "", 0, 100) / 100
            steps.append(edit_pb2.Step(opacity=edit_pb2.Opacity(opacity=opacity)))
        if c.get("r"):
            steps.append(radius(c.get("r") or ""))
        if angle:
            steps += angle_steps(angle, c)
        if c.get("bo"):
            steps.append(border(c.get("bo") or ""))
        b = c.get("b")
        padded = (c.get("c") or "") in ("pad", "lpad", "mpad")
        if b and not padded and not b.startswith(("auto", "blurred")):
            steps.append(
                edit_pb2.Step(background_color=edit_pb2.BackgroundColor(color=color("b", b)))
            )
        for flag in c.flags():
            if flag.split(":")[0] not in FLAGS:
                raise invalid("fl", flag, "|".join(FLAGS))
        return steps

    def _outputs(self, c: Component) -> None:
        """``q_``, ``f_`` and the output flags of a component of the image
        itself (the last one given wins)."""
        q = c.get("q")
        if q:
            self.encode.quality = _quality(q)
        f = c.get("f")
        if f:
            self._format(f, "f")
        for flag in c.flags():
            name, _, arg = flag.partition(":")
            if name == "progressive":
                self.encode.progressive = arg != "none"
            elif name in ("keep_iptc", "keep_attribution"):
                self.encode.keep_metadata = True
            elif name == "attachment":
                self.out.attachment = arg
            elif name == "immutable_cache":
                self.out.immutable = True
            elif name == "lossless":
                self.encode.lossless = True
            elif name == "getinfo":
                raise not_supported("flag fl_getinfo")

    def _format(self, name: str, key: str) -> None:
        if name == "auto":
            self.encode.format = edit_pb2.FORMAT_AUTO
            self.encode.ClearField("accepted")
            self.encode.accepted.extend(self.req.accepted)
            self.out.negotiated = True
            return
        fmt = vocabulary.format_named(name)
        if fmt is None:
            if name.lower() in NOT_WRITTEN_FORMATS:
                raise not_supported(f"output format {name}")
            raise invalid(key, name, "auto|" + "|".join(vocabulary.format_names()))
        self.encode.format = fmt

    def _encode(self) -> None:
        if self.encode.format == edit_pb2.FORMAT_UNSPECIFIED and self.req.extension:
            ext = self.req.extension
            fmt = vocabulary.format_named(ext)
            if fmt is None and ext not in ("tif", "tiff", "svg"):
                raise not_supported(f"output format {ext}")
            if fmt is not None:
                self.encode.format = fmt


def _quality(value: str) -> int:
    """``q_<1..100>`` (``q_80:420``: the chroma part ignored), ``q_auto[:<level>]``.

    Raises:
        RequestError: invalid_parameter.
    """
    head, _, level = value.partition(":")
    if head == "auto":
        if level not in AUTO_QUALITY:
            raise invalid("q", value, "auto[:best|good|eco|low] or 1..100")
        return AUTO_QUALITY[level]
    q = number("q", head, 0.01, 100)
    return max(1, round(q * 100 if q < 1 else q))


def compile_components(
    raw_components: Sequence[str], named: Mapping[str, str], req: Request
) -> Compiled:
    """Compile a URL's components.

    Raises:
        RequestError: 400 for a malformed component, 501 for a feature not served.
    """
    return Compiler(req).run(raw_components, named)
