"""Resize: ImageKit crop strategies and crop modes on libvips ``thumbnail``.

Geometry (source upright size W x H, target box w x h; see
https://imagekit.io/docs/image-resize-and-crop):

* only one of w/h (any mode but extract): scale uniformly to that length.
* ``maintain_ratio`` (default): scale by max(w/W, h/H) to cover the box, crop
  the overflow at the focus (``auto`` = libvips smartcrop "attention").
* ``force``: stretch to exactly w x h.
* ``at_least``: scale by max(w/W, h/H), no crop (both sides >= box).
* ``at_max``: scale by min(w/W, h/H, 1) (never enlarges).
* ``at_max_enlarge``: scale by min(w/W, h/H).
* ``pad_resize``: scale by min(w/W, h/H), then pad to w x h with the
  background colour, the image placed at the focus (default centre).
* ``extract``: cut w x h out of the unscaled image at the focus; a box larger
  than the image is impossible (422).
* ``pad_extract``: like extract, padding with the background where the box
  exceeds the image.

Widths/heights given as ratios are fractions of the current image's size;
``aspect_ratio`` (w/h) derives the missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyvips

from contract.limits import MAX_OUTPUT_SIDE  # larger targets are refused (422)
from contract.vocabulary import BOX_FOCUS, EXTRACT_MODES, FIT_MODES
from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.context import RenderContext
from transform_svc.errors import impossible, invalid
from transform_svc.ops import register, register_load_fusion
from transform_svc.shrink_on_load import jpeg_thumbnail

# Larger than any accepted image side: "unconstrained" for vips_thumbnail.
UNBOUNDED = 10_000_000


def _length(dim: edit_pb2.Dimension, current: int) -> int | None:
    kind = dim.WhichOneof("value")
    if kind == "px":
        return dim.px
    if kind == "ratio":
        return max(1, round(dim.ratio * current))
    return None


def target_box(params: edit_pb2.Resize, width: int, height: int) -> tuple[int | None, int | None]:
    """Resolve the target (w, h) in px from px/ratio dims and aspect ratio.

    Raises:
        TransformError: invalid_parameter when neither side can be derived;
            impossible_edit when a side exceeds MAX_OUTPUT_SIDE.
    """
    dpr = params.dpr or 1.0
    w = _length(params.width, width)
    h = _length(params.height, height)
    w = max(1, round(w * dpr)) if w else w
    h = max(1, round(h * dpr)) if h else h
    ar = params.aspect_ratio
    if ar > 0:
        if w and not h:
            h = max(1, round(w / ar))
        elif h and not w:
            w = max(1, round(h * ar))
        elif not w and not h:
            raise invalid("ar needs w or h")
    if not w and not h:
        raise invalid("resize needs w or h")
    for side in (w, h):
        if side and side > MAX_OUTPUT_SIDE:
            raise impossible(f"requested size {side} px exceeds {MAX_OUTPUT_SIDE} px")
    return w, h


@dataclass(frozen=True)
class ThumbnailPlan:
    """Arguments for vips_thumbnail and what to do after it: an exact output
    size (``size="force"``) or a box to fill (``crop``), then an optional
    gravity crop/pad."""

    width: int
    height: int
    size: str = "force"  # VipsSize: force | both
    crop: str = "none"  # VipsInteresting
    gravity: tuple[str, int, int] | None = None  # (direction, w, h) crop/pad after


def scaled_size(width: int, height: int, w: int, h: int, *, enlarge: bool) -> tuple[int, int]:
    """The W x H image scaled by s = min(w/W, h/H) (and at most 1 unless
    ``enlarge``), each side rounded half up, at least 1 px. ``w`` or ``h`` may
    be UNBOUNDED. One rule for every scaling mode, whichever decoder runs."""
    scale = min(w / width, h / height)
    if not enlarge:
        scale = min(scale, 1.0)
    return max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5))


def plan(params: edit_pb2.Resize, width: int, height: int) -> ThumbnailPlan | None:
    """Plan a thumbnail for a W x H upright image; None for the extract modes."""
    mode = params.crop_mode or edit_pb2.CROP_MODE_MAINTAIN_RATIO
    if params.focus in BOX_FOCUS:  # detection found nothing (or never ran)
        params = _with_focus(params, edit_pb2.FOCUS_CENTER)
    if mode in EXTRACT_MODES:
        return None
    w, h = target_box(params, width, height)
    enlarge = mode != edit_pb2.CROP_MODE_AT_MAX
    if not w and not h:
        return ThumbnailPlan(width, height)
    if not w or not h:  # one side given: uniform scale
        return ThumbnailPlan(
            *scaled_size(width, height, w or UNBOUNDED, h or UNBOUNDED, enlarge=enlarge)
        )
    if mode == edit_pb2.CROP_MODE_FORCE:
        return ThumbnailPlan(w, h)
    if mode in FIT_MODES:
        fitted = scaled_size(width, height, w, h, enlarge=enlarge)
        if mode != edit_pb2.CROP_MODE_PAD_RESIZE:
            return ThumbnailPlan(*fitted)
        return ThumbnailPlan(*fitted, gravity=(imaging.COMPASS[params.focus], w, h))
    # cover: maintain_ratio crops at the focus, at_least keeps the overflow
    by_width = w / width >= h / height
    cover = scaled_size(
        width, height, *((w, UNBOUNDED) if by_width else (UNBOUNDED, h)), enlarge=True
    )
    if mode == edit_pb2.CROP_MODE_AT_LEAST:
        return ThumbnailPlan(*cover)
    if params.focus == edit_pb2.FOCUS_AUTO:
        return ThumbnailPlan(w, h, size="both", crop="attention")
    if params.focus in (edit_pb2.FOCUS_UNSPECIFIED, edit_pb2.FOCUS_CENTER):
        return ThumbnailPlan(w, h, size="both", crop="centre")
    return ThumbnailPlan(*cover, gravity=(imaging.COMPASS[params.focus], w, h))


def _finish(image: pyvips.Image, p: ThumbnailPlan, params: edit_pb2.Resize) -> pyvips.Image:
    if p.gravity is None:
        return image
    direction, w, h = p.gravity
    return pad(image, direction, w, h, params)


# thumbor's fill(blur): its blur filter at radius 50 (sigma = radius) on the
# fitted image (thumbor/filters/fill.py).
PAD_BLUR_SIGMA = 50.0


def pad(
    image: pyvips.Image, direction: str, w: int, h: int, params: edit_pb2.Resize
) -> pyvips.Image:
    """``image`` on a w x h px canvas at the libvips gravity ``direction``
    (cropped where it is larger), the rest filled as ``params.pad_fill``
    says: ``background``, the image's mean colour (alpha ignored, truncated,
    as thumbor's fill(auto)), or the image blurred (sigma 50 px) and
    stretched to w x h underneath."""
    if params.pad_fill == edit_pb2.Resize.PAD_FILL_BLURRED:
        under = image.gaussblur(PAD_BLUR_SIGMA).resize(
            w / image.width, vscale=h / image.height, kernel="linear"
        )
        under = under.crop(0, 0, min(w, under.width), min(h, under.height))
        if under.width != w or under.height != h:  # rounding: extend by the edge
            under = under.embed(0, 0, w, h, extend="copy")
        placed = image.gravity(direction, w, h, extend="black")
        if not image.hasalpha():
            mask = pyvips.Image.black(image.width, image.height) + 255
            mask = mask.cast("uchar").gravity(direction, w, h, extend="black")
            placed = placed.bandjoin(mask)
        out = under.composite2(placed, "over").cast("uchar")
        return out if image.hasalpha() else out.extract_band(0, n=3)
    background = imaging.set_color(params, "background")
    if params.pad_fill == edit_pb2.Resize.PAD_FILL_MEAN:
        rgb = image.extract_band(0, n=3)
        r, g, b = (int(rgb[band].avg()) for band in range(3))
        background = edit_pb2.Color(r=r, g=g, b=b, a=255)
    if imaging.needs_alpha(background):
        image = imaging.ensure_alpha(image)
    return image.gravity(
        direction,
        w,
        h,
        extend="background",
        background=imaging.background_for(image, background),
    )


def _run(
    make: Callable[..., pyvips.Image], params: edit_pb2.Resize, width: int, height: int
) -> pyvips.Image | None:
    p = plan(params, width, height)
    if p is None:
        return None
    image = make(p.width, height=p.height, size=p.size, crop=p.crop)
    return _finish(imaging.to_srgb(image, apply_icc=False), p, params)


def crop_window(params: edit_pb2.Resize, width: int, height: int) -> tuple[int, int] | None:
    """The (w, h) px window a focus crop cuts from a W x H image: the target's
    aspect ratio at the size the crop mode keeps (maintain_ratio: the target
    scaled back by the cover scale s = max(w/W, h/H), i.e. w/s x h/s; extract:
    w x h px), divided by ``zoom`` (> 1 tighter, < 1 looser), never larger than
    the image. None when the mode or a missing side leaves nothing to crop."""
    w, h = target_box(params, width, height)
    mode = params.crop_mode or edit_pb2.CROP_MODE_MAINTAIN_RATIO
    if (
        not w
        or not h
        or mode not in (edit_pb2.CROP_MODE_MAINTAIN_RATIO, edit_pb2.CROP_MODE_EXTRACT)
    ):
        return None
    if mode == edit_pb2.CROP_MODE_MAINTAIN_RATIO:
        scale = max(w / width, h / height)
        win_w, win_h = w / scale, h / scale
    else:
        win_w, win_h = float(w), float(h)
    zoom = params.zoom or 1.0
    win_w, win_h = win_w / zoom, win_h / zoom
    shrink = min(1.0, width / win_w, height / win_h)
    return max(1, round(win_w * shrink)), max(1, round(win_h * shrink))


def focus_crop(image: pyvips.Image, params: edit_pb2.Resize) -> pyvips.Image | None:
    """Crop the :func:`crop_window` centred on ``focus_box`` (fo-face,
    fo-<object>, fo-custom; shifted to stay inside the image), then scale it
    to the target. None when there is nothing to crop."""
    window = crop_window(params, image.width, image.height)
    if not params.HasField("focus_box") or window is None:
        return None
    w, h = target_box(params, image.width, image.height)
    win_w, win_h = window
    box = params.focus_box
    cx, cy = box.left + box.width / 2, box.top + box.height / 2
    left = int(min(max(cx - win_w / 2, 0), image.width - win_w))
    top = int(min(max(cy - win_h / 2, 0), image.height - win_h))
    cut = image.extract_area(left, top, win_w, win_h)
    if (win_w, win_h) == (w, h):
        return cut
    return cut.thumbnail_image(w, height=h, size="force")


@register("resize")
def resize(image: pyvips.Image, params: edit_pb2.Resize, ctx: RenderContext) -> pyvips.Image:
    """Resize/crop/pad an sRGB image (3/4 bands) per the rules in the module doc.

    Raises:
        TransformError: invalid_parameter, impossible_edit.
    """
    if params.focus in BOX_FOCUS:
        cropped = focus_crop(image, params)
        if cropped is not None:
            return cropped
        params = _with_focus(params, edit_pb2.FOCUS_CENTER)
    out = _run(image.thumbnail_image, params, image.width, image.height)
    return out if out is not None else extract(image, params)


@register_load_fusion("resize")
def resize_on_load(
    buffer: bytes, params: edit_pb2.Resize, ctx: RenderContext
) -> pyvips.Image | None:
    """Shrink-on-load: decode straight at (near) the target size, a JPEG at
    the largest libjpeg scale (``shrink_on_load.jpeg_thumbnail``), anything
    else with ``thumbnail_buffer`` (both autorotate and convert ICC to sRGB).
    Declines (None) for the extract modes."""
    if params.crop_mode in EXTRACT_MODES or params.focus in BOX_FOCUS:
        return None  # extract needs the whole image; detection needs pixels first
    header = imaging.load(buffer)
    upright = imaging.upright_size(header)

    def make(w: int, *, height: int, size: str, crop: str) -> pyvips.Image:
        fast = jpeg_thumbnail(buffer, header, upright, w, height=height, size=size, crop=crop)
        if fast is not None:
            return fast
        return pyvips.Image.thumbnail_buffer(buffer, w, height=height, size=size, crop=crop)

    return _run(make, params, *upright)


def _region_origin(params: edit_pb2.Resize, w: int, h: int) -> tuple[int, int] | None:
    """Top-left of the extract region from x/y or xc/yc (px); None if unset."""
    has = params.HasField
    if not any(has(f) for f in ("x", "y", "xc", "yc")):
        return None
    left = params.x.px if has("x") else (params.xc.px - w // 2 if has("xc") else None)
    top = params.y.px if has("y") else (params.yc.px - h // 2 if has("yc") else None)
    return left, top  # type: ignore[return-value]


def _with_focus(params: edit_pb2.Resize, focus: int) -> edit_pb2.Resize:
    copy = edit_pb2.Resize()
    copy.CopyFrom(params)
    copy.focus = focus
    return copy


def extract(image: pyvips.Image, params: edit_pb2.Resize) -> pyvips.Image:
    """cm-extract / cm-pad_extract on an upright sRGB image: position from
    x/y (top-left) or xc/yc (centre) when given, else the focus."""
    w, h = target_box(params, image.width, image.height)
    w = w or image.width
    h = h or image.height
    origin = _region_origin(params, w, h)
    if origin is not None:
        left, top = origin
        left = (image.width - w) // 2 if left is None else left
        top = (image.height - h) // 2 if top is None else top
        inside = 0 <= left and 0 <= top and left + w <= image.width and top + h <= image.height
        if params.crop_mode == edit_pb2.CROP_MODE_EXTRACT:
            if not inside:
                raise impossible(
                    f"cm-extract {w}x{h} at ({left}, {top}) leaves the "
                    f"{image.width}x{image.height} image; use cm-pad_extract to pad"
                )
            return image.extract_area(left, top, w, h)
        background = imaging.set_color(params, "background")
        if imaging.needs_alpha(background):
            image = imaging.ensure_alpha(image)
        return image.embed(
            -left,
            -top,
            w,
            h,
            extend="background",
            background=imaging.background_for(image, background),
        )
    if params.crop_mode == edit_pb2.CROP_MODE_EXTRACT:
        if w > image.width or h > image.height:
            raise impossible(
                f"cm-extract {w}x{h} exceeds the {image.width}x{image.height} image; "
                "use cm-pad_extract to pad"
            )
        if params.focus == edit_pb2.FOCUS_AUTO:
            return image.smartcrop(w, h, interesting="attention")
        return image.gravity(imaging.COMPASS[params.focus], w, h)
    if params.focus == edit_pb2.FOCUS_AUTO and w <= image.width and h <= image.height:
        return image.smartcrop(w, h, interesting="attention")
    return pad(image, imaging.COMPASS[params.focus], w, h, params)
