"""Every bound imgmesh enforces, in one settings model: the source image
(file size, pixels, side, frames: read from its header before any pixel is
decoded, imgproxy's ``IMGPROXY_MAX_SRC_RESOLUTION`` idea), the output and
every intermediate image, and an EditGraph's size and cost, checked before
anything renders.

One request must not be able to buy unbounded CPU or memory: the number of
steps (a 400-step chain of ``bl-5`` overflowed libvips' stack and crashed the
service), of layers, the parameters whose cost grows with their value (blur,
sharpen and unsharp-mask radius/sigma, text length x font size) and the pixels
of every box a step names (layers included). Pixels that depend on the source
(ratios, rotations, borders) are checked again on every intermediate image by
transform_svc (``transform_svc.pixel_limits.check_output``).

The defaults are far beyond what ImageKit's documented ranges let a user write
(``bl`` 1..100 = sigma 50, ``e-sharpen`` 1..99 = sigma 9.9, layers nest 3
levels, https://imagekit.io/docs/effects-and-enhancements and
https://imagekit.io/docs/add-overlays-on-images) and what a real chain needs
(a handful of ``:`` steps), and small enough that the worst graph they admit
renders in seconds on one core. Every bound is configurable (``IMGMESH_<NAME>``
with the attribute name in upper case, e.g. ``IMGMESH_MAX_STEPS``).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contract.facts import GraphFacts, graph_facts
from imgmesh.v1 import edit_pb2

# The largest output width or height any dialect accepts, px (ImageKit's w/h
# and Photoroom's outputSize are both checked against it; resize refuses
# larger targets computed from ratios or DPR with 422).
MAX_OUTPUT_SIDE = 16_384

# Rendered text is about 0.6 x font size wide per character and 1.2 x font
# size tall per line (Pango's sans at 72 dpi), so its area ~ 0.72 x chars x fs^2.
TEXT_AREA_PER_CHAR_FS2 = 0.72


class Limits(BaseSettings):
    """Bounds on one request (defaults in the README's limits table), read
    from ``IMGMESH_<NAME>`` environment variables (pydantic-settings, like the
    services' own settings; ``TransformSettings`` extends it, so transform_svc
    also takes them as ``--max-*`` flags). transform_svc applies the source and
    output bounds (``transform_svc.pixel_limits``); both services apply the graph
    bounds (``check_graph``).

    Raises:
        pydantic.ValidationError: a variable that is not a positive number.
    """

    model_config = SettingsConfigDict(env_prefix="IMGMESH_", frozen=True)

    max_source_bytes: int = Field(50 * 1024 * 1024, gt=0, description="source file size, bytes")
    max_pixels: int = Field(50_000_000, gt=0, description="source px, all frames")
    max_side: int = Field(30_000, gt=0, description="largest source side, px")
    max_frames: int = Field(500, gt=0, description="animation frames / pages")
    max_steps: int = Field(40, gt=0, description="steps in one chain (each layer's own)")
    max_total_steps: int = Field(100, gt=0, description="steps in the whole graph, layers too")
    max_layers: int = Field(20, gt=0, description="overlay steps (image and text layers)")
    max_layer_depth: int = Field(3, gt=0, description="nesting of image layers")
    max_output_pixels: int = Field(
        100_000_000,
        gt=0,
        description="px of the output, of every intermediate image and of any box a step names",
    )
    max_text_pixels: int = Field(
        16_000_000, gt=0, description="estimated text-layer area, px (0.72 x chars x fs^2)"
    )
    max_blur_sigma: float = Field(50.0, gt=0, description="Gaussian blur sigma, px (bl-100)")
    max_sharpen_sigma: float = Field(10.0, gt=0, description="e-sharpen sigma, px")
    max_usm_radius: float = Field(50.0, gt=0, description="e-usm radius, px")
    max_usm_sigma: float = Field(25.0, gt=0, description="e-usm sigma, px")
    max_usm_amount: float = Field(20.0, gt=0, description="e-usm amount (gain)")


class GraphLimitError(ValueError):
    """An EditGraph over a bound.

    Attributes:
        code: ``limit_exceeded`` (HTTP 400) or ``image_too_large`` (HTTP 413).
        limit: the Limits attribute, e.g. ``max_steps``.
        value: that limit's value.
        message: safe to show.
    """

    def __init__(self, code: str, limit: str, value: float, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.limit = limit
        self.value = value
        self.message = message


def _over(limit: str, value: float, what: str, code: str = "limit_exceeded") -> GraphLimitError:
    shown = f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
    return GraphLimitError(code, limit, value, f"{what}; the limit {limit} is {shown}")


def check_graph(graph: edit_pb2.EditGraph, limits: Limits, facts: GraphFacts | None = None) -> None:
    """Refuse a graph over any bound; ``facts`` = its :func:`graph_facts`
    when the caller has them already.

    Raises:
        GraphLimitError: the first bound exceeded (naming it and its value).
    """
    facts = facts or graph_facts(graph)
    _check_counts(facts, limits)
    for _, step in facts.steps:
        _check_step(step, limits)


def _check_counts(facts: GraphFacts, limits: Limits) -> None:
    depth = max((d for d, _ in facts.steps), default=0)
    if depth > limits.max_layer_depth:
        raise _over("max_layer_depth", limits.max_layer_depth, "layers nest too deep")
    total = len(facts.steps)
    if total > limits.max_total_steps:
        raise _over("max_total_steps", limits.max_total_steps, f"the edit has {total} steps")
    if facts.layers > limits.max_layers:
        raise _over("max_layers", limits.max_layers, f"the edit has {facts.layers} layers")
    for length in facts.chain_lengths:
        if length > limits.max_steps:
            raise _over(
                "max_steps", limits.max_steps, f"one transformation chain has {length} steps"
            )


def _check_step(step: edit_pb2.Step, limits: Limits) -> None:
    name = step.WhichOneof("op")
    if name == "blur" and step.blur.sigma > limits.max_blur_sigma:
        raise _over("max_blur_sigma", limits.max_blur_sigma, f"blur sigma {step.blur.sigma:g}")
    if name == "sharpen" and step.sharpen.sigma > limits.max_sharpen_sigma:
        raise _over(
            "max_sharpen_sigma", limits.max_sharpen_sigma, f"sharpen sigma {step.sharpen.sigma:g}"
        )
    if name == "unsharp_mask":
        usm = step.unsharp_mask
        for limit, value in (
            ("max_usm_radius", usm.radius),
            ("max_usm_sigma", usm.sigma),
            ("max_usm_amount", usm.amount),
        ):
            bound = getattr(limits, limit)
            if value > bound:
                raise _over(limit, bound, f"e-usm {limit.removeprefix('max_usm_')} {value:g}")
    if name == "resize":
        r = step.resize
        if r.width.WhichOneof("value") == "px" and r.height.WhichOneof("value") == "px":
            dpr = r.dpr or 1.0
            pixels = r.width.px * r.height.px * dpr * dpr
            if pixels > limits.max_output_pixels:
                raise _over(
                    "max_output_pixels",
                    limits.max_output_pixels,
                    f"a {r.width.px}x{r.height.px} px box at DPR {dpr:g} is {pixels:.0f} px",
                    "image_too_large",
                )
    if name == "subject_layout":
        lay = step.subject_layout
        if lay.width * lay.height > limits.max_output_pixels:
            raise _over(
                "max_output_pixels",
                limits.max_output_pixels,
                f"a {lay.width}x{lay.height} px output",
                "image_too_large",
            )
    if name == "overlay" and step.overlay.WhichOneof("layer") == "text":
        text = step.overlay.text
        size = text.font_size or 45
        area = TEXT_AREA_PER_CHAR_FS2 * len(text.text) * size * size
        if area > limits.max_text_pixels:
            raise _over(
                "max_text_pixels",
                limits.max_text_pixels,
                f"{len(text.text)} characters at font size {size} would cover about {area:.0f} px",
                "image_too_large",
            )
