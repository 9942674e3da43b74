"""Every registered op x every source format libvips decodes here x sizes
(tiny, a photo, a 12 MP camera-sized image near the pixel limit), each a
result of the expected geometry or a documented error code.

The matrix is generated from the op registry: an op without a sample here
fails ``test_every_registered_op_has_samples``, so a new op is covered as soon
as it is registered. It runs the real executor (libvips, and Triton from the
session mesh for the model steps) in-process; the sources are made from
``images/photos/rocket.jpg`` (fetched by ``make``), so no shared data is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import pyvips

from contract.limits import Limits
from imgmesh.v1 import edit_pb2
from inference.client import InferenceClient
from mesh.fetch_samples import SAMPLE_PHOTOS
from mesh.processes import Mesh
from transform_svc import ops
from transform_svc.context import RenderContext
from transform_svc.errors import TransformError
from transform_svc.executor import Executor

ops.load_all()

SOURCE_PHOTO = SAMPLE_PHOTOS / "rocket.jpg"
SIZES = {"tiny": (5, 4), "photo": (640, 427), "12mp": (4032, 3024)}
# The 12 MP source sits just under the pixel limit (12.19 of 12.5 MP), so the
# header check passes and nothing downstream assumes smaller images.
LIMITS = Limits(max_pixels=12_500_000)
Geometry = Callable[[int, int], "tuple[int, int] | str | None"]


def same(w: int, h: int) -> tuple[int, int]:
    return w, h


@dataclass(frozen=True)
class Sample:
    """One op with representative parameters and what it must produce.

    ``expect(w, h)`` for a w x h source: (width, height) of the output, None
    (any size up to the source's), or a public error code.
    """

    step: edit_pb2.Step
    expect: Geometry
    before: tuple[edit_pb2.Step, ...] = ()


# Ops that work on a cut-out get one: rounded corners give the opaque sources
# an alpha band (an ellipse "subject") without a model call.
CUT_OUT = (edit_pb2.Step(radius=edit_pb2.Radius(max=True)),)


def _s(**kw: object) -> edit_pb2.Step:
    return edit_pb2.Step(**kw)  # type: ignore[arg-type]


C = edit_pb2.Color
P = edit_pb2.Curve.Point
SAMPLES: dict[str, list[Sample]] = {
    "resize": [
        Sample(
            _s(
                resize=edit_pb2.Resize(
                    width=edit_pb2.Dimension(px=200), height=edit_pb2.Dimension(px=150)
                )
            ),
            lambda w, h: (200, 150),
        ),
        Sample(
            _s(
                resize=edit_pb2.Resize(
                    width=edit_pb2.Dimension(px=64),
                    height=edit_pb2.Dimension(px=64),
                    focus=edit_pb2.FOCUS_FACE,
                )
            ),
            lambda w, h: (64, 64),
        ),
        Sample(
            _s(
                resize=edit_pb2.Resize(
                    width=edit_pb2.Dimension(px=120),
                    height=edit_pb2.Dimension(px=120),
                    crop_mode=edit_pb2.CROP_MODE_PAD_RESIZE,
                    pad_fill=edit_pb2.Resize.PAD_FILL_BLURRED,
                )
            ),
            lambda w, h: (120, 120),
        ),
        Sample(
            _s(
                resize=edit_pb2.Resize(
                    width=edit_pb2.Dimension(px=700),
                    height=edit_pb2.Dimension(px=500),
                    crop_mode=edit_pb2.CROP_MODE_PAD_EXTRACT,
                    pad_fill=edit_pb2.Resize.PAD_FILL_MEAN,
                )
            ),
            lambda w, h: (700, 500),
        ),
    ],
    "rotate": [
        Sample(_s(rotate=edit_pb2.Rotate(degrees=90)), lambda w, h: (h, w)),
        Sample(_s(rotate=edit_pb2.Rotate(degrees=45)), lambda w, h: "any"),
    ],
    "flip": [Sample(_s(flip=edit_pb2.Flip(horizontal=True, vertical=True)), same)],
    "blur": [Sample(_s(blur=edit_pb2.Blur(sigma=3)), same)],
    "sharpen": [Sample(_s(sharpen=edit_pb2.Sharpen(sigma=1)), same)],
    "background_color": [
        Sample(
            _s(background_color=edit_pb2.BackgroundColor(color=C(r=10, g=20, b=30, a=255))), same
        )
    ],
    "remove_background": [
        Sample(_s(remove_background=edit_pb2.RemoveBackground(model="u2netp")), same)
    ],
    "grayscale": [Sample(_s(grayscale=edit_pb2.Grayscale()), same)],
    "contrast": [Sample(_s(contrast=edit_pb2.Contrast()), same)],
    "unsharp_mask": [
        Sample(
            _s(unsharp_mask=edit_pb2.UnsharpMask(radius=2, sigma=1, amount=1, threshold=0.05)), same
        )
    ],
    "trim": [Sample(_s(trim=edit_pb2.Trim(threshold=10)), lambda w, h: None)],
    "border": [
        Sample(
            _s(border=edit_pb2.Border(width=4, color=C(g=255, a=255))), lambda w, h: (w + 8, h + 8)
        )
    ],
    "radius": [Sample(_s(radius=edit_pb2.Radius(radius=20)), same)],
    "opacity": [Sample(_s(opacity=edit_pb2.Opacity(opacity=0.5)), same)],
    "shadow": [
        Sample(
            _s(shadow=edit_pb2.Shadow(blur=5, saturation=50, x_percent=2, y_percent=2)),
            lambda w, h: "invalid_parameter" if w * h > 2_000_000 else "any",
        )
    ],
    "gradient": [
        Sample(
            _s(gradient=edit_pb2.Gradient(direction=180, from_color=C(a=0), to_color=C(a=200))),
            same,
        )
    ],
    "drop_shadow": [
        Sample(
            _s(drop_shadow=edit_pb2.DropShadow(azimuth=215, elevation=45, saturation=60)),
            lambda w, h: "any",
            CUT_OUT,
        )
    ],
    "model_edit": [
        Sample(
            _s(model_edit=edit_pb2.ModelEdit(operation="e-genvar", model="genvar")),
            lambda w, h: "model_unavailable",
        )
    ],
    "overlay": [
        Sample(
            _s(overlay=edit_pb2.Overlay(text=edit_pb2.TextLayer(text="imgmesh", font_size=20))),
            same,
        ),
        # a solid-colour layer half the base's width (an expression), multiplied
        Sample(
            _s(
                overlay=edit_pb2.Overlay(
                    image=edit_pb2.EditGraph(
                        source=edit_pb2.Source(
                            canvas=edit_pb2.Canvas(
                                color=C(r=200, g=100, b=50, a=255),
                                width=edit_pb2.Dimension(
                                    expression=edit_pb2.Expression(
                                        terms=[
                                            edit_pb2.Expression.Term(
                                                operand=edit_pb2.Expression.BASE_WIDTH
                                            ),
                                            edit_pb2.Expression.Term(number=2),
                                            edit_pb2.Expression.Term(
                                                operator=edit_pb2.Expression.DIVIDE
                                            ),
                                        ]
                                    )
                                ),
                            )
                        )
                    ),
                    blend=edit_pb2.Overlay.BLEND_MULTIPLY,
                )
            ),
            same,
        ),
        # a 3 x 2 px layer tiled over the whole image (thumbor's watermark repeat)
        Sample(
            _s(
                overlay=edit_pb2.Overlay(
                    image=edit_pb2.EditGraph(
                        source=edit_pb2.Source(
                            canvas=edit_pb2.Canvas(
                                color=C(r=0, g=200, b=0, a=128),
                                width=edit_pb2.Dimension(px=3),
                                height=edit_pb2.Dimension(px=2),
                            )
                        )
                    ),
                    tile_x=True,
                    tile_y=True,
                )
            ),
            same,
        ),
    ],
    "upscale": [
        Sample(
            _s(upscale=edit_pb2.Upscale()),
            lambda w, h: (4 * w, 4 * h) if w * h <= 64 else "image_too_large",
        )
    ],
    "subject_layout": [
        Sample(
            _s(
                subject_layout=edit_pb2.SubjectLayout(
                    output_size=edit_pb2.SubjectLayout.OUTPUT_SIZE_CUSTOM, width=300, height=200
                )
            ),
            lambda w, h: (300, 200),
        )
    ],
    "background_blur": [
        Sample(_s(background_blur=edit_pb2.BackgroundBlur(radius=0.01)), same, CUT_OUT)
    ],
    "outline": [
        Sample(_s(outline=edit_pb2.Outline(color=C(r=255, a=255), width=0.02)), same, CUT_OUT)
    ],
    "text_removal": [Sample(_s(text_removal=edit_pb2.TextRemoval(mode="ai.all")), same)],
    "area_limit": [Sample(_s(area_limit=edit_pb2.AreaLimit(megapixels=0.01)), lambda w, h: None)],
    "alpha_mask": [Sample(_s(alpha_mask=edit_pb2.AlphaMask()), same)],
    "despill": [Sample(_s(despill=edit_pb2.Despill()), same)],
    "linear": [Sample(_s(linear=edit_pb2.Linear(multiply=[1.2], add=[-10, 0, 10])), same)],
    "saturation": [Sample(_s(saturation=edit_pb2.Saturation(factor=1.5)), same)],
    "equalize": [Sample(_s(equalize=edit_pb2.Equalize()), same)],
    "noise": [Sample(_s(noise=edit_pb2.Noise(amount=30, seed=1)), same)],
    "convolution": [
        Sample(
            _s(convolution=edit_pb2.Convolution(kernel=[1] * 9, columns=3, normalize=True)), same
        )
    ],
    "pixelate": [Sample(_s(pixelate=edit_pb2.Pixelate(size=8)), same)],
    "duotone": [
        Sample(
            _s(
                duotone=edit_pb2.Duotone(
                    dark=C(b=128, a=255), light=C(r=255, g=255, a=255), intensity=0.8
                )
            ),
            same,
        )
    ],
    "blur_detections": [
        Sample(_s(blur_detections=edit_pb2.BlurDetections(sigma=8)), same),
    ],
    "draw_detections": [Sample(_s(draw_detections=edit_pb2.DrawDetections()), same)],
    "replicate": [
        Sample(
            _s(replicate=edit_pb2.Replicate(width=500, height=70, centered=True)),
            lambda w, h: (500, 70),
        ),
        Sample(_s(replicate=edit_pb2.Replicate(width=30, height=900)), lambda w, h: (30, 900)),
    ],
    "nine_patch_frame": [
        Sample(
            _s(
                # (no origin here: a plain canvas, no marks, so no padding or stretch)
                nine_patch_frame=edit_pb2.NinePatchFrame(
                    image=edit_pb2.EditGraph(
                        source=edit_pb2.Source(
                            canvas=edit_pb2.Canvas(
                                color=C(r=200, g=0, b=0, a=128),
                                width=edit_pb2.Dimension(px=12),
                                height=edit_pb2.Dimension(px=9),
                            )
                        )
                    )
                )
            ),
            same,
        )
    ],
    "focus_outline": [
        Sample(
            _s(
                focus_outline=edit_pb2.FocusOutline(
                    detect_faces=True, boxes=[edit_pb2.Box(left=1, top=1, width=30, height=20)]
                )
            ),
            same,
        )
    ],
    "curve": [
        Sample(
            _s(curve=edit_pb2.Curve(all_bands=[P(x=0, y=20), P(x=128, y=150), P(x=255, y=240)])),
            same,
        )
    ],
}

# Upscaling a photo takes ~10 s per image on 2 CPU cores; its geometry rule is
# the same at every size, so its "photo" row uses the upscale limit instead.
UPSCALE_MAX = 64  # px of input accepted in this test (the service's is 1 MP)


def formats() -> list[str]:
    """Source formats this libvips can both write (to make the source) and read."""
    found = []
    for suffix in (".jpg", ".png", ".webp", ".avif", ".gif", ".tif", ".heic", ".jxl"):
        try:
            data = pyvips.Image.black(8, 8, bands=3).write_to_buffer(suffix)
            pyvips.Image.new_from_buffer(data, "").avg()
        except pyvips.Error:
            continue
        found.append(suffix)
    return [*found, "animated.gif", "animated.webp"]


FORMATS = formats()
CASES = [
    pytest.param(name, i, fmt, size, id=f"{name}{i}-{fmt[1:]}-{size}")
    for name, samples in SAMPLES.items()
    for i in range(len(samples))
    for fmt in FORMATS
    for size in SIZES
    if not (fmt.startswith("animated") and size == "12mp")  # 36 MP of frames
]


def test_every_registered_op_has_samples() -> None:
    assert set(SAMPLES) == set(ops.REGISTRY), (
        f"give these ops samples: {set(ops.REGISTRY) - set(SAMPLES)}"
    )


def test_the_common_formats_are_covered() -> None:
    assert {".jpg", ".png", ".webp", ".avif", ".gif", ".tif"} <= set(FORMATS)


_SOURCES: dict[tuple[str, str], bytes] = {}


def source(fmt: str, size: str) -> bytes:
    """The rocket photo at ``size``, encoded as ``fmt`` (cached per run)."""
    key = (fmt, size)
    if key not in _SOURCES:
        w, h = SIZES[size]
        photo = pyvips.Image.new_from_file(str(SOURCE_PHOTO))
        image = photo.resize(w / photo.width, vscale=h / photo.height)
        if fmt.startswith("animated"):  # 3 frames: the photo, inverted, flipped
            frames = [image, image.invert(), image.flip("vertical")]
            image = pyvips.Image.arrayjoin(frames, across=1).copy()
            image.set_type(pyvips.GValue.gint_type, "page-height", h)
            image.set_type(pyvips.GValue.array_int_type, "delay", [100, 100, 100])
            fmt = fmt.removeprefix("animated")
        options = {"Q": 85} if fmt in (".jpg", ".webp", ".avif", ".heic", ".jxl") else {}
        if fmt == ".avif" or fmt == ".heic":
            options["effort"] = 0
        _SOURCES[key] = image.write_to_buffer(fmt, **options)
    return _SOURCES[key]


@pytest.fixture(scope="module")
def executor(mesh: Mesh) -> Iterator[Executor]:
    pyvips.cache_set_max(0)
    inference = InferenceClient(f"127.0.0.1:{mesh.ports.triton_grpc}")
    yield Executor(RenderContext(inference, "u2netp"), None, LIMITS)


def render(
    executor: Executor, step: edit_pb2.Step, data: bytes, before: tuple[edit_pb2.Step, ...] = ()
) -> tuple[str | None, pyvips.Image]:
    graph = edit_pb2.EditGraph(steps=[*before, step])
    graph.encode.format = edit_pb2.FORMAT_PNG

    async def run() -> object:
        try:
            return await executor.render(graph, data)
        finally:
            await executor.ctx.inference.close()

    try:
        out = asyncio.run(run())
    except TransformError as exc:
        return exc.kind.public_code, pyvips.Image.black(1, 1)
    return None, pyvips.Image.new_from_buffer(out.data, "")  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "index", "fmt", "size"), CASES)
def test_op_on_format_and_size(executor: Executor, name: str, index: int, fmt: str, size: str):
    sample = SAMPLES[name][index]
    w, h = SIZES[size]
    step = sample.step
    expected = sample.expect(w, h)
    if name == "upscale" and w * h > UPSCALE_MAX:
        step = edit_pb2.Step(upscale=edit_pb2.Upscale(max_width=8, max_height=8))
    code, image = render(executor, step, source(fmt, size), sample.before)
    if isinstance(expected, str) and expected != "any":
        assert code == expected, f"{name} on {fmt} {size}: expected {expected}, got {code}"
        return
    assert code is None, f"{name} on {fmt} {size}: {code}"
    assert image.width > 0 and image.height > 0
    if expected is None:
        assert image.width <= w and image.height <= h
    elif isinstance(expected, tuple):
        assert (image.width, image.height) == expected
    assert image.avg() >= 0  # every pixel decodes


def test_a_source_over_the_pixel_limit_is_413(executor: Executor) -> None:
    big = pyvips.Image.black(4100, 3100, bands=3).write_to_buffer(".png")
    code, _ = render(executor, edit_pb2.Step(grayscale=edit_pb2.Grayscale()), big)
    assert code == "image_too_large"
