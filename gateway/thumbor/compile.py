"""A parsed thumbor URL -> the one EditGraph, in thumbor's transformer order
(thumbor/transformer.py ``Transformer.transform``): trim, the manual crop,
then the resize (a crop to the target's aspect around the alignment or the
focal points, or ``fit-in``), the flips, then the filters in URL order,
and last the encoding.

Geometry, as thumbor computes it:

* ``WxH`` with both sides: cover W x H, then cut the overflow at
  ``halign``/``valign`` (``smart``: around the detected faces). thumbor
  enlarges here unless ``no_upscale()``.
* one side 0: proportional to the other; both 0: the source size.
* ``orig``: the source's own side.
* ``fit-in``: inside W x H, never enlarged (``upscale()`` allows it);
  ``full-fit-in``: the smaller ratio fills the box instead; ``fill(c)``
  pads the fitted image to W x H with c.
* ``-W`` / ``-H``: flipped after the resize. ``stretch()``: exactly W x H.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from contract import vocabulary
from gateway.thumbor import geometry
from gateway.thumbor.filters import FilterState, apply, loader_source
from gateway.thumbor.urlgrammar import ThumborRequest, extracted_focal
from imgmesh.v1 import edit_pb2

VERTICAL = {"top": "top", "middle": "center", "bottom": "bottom"}


@dataclass(frozen=True)
class Compiled:
    """The graph and what the response needs of the URL.

    Attributes:
        graph: the EditGraph to render.
        max_age: Cache-Control max-age, s (``max_age()`` or the setting).
        filters: the filters that took effect (the others were skipped).
        stretch: ``stretch()`` was given.
        focal: the ``focal()`` (and ``extract_focal()``) points, px of the source.
        image: the image loaded (``extract_focal()``'s inner one, else the URL's).
        request: the URL as run (sides capped at MAX_WIDTH / MAX_HEIGHT).
        normalized: (MAX_WIDTH, MAX_HEIGHT) the source was fitted inside, px.
    """

    graph: edit_pb2.EditGraph
    max_age: int
    filters: tuple[str, ...]
    request: ThumborRequest
    stretch: bool = False
    focal: tuple[geometry.FocalPoint, ...] = ()
    image: str = ""
    normalized: tuple[int, int] = (0, 0)


def _orig_side(value: int | None, operand: int) -> edit_pb2.Dimension | None:
    if value is None:
        return edit_pb2.Dimension(
            expression=edit_pb2.Expression(terms=[edit_pb2.Expression.Term(operand=operand)])
        )
    return edit_pb2.Dimension(px=value) if value > 0 else None


def _adaptive(resize: edit_pb2.Resize) -> edit_pb2.Step:
    """``adaptive-fit-in``: the box turned to the image's orientation when
    they differ (a landscape box for a portrait image and the reverse), as
    thumbor's ``fit_in_resize``; decided on the image as the resize gets it."""
    turned = edit_pb2.Resize()
    turned.CopyFrom(resize)
    turned.width.CopyFrom(resize.height)
    turned.height.CopyFrom(resize.width)
    landscape_box = resize.width.px > resize.height.px
    condition = edit_pb2.Condition(
        property=edit_pb2.Expression.CURRENT_ASPECT_RATIO,
        comparison=edit_pb2.Condition.LT if landscape_box else edit_pb2.Condition.GT,
        value=1.0,
    )
    return edit_pb2.Step(
        conditional=edit_pb2.Conditional(
            condition=condition,
            then_steps=[edit_pb2.Step(resize=turned)],
            else_steps=[edit_pb2.Step(resize=resize)],
        )
    )


def _resize(
    req: ThumborRequest, state: FilterState, focal: list[geometry.FocalPoint]
) -> list[edit_pb2.Step]:
    width = _orig_side(req.width, edit_pb2.Expression.CURRENT_WIDTH)
    height = _orig_side(req.height, edit_pb2.Expression.CURRENT_HEIGHT)
    if width is None and height is None:
        return []
    resize = edit_pb2.Resize()
    if width is not None:
        resize.width.CopyFrom(width)
    if height is not None:
        resize.height.CopyFrom(height)
    both = width is not None and height is not None
    if state.stretch and both:
        resize.crop_mode = edit_pb2.CROP_MODE_FORCE
        return [edit_pb2.Step(resize=resize)]
    if req.fit_in:
        if req.full_fit_in and both:
            resize.crop_mode = edit_pb2.CROP_MODE_AT_LEAST
        else:
            resize.crop_mode = (
                edit_pb2.CROP_MODE_AT_MAX_ENLARGE if state.upscale else edit_pb2.CROP_MODE_AT_MAX
            )
        steps = [edit_pb2.Step(resize=resize)]
        if req.adaptive and req.width and req.height and req.width != req.height:
            steps = [_adaptive(resize)]
        if state.fill is not None and both:
            pad = edit_pb2.Resize(
                crop_mode=edit_pb2.CROP_MODE_PAD_EXTRACT,
                background=state.fill,
                pad_fill=state.pad_fill,
            )
            pad.width.CopyFrom(width)
            pad.height.CopyFrom(height)
            steps.append(edit_pb2.Step(resize=pad))
        return steps
    # one side: proportional; no_upscale() keeps it from enlarging
    proportional_only = state.no_upscale and not both
    resize.crop_mode = (
        edit_pb2.CROP_MODE_AT_MAX if proportional_only else edit_pb2.CROP_MODE_MAINTAIN_RATIO
    )
    if focal:
        x, y = geometry.centre_of_mass(focal)
        resize.focus = vocabulary.FOCUS["custom"]
        resize.focus_box.CopyFrom(edit_pb2.Box(left=int(x), top=int(y), width=1, height=1))
    elif req.smart:
        resize.focus = edit_pb2.FOCUS_FACE
    else:
        resize.focus = vocabulary.compass(VERTICAL[req.valign], req.halign)
    return [edit_pb2.Step(resize=resize)]


def _capped(req: ThumborRequest, max_width: int, max_height: int) -> ThumborRequest:
    """The request with its px sides capped at MAX_WIDTH / MAX_HEIGHT, as
    thumbor's handler caps them (``orig`` is left alone)."""
    width, height = req.width, req.height
    if max_width and width is not None and width > max_width:
        width = max_width
    if max_height and height is not None and height > max_height:
        height = max_height
    if (width, height) == (req.width, req.height):
        return req
    return dataclasses.replace(req, width=width, height=height)


def _normalize(max_width: int, max_height: int) -> edit_pb2.Resize:
    """A source larger than MAX_WIDTH x MAX_HEIGHT fitted inside them (never
    enlarged; it fuses into the decode). thumbor's ``normalize`` scales only
    by the side that exceeds its limit most, and not at all when just one
    limit is set and the other side exceeds 0 by more; this fits inside the
    limits that are set, which is what the settings say."""
    resize = edit_pb2.Resize(crop_mode=edit_pb2.CROP_MODE_AT_MAX)
    if max_width:
        resize.width.px = max_width
    if max_height:
        resize.height.px = max_height
    return resize


def _outline(focal: list[geometry.FocalPoint], smart: bool) -> edit_pb2.FocusOutline:
    """``debug/``: the focal points (px of the manual crop) outlined, and with
    ``smart`` the faces the detector finds (thumbor/transformer.py ``debug``)."""
    return edit_pb2.FocusOutline(
        detect_faces=smart,
        boxes=[
            edit_pb2.Box(
                left=p.x - p.width // 2, top=p.y - p.height // 2, width=p.width, height=p.height
            )
            for p in focal
        ],
    )


def compile_request(
    req: ThumborRequest,
    *,
    accepted: Sequence[int] = (),
    quality: int = 80,
    auto_webp: bool = False,
    auto_avif: bool = False,
    max_age: int = 86400,
    max_width: int = 0,
    max_height: int = 0,
) -> Compiled:
    """Build the EditGraph of ``req``.

    Args:
        req: the parsed URL.
        accepted: formats the client's Accept header allows (for AUTO_WEBP).
        quality: thumbor's ``QUALITY`` (1..100) when no ``quality()`` filter.
        auto_webp: thumbor's ``AUTO_WEBP``.
        auto_avif: thumbor's ``AUTO_AVIF`` (AVIF first, as thumbor prefers it).
        max_age: thumbor's ``MAX_AGE``, s.
        max_width / max_height: thumbor's ``MAX_WIDTH`` / ``MAX_HEIGHT``, px
            (0 = none): the requested sides are capped at them and a larger
            source is first fitted inside them.
    """
    req = _capped(req, max_width, max_height)
    state = FilterState()
    for name, args in req.filters:
        apply(name, args, state)
    explicit = [
        geometry.FocalPoint.from_square(b.left, b.top, b.width, b.height, "Explicit")
        for b in state.focal
    ]
    image = req.image
    extracted = extracted_focal(image) if state.extract_focal else None
    if extracted is not None:  # the inner URL's crop is the focal region
        image, box = extracted
        explicit.append(
            geometry.FocalPoint.from_square(
                box.left,
                box.top,
                box.right - box.left,
                box.bottom - box.top,
                "Original Extraction",
            )
        )
    focal = list(explicit)  # of the source: moved into a manual crop, or dropped
    if req.crop is not None:
        c = req.crop
        focal = geometry.inside_crop(focal, (c.left, c.top, c.right, c.bottom))
    graph = edit_pb2.EditGraph()
    graph.source.CopyFrom(loader_source(image))
    if max_width or max_height:  # thumbor's engine.normalize(), before anything else
        graph.steps.add(resize=_normalize(max_width, max_height))
    if req.trim is not None:  # thumbor's bounding box at its colour distance
        corner, tolerance = req.trim
        graph.steps.add(
            trim=edit_pb2.Trim(color_distance=tolerance, bottom_right=corner == "bottom-right")
        )
    if req.crop is not None and req.crop.right > req.crop.left and req.crop.bottom > req.crop.top:
        c = req.crop
        extract = edit_pb2.Resize(
            crop_mode=edit_pb2.CROP_MODE_EXTRACT,
            width=edit_pb2.Dimension(px=c.right - c.left),
            height=edit_pb2.Dimension(px=c.bottom - c.top),
            x=edit_pb2.Offset(px=c.left),
            y=edit_pb2.Offset(px=c.top),
        )
        graph.steps.add(resize=extract)
    if req.debug:  # no resize and no flips: the focal regions drawn on the crop
        graph.steps.add(focus_outline=_outline(focal, req.smart))
    else:
        graph.steps.extend(_resize(req, state, focal))
    if (req.horizontal_flip or req.vertical_flip) and not req.debug:
        graph.steps.add(
            flip=edit_pb2.Flip(horizontal=req.horizontal_flip, vertical=req.vertical_flip)
        )
    graph.steps.extend(state.steps)
    graph.encode.CopyFrom(state.encode)
    if not graph.encode.quality:
        graph.encode.quality = quality
    if not graph.encode.format:
        graph.encode.format = edit_pb2.FORMAT_AUTO
        if auto_avif and edit_pb2.FORMAT_AVIF in accepted:
            graph.encode.accepted.append(edit_pb2.FORMAT_AVIF)
        elif auto_webp and edit_pb2.FORMAT_WEBP in accepted:
            graph.encode.accepted.append(edit_pb2.FORMAT_WEBP)
    return Compiled(
        graph=graph,
        max_age=state.max_age if state.max_age is not None else max_age,
        filters=tuple(state.applied),
        stretch=state.stretch,
        focal=tuple(explicit),
        image=image,
        request=req,
        normalized=(max_width, max_height),
    )
