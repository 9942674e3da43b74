"""Runs an EditGraph: fetch source -> load (fused with the first op when it can
shrink on load) -> ordered ops from the registry -> encode.

Sync ops run on the worker thread pool (libvips releases the GIL), grouped so
consecutive sync ops cost one thread hop; async ops (model calls) run on the
event loop so many requests can wait on Triton at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time

import pyvips
from opentelemetry import trace
from prometheus_client import Histogram

from contract.limits import MAX_OUTPUT_SIDE, Limits
from contract.vocabulary import ANIMATED_FORMATS, MEDIA_TYPES
from imgmesh.v1 import edit_pb2, transform_pb2
from transform_svc import animation, encoding, imaging, svg
from transform_svc.context import RENDER_REPORT, RenderContext
from transform_svc.errors import impossible, invalid, unsupported
from transform_svc.expressions import Scope, holds, resolve
from transform_svc.ops import REGISTRY, RegisteredOp
from transform_svc.origin import Fetched, Origin
from transform_svc.pixel_limits import DEFAULT_LIMITS, check_output, check_source

OP_SECONDS = Histogram(
    "imgmesh_transform_op_seconds",
    "Time per op, seconds (libvips is lazy: pixel work of sync ops shows up in 'encode')",
    ["op"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

_tracer = trace.get_tracer(__name__)


@dataclasses.dataclass
class Rendered:
    """An encoded output image."""

    data: bytes
    content_type: str
    width: int  # px
    height: int  # px
    has_alpha: bool
    source: tuple[int, int] = (0, 0)  # upright (W, H) px of the decoded source
    source_frames: int = 1
    # what the steps found out (RenderReply's focal_regions, trimmed)
    report: transform_pb2.RenderReply = dataclasses.field(default_factory=transform_pb2.RenderReply)


async def _never(image: pyvips.Image, params: object, ctx: RenderContext) -> pyvips.Image:
    raise AssertionError("conditionals are expanded by the executor")  # pragma: no cover


# A conditional picks its branch on the image it receives; the executor runs the
# branch's steps in its place (async: every pending sync op runs first).
CONDITIONAL = RegisteredOp("conditional", _never, is_async=True)


def _lookup(step: edit_pb2.Step) -> tuple[RegisteredOp, object]:
    name = step.WhichOneof("op")
    if name == "conditional":
        return CONDITIONAL, step.conditional
    if name is None or name not in REGISTRY:
        raise invalid(f"unsupported step {name!r}")
    return REGISTRY[name], getattr(step, name)


@dataclasses.dataclass(frozen=True)
class Frame:
    """What expressions read besides the current image: the source's upright
    size and, in a layer, the size of the image it is placed on (px)."""

    input: tuple[int, int]
    base: tuple[int, int] | None = None
    frames: int = 1  # the source's frame count (animated GIF / WebP pages)

    def scope(self, image: pyvips.Image | None = None) -> Scope:
        """The expression scope for ``image`` as the next op receives it
        (None: the source as loaded)."""
        current = (image.width, animation.page_height(image)) if image is not None else self.input
        return Scope(self.input, current, self.base or current)


def _sequential(ops: list[tuple[RegisteredOp, object]]) -> bool:
    """True when every op reads its input once, top to bottom, so the source
    may be decoded as a stream (see transform_svc.ops)."""
    return all(op.sequential for op, _ in ops)


class Executor:
    """Renders EditGraphs for one process."""

    def __init__(
        self,
        ctx: RenderContext,
        origin: Origin | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.ctx = ctx
        self.origin = origin
        self.limits = limits
        ctx.limits = limits
        ctx.render_layer = self.render_layer
        ctx.run_steps = self.run_steps

    async def _header(self, fetched: Fetched) -> tuple[bytes, pyvips.Image, str]:
        """The checked source: its bytes (SVG sanitised), header and media type.

        Raises:
            TransformError: unsupported_image, image_too_large.
        """
        data = await asyncio.to_thread(svg.sanitise_if_svg, fetched.data)
        image = await asyncio.to_thread(imaging.load, data)
        check_source(image, self.limits)
        return data, image, encoding.source_media_type(image.get("vips-loader"))

    async def passthrough(self, fetched: Fetched) -> transform_pb2.RenderReply:
        """``orig-true``: the source bytes as they are (SVG sanitised), after
        checking they decode and are within the limits.

        Raises:
            TransformError: unsupported_image, image_too_large.
        """
        data, image, content_type = await self._header(fetched)
        return transform_pb2.RenderReply(
            image=data,
            content_type=content_type,
            width=image.width,
            height=image.height,
            has_alpha=image.hasalpha(),
            last_modified_unix=fetched.info.last_modified_unix,
        )

    async def probe(self, fetched: Fetched) -> transform_pb2.ProbeReply:
        """The source's header (upright px, frames, format); no pixels decoded.

        Raises:
            TransformError: unsupported_image, image_too_large.
        """
        _, image, content_type = await self._header(fetched)
        width, height = imaging.upright_size(image)  # one frame: the header loads page 0
        frames = image.get("n-pages") if image.get_typeof("n-pages") else 1
        return transform_pb2.ProbeReply(
            width=width,
            height=height,
            frames=frames,
            content_type=content_type,
            has_alpha=image.hasalpha(),
            last_modified_unix=fetched.info.last_modified_unix,
            size_bytes=len(fetched.data),
            orientation=image.get("orientation") if image.get_typeof("orientation") else 1,
            exif=imaging.exif_tags(image),
        )

    async def render(self, graph: edit_pb2.EditGraph, buffer: bytes) -> Rendered:
        """Render ``graph`` on the encoded source ``buffer``.

        Raises:
            TransformError: any documented error code.
        """
        report = transform_pb2.RenderReply()
        token = RENDER_REPORT.set(report)
        try:
            image, pending, loader, frame = await self._pipeline(graph, buffer)
            out = await asyncio.to_thread(self._finish, image, pending, graph.encode, loader, frame)
        finally:
            RENDER_REPORT.reset(token)
        return dataclasses.replace(
            out, source=frame.input, source_frames=frame.frames, report=report
        )

    async def render_layer(self, graph: edit_pb2.EditGraph, base: tuple[int, int]) -> pyvips.Image:
        """Pixels of a layer's graph (its source from the origin, or a solid
        colour canvas), in memory; ``base`` is the (W, H) px of the image the
        layer is placed on (``bw``/``bh`` in its expressions).

        Raises:
            TransformError: any documented error code; no origin configured.
        """
        if graph.source.WhichOneof("kind") == "canvas":
            image = canvas(graph.source.canvas, Frame(base, base).scope(), self.limits)
            frame = Frame((image.width, image.height), base)
            ops = [_lookup(step) for step in graph.steps]
            image, pending = await self._apply(image, ops, frame)
        else:
            if self.origin is None:
                raise unsupported("image layers need an origin")
            fetched = await self.origin.fetch(graph.source)
            image, pending, _, frame = await self._pipeline(graph, fetched.data, base)
        return await asyncio.to_thread(lambda: self._run_sync(image, pending, frame).copy_memory())

    async def run_steps(
        self, image: pyvips.Image, steps: list[edit_pb2.Step], base: tuple[int, int]
    ) -> pyvips.Image:
        """``steps`` run on ``image`` (a rendered text layer), in memory.

        Raises:
            TransformError: any documented error code.
        """
        frame = Frame((image.width, image.height), base)
        image, pending = await self._apply(image, [_lookup(step) for step in steps], frame)
        return await asyncio.to_thread(lambda: self._run_sync(image, pending, frame).copy_memory())

    async def _pipeline(
        self, graph: edit_pb2.EditGraph, buffer: bytes, base: tuple[int, int] | None = None
    ) -> tuple[pyvips.Image, list[tuple[RegisteredOp, object]], str, Frame]:
        """Load and run the steps; the trailing sync ops are returned unrun so
        the caller runs them on the thread that also encodes."""
        ops = [_lookup(step) for step in graph.steps]
        buffer = await asyncio.to_thread(svg.sanitise_if_svg, buffer)
        header = await asyncio.to_thread(imaging.load, buffer)
        check_source(header, self.limits)
        loader = header.get("vips-loader")
        pages = header.get("n-pages") if header.get_typeof("n-pages") else 1
        if graph.source.max_frames:
            pages = min(pages, graph.source.max_frames)
        frame = Frame(imaging.upright_size(header), base, pages)
        if (
            pages > 1
            and animation.is_animated(header)
            and all(not op.is_async and not op.needs_prepare(params) for op, params in ops)
        ):
            image = await asyncio.to_thread(self._animated, buffer, ops, frame)
            return image, [], loader, frame
        image, consumed = await asyncio.to_thread(self._load, buffer, header, ops, frame)
        check_output(image.width, image.height, self.limits)
        image, pending = await self._apply(image, ops[consumed:], frame)
        return image, pending, loader, frame

    async def _apply(
        self, image: pyvips.Image, ops: list[tuple[RegisteredOp, object]], frame: Frame
    ) -> tuple[pyvips.Image, list[tuple[RegisteredOp, object]]]:
        """Run ``ops`` on ``image``: async ops on the event loop, sync ops
        batched for one thread hop; conditionals replaced by their branch.
        Returns the image and the trailing sync ops, unrun."""
        work = list(reversed(ops))
        pending: list[tuple[RegisteredOp, object]] = []
        while work:
            op, params = work.pop()
            if op.needs_prepare(params) or op.is_async:
                if pending:
                    image = await asyncio.to_thread(self._run_sync, image, pending, frame)
                    pending = []
            if op is CONDITIONAL:
                chosen = params  # type: edit_pb2.Conditional  # type: ignore[assignment]
                branch = (
                    chosen.then_steps
                    if holds(chosen.condition, frame.scope(image))
                    else chosen.else_steps
                )
                work.extend(reversed([_lookup(step) for step in branch]))
                continue
            if op.needs_prepare(params) or op.is_async:  # pending ran: image is current
                params = resolve(params, frame.scope(image))  # type: ignore[arg-type]
            # (a sync op's expressions resolve in _run_sync, on the image it gets)
            if op.needs_prepare(params):
                try:
                    image, params = await op.prepare(image, params, self.ctx)  # type: ignore[misc]
                except pyvips.Error as exc:  # pixels that fail to decode only now
                    raise imaging.vips_failure(exc, f"{op.name} failed") from exc
            if not op.is_async:
                pending.append((op, params))
                continue
            with _tracer.start_as_current_span(f"op.{op.name}"):
                start = time.perf_counter()
                try:
                    image = await op.func(image, params, self.ctx)  # type: ignore[misc]
                except pyvips.Error as exc:  # e.g. a HEIC whose codec is missing
                    raise imaging.vips_failure(exc, f"{op.name} failed") from exc
                OP_SECONDS.labels(op.name).observe(time.perf_counter() - start)
                check_output(image.width, image.height, self.limits)
        return image, pending

    def _load(
        self,
        buffer: bytes,
        header: pyvips.Image,
        ops: list[tuple[RegisteredOp, object]],
        frame: Frame,
    ) -> tuple[pyvips.Image, int]:
        """Decode (fused with the first op when it can shrink on load).

        Returns:
            (image, how many leading ops the load already applied).
        """
        start = time.perf_counter()
        image = None
        consumed = 0
        try:
            if ops and ops[0][0].fuse_load is not None:
                op, params = ops[0]
                params = resolve(params, frame.scope())  # type: ignore[arg-type]
                image = op.fuse_load(buffer, params, self.ctx)  # type: ignore[misc]
                consumed = 1 if image is not None else 0
                if image is not None and not _sequential(ops[1:]):
                    image = image.copy_memory()  # the shrunk image, read again later
                if image is None and op.reduce_load is not None:
                    image = op.reduce_load(buffer, ops[0][1], self.ctx)  # type: ignore[misc]
            if image is None:
                if _sequential(ops) and not imaging.needs_autorot(header):
                    header = imaging.load(buffer, access="sequential")
                image = imaging.to_srgb(header.autorot())
        except pyvips.Error as exc:
            raise imaging.vips_failure(exc, "image could not be decoded") from exc
        OP_SECONDS.labels("load").observe(time.perf_counter() - start)
        return image, consumed

    def _animated(
        self, buffer: bytes, ops: list[tuple[RegisteredOp, object]], frame: Frame
    ) -> pyvips.Image:
        """Every frame through the sync ops (animated GIF/WebP)."""
        try:
            return animation.map_frames(
                buffer, lambda page: self._run_sync(page, ops, frame), frame.frames
            )
        except pyvips.Error as exc:
            raise imaging.vips_failure(exc, "animation could not be processed") from exc

    def _run_sync(
        self, image: pyvips.Image, ops: list[tuple[RegisteredOp, object]], frame: Frame
    ) -> pyvips.Image:
        for op, params in ops:
            start = time.perf_counter()
            try:
                params = resolve(params, frame.scope(image))  # type: ignore[arg-type]
                image = op.func(image, params, self.ctx)  # type: ignore[assignment]
            except pyvips.Error as exc:
                raise imaging.vips_failure(exc, f"{op.name} failed") from exc
            OP_SECONDS.labels(op.name).observe(time.perf_counter() - start)
            check_output(image.width, image.height, self.limits)  # every intermediate image
        return image

    def _finish(
        self,
        image: pyvips.Image,
        pending: list[tuple[RegisteredOp, object]],
        enc: edit_pb2.Encode,
        loader: str,
        frame: Frame,
    ) -> Rendered:
        image = self._run_sync(image, pending, frame)
        start = time.perf_counter()
        animated = animation.page_height(image) < image.height
        fmt = encoding.choose_format(
            enc, encoding.source_format(loader), image.hasalpha(), animated
        )
        if fmt not in ANIMATED_FORMATS:
            image = animation.first_frame(image)
        check_output(image.width, image.height, self.limits)
        try:
            data = encoding.encode(image, fmt, enc)
        except pyvips.Error as exc:
            raise imaging.vips_failure(exc, "image could not be decoded") from exc
        OP_SECONDS.labels("encode").observe(time.perf_counter() - start)
        has_alpha = image.hasalpha() and fmt != edit_pb2.FORMAT_JPEG
        height = animation.page_height(image)
        return Rendered(data, MEDIA_TYPES[fmt], image.width, height, has_alpha)


def canvas(spec: edit_pb2.Canvas, scope: Scope, limits: Limits) -> pyvips.Image:
    """The solid-colour RGBA image of an ImageKit ``i-ik_canvas`` layer: each
    side px, a ratio of the base image's side, or unset = the base's
    (``scope.base``).

    Raises:
        TransformError: impossible_edit when a side is out of 1..MAX_OUTPUT_SIDE
            px; image_too_large over the output pixel limit.
    """
    spec = resolve(spec, scope)  # type: ignore[assignment]
    sides = []
    for name, base in (("width", scope.base[0]), ("height", scope.base[1])):
        dim = getattr(spec, name)
        kind = dim.WhichOneof("value") if spec.HasField(name) else None
        side = dim.px if kind == "px" else base
        if kind == "ratio":
            side = max(1, math.floor(dim.ratio * base + 0.5))
        if not 1 <= side <= MAX_OUTPUT_SIDE:
            raise impossible(f"a solid-colour layer {name} of {side} px is out of range")
        sides.append(side)
    check_output(sides[0], sides[1], limits)
    return imaging.solid(sides[0], sides[1], spec.color)
