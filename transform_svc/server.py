"""grpc.aio server: the Transform service plus grpc.health.v1 Health."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
    start_http_server,
)

from contract.limits import GraphLimits
from imgmesh.v1 import transform_pb2, transform_pb2_grpc
from inference.client import DEADLINE, InferenceClient
from telemetry.tracing import instrument_grpc_aio_client, instrument_grpc_aio_server, setup_tracing
from transform_svc.cache import open_cache
from transform_svc.context import RenderContext
from transform_svc.errors import (
    ERROR_CODE_METADATA_KEY,
    HTTP_STATUS_METADATA_KEY,
    INTERNAL,
    TransformError,
    overloaded,
)
from transform_svc.limits import Limits
from transform_svc.origin import Origin, OriginConfig
from transform_svc.results import Renderer
from transform_svc.workers import RenderPool, WorkerSettings

log = logging.getLogger("transform_svc")

RENDERS = Counter("imgmesh_transform_renders_total", "Render calls by result code", ["code"])
RENDER_SECONDS = Histogram(
    "imgmesh_transform_render_seconds",
    "Render latency, seconds",
    ["code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)

SERVICE_NAME = "imgmesh.v1.Transform"


@dataclass
class TransformConfig:
    """transform_svc settings (CLI flags / IMGMESH_* env, see __main__).

    Attributes:
        port: gRPC port on 127.0.0.1 (0 = pick a free one).
        metrics_port: Prometheus port (0 = none).
        origin_root: local origin directory.
        allowed_hosts: http(s) origin hosts allowed.
        triton_url: Triton gRPC address.
        workers: render worker processes (renders in parallel).
        vips_concurrency: libvips threads per pipeline.
        worker_memory_bytes: address space a worker may add to its startup
            size (RLIMIT_AS); 0 = unlimited.
        worker_max_renders: renders after which a worker is replaced.
        render_timeout_s: deadline of a render whose call has none (s).
        graph_limits: bounds on every edit graph (contract.limits).
        segmentation_model: default model for RemoveBackground.
        result_cache: ``disk`` | ``disk:/path`` | ``redis://...`` | ``none``.
        cache_dir: directory of the ``disk`` cache.
        cache_size_bytes: LRU bound of the disk cache.
        failure_ttl_s: how long a failed render is remembered (seconds).
        private_hosts: allowed hosts that may resolve to non-public addresses.
        limits: source/output size limits.
        max_inflight: renders in progress at most; more are shed (503 overloaded).
    """

    port: int = 50051
    metrics_port: int = 0
    origin_root: Path = Path("images")
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    triton_url: str = "127.0.0.1:8001"
    workers: int = 4
    vips_concurrency: int = 1
    segmentation_model: str = "isnet"
    host: str = "127.0.0.1"
    result_cache: str = "disk"
    cache_dir: Path = Path("build/cache")
    cache_size_bytes: int = 1 << 30
    failure_ttl_s: float = 10.0
    private_hosts: frozenset[str] = field(default_factory=frozenset)
    limits: Limits = field(default_factory=Limits)
    max_inflight: int = 64
    worker_memory_bytes: int = 4 << 30
    worker_max_renders: int = 200
    render_timeout_s: float = 60.0
    graph_limits: GraphLimits = field(default_factory=GraphLimits)


class TransformServicer(transform_pb2_grpc.TransformServicer):
    """Render = Renderer.render + error mapping to gRPC status and metadata."""

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
            code = kind.public_code if kind else "ok"
            RENDERS.labels(code).inc()
            RENDER_SECONDS.labels(code).observe(time.perf_counter() - start)
        context.set_trailing_metadata(
            (
                (ERROR_CODE_METADATA_KEY, kind.public_code),
                (HTTP_STATUS_METADATA_KEY, str(kind.http_status)),
            )
        )
        await context.abort(kind.grpc_status, message)


async def serve(
    config: TransformConfig, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None
) -> None:
    """Run the server until ``stop`` is set (or forever); SIGTERM-safe shutdown
    drains in-flight renders for up to 10 s."""
    setup_tracing("transform_svc")
    instrument_grpc_aio_server()
    instrument_grpc_aio_client()
    if config.metrics_port:
        start_http_server(config.metrics_port, addr=config.host, registry=_metrics_registry())

    inference = InferenceClient(config.triton_url)
    origin_config = OriginConfig(
        root=config.origin_root,
        allowed_hosts=config.allowed_hosts,
        private_hosts=config.private_hosts,
        max_source_bytes=config.limits.max_source_bytes,
    )
    origin = Origin(origin_config)
    pool = RenderPool(
        WorkerSettings(
            triton_url=config.triton_url,
            segmentation_model=config.segmentation_model,
            origin=origin_config,
            limits=config.limits,
            vips_concurrency=config.vips_concurrency,
            memory_limit_bytes=config.worker_memory_bytes,
        ),
        workers=config.workers,
        max_renders=config.worker_max_renders,
    )
    await pool.start()
    cache = open_cache(config.result_cache, config.cache_dir, config.cache_size_bytes)
    renderer = Renderer(
        origin,
        pool,
        cache,
        RenderContext(inference, config.segmentation_model),
        graph_limits=config.graph_limits,
        render_timeout_s=config.render_timeout_s,
        failure_ttl_s=config.failure_ttl_s,
    )
    server = grpc.aio.server(
        options=[
            ("grpc.max_send_message_length", 256 * 1024 * 1024),
            ("grpc.max_receive_message_length", 256 * 1024 * 1024),
        ]
    )
    transform_pb2_grpc.add_TransformServicer_to_server(
        TransformServicer(renderer, config.max_inflight), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(f"{config.host}:{config.port}")
    await server.start()
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("transform_svc listening on %s:%d", config.host, port)
    if ready is not None:
        ready.set()
    try:
        if stop is None:
            await server.wait_for_termination()
        else:
            await stop.wait()
    finally:
        for name in ("", SERVICE_NAME):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await server.stop(grace=10)
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
