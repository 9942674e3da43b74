"""thumbor's filters, each a small function registered by its thumbor name
(``filters:name(args)``), as thumbor registers each filter class
(thumbor/filters/<name>.py, https://thumbor.readthedocs.io/en/latest/filters.html).

thumbor is lenient: an unknown filter, or arguments its pattern does not
match, is skipped and the image is still served. A filter here raises
:class:`FilterArgumentsError` for that, and the compiler drops it.

Every filter maps thumbor's spelling onto the EditGraph's steps and the
contract's vocabulary; none touches pixels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from contract import vocabulary
from gateway import value_parsers
from gateway.errors import RequestError
from imgmesh.v1 import edit_pb2


class FilterArgumentsError(ValueError):
    """The filter's arguments do not match its pattern: thumbor ignores it."""


@dataclass
class FilterState:
    """What the filters of one URL set, read by :mod:`gateway.thumbor.compile`.

    Attributes:
        steps: steps run after the crop and resize, in URL order.
        encode: the output format and quality.
        fill: ``fill()``'s colour for the fit-in box (None = no fill).
        pad_fill: ``fill(auto)`` / ``fill(blur)``: the Resize's PadFill.
        no_upscale / upscale / stretch: thumbor's resize switches.
        max_age: ``max_age()`` seconds, overriding ``MAX_AGE``.
        focal: ``focal()`` boxes, px of the source.
        extract_focal: ``extract_focal()`` was given.
        applied: the names of the filters that took effect, in order.
    """

    steps: list[edit_pb2.Step] = field(default_factory=list)
    encode: edit_pb2.Encode = field(default_factory=edit_pb2.Encode)
    fill: edit_pb2.Color | None = None
    pad_fill: int = edit_pb2.Resize.PAD_FILL_COLOR
    no_upscale: bool = False
    upscale: bool = False
    stretch: bool = False
    max_age: int | None = None
    focal: list[edit_pb2.Box] = field(default_factory=list)
    extract_focal: bool = False
    applied: list[str] = field(default_factory=list)


Filter = Callable[[list[str], FilterState], None]
FILTERS: dict[str, Filter] = {}


def thumbor_filter(name: str) -> Callable[[Filter], Filter]:
    """Register ``fn`` as the thumbor filter ``name``."""

    def register(fn: Filter) -> Filter:
        FILTERS[name] = fn
        return fn

    return register


def apply(name: str, args: str, state: FilterState) -> bool:
    """Apply one ``name(args)``; False (and nothing changed) when thumbor
    would skip it: an unknown name or arguments that do not match."""
    fn = FILTERS.get(name)
    if fn is None:
        return False
    parts = [a.strip() for a in args.split(",")] if args.strip() else []
    try:
        fn(parts, state)
    except (FilterArgumentsError, RequestError, ValueError):
        return False
    state.applied.append(name)
    return True


def _number(text: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise FilterArgumentsError(text) from exc
    if not lo <= value <= hi:
        raise FilterArgumentsError(text)
    return value


def _arity(args: list[str], lo: int, hi: int) -> None:
    if not lo <= len(args) <= hi:
        raise FilterArgumentsError(",".join(args))


def _boolean(text: str) -> bool:
    """thumbor's ``Boolean``: ``[Tt]rue|[Ff]alse|1|0``."""
    if text not in ("true", "True", "1", "false", "False", "0"):
        raise FilterArgumentsError(text)
    return text in ("true", "True", "1")


def _integer(text: str, *, signed: bool = True) -> int:
    """thumbor's ``Number`` (``-?\\d+``) or ``PositiveNumber`` (``\\d+``)."""
    if not re.fullmatch(r"-?\d+" if signed else r"\d+", text):
        raise FilterArgumentsError(text)
    return int(text)


def loader_source(image: str) -> edit_pb2.Source:
    """Where an image path loads from, as thumbor's loaders: ``http(s)://``
    through the HTTP origin (its allow-list and SSRF guard), anything else
    under the local origin root (the file loader)."""
    if image.startswith(("http://", "https://")):
        return edit_pb2.Source(url=image)
    return edit_pb2.Source(origin_path=image.lstrip("/"))


def color(text: str) -> edit_pb2.Color:
    """thumbor's colours: a CSS name, ``RGB``/``RRGGBB`` hex without ``#``,
    or ``transparent`` (thumbor/filters/fill.py).

    Raises:
        FilterArgumentsError: none of those.
    """
    try:
        return value_parsers.css_color("fill", text)
    except RequestError as exc:
        raise FilterArgumentsError(text) from exc


@thumbor_filter("format")
def _format(args: list[str], state: FilterState) -> None:
    _arity(args, 1, 1)
    fmt = vocabulary.format_named(args[0])
    if fmt is None:
        raise FilterArgumentsError(args[0])
    state.encode.format = fmt


@thumbor_filter("quality")
def _quality(args: list[str], state: FilterState) -> None:
    _arity(args, 1, 1)
    state.encode.quality = max(1, int(_number(args[0], 0, 100)))


PAD_FILLS = {"auto": edit_pb2.Resize.PAD_FILL_MEAN, "blur": edit_pb2.Resize.PAD_FILL_BLURRED}


@thumbor_filter("fill")
def _fill(args: list[str], state: FilterState) -> None:
    """fill(colour|auto|blur|transparent[, fill_transparent]): what pads a
    fit-in box; ``auto`` = the image's mean colour, ``blur`` = the image
    blurred and stretched underneath (thumbor/filters/fill.py)."""
    _arity(args, 1, 2)
    if len(args) == 2:
        _boolean(args[1])
    if args[0] in PAD_FILLS:
        state.pad_fill = PAD_FILLS[args[0]]
        state.fill = edit_pb2.Color(a=255)
        return
    state.fill = color(args[0])


FOCAL = re.compile(r"(\d+)x(\d+):(\d+)x(\d+)")  # thumbor/filters/focal.py


@thumbor_filter("focal")
def _focal(args: list[str], state: FilterState) -> None:
    """``focal(LxT:RxB)``: a focal point for the crop (thumbor weighs it by area)."""
    _arity(args, 1, 1)
    found = FOCAL.match(args[0])
    if found is None:
        raise FilterArgumentsError(args[0])
    left, top, right, bottom = (int(v) for v in found.groups())
    if right <= left or bottom <= top:
        raise FilterArgumentsError(args[0])
    state.focal.append(edit_pb2.Box(left=left, top=top, width=right - left, height=bottom - top))


@thumbor_filter("background_color")
def _background_color(args: list[str], state: FilterState) -> None:
    _arity(args, 1, 1)
    state.steps.append(
        edit_pb2.Step(background_color=edit_pb2.BackgroundColor(color=color(args[0])))
    )


@thumbor_filter("blur")
def _blur(args: list[str], state: FilterState) -> None:
    """blur(radius[, sigma]): radius 0..150 px, sigma defaults to the radius
    (thumbor/filters/blur.py)."""
    _arity(args, 1, 2)
    radius = _number(args[0], 0, 150)
    sigma = _number(args[1], 0, 150) if len(args) == 2 else radius
    if sigma > 0:
        state.steps.append(edit_pb2.Step(blur=edit_pb2.Blur(sigma=sigma)))


@thumbor_filter("sharpen")
def _sharpen(args: list[str], state: FilterState) -> None:
    """sharpen(amount, radius, luminance_only): an unsharp mask."""
    _arity(args, 3, 3)
    amount = _number(args[0], 0, 10)
    radius = _number(args[1], 0, 10)
    _boolean(args[2])
    state.steps.append(
        edit_pb2.Step(unsharp_mask=edit_pb2.UnsharpMask(sigma=max(radius, 0.1), amount=amount))
    )


@thumbor_filter("grayscale")
def _grayscale(args: list[str], state: FilterState) -> None:
    _arity(args, 0, 0)
    state.steps.append(edit_pb2.Step(grayscale=edit_pb2.Grayscale()))


@thumbor_filter("rotate")
def _rotate(args: list[str], state: FilterState) -> None:
    """rotate(angle): multiples of 90, counter-clockwise as thumbor's engines
    rotate (the EditGraph's Rotate turns clockwise)."""
    _arity(args, 1, 1)
    angle = int(_number(args[0], -3600, 3600))
    if angle % 90:
        raise FilterArgumentsError(args[0])
    degrees = (-angle) % 360
    if degrees:
        state.steps.append(edit_pb2.Step(rotate=edit_pb2.Rotate(degrees=degrees)))


@thumbor_filter("round_corner")
def _round_corner(args: list[str], state: FilterState) -> None:
    """round_corner(a|b, r, g, b[, transparent]): corners of radius a px
    (``a|b`` elliptic: the larger is used), filled with the colour unless
    ``transparent`` is 1 (thumbor/filters/round_corner.py)."""
    _arity(args, 4, 5)
    radius = max(int(_number(v, 0, 10_000)) for v in args[0].split("|"))
    rgb = [int(_number(v, 0, 255)) for v in args[1:4]]
    transparent = len(args) == 5 and args[4] in ("1", "true", "True")
    state.steps.append(edit_pb2.Step(radius=edit_pb2.Radius(radius=radius)))
    if not transparent:
        fill = edit_pb2.Color(r=rgb[0], g=rgb[1], b=rgb[2], a=255)
        state.steps.append(edit_pb2.Step(background_color=edit_pb2.BackgroundColor(color=fill)))


def _switch(name: str, attribute: str | None) -> None:
    """Register the argument-less filter ``name``: it sets the FilterState
    flag ``attribute`` (None: accepted, nothing to do, e.g. ``strip_exif``,
    since outputs carry no EXIF or ICC profile unless asked)."""

    def fn(args: list[str], state: FilterState) -> None:
        _arity(args, 0, 0)
        if attribute is not None:
            setattr(state, attribute, True)

    FILTERS[name] = fn


for _name, _attribute in (
    ("extract_focal", "extract_focal"),  # the image is a thumbor URL: compile reads it
    ("strip_exif", None),
    ("strip_icc", None),
    ("no_upscale", "no_upscale"),
    ("upscale", "upscale"),
    ("stretch", "stretch"),
):
    _switch(_name, _attribute)


@thumbor_filter("proportion")
def _proportion(args: list[str], state: FilterState) -> None:
    """proportion(ratio): the result scaled by 0 < ratio < 1
    (thumbor/filters/proportion.py)."""
    _arity(args, 1, 1)
    ratio = _number(args[0], 0, 1)
    if not 0 < ratio < 1:
        raise FilterArgumentsError(args[0])
    state.steps.append(edit_pb2.Step(resize=edit_pb2.Resize(width=edit_pb2.Dimension(ratio=ratio))))


@thumbor_filter("max_age")
def _max_age(args: list[str], state: FilterState) -> None:
    _arity(args, 1, 1)
    if not re.fullmatch(r"\d+", args[0]):
        raise FilterArgumentsError(args[0])
    state.max_age = int(args[0])


@thumbor_filter("remove_background")
def _remove_background(args: list[str], state: FilterState) -> None:
    """imgmesh's own: the subject cut out with the segmentation model the
    ImageKit dialect's ``e-bgremove`` uses (transparent background)."""
    _arity(args, 0, 0)
    state.steps.append(edit_pb2.Step(remove_background=edit_pb2.RemoveBackground()))


def _linear(state: FilterState, multiply: list[float], add: list[float]) -> None:
    state.steps.append(edit_pb2.Step(linear=edit_pb2.Linear(multiply=multiply, add=add)))


def _percent_of_255(delta: int) -> int:
    """thumbor's C: ``(255 * delta) / 100`` in ints (truncated toward zero)."""
    return int(255 * delta / 100)


@thumbor_filter("brightness")
def _brightness(args: list[str], state: FilterState) -> None:
    """brightness(delta): 255 x delta / 100 added to each band
    (thumbor/ext/filters/_brightness.c)."""
    _arity(args, 1, 1)
    _linear(state, [1.0], [_percent_of_255(_integer(args[0]))])


@thumbor_filter("contrast")
def _contrast(args: list[str], state: FilterState) -> None:
    """contrast(delta): k = (delta + 100)^2 / 100 (ints); out = k (in - 128) / 100 + 128
    (thumbor/ext/filters/_contrast.c)."""
    _arity(args, 1, 1)
    k = (_integer(args[0]) + 100) ** 2 // 100
    _linear(state, [k / 100], [128 - 128 * k / 100])


@thumbor_filter("rgb")
def _rgb(args: list[str], state: FilterState) -> None:
    """rgb(r, g, b): 255 x delta / 100 added to each band (thumbor/ext/filters/_rgb.c)."""
    _arity(args, 3, 3)
    _linear(state, [1.0], [_percent_of_255(_integer(v)) for v in args])


@thumbor_filter("colorize")
def _colorize(args: list[str], state: FilterState) -> None:
    """colorize(r%, g%, b%, RRGGBB): each band blended with the fill colour by
    its percentage, out = (in (100 - p) + fill p) / 100 (thumbor/ext/filters/_colorize.c)."""
    _arity(args, 4, 4)
    percents = [_integer(v, signed=False) for v in args[:3]]
    try:
        fill = bytes.fromhex(args[3].strip("'"))
    except ValueError as exc:
        raise FilterArgumentsError(args[3]) from exc
    if len(fill) != 3:
        raise FilterArgumentsError(args[3])
    _linear(
        state,
        [(100 - p) / 100 for p in percents],
        [c * p / 100 for c, p in zip(fill, percents, strict=True)],
    )


DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\d*\.?\d+)")  # thumbor's DecimalNumber


@thumbor_filter("saturation")
def _saturation(args: list[str], state: FilterState) -> None:
    """saturation(factor): 1 = unchanged, 0 = grey, 2 = twice as saturated."""
    _arity(args, 1, 1)
    if not DECIMAL.fullmatch(args[0]):
        raise FilterArgumentsError(args[0])
    state.steps.append(edit_pb2.Step(saturation=edit_pb2.Saturation(factor=float(args[0]))))


@thumbor_filter("equalize")
def _equalize(args: list[str], state: FilterState) -> None:
    _arity(args, 0, 0)
    state.steps.append(edit_pb2.Step(equalize=edit_pb2.Equalize()))


@thumbor_filter("noise")
def _noise(args: list[str], state: FilterState) -> None:
    """noise(amount 0..100[, seed]): thumbor's grain; a seed makes it repeatable."""
    _arity(args, 1, 2)
    amount = _integer(args[0], signed=False)
    seed = _integer(args[1], signed=False) if len(args) == 2 else 0
    if amount > 100:
        raise FilterArgumentsError(args[0])
    state.steps.append(edit_pb2.Step(noise=edit_pb2.Noise(amount=amount, seed=seed)))


KERNEL = re.compile(r"-?\d+(?:\.\d*)?(?:;-?\d+(?:\.\d*)?)*")  # thumbor/filters/convolution.py


@thumbor_filter("convolution")
def _convolution(args: list[str], state: FilterState) -> None:
    """convolution(v;v;...;v, columns[, normalize]): a kernel given row by
    row; odd sides of at most 15 (thumbor's C refuses even sides)."""
    _arity(args, 2, 3)
    if not KERNEL.fullmatch(args[0]) or not re.fullmatch(r"\d*[1-9]\d*", args[1]):
        raise FilterArgumentsError(",".join(args))
    kernel = [float(v) for v in args[0].split(";")]
    columns = int(args[1])
    rows, rest = divmod(len(kernel), columns)
    if rest or columns % 2 == 0 or rows % 2 == 0 or max(rows, columns) > 15:
        raise FilterArgumentsError(",".join(args))
    normalize = _boolean(args[2]) if len(args) == 3 else True
    state.steps.append(
        edit_pb2.Step(
            convolution=edit_pb2.Convolution(kernel=kernel, columns=columns, normalize=normalize)
        )
    )


CURVE = re.compile(r"\[((?:\(\d+,\d+\),?)*)\]")  # thumbor/filters/curve.py
CURVE_POINT = re.compile(r"\((\d+),(\d+)\)")


def _curve_points(text: str) -> list[edit_pb2.Curve.Point]:
    points = [(int(x), int(y)) for x, y in CURVE_POINT.findall(text)]
    xs = [x for x, _ in points]
    if any(v > 255 for p in points for v in p) or any(
        b <= a for a, b in zip(xs, xs[1:], strict=False)
    ):
        raise FilterArgumentsError(text)
    return [edit_pb2.Curve.Point(x=x, y=y) for x, y in points]


@thumbor_filter("curve")
def _curve(args: list[str], state: FilterState) -> None:
    """curve([(x,y),...] all, red, green, blue): tone curves through the points
    (a natural cubic spline, as thumbor/ext/filters/_curve.c)."""
    text = ",".join(args)
    curves = []
    for found in CURVE.finditer(text):
        curves.append(found.group(1))
    if len(curves) != 4 or CURVE.sub("", text).replace(",", "").strip():
        raise FilterArgumentsError(text)
    every, red, green, blue = (_curve_points(c) for c in curves)
    state.steps.append(
        edit_pb2.Step(curve=edit_pb2.Curve(all_bands=every, red=red, green=green, blue=blue))
    )


@thumbor_filter("max_bytes")
def _max_bytes(args: list[str], state: FilterState) -> None:
    """max_bytes(n): JPEG / WebP quality lowered until the file fits in n bytes."""
    _arity(args, 1, 1)
    state.encode.max_bytes = _integer(args[0], signed=False)


E = edit_pb2.Expression
WATERMARK_POSITION = re.compile(r"(-?)(\d+)(p?)|center|repeat")  # thumbor/filters/watermark.py


def _share_of(side: int, fraction: float) -> edit_pb2.Expression:
    """``side`` (an Expression operand) x ``fraction``, as an Expression."""
    return E(terms=[E.Term(operand=side), E.Term(number=fraction), E.Term(operator=E.MULTIPLY)])


def _watermark_offset(text: str, side: int) -> edit_pb2.Offset | None:
    """One of watermark's x / y: px from the near edge (negative: the far
    edge's distance), ``Np`` = N % of the image's side, ``center`` and
    ``repeat`` = None (the compass centre; the overlay's tiling).

    Raises:
        FilterArgumentsError: no match.
    """
    found = WATERMARK_POSITION.fullmatch(text)
    if found is None:
        raise FilterArgumentsError(text)
    if text in ("center", "repeat"):
        return None
    sign, value, percent = found.groups()
    if not percent:
        return edit_pb2.Offset(px=int(sign + value))
    return edit_pb2.Offset(expression=_share_of(side, (-1 if sign else 1) * int(value) / 100))


def _watermark_side(text: str, side: int) -> edit_pb2.Dimension | None:
    """watermark's w_ratio / h_ratio: the layer at most this % of the image's side."""
    if text == "none":
        return None
    if not re.fullmatch(r"-?\d+", text) or int(text) <= 0:
        raise FilterArgumentsError(text)
    return edit_pb2.Dimension(expression=_share_of(side, int(text) / 100))


@thumbor_filter("watermark")
def _watermark(args: list[str], state: FilterState) -> None:
    """watermark(url, x, y, alpha[, w_ratio, h_ratio]): the image at ``url``
    over this one; ``alpha`` 0..100 = its transparency; w/h_ratio fit it
    inside that % of the image's sides (enlarging, as thumbor), ``none`` =
    unbounded; x / y ``repeat`` tile it along that axis
    (thumbor/filters/watermark.py). The layer loads as the image does
    (:func:`loader_source`)."""
    _arity(args, 4, 6)
    url = args[0].strip("'")
    if not url:
        raise FilterArgumentsError(url)
    x = _watermark_offset(args[1], E.CURRENT_WIDTH)
    y = _watermark_offset(args[2], E.CURRENT_HEIGHT)
    alpha = min(_integer(args[3], signed=False), 100)
    layer = edit_pb2.EditGraph(source=loader_source(url))
    ratios = [
        _watermark_side(args[4], E.BASE_WIDTH) if len(args) > 4 else None,
        _watermark_side(args[5], E.BASE_HEIGHT) if len(args) > 5 else None,
    ]
    if ratios[0] is not None or ratios[1] is not None:
        resize = layer.steps.add().resize
        resize.crop_mode = edit_pb2.CROP_MODE_AT_MAX_ENLARGE
        if ratios[0] is not None:
            resize.width.CopyFrom(ratios[0])
        if ratios[1] is not None:
            resize.height.CopyFrom(ratios[1])
    if alpha:
        layer.steps.add(opacity=edit_pb2.Opacity(opacity=(100 - alpha) / 100))
    overlay = edit_pb2.Overlay(image=layer, tile_x=args[1] == "repeat", tile_y=args[2] == "repeat")
    if x is not None:
        overlay.x.CopyFrom(x)
    if y is not None:
        overlay.y.CopyFrom(y)
    state.steps.append(edit_pb2.Step(overlay=overlay))


@thumbor_filter("frame")
def _frame(args: list[str], state: FilterState) -> None:
    """frame(url): the nine-patch image at ``url`` drawn around the image
    (thumbor/filters/frame.py); it loads as the image does."""
    text = ",".join(args).strip("'")
    if not text:
        raise FilterArgumentsError(text)
    patch = edit_pb2.EditGraph(source=loader_source(text))
    state.steps.append(edit_pb2.Step(nine_patch_frame=edit_pb2.NinePatchFrame(image=patch)))
