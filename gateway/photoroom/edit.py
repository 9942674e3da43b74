"""``/v2/edit`` parameters -> EditGraph.

Every documented parameter is parsed and range-checked (400 naming it and its
allowed values), every documented exclusion is checked (400 naming both), then
the graph is built in this order: upscale, text removal, generative edits
(501 until their model is deployed), background removal, outline, layout
(:mod:`transform_svc.ops.subject_layout`), background blur, shadow, background image,
background colour, encode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from contract import vocabulary
from gateway.errors import RequestError
from gateway.photoroom import fields as f
from imgmesh.v1 import edit_pb2

# export.format: PNG, JPEG (also spelled jpg) and WebP.
EXPORT_FORMATS = vocabulary.format_names(
    edit_pb2.FORMAT_PNG, edit_pb2.FORMAT_JPEG, edit_pb2.FORMAT_WEBP
)
# Photoroom: "Jpeg exports with a quality of 80 and WebP exports with a quality of 90."
EXPORT_QUALITY = {edit_pb2.FORMAT_JPEG: 80, edit_pb2.FORMAT_WEBP: 90}

Parser = Callable[[str, str], Any]

SEED = partial(f.integer, lo=0, hi=2**32 - 1)
AI_SIZES = (
    "SQUARE_HD",
    "PORTRAIT_HD",
    "PORTRAIT_HD_3_2",
    "PORTRAIT_HD_4_3",
    "PORTRAIT_HD_16_9",
    "LANDSCAPE_HD",
    "LANDSCAPE_HD_3_2",
    "LANDSCAPE_HD_4_3",
    "LANDSCAPE_HD_16_9",
)
SIDES = ("Top", "Right", "Bottom", "Left")

# name -> parser. Files (imageFile, background.imageFile,
# background.guidance.imageFile) arrive separately, as bytes.
PARAMETERS: dict[str, Parser] = {
    "imageUrl": lambda n, v: v,
    "removeBackground": f.boolean,
    "keepExistingAlphaChannel": partial(f.enum, allowed=("auto", "never")),
    "segmentation.mode": partial(f.enum, allowed=("keepSalientObject", "ignoreSalientObject")),
    "segmentation.prompt": f.text,
    "segmentation.negativePrompt": f.text,
    "outputSize": f.output_size,
    "scaling": partial(f.enum, allowed=("fit", "fill")),
    "horizontalAlignment": partial(f.enum, allowed=("left", "center", "right")),
    "verticalAlignment": partial(f.enum, allowed=("top", "center", "bottom")),
    "referenceBox": partial(f.enum, allowed=("subjectBox", "originalImage")),
    "ignorePaddingAndSnapOnCroppedSides": f.boolean,
    "maxWidth": partial(f.integer, lo=1, hi=f.MAX_SIDE),
    "maxHeight": partial(f.integer, lo=1, hi=f.MAX_SIDE),
    "padding": f.length,
    "margin": f.length,
    **{f"padding{s}": f.length for s in SIDES},
    **{f"margin{s}": f.length for s in SIDES},
    "background.color": f.color,
    "background.imageUrl": lambda n, v: v,
    "background.scaling": partial(f.enum, allowed=("fit", "fill")),
    "background.blur.mode": partial(f.enum, allowed=("gaussian", "bokeh")),
    "background.blur.radius": partial(f.number, lo=0, hi=0.05),
    "background.prompt": f.text,
    "background.negativePrompt": f.text,
    "background.seed": SEED,
    "background.expandPrompt": partial(f.enum, allowed=("ai.auto", "ai.never", "auto", "never")),
    "background.guidance.imageUrl": lambda n, v: v,
    "background.guidance.scale": partial(f.number, lo=0, hi=1),
    "shadow.mode": partial(f.enum, allowed=("ai.soft", "ai.hard", "ai.floating")),
    "lighting.mode": partial(f.enum, allowed=("ai.auto", "ai.preserve-hue-and-saturation")),
    "outline.color": f.color,
    "outline.width": partial(f.number, lo=0, hi=0.1),
    "outline.blurRadius": partial(f.number, lo=0, hi=0.025),
    "textRemoval.mode": partial(f.enum, allowed=("ai.artificial", "ai.natural", "ai.all")),
    "upscale.mode": partial(f.enum, allowed=("ai.fast", "ai.slow")),
    "export.format": partial(f.enum, allowed=tuple(EXPORT_FORMATS)),
    "export.dpi": partial(f.integer, lo=72, hi=1200),
    "preserveMetadata": partial(
        f.enum, allowed=("never", "xmp", "exifSubset", "exifSubsetWithXmpCompatibility")
    ),
    "beautify.mode": partial(f.enum, allowed=("ai.auto", "ai.food", "ai.car")),
    "beautify.seed": SEED,
    "editWithAI.mode": partial(f.enum, allowed=("ai.auto",)),
    "editWithAI.prompt": f.text,
    "editWithAI.seed": SEED,
    "describeAnyChange.mode": partial(f.enum, allowed=("ai.auto",)),
    "describeAnyChange.prompt": f.text,
    "describeAnyChange.seed": SEED,
    "expand.mode": partial(f.enum, allowed=("ai.auto",)),
    "expand.seed": SEED,
    "uncrop.mode": partial(f.enum, allowed=("ai.auto",)),
    "uncrop.seed": SEED,
    "flatLay.mode": partial(f.enum, allowed=("ai.auto",)),
    "flatLay.prompt": f.text,
    "flatLay.size": partial(f.enum, allowed=AI_SIZES),
    "ghostMannequin.mode": partial(f.enum, allowed=("ai.auto",)),
    "ghostMannequin.prompt": f.text,
    "ghostMannequin.size": partial(f.enum, allowed=AI_SIZES),
    "virtualModel.mode": partial(f.enum, allowed=("ai.auto",)),
    "virtualModel.prompt": f.text,
    "virtualModel.pose": f.text,
    "virtualModel.quality": partial(f.enum, allowed=("standard", "advanced", "premium")),
    "virtualModel.size": partial(f.enum, allowed=AI_SIZES),
    "virtualModel.model": f.text,
    "virtualModel.scene": f.text,
    "imageFromPrompt.prompt": f.text,
    "imageFromPrompt.seed": SEED,
    "imageFromPrompt.size": partial(f.enum, allowed=AI_SIZES),
    "templateId": f.uuid_text,
}
FILES = ("imageFile", "background.imageFile", "background.guidance.imageFile")

# Generative features: the parameter that turns each on -> the Triton model
# slot that would serve it. Validated, then 501 model_unavailable until deployed.
GENERATIVE: dict[str, str] = {
    "background.prompt": "background_generation",
    "background.guidance.imageUrl": "background_generation",
    "background.guidance.imageFile": "background_generation",
    "segmentation.prompt": "text_segmentation",
    "segmentation.negativePrompt": "text_segmentation",
    "lighting.mode": "relighting",
    "beautify.mode": "beautify",
    "editWithAI.mode": "edit_with_ai",
    "editWithAI.prompt": "edit_with_ai",
    "describeAnyChange.mode": "edit_with_ai",
    "describeAnyChange.prompt": "edit_with_ai",
    "expand.mode": "expand",
    "uncrop.mode": "uncrop",
    "flatLay.mode": "flat_lay",
    "ghostMannequin.mode": "ghost_mannequin",
    "virtualModel.mode": "virtual_model",
    "imageFromPrompt.prompt": "image_from_prompt",
}
# Options of a generative feature that need the feature's switch.
FEATURE_OPTIONS: dict[str, str] = {
    "background.seed": "background.prompt",
    "background.negativePrompt": "background.prompt",
    "background.expandPrompt": "background.prompt",
    "background.guidance.scale": "background.prompt",
    "beautify.seed": "beautify.mode",
    "editWithAI.seed": "editWithAI.prompt",
    "describeAnyChange.seed": "describeAnyChange.prompt",
    "expand.seed": "expand.mode",
    "uncrop.seed": "uncrop.mode",
    "flatLay.prompt": "flatLay.mode",
    "flatLay.size": "flatLay.mode",
    "ghostMannequin.prompt": "ghostMannequin.mode",
    "ghostMannequin.size": "ghostMannequin.mode",
    **{
        f"virtualModel.{k}": "virtualModel.mode"
        for k in ("prompt", "pose", "quality", "size", "model", "scene")
    },
    "imageFromPrompt.seed": "imageFromPrompt.prompt",
    "imageFromPrompt.size": "imageFromPrompt.prompt",
    "outline.width": "outline.color",
    "outline.blurRadius": "outline.color",
}
# Needs the subject's cut-out: "Can't be provided if removeBackground is set to false".
NEEDS_CUTOUT = (
    "background.imageUrl",
    "background.imageFile",
    "background.guidance.imageUrl",
    "background.guidance.imageFile",
    "referenceBox",
    "ignorePaddingAndSnapOnCroppedSides",
)
EXCLUSIVE_BACKGROUNDS = ("background.imageUrl", "background.imageFile", "background.prompt")
# upscale.mode -> (Upscale.quality, largest input side px; Photoroom's limits)
UPSCALE_MODES = {"ai.fast": ("fast", 1000), "ai.slow": ("slow", 512)}
SHADOW_STYLES = {
    "ai.soft": edit_pb2.DropShadow.STYLE_CONTACT_SOFT,
    "ai.hard": edit_pb2.DropShadow.STYLE_CONTACT_HARD,
    "ai.floating": edit_pb2.DropShadow.STYLE_FLOATING,
}
ALIGN = {
    "left": edit_pb2.ALIGN_START,
    "top": edit_pb2.ALIGN_START,
    "center": edit_pb2.ALIGN_CENTER,
    "right": edit_pb2.ALIGN_END,
    "bottom": edit_pb2.ALIGN_END,
}


@dataclass
class EditRequest:
    """Parsed ``/v2/edit`` parameters.

    Attributes:
        values: parameter name -> parsed value (only those given).
        files: file parameter name -> bytes (POST only).
    """

    values: dict[str, Any]
    files: dict[str, bytes]

    def has(self, name: str) -> bool:
        return name in self.values or name in self.files


def parse(fields: Mapping[str, str], files: Mapping[str, bytes], *, post: bool) -> EditRequest:
    """Parse and validate every parameter and exclusion.

    Raises:
        RequestError: unknown_parameter / invalid_parameter / missing_source (400).
        ConflictError: two parameters that exclude each other (400).
    """
    values: dict[str, Any] = {}
    for name, value in fields.items():
        parser = PARAMETERS.get(name)
        if parser is None:
            if name in FILES:
                raise RequestError(
                    "invalid_parameter", f"{name!r} must be a file part (POST multipart)", name
                )
            raise RequestError(
                "unknown_parameter", f"unknown parameter {name!r}", name, "see GET /v2/edit docs"
            )
        values[name] = parser(name, value)
    request = EditRequest(values, dict(files))
    if "templateId" in values:
        raise RequestError(
            "invalid_parameter",
            f"no template {values['templateId']} exists: imgmesh stores no templates",
            "templateId",
            "omit templateId",
        )
    _check_exclusions(request, post=post)
    return request


def _conflict(req: EditRequest, a: str, b: str, reason: str) -> None:
    if req.has(a) and req.has(b):
        raise f.ConflictError(a, b, reason)


def _check_exclusions(req: EditRequest, *, post: bool) -> None:
    if post:
        _conflict(req, "imageUrl", "imageFile", "POST takes imageFile only; use GET for imageUrl")
        if req.has("imageUrl"):
            raise f.ConflictError("imageUrl", "imageFile", "POST takes imageFile; use GET for URLs")
    else:
        for name in FILES:
            if req.has(name):
                raise RequestError(
                    "invalid_parameter", f"{name!r} is only accepted by POST /v2/edit", name
                )
    if (
        not req.has("imageUrl")
        and not req.has("imageFile")
        and not req.has("imageFromPrompt.prompt")
    ):
        name = "imageFile" if post else "imageUrl"
        raise RequestError("missing_source", f"{name!r} is required", name)
    _conflict(req, "imageFromPrompt.prompt", "imageFile", "generate an image or edit one")
    _conflict(req, "imageFromPrompt.prompt", "imageUrl", "generate an image or edit one")
    for i, a in enumerate(EXCLUSIVE_BACKGROUNDS):
        for b in EXCLUSIVE_BACKGROUNDS[i + 1 :]:
            _conflict(req, a, b, "give one background source")
    if req.values.get("removeBackground") is False:
        for name in NEEDS_CUTOUT:
            if req.has(name):
                raise f.ConflictError(name, "removeBackground", "needs removeBackground=true")
    if req.has("background.scaling") and not (
        req.has("background.imageUrl") or req.has("background.imageFile")
    ):
        raise f.ConflictError(
            "background.scaling", "background.imageUrl", "needs a background image"
        )
    size = req.values.get("outputSize", ("auto", 0, 0))[0]
    for name in ("maxWidth", "maxHeight"):
        if req.has(name) and size not in ("originalImage", "croppedSubject"):
            raise f.ConflictError(
                name, "outputSize", "needs outputSize=originalImage or croppedSubject"
            )
    for group in ("editWithAI", "describeAnyChange"):
        other = "describeAnyChange" if group == "editWithAI" else "editWithAI"
        if any(k.startswith(group + ".") for k in req.values) and any(
            k.startswith(other + ".") for k in req.values
        ):
            raise f.ConflictError(
                f"{group}.prompt", f"{other}.prompt", "deprecated alias, give one"
            )
    for option, switch in FEATURE_OPTIONS.items():
        if req.has(option) and not req.has(switch):
            raise f.ConflictError(option, switch, f"only used with {switch}")
    for mode in ("editWithAI.mode", "describeAnyChange.mode"):
        prompt = mode.replace(".mode", ".prompt")
        if req.has(mode) != req.has(prompt):
            raise f.ConflictError(mode, prompt, "give both")


def _sides(req: EditRequest, base: str) -> edit_pb2.Sides:
    general = req.values.get(base)
    sides = edit_pb2.Sides()
    for side in SIDES:
        value = req.values.get(f"{base}{side}", general)
        if value is not None:
            getattr(sides, side.lower()).CopyFrom(value)
    return sides


def _source(req: EditRequest, url: str, file: str) -> edit_pb2.Source | None:
    if req.has(file):
        return edit_pb2.Source(inline_bytes=req.files[file])
    if req.has(url):
        return edit_pb2.Source(url=req.values[url])
    return None


def build(req: EditRequest) -> edit_pb2.EditGraph:
    """The EditGraph for a parsed request (module docstring gives the order).

    Raises:
        UnprocessableError: valid parameters that cannot be combined (422).
    """
    v = req.values
    graph = edit_pb2.EditGraph()
    source = _source(req, "imageUrl", "imageFile")
    if source is not None:
        graph.source.CopyFrom(source)
    steps = graph.steps
    if "upscale.mode" in v:
        quality, side = UPSCALE_MODES[v["upscale.mode"]]
        steps.add(upscale=edit_pb2.Upscale(quality=quality, max_width=side, max_height=side))
    if "textRemoval.mode" in v:
        steps.add(text_removal=edit_pb2.TextRemoval(mode=v["textRemoval.mode"]))
    seen: set[str] = set()
    for name, slot in GENERATIVE.items():
        if req.has(name) and slot not in seen:
            seen.add(slot)
            prompt = v.get(name) if isinstance(v.get(name), str) else ""
            steps.add(model_edit=edit_pb2.ModelEdit(operation=name, model=slot, prompt=prompt))
    remove = v.get("removeBackground", True)
    if remove:
        steps.add(
            remove_background=edit_pb2.RemoveBackground(
                keep_existing_alpha=v.get("keepExistingAlphaChannel") == "auto",
                invert=v.get("segmentation.mode") == "ignoreSalientObject",
            )
        )
    blur = "background.blur.mode" in v or "background.blur.radius" in v
    if blur and not remove:
        raise f.UnprocessableError(
            "background.blur needs the subject's mask, so removeBackground=true"
        )
    if blur and ("shadow.mode" in v or "outline.color" in v):
        raise f.UnprocessableError(
            "background.blur cannot be combined with shadow.mode or outline.color yet"
        )
    if "outline.color" in v:
        steps.add(
            outline=edit_pb2.Outline(
                color=v["outline.color"],
                width=v.get("outline.width", 0.03),
                blur_radius=v.get("outline.blurRadius", 0.0),
            )
        )
    steps.add(subject_layout=_layout(req, remove, blur))
    if blur:
        steps.add(
            background_blur=edit_pb2.BackgroundBlur(
                bokeh=v.get("background.blur.mode") == "bokeh",
                radius=v.get("background.blur.radius", 0.01),
            )
        )
    if "shadow.mode" in v:
        steps.add(drop_shadow=edit_pb2.DropShadow(style=SHADOW_STYLES[v["shadow.mode"]]))
    background = _source(req, "background.imageUrl", "background.imageFile")
    if background is not None:
        fit = (
            edit_pb2.Overlay.FIT_CONTAIN
            if v.get("background.scaling") == "fit"
            else (edit_pb2.Overlay.FIT_FILL)
        )
        layer = edit_pb2.EditGraph(source=background)
        steps.add(overlay=edit_pb2.Overlay(image=layer, fit=fit, under=True))
    if "background.color" in v:
        steps.add(background_color=edit_pb2.BackgroundColor(color=v["background.color"]))
    fmt = EXPORT_FORMATS[v.get("export.format", "png")]
    quality = EXPORT_QUALITY.get(fmt, 0)
    graph.encode.format = fmt
    graph.encode.quality = quality
    graph.encode.dpi = v.get("export.dpi", 0)
    graph.encode.keep_metadata = v.get("preserveMetadata", "never") != "never"
    return graph


def _layout(req: EditRequest, remove: bool, blur: bool) -> edit_pb2.SubjectLayout:
    v = req.values
    kind, w, h = v.get("outputSize", ("auto", 0, 0))
    layout = edit_pb2.SubjectLayout(
        output_size={
            "custom": edit_pb2.SubjectLayout.OUTPUT_SIZE_CUSTOM,
            "croppedSubject": edit_pb2.SubjectLayout.OUTPUT_SIZE_CROPPED_SUBJECT,
        }.get(kind, edit_pb2.SubjectLayout.OUTPUT_SIZE_ORIGINAL_IMAGE),
        width=w,
        height=h,
        max_width=v.get("maxWidth", 0),
        max_height=v.get("maxHeight", 0),
        margin=_sides(req, "margin"),
        padding=_sides(req, "padding"),
        fill=v.get("scaling") == "fill",
        horizontal=ALIGN.get(v.get("horizontalAlignment", ""), edit_pb2.ALIGN_UNSPECIFIED),
        vertical=ALIGN.get(v.get("verticalAlignment", ""), edit_pb2.ALIGN_UNSPECIFIED),
        # Without a cut-out the whole image is the subject; a blurred background
        # keeps the subject where it stands in its photo.
        reference_original_image=(
            not remove
            or v.get("referenceBox") == "originalImage"
            or (blur and "referenceBox" not in v)
        ),
        snap_cropped_sides=remove and v.get("ignorePaddingAndSnapOnCroppedSides", True),
    )
    return layout
