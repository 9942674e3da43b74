"""grpc.aio server: the Transform service plus grpc.health.v1 Health."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

import grpc
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

from grpcutil import channels, serving
from grpcutil.deadline import DEADLINE
from imgmesh.v1 import transform_pb2, transform_pb2_grpc
from inference.client import InferenceClient
from telemetry.tracing import instrument_grpc_aio_client, instrument_grpc_aio_server, setup_tracing
from transform_svc.analyze import analyze
from transform_svc.cache import open_cache
from transform_svc.context import RenderContext
from transform_svc.errors import (
    ERROR_CODE_METADATA_KEY,
    HTTP_STATUS_METADATA_KEY,
    INTERNAL,
    ErrorKind,
    TransformError,
    overloaded,
)
from transform_svc.origin import Origin, OriginConfig
from transform_svc.renderer import Renderer
from transform_svc.settings import TransformSettings
from transform_svc.workers import RenderPool, WorkerSettings

log = logging.getLogger("transform_svc")

RENDERS = Counter("imgmesh_transform_renders_total", "Render calls by result code", ["code"])
RENDER_SECONDS = Histogram(
    "imgmesh_transform_render_seconds",
    "Render latency, seconds",
    ["code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)

# What the HorizontalPodAutoscaler scales on besides CPU (k8s/base/transform-svc.yaml).
IN_FLIGHT = Gauge(
    "imgmesh_transform_renders_in_flight",
    "Render calls in progress",
    multiprocess_mode="livesum",
)

SERVICE_NAME = "imgmesh.v1.Transform"
T = TypeVar("T")


class TransformServicer(transform_pb2_grpc.TransformServicer):
    """The Transform service: Render, Probe and Analyze on the Renderer, each
    admitted while fewer than ``max_inflight`` calls are in progress (else
    ``overloaded``), errors mapped to gRPC status and metadata."""

    def __init__(self, renderer: Renderer, max_inflight: int = 64) -> None:
        self.renderer = renderer
        self.max_inflight = max_inflight
        self.inflight = 0

    async def Render(  # noqa: N802 - gRPC method name
        self, request: transform_pb2.RenderRequest, context: grpc.aio.ServicerContext
    ) -> transform_pb2.RenderReply:
        start = time.perf_counter()
        kind = None
        remaining = context.time_remaining()
        if remaining is not None:  # the gateway's deadline bounds the Triton calls too
            DEADLINE.set(time.monotonic() + remaining)
        admitted = self.inflight < self.max_inflight
        if admitted:
            self.inflight += 1
            IN_FLIGHT.inc()
        try:
            if not admitted:  # shed load instead of queueing without bound
                raise overloaded(f"{self.max_inflight} renders in progress; retry later")
            return await self.renderer.render(request)
        except TransformError as exc:
            kind, message = exc.kind, exc.message
        except Exception:
            log.exception("render failed")
            kind, message = INTERNAL, "internal error"
        finally:
            if admitted:
                self.inflight -= 1
                IN_FLIGHT.dec()
            code = kind.public_code if kind else "ok"
            RENDERS.labels(code).inc()
            RENDER_SECONDS.labels(code).observe(time.perf_counter() - start)
        await _abort(context, kind, message)

    async def Analyze(  # noqa: N802 - gRPC method name
        self, request: transform_pb2.AnalyzeRequest, context: grpc.aio.ServicerContext
    ) -> transform_pb2.AnalyzeReply:
        """Labels, objects and colours of a source (transform_svc/analyze.py)."""
        remaining = context.time_remaining()
        timeout_s = remaining if remaining is not None else self.renderer.render_timeout_s
        DEADLINE.set(time.monotonic() + timeout_s)
        renderer = self.renderer
        return await _answer(
            context,
            "analyze",
            self._admitted(
                analyze(request, renderer.origin, renderer.pool, renderer.ctx, timeout_s)
            ),
        )

    async def Probe(  # noqa: N802 - gRPC method name
        self, request: transform_pb2.ProbeRequest, context: grpc.aio.ServicerContext
    ) -> transform_pb2.ProbeReply:
        """The source's header (Renderer.probe)."""
        remaining = context.time_remaining()
        if remaining is not None:
            DEADLINE.set(time.monotonic() + remaining)
        return await _answer(context, "probe", self._admitted(self.renderer.probe(request)))

    async def Purge(  # noqa: N802 - gRPC method name
        self, request: transform_pb2.PurgeRequest, context: grpc.aio.ServicerContext
    ) -> transform_pb2.PurgeReply:
        """Every cached render of the source misses from now on (Renderer.purge)."""
        await _answer(context, "purge", self.renderer.purge(request.source))
        return transform_pb2.PurgeReply()

    async def _admitted(self, call: Coroutine[Any, Any, T]) -> T:
        """``call`` in one of the ``max_inflight`` slots Render also uses.

        Raises:
            TransformError: overloaded when every slot is taken.
        """
        if self.inflight >= self.max_inflight:
            call.close()
            raise overloaded(f"{self.max_inflight} calls in progress; retry later")
        self.inflight += 1
        IN_FLIGHT.inc()
        try:
            return await call
        finally:
            self.inflight -= 1
            IN_FLIGHT.dec()


async def _answer(context: grpc.aio.ServicerContext, name: str, call: Awaitable[T]) -> T:
    """``call``'s reply, or the call failed with its error's status and codes."""
    try:
        return await call
    except TransformError as exc:
        kind, message = exc.kind, exc.message
    except Exception:
        log.exception("%s failed", name)
        kind, message = INTERNAL, "internal error"
    await _abort(context, kind, message)
    raise AssertionError("unreachable")


async def _abort(context: grpc.aio.ServicerContext, kind: ErrorKind, message: str) -> None:
    """Fail the call with ``kind``'s gRPC status, public code and HTTP status."""
    context.set_trailing_metadata(
        (
            (ERROR_CODE_METADATA_KEY, kind.public_code),
            (HTTP_STATUS_METADATA_KEY, str(kind.http_status)),
        )
    )
    await context.abort(kind.grpc_status, message)


async def serve(
    settings: TransformSettings,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the server until ``stop`` is set (or forever); SIGTERM-safe shutdown
    drains in-flight renders for up to 10 s."""
    setup_tracing("transform_svc")
    instrument_grpc_aio_server()
    instrument_grpc_aio_client()
    if settings.transform_metrics_port:
        start_http_server(
            settings.transform_metrics_port,
            addr=settings.transform_host,
            registry=_metrics_registry(),
        )

    inference = InferenceClient(settings.triton_url)
    origin_config = OriginConfig(
        root=settings.origin_root,
        allowed_hosts=settings.allowed_hosts,
        private_hosts=settings.private_hosts,
        max_source_bytes=settings.max_source_bytes,
        asset_address=settings.asset_address,
        s3_sources=settings.s3_sources,
        s3_buckets=settings.s3_buckets,
        s3_endpoint=settings.s3_endpoint,
    )
    origin = Origin(origin_config)
    pool = RenderPool(
        WorkerSettings(
            triton_url=settings.triton_url,
            segmentation_model=settings.segmentation_model,
            origin=origin_config,
            limits=settings.limits,
            vips_concurrency=settings.vips_concurrency,
            memory_limit_bytes=settings.worker_memory_mb * 1024 * 1024,
        ),
        workers=settings.workers,
        max_renders=settings.worker_max_renders,
    )
    await pool.start()
    cache = open_cache(
        settings.result_cache, settings.cache_dir, settings.cache_size_mb * 1024 * 1024
    )
    renderer = Renderer(
        origin,
        pool,
        cache,
        RenderContext(inference, settings.segmentation_model),
        limits=settings.limits,
        render_timeout_s=settings.render_timeout_s,
        failure_ttl_s=settings.failure_ttl_s,
    )
    server = channels.new_server()
    transform_pb2_grpc.add_TransformServicer_to_server(
        TransformServicer(renderer, settings.transform_max_inflight), server
    )
    address = f"{settings.transform_host}:{settings.transform_port}"
    try:
        async with serving.serving(server, address, SERVICE_NAME, log, ready):
            await serving.until_stopped(server, stop)
    finally:
        pool.close()
        await inference.close()
        await origin.close()
        await cache.close()


def _metrics_registry() -> CollectorRegistry:
    """With ``PROMETHEUS_MULTIPROC_DIR`` set (transform_svc's __main__ sets it),
    the metrics of the render workers and of this process, merged; else the
    default registry."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
