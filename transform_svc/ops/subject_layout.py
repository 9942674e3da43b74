"""Photoroom positioning (``outputSize``, ``margin*``, ``padding*``, ``scaling``,
``horizontalAlignment``, ``verticalAlignment``, ``referenceBox``,
``ignorePaddingAndSnapOnCroppedSides``, ``maxWidth``, ``maxHeight``).

Geometry, from https://docs.photoroom.com/image-editing-api-plus-plan/positioning
and the API reference (``../shared/seeds/004_*``); all lengths in px:

1. Reference box R = (rx, ry, rw, rh): the subject's bounding box (alpha >= 128)
   or, with ``referenceBox=originalImage`` (or an image without alpha), the
   whole input W0 x H0.
2. Output size W x H: ``WxH`` as given; ``originalImage``/``auto`` = W0 x H0;
   ``croppedSubject`` = rw x rh. ``maxWidth``/``maxHeight`` then scale it by
   k = min(1, maxWidth / W, maxHeight / H), keeping its aspect ratio.
3. Margins (never ignored): a ratio of the output size (left/right of W,
   top/bottom of H) or px. Content box C = output minus margins.
4. Padding: a ratio of C's size ("size of the document minus margins", which
   with no margin is the output size, as on the positioning page) or px.
   Target area T = C minus padding.
5. Cropped sides: with snapping on (the default), a side where R touches the
   input's border (the subject is cut there) gets no padding, and the subject
   is aligned to that side. An explicit ``horizontalAlignment`` (resp.
   ``verticalAlignment``) turns snapping off on that axis.
6. Scale s = min(T.w / rw, T.h / rh) for ``fit`` (default), max(...) for
   ``fill`` (the overflow is cut by the canvas).
7. Position: left/top, centre (default) or right/bottom of T, or the snapped
   side (centre when both sides of an axis are cropped).
8. The whole input is scaled by s and placed so R lands there, on a
   transparent W x H canvas. RGB under transparent pixels is resampled as is
   (not premultiplied), so a later background blur still sees the photo.
"""

from __future__ import annotations

import pyvips

from contract.limits import Limits
from imgmesh.v1 import edit_pb2
from transform_svc import imaging
from transform_svc.alpha import Box, subject_box
from transform_svc.context import RenderContext
from transform_svc.errors import impossible
from transform_svc.ops import register
from transform_svc.pixel_limits import check_output

Layout = edit_pb2.SubjectLayout


def _length(length: edit_pb2.Length, reference: float) -> float:
    kind = length.WhichOneof("value")
    if kind == "px":
        return float(length.px)
    if kind == "ratio":
        return float(length.ratio) * reference
    return 0.0


def output_size(params: Layout, image: pyvips.Image, ref: Box) -> tuple[int, int]:
    """Rule 2: the canvas size in px."""
    if params.output_size == Layout.OUTPUT_SIZE_CUSTOM:
        w, h = float(params.width), float(params.height)
    elif params.output_size == Layout.OUTPUT_SIZE_CROPPED_SUBJECT:
        w, h = ref.w, ref.h
    else:
        w, h = float(image.width), float(image.height)
    k = 1.0
    if params.max_width:
        k = min(k, params.max_width / w)
    if params.max_height:
        k = min(k, params.max_height / h)
    return max(1, round(w * k)), max(1, round(h * k))


def placement(
    params: Layout, image_size: tuple[int, int], ref: Box, canvas: tuple[int, int], is_subject: bool
) -> tuple[float, float, float]:
    """Rules 3-7: (scale, x, y) where R's top-left lands on the canvas.

    Raises:
        TransformError: impossible_edit when margins and padding leave no room.
    """
    w, h = canvas
    m = params.margin
    ml, mr = _length(m.left, w), _length(m.right, w)
    mt, mb = _length(m.top, h), _length(m.bottom, h)
    cw, ch = w - ml - mr, h - mt - mb
    p = params.padding
    pl, pr = _length(p.left, cw), _length(p.right, cw)
    pt, pb = _length(p.top, ch), _length(p.bottom, ch)
    snap = params.snap_cropped_sides and is_subject
    snap_x = snap and params.horizontal == edit_pb2.ALIGN_UNSPECIFIED
    snap_y = snap and params.vertical == edit_pb2.ALIGN_UNSPECIFIED
    iw, ih = image_size
    cut_l = snap_x and ref.x <= 0
    cut_r = snap_x and ref.x + ref.w >= iw
    cut_t = snap_y and ref.y <= 0
    cut_b = snap_y and ref.y + ref.h >= ih
    pl, pr = (0.0 if cut_l else pl), (0.0 if cut_r else pr)
    pt, pb = (0.0 if cut_t else pt), (0.0 if cut_b else pb)
    tx, ty = ml + pl, mt + pt
    tw, th = cw - pl - pr, ch - pt - pb
    if tw < 1 or th < 1:
        raise impossible(f"margins and padding leave no room in a {w}x{h} output")
    sx, sy = tw / ref.w, th / ref.h
    s = max(sx, sy) if params.fill else min(sx, sy)
    x = _align(params.horizontal, tx, tw, ref.w * s, cut_l, cut_r)
    y = _align(params.vertical, ty, th, ref.h * s, cut_t, cut_b)
    return s, x, y


def _align(
    align: int, start: float, room: float, size: float, cut_start: bool, cut_end: bool
) -> float:
    snapped = align == edit_pb2.ALIGN_UNSPECIFIED
    if align == edit_pb2.ALIGN_START or (snapped and cut_start and not cut_end):
        return start
    if align == edit_pb2.ALIGN_END or (snapped and cut_end and not cut_start):
        return start + room - size
    return start + (room - size) / 2


def lay_out(image: pyvips.Image, params: Layout, limits: Limits) -> pyvips.Image:
    """RGB(A) in, RGBA out at the output size (see the module docstring).

    Raises:
        TransformError: impossible_edit (no room, or no subject left to place);
            image_too_large when the output is over ``limits.max_output_pixels``.
    """
    image = imaging.ensure_alpha(image)
    full = Box(0, 0, image.width, image.height)
    ref = full if params.reference_original_image else subject_box(image)
    if ref is None:
        raise impossible("no subject found to position: the cut-out is empty")
    w, h = output_size(params, image, ref)
    check_output(w, h, limits)
    s, x, y = placement(
        params, (image.width, image.height), ref, (w, h), not params.reference_original_image
    )
    # Where the input's origin lands, then one affine (resample + place).
    # libvips maps pixel centres, so shift by (s - 1) / 2 to map pixel edges.
    ox, oy = x - ref.x * s + (s - 1) / 2, y - ref.y * s + (s - 1) / 2
    placed = image.affine(
        [s, 0, 0, s],
        interpolate=pyvips.Interpolate.new("bicubic"),
        odx=ox,
        ody=oy,
        oarea=[0, 0, w, h],
        extend="background",
        background=[0, 0, 0, 0],
    )
    return placed.cast("uchar").copy(interpretation="srgb")


@register("subject_layout")
def subject_layout(image: pyvips.Image, params: Layout, ctx: RenderContext) -> pyvips.Image:
    """See :func:`lay_out`."""
    return lay_out(image, params, ctx.limits)
