"""Runs an EditGraph: fetch source -> load (fused with the first op when it can
shrink on load) -> ordered ops from the registry -> encode.

Sync ops run on the worker thread pool (libvips releases the GIL), grouped so
consecutive sync ops cost one thread hop; async ops (model calls) run on the
event loop so many requests can wait on Triton at once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pyvips
from opentelemetry import trace
from prometheus_client import Histogram

from contract.limits import Limits
from imgmesh.v1 import edit_pb2, transform_pb2
from transform_svc import animation, imaging, svg
from transform_svc import encode as encoding
from transform_svc.context import RenderContext
from transform_svc.errors import invalid, unsupported
from transform_svc.limits import DEFAULT_LIMITS, check_output, check_source
from transform_svc.ops import REGISTRY, RegisteredOp
from transform_svc.origin import Fetched, Origin

OP_SECONDS = Histogram(
    "imgmesh_transform_op_seconds",
    "Time per op, seconds (libvips is lazy: pixel work of sync ops shows up in 'encode')",
    ["op"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

_tracer = trace.get_tracer(__name__)


@dataclass
class Rendered:
    """An encoded output image."""

    data: bytes
    content_type: str
    width: int  # px
    height: int  # px
    has_alpha: bool


def _lookup(step: edit_pb2.Step) -> tuple[RegisteredOp, object]:
    name = step.WhichOneof("op")
    if name is None or name not in REGISTRY:
        raise invalid(f"unsupported step {name!r}")
    return REGISTRY[name], getattr(step, name)


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

    async def passthrough(self, fetched: Fetched) -> transform_pb2.RenderReply:
        """``orig-true``: the source bytes as they are (SVG sanitised), after
        checking they decode and are within the limits.

        Raises:
            TransformError: unsupported_image.
        """
        data = await asyncio.to_thread(svg.sanitise_if_svg, fetched.data)
        image = await asyncio.to_thread(imaging.load, data)
        check_source(image, self.limits)
        loader = image.get("vips-loader")
        fmt = encoding.source_format(loader)
        content_type = encoding.CONTENT_TYPES.get(fmt, "application/octet-stream")
        return transform_pb2.RenderReply(
            image=data,
            content_type=content_type,
            width=image.width,
            height=image.height,
            has_alpha=image.hasalpha(),
            last_modified_unix=fetched.info.last_modified_unix,
        )

    async def render(self, graph: edit_pb2.EditGraph, buffer: bytes) -> Rendered:
        """Render ``graph`` on the encoded source ``buffer``.

        Raises:
            TransformError: any documented error code.
        """
        image, pending, loader = await self._pipeline(graph, buffer)
        return await asyncio.to_thread(self._finish, image, pending, graph.encode, loader)

    async def render_layer(self, graph: edit_pb2.EditGraph) -> pyvips.Image:
        """Pixels of a layer's graph (its source from the origin), in memory.

        Raises:
            TransformError: any documented error code; no origin configured.
        """
        if self.origin is None:
            raise unsupported("image layers need an origin")
        fetched = await self.origin.fetch(graph.source)
        image, pending, _ = await self._pipeline(graph, fetched.data)
        return await asyncio.to_thread(lambda: self._run_sync(image, pending).copy_memory())

    async def _pipeline(
        self, graph: edit_pb2.EditGraph, buffer: bytes
    ) -> tuple[pyvips.Image, list[tuple[RegisteredOp, object]], str]:
        """Load and run the steps; the trailing sync ops are returned unrun so
        the caller runs them on the thread that also encodes."""
        ops = [_lookup(step) for step in graph.steps]
        buffer = await asyncio.to_thread(svg.sanitise_if_svg, buffer)
        header = await asyncio.to_thread(imaging.load, buffer)
        check_source(header, self.limits)
        loader = header.get("vips-loader")
        if animation.is_animated(header) and all(
            not op.is_async and not op.needs_prepare(params) for op, params in ops
        ):
            image = await asyncio.to_thread(self._animated, buffer, ops)
            return image, [], loader
        image, consumed = await asyncio.to_thread(self._load, buffer, header, ops)
        check_output(image.width, image.height, self.limits)
        pending: list[tuple[RegisteredOp, object]] = []
        for op, params in ops[consumed:]:
            if op.needs_prepare(params):
                if pending:
                    image = await asyncio.to_thread(self._run_sync, image, pending)
                    pending = []
                try:
                    image, params = await op.prepare(image, params, self.ctx)  # type: ignore[misc]
                except pyvips.Error as exc:  # pixels that fail to decode only now
                    raise imaging.vips_failure(exc, f"{op.name} failed") from exc
            if not op.is_async:
                pending.append((op, params))
                continue
            if pending:
                image = await asyncio.to_thread(self._run_sync, image, pending)
                pending = []
            with _tracer.start_as_current_span(f"op.{op.name}"):
                start = time.perf_counter()
                try:
                    image = await op.func(image, params, self.ctx)  # type: ignore[misc]
                except pyvips.Error as exc:  # e.g. a HEIC whose codec is missing
                    raise imaging.vips_failure(exc, f"{op.name} failed") from exc
                OP_SECONDS.labels(op.name).observe(time.perf_counter() - start)
                check_output(image.width, image.height, self.limits)
        return image, pending, loader

    def _load(
        self, buffer: bytes, header: pyvips.Image, ops: list[tuple[RegisteredOp, object]]
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
                image = op.fuse_load(buffer, params, self.ctx)  # type: ignore[misc]
                consumed = 1 if image is not None else 0
                if image is not None and not _sequential(ops[1:]):
                    image = image.copy_memory()  # the shrunk image, read again later
            if image is None:
                if _sequential(ops) and not imaging.needs_autorot(header):
                    header = imaging.load(buffer, access="sequential")
                image = imaging.to_srgb(header.autorot())
        except pyvips.Error as exc:
            raise imaging.vips_failure(exc, "image could not be decoded") from exc
        OP_SECONDS.labels("load").observe(time.perf_counter() - start)
        return image, consumed

    def _animated(self, buffer: bytes, ops: list[tuple[RegisteredOp, object]]) -> pyvips.Image:
        """Every frame through the sync ops (animated GIF/WebP)."""
        try:
            return animation.map_frames(buffer, lambda frame: self._run_sync(frame, ops))
        except pyvips.Error as exc:
            raise imaging.vips_failure(exc, "animation could not be processed") from exc

    def _run_sync(
        self, image: pyvips.Image, ops: list[tuple[RegisteredOp, object]]
    ) -> pyvips.Image:
        for op, params in ops:
            start = time.perf_counter()
            try:
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
    ) -> Rendered:
        image = self._run_sync(image, pending)
        start = time.perf_counter()
        animated = animation.page_height(image) < image.height
        fmt = encoding.choose_format(
            enc, encoding.source_format(loader), image.hasalpha(), animated
        )
        if fmt not in encoding.ANIMATED_FORMATS:
            image = animation.first_frame(image)
        check_output(image.width, image.height, self.limits)
        try:
            data = encoding.encode(image, fmt, enc)
        except pyvips.Error as exc:
            raise imaging.vips_failure(exc, "image could not be decoded") from exc
        OP_SECONDS.labels("encode").observe(time.perf_counter() - start)
        has_alpha = image.hasalpha() and fmt != edit_pb2.FORMAT_JPEG
        height = animation.page_height(image)
        return Rendered(data, encoding.CONTENT_TYPES[fmt], image.width, height, has_alpha)
