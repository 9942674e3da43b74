"""Parsed imgproxy options + the geometry :class:`Plan` of the source ->
the one EditGraph, in imgproxy's pipeline order (``processing/processing.go``):
trim, rotate and flip (first here: the plan is in the output's orientation),
crop, scale, crop to result, filters (blur, sharpen), extend, extend aspect
ratio, padding, background (flatten), watermark, then the encoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contract import vocabulary
from contract.object_classes import DETECTED_CLASSES
from gateway.imgproxy import geometry
from gateway.imgproxy.geometry import Box, Gravity, Plan
from gateway.imgproxy.options import OptionError, Options
from imgmesh.v1 import edit_pb2

TRANSPARENT = edit_pb2.Color(r=0, g=0, b=0, a=0)


class NotBuiltError(OptionError):
    """An imgproxy option imgmesh parses but does not apply yet (501)."""

    def __init__(self, key: str) -> None:
        super().__init__(key, f"the imgproxy option {key} is not supported yet", status=501)


def source(url: str) -> edit_pb2.Source:
    """``local:///path`` under the local origin root (imgproxy's
    LOCAL_FILESYSTEM_ROOT), ``http(s)://`` through the HTTP origin,
    ``s3://bucket/key`` through transform_svc's S3 client (IMGMESH_S3_SOURCES).

    Raises:
        OptionError: another scheme (404, as imgproxy answers an unknown one).
    """
    if url.startswith("local://"):
        return edit_pb2.Source(origin_path=url.removeprefix("local://").lstrip("/"))
    if url.startswith(("http://", "https://", "s3://")):
        return edit_pb2.Source(url=url)
    raise OptionError("url", f"unsupported source URL scheme: {url.split(':', 1)[0]}")


def security_error(
    o: Options, upright: tuple[int, int], frames: int, size_bytes: int, *, vector: bool = False
) -> str:
    """What imgproxy's security checks refuse in a source of ``upright`` (W, H)
    px (one frame), ``frames`` frames and ``size_bytes`` bytes ("" = nothing;
    imgproxy answers 422): ``max_src_file_size``, ``max_src_resolution`` over
    the frames it processes, or ``max_animation_frame_resolution`` per frame
    (security/checker.go CheckDimensions); a ``vector`` source's size is not
    checked (it renders at any size)."""
    if 0 < o.get("max_src_file_size", 0) < size_bytes:
        return "Source image file is too big"
    if vector:
        return ""
    frames = max(1, min(frames, o.get("max_animation_frames", 1)))
    pixels = upright[0] * upright[1]
    per_frame = o.get("max_animation_frame_resolution", 0)
    if frames > 1 and per_frame > 0:
        return "Source image frame resolution is too big" if pixels > per_frame else ""
    limit = o.get("max_src_resolution", 0)
    if limit and pixels * frames > limit:
        return "Source image resolution is too big"
    return ""


def skips_processing(
    o: Options, source_format: str, skip_formats: tuple[str, ...], always_rasterize_svg: bool
) -> bool:
    """True when imgproxy serves the source as it is (processing.go
    shouldSkipStandardProcessing): its format is in ``skip_processing`` (or
    IMGPROXY_SKIP_PROCESSING_FORMATS) and no other output format is asked;
    an SVG unless a raster format is asked (or ALWAYS_RASTERIZE_SVG)."""
    wanted = o.get("format", "")
    enabled = source_format in o.get("skip_processing", ()) or source_format in skip_formats
    if source_format == "svg":
        return wanted == "svg" or (not wanted and (not always_rasterize_svg or enabled))
    return enabled and wanted in ("", source_format)


def probe_steps(o: Options) -> list[edit_pb2.Step]:
    """The steps the geometry depends on the result of (trim)."""
    if "trim.threshold" not in o:
        return []
    trim = edit_pb2.Trim(
        threshold=max(1, min(99, round(o["trim.threshold"]))),
        equal_horizontal=bool(o.get("trim.equal_horizontal")),
        equal_vertical=bool(o.get("trim.equal_vertical")),
    )
    if "trim.color" in o:
        trim.background.CopyFrom(_color(o["trim.color"]))
    return [edit_pb2.Step(trim=trim)]


def _extract(box: Box) -> edit_pb2.Step:
    left, top, w, h = box
    return edit_pb2.Step(
        resize=edit_pb2.Resize(
            crop_mode=edit_pb2.CROP_MODE_EXTRACT,
            width=edit_pb2.Dimension(px=w),
            height=edit_pb2.Dimension(px=h),
            x=edit_pb2.Offset(px=left),
            y=edit_pb2.Offset(px=top),
        )
    )


def _embed(width: int, height: int, left: int, top: int, fill: edit_pb2.Color) -> edit_pb2.Step:
    """The image on a width x height canvas with its top-left at (left, top)."""
    return edit_pb2.Step(
        resize=edit_pb2.Resize(
            crop_mode=edit_pb2.CROP_MODE_PAD_EXTRACT,
            width=edit_pb2.Dimension(px=width),
            height=edit_pb2.Dimension(px=height),
            x=edit_pb2.Offset(px=-left),
            y=edit_pb2.Offset(px=-top),
            background=fill,
        )
    )


def _geometry(o: Options, plan: Plan, before: tuple[int, int]) -> list[edit_pb2.Step]:
    steps: list[edit_pb2.Step] = []
    size = before
    if plan.crop is not None:
        steps.append(_extract(plan.crop))
        size = plan.crop[2:]
    if plan.scaled != size:
        steps.append(
            edit_pb2.Step(
                resize=edit_pb2.Resize(
                    crop_mode=edit_pb2.CROP_MODE_FORCE,
                    width=edit_pb2.Dimension(px=plan.scaled[0]),
                    height=edit_pb2.Dimension(px=plan.scaled[1]),
                )
            )
        )
    if plan.result_crop is not None:
        if o.get("gravity.type") in ("obj", "objw"):
            steps.append(_object_crop(o, *plan.result_crop[2:]))
        elif plan.smart:  # libvips smartcrop "attention", as imgproxy's sm
            w, h = plan.result_crop[2:]
            resize = edit_pb2.Resize(
                crop_mode=edit_pb2.CROP_MODE_EXTRACT,
                width=edit_pb2.Dimension(px=w),
                height=edit_pb2.Dimension(px=h),
                focus=edit_pb2.FOCUS_AUTO,
            )
            steps.append(edit_pb2.Step(resize=resize))
        else:
            steps.append(_extract(plan.result_crop))
    return steps


def _object_crop(o: Options, w: int, h: int) -> edit_pb2.Step:
    """imgproxy Pro's ``g:obj:<class>...``: the w x h crop around what the
    mesh's detectors find (faces: BlazeFace; COCO classes: YOLOv3-tiny);
    several classes (or ``all``: faces and the 80 COCO classes) together.
    ``g:objw``'s weights are not applied: the crop frames the most
    prominent detections (score x area) whatever their class."""
    classes = o["gravity.classes"]
    resize = edit_pb2.Resize(
        crop_mode=edit_pb2.CROP_MODE_EXTRACT,
        width=edit_pb2.Dimension(px=w),
        height=edit_pb2.Dimension(px=h),
    )
    if "all" in classes:
        resize.focus = edit_pb2.FOCUS_OBJECT
        resize.focus_objects.extend(DETECTED_CLASSES)
    elif len(classes) > 1:
        resize.focus = edit_pb2.FOCUS_OBJECT
        resize.focus_objects.extend(dict.fromkeys(classes))
    elif classes[0] == "face":
        resize.focus = edit_pb2.FOCUS_FACE
    else:
        resize.focus = edit_pb2.FOCUS_OBJECT
        resize.focus_object = classes[0]
    return edit_pb2.Step(resize=resize)


def _filters(o: Options) -> list[edit_pb2.Step]:
    """blur, sharpen, pixelate, and imgproxy Pro's brightness, contrast,
    saturation, colorize, monochrome and duotone; blur_detections first,
    draw_detections last."""
    steps = []
    if o.get("blur_detections.sigma"):
        blur = edit_pb2.BlurDetections(
            classes=o["blur_detections.classes"], sigma=o["blur_detections.sigma"]
        )
        steps.append(edit_pb2.Step(blur_detections=blur))
    if o.get("blur"):
        steps.append(edit_pb2.Step(blur=edit_pb2.Blur(sigma=o["blur"])))
    if o.get("sharpen"):
        steps.append(edit_pb2.Step(sharpen=edit_pb2.Sharpen(sigma=o["sharpen"])))
    if o.get("pixelate", 0) > 1:
        steps.append(edit_pb2.Step(pixelate=edit_pb2.Pixelate(size=o["pixelate"])))
    if o.get("brightness"):
        steps.append(edit_pb2.Step(linear=edit_pb2.Linear(add=[o["brightness"]])))
    if "contrast" in o and o["contrast"] != 1:
        c = o["contrast"]
        steps.append(edit_pb2.Step(linear=edit_pb2.Linear(multiply=[c], add=[128 * (1 - c)])))
    if "saturation" in o and o["saturation"] != 1:
        steps.append(edit_pb2.Step(saturation=edit_pb2.Saturation(factor=o["saturation"])))
    if o.get("colorize.opacity"):
        steps.append(_colorize(o))
    if o.get("monochrome.intensity"):
        tone = edit_pb2.Duotone(
            dark=_color((0, 0, 0)),
            light=_color(o["monochrome.color"]),
            intensity=o["monochrome.intensity"],
        )
        steps.append(edit_pb2.Step(duotone=tone))
    if o.get("duotone.intensity"):
        tone = edit_pb2.Duotone(
            dark=_color(o["duotone.dark"]),
            light=_color(o["duotone.light"]),
            intensity=o["duotone.intensity"],
        )
        steps.append(edit_pb2.Step(duotone=tone))
    if o.get("draw_detections"):
        draw = edit_pb2.DrawDetections(classes=o["draw_detections.classes"])
        steps.append(edit_pb2.Step(draw_detections=draw))
    return steps


def _colorize(o: Options) -> edit_pb2.Step:
    """A layer of the colour at the opacity, as large as the image; with
    ``keep_alpha`` the colour bands mixed instead, so transparent areas stay
    transparent."""
    r, g, b = o["colorize.color"]
    if o.get("colorize.keep_alpha"):
        mix = o["colorize.opacity"]
        linear = edit_pb2.Linear(multiply=[1 - mix], add=[r * mix, g * mix, b * mix])
        return edit_pb2.Step(linear=linear)
    alpha = round(255 * o["colorize.opacity"])
    side = edit_pb2.Expression
    canvas = edit_pb2.Canvas(
        color=edit_pb2.Color(r=r, g=g, b=b, a=alpha),
        width=edit_pb2.Dimension(expression=side(terms=[side.Term(operand=side.BASE_WIDTH)])),
        height=edit_pb2.Dimension(expression=side(terms=[side.Term(operand=side.BASE_HEIGHT)])),
    )
    layer = edit_pb2.EditGraph(source=edit_pb2.Source(canvas=canvas))
    return edit_pb2.Step(overlay=edit_pb2.Overlay(image=layer))


def _canvas_steps(o: Options, plan: Plan) -> list[edit_pb2.Step]:
    fill = _color(o["background"]) if "background" in o else TRANSPARENT
    steps = [_embed(*box, fill) for box in (plan.extend, plan.extend_ar) if box is not None]
    top, right, bottom, left = plan.padding
    if any(plan.padding):
        w = plan.size[0]
        h = plan.size[1]
        steps.append(_embed(w, h, left, top, fill))
    return steps


def _color(rgb: tuple[int, int, int]) -> edit_pb2.Color:
    return edit_pb2.Color(r=rgb[0], g=rgb[1], b=rgb[2], a=255)


def _encode(
    o: Options,
    source_format: int,
    accepted: Sequence[int],
    quality: int,
    format_quality: dict[str, int],
    negotiation: tuple[bool, bool, bool, bool],
) -> edit_pb2.Encode:
    """imgproxy's output format and quality: ``format`` or the source's, AVIF
    / WebP when AUTO_* allow it (ENFORCE_* even over ``format``), ``q`` or
    FORMAT_QUALITY's or QUALITY."""
    auto_webp, enforce_webp, auto_avif, enforce_avif = negotiation
    fmt = vocabulary.format_named(o["format"]) if "format" in o else None
    if "format" in o and fmt is None:
        raise NotBuiltError(f"format {o['format']}")
    explicit = fmt is not None
    for wanted, auto, enforce in (
        (edit_pb2.FORMAT_AVIF, auto_avif, enforce_avif),
        (edit_pb2.FORMAT_WEBP, auto_webp, enforce_webp),
    ):
        if wanted in accepted and (enforce or (auto and not explicit)):
            fmt = wanted
            break
    fmt = fmt or source_format or edit_pb2.FORMAT_AUTO
    name = vocabulary.format_name(fmt) if fmt != edit_pb2.FORMAT_AUTO else ""
    q = o.get("quality") or o.get(f"format_quality.{name}") or format_quality.get(name) or quality
    return edit_pb2.Encode(
        format=fmt,
        quality=q,
        max_bytes=o.get("max_bytes", 0),
        keep_metadata=not o.get("strip_metadata", True),
        keep_color_profile=not o.get("strip_color_profile", True),
    )


@dataclass(frozen=True)
class Watermark:
    """The watermark image: its source and its (W, H) px (from its header).

    Attributes:
        source: IMGPROXY_WATERMARK_DATA / _PATH as inline bytes, _URL or a
            URL's ``watermark_url`` as a source.
        size: (W, H) px.
        opacity: IMGPROXY_WATERMARK_OPACITY, 0..1, multiplied by the URL's.
        text: ``watermark_text``'s markup; its size is the text's own
            (source and size unused).
    """

    source: edit_pb2.Source
    size: tuple[int, int]
    opacity: float = 1.0
    text: str = ""  # Pango markup of imgproxy Pro's watermark_text, instead of an image


TEXT_FONT_SIZE = 16  # px: imgproxy's watermark text is "sans 16"


def _compass(gravity: str) -> int:
    """An imgproxy compass gravity (``ce``, ``no``, ``soea``...) as a Focus."""
    vertical = (
        "top" if gravity.startswith("no") else "bottom" if gravity.startswith("so") else "center"
    )
    horizontal = (
        "right" if gravity.endswith("ea") else "left" if gravity.endswith("we") else "center"
    )
    return vocabulary.compass(vertical, horizontal)


def _text_watermark(
    o: Options, text: str, opacity: float, size: tuple[int, int], dpr: float
) -> edit_pb2.Step:
    """imgproxy Pro's ``wmt``: the markup in sans 16, black by default, at the
    compass position (its own size, so the Overlay places it: the anchor's
    inward offsets are calcPosition's).

    Raises:
        NotBuiltError: ``re`` or ``scale`` with a text watermark.
    """
    position = o.get("watermark.position", "ce")
    if position == "re" or o.get("watermark.scale", 0) > 0:
        raise NotBuiltError("watermark_text replicated or scaled")
    if opacity < 1:
        text = f'<span alpha="{max(1, round(opacity * 100))}%">{text}</span>'
    layer = edit_pb2.TextLayer(text=text, markup=True, font_size=TEXT_FONT_SIZE)
    overlay = edit_pb2.Overlay(text=layer, anchor=_compass(position))
    x_off, y_off = o.get("watermark.x_offset", 0.0), o.get("watermark.y_offset", 0.0)
    overlay.x.px = geometry.offset_px(x_off, size[0], dpr)
    overlay.y.px = geometry.offset_px(y_off, size[1], dpr)
    return edit_pb2.Step(overlay=overlay)


def _watermark(o: Options, wm: Watermark, size: tuple[int, int], dpr: float) -> list[edit_pb2.Step]:
    """imgproxy's ``wm:opacity:position:x:y:scale`` over the W x H result
    (processing/watermark.go): fitted, enlarging, into ``scale`` of the
    result's sides; at the compass ``position`` with px (>= 1, times the dpr)
    or relative offsets, allowed to overflow; or ``re``: padded by the
    offsets and replicated over the result from its centre."""
    opacity = o.get("watermark.opacity", 0.0) * wm.opacity
    if opacity <= 0:
        return []
    if wm.text:
        return [_text_watermark(o, wm.text, opacity, size, dpr)]
    width, height = size
    layer = edit_pb2.EditGraph(source=wm.source)
    w, h = wm.size
    if o.get("watermark.scale", 0) > 0:
        box = {
            "resizing_type": "fit",
            "enlarge": True,
            "width": max(geometry.scale_to_even(width, o["watermark.scale"]), 1),
            "height": max(geometry.scale_to_even(height, o["watermark.scale"]), 1),
        }
        w, h = geometry.plan(wm.size, box).size
        if (w, h) != wm.size:
            layer.steps.add(
                resize=edit_pb2.Resize(
                    crop_mode=edit_pb2.CROP_MODE_FORCE,
                    width=edit_pb2.Dimension(px=w),
                    height=edit_pb2.Dimension(px=h),
                )
            )
    x_off, y_off = o.get("watermark.x_offset", 0.0), o.get("watermark.y_offset", 0.0)
    overlay = edit_pb2.Overlay(anchor=edit_pb2.FOCUS_TOP_LEFT)
    if o.get("watermark.position") == "re":
        pad_x = geometry.offset_px(x_off, width, dpr)
        pad_y = geometry.offset_px(y_off, height, dpr)
        pad_x, pad_y = max(pad_x, 0), max(pad_y, 0)
        if pad_x or pad_y:
            layer.steps.append(_embed(w + pad_x, h + pad_y, pad_x // 2, pad_y // 2, TRANSPARENT))
        layer.steps.add(replicate=edit_pb2.Replicate(width=width, height=height, centered=True))
        left = top = 0
    else:
        gravity = Gravity(o.get("watermark.position", "ce"), x_off, y_off)
        left, top = geometry.position(width, height, w, h, gravity, dpr, overflow=True)
    if opacity < 1:
        layer.steps.add(opacity=edit_pb2.Opacity(opacity=opacity))
    overlay.image.CopyFrom(layer)
    overlay.x.px, overlay.y.px = left, top
    return [edit_pb2.Step(overlay=overlay)]


@dataclass(frozen=True)
class Stage:
    """One pipeline of the chain, planned.

    Attributes:
        options: the pipeline's options.
        size: the upright (W, H) px it starts from, after its trim.
        plan: its geometry on that size.
        watermark: what its ``wm`` draws, or None.
    """

    options: Options
    size: tuple[int, int]
    plan: Plan
    watermark: Watermark | None = None


def pipeline_steps(stage: Stage) -> list[edit_pb2.Step]:
    """One pipeline's steps in imgproxy's order: trim, rotate and flip, the
    geometry, background removal, filters, extend and padding, flatten,
    watermark."""
    o, plan = stage.options, stage.plan
    steps = probe_steps(o)
    before = stage.size
    if o.get("rotate", 0) % 360:
        steps.append(edit_pb2.Step(rotate=edit_pb2.Rotate(degrees=o["rotate"] % 360)))
        if o["rotate"] % 180:
            before = (before[1], before[0])
    if o.get("flip.horizontal") or o.get("flip.vertical"):
        flip = edit_pb2.Flip(
            horizontal=bool(o.get("flip.horizontal")), vertical=bool(o.get("flip.vertical"))
        )
        steps.append(edit_pb2.Step(flip=flip))
    steps.extend(_geometry(o, plan, before))
    if o.get("remove_background"):
        steps.append(edit_pb2.Step(remove_background=edit_pb2.RemoveBackground()))
    steps.extend(_filters(o))
    steps.extend(_canvas_steps(o, plan))
    if "background" in o:  # imgproxy flattens onto the background colour
        flatten = edit_pb2.BackgroundColor(color=_color(o["background"]))
        steps.append(edit_pb2.Step(background_color=flatten))
    if stage.watermark is not None:
        steps.extend(_watermark(o, stage.watermark, plan.size, plan.dpr_scale))
    return steps


def compile_graph(
    stages: Sequence[Stage],
    src: edit_pb2.Source,
    *,
    source_format: int = 0,
    accepted: Sequence[int] = (),
    quality: int = 80,
    format_quality: dict[str, int] | None = None,
    negotiation: tuple[bool, bool, bool, bool] = (False, False, False, False),
) -> edit_pb2.EditGraph:
    """The EditGraph of imgproxy's pipelines ``stages`` (the main one first,
    then each chained one on the previous one's result) on ``src``
    (:func:`source`); the main pipeline's options choose the frames and the
    encoding.

    Raises:
        NotBuiltError: an output format imgmesh does not write.
    """
    main = stages[0].options
    graph = edit_pb2.EditGraph(source=src)
    graph.source.max_frames = main.get("max_animation_frames", 0)
    for stage in stages:
        graph.steps.extend(pipeline_steps(stage))
    graph.encode.CopyFrom(
        _encode(main, source_format, accepted, quality, format_quality or {}, negotiation)
    )
    return graph
