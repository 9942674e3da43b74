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
        no_upscale / upscale / stretch: thumbor's resize switches.
        max_age: ``max_age()`` seconds, overriding ``MAX_AGE``.
        focal: ``focal()`` boxes, px of the source.
        applied: the names of the filters that took effect, in order.
    """

    steps: list[edit_pb2.Step] = field(default_factory=list)
    encode: edit_pb2.Encode = field(default_factory=edit_pb2.Encode)
    fill: edit_pb2.Color | None = None
    no_upscale: bool = False
    upscale: bool = False
    stretch: bool = False
    max_age: int | None = None
    focal: list[edit_pb2.Box] = field(default_factory=list)
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


@thumbor_filter("fill")
def _fill(args: list[str], state: FilterState) -> None:
    _arity(args, 1, 2)
    if args[0] in ("auto", "blur"):
        raise FilterArgumentsError(
            args[0]
        )  # the border's own colour / a blurred copy: not built yet
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
    if args[2].lower() not in ("true", "false", "1", "0"):
        raise FilterArgumentsError(args[2])
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
