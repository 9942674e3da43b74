"""aiohttp application: routes, the image handler and metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from gateway.errors import error_response, from_rpc_error
from gateway.negotiation import accepted_formats
from gateway.transform_client import TransformClient
from gateway.urlgrammar import GrammarError, build_graph, split_request

REQUESTS = Counter("imgmesh_gateway_requests_total", "HTTP requests", ["route", "status"])
REQUEST_SECONDS = Histogram(
    "imgmesh_gateway_request_seconds",
    "HTTP request latency, seconds",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)


@dataclass
class GatewayConfig:
    """Gateway settings.

    Attributes:
        transform_address: ``host:port`` of transform_svc.
        cache_control: Cache-Control for successful image responses.
        render_timeout_s: deadline for one render (seconds).
    """

    transform_address: str = "127.0.0.1:50051"
    cache_control: str = "public, max-age=3600"
    render_timeout_s: float = 60.0


CONFIG = web.AppKey("config", GatewayConfig)
TRANSFORM_CLIENT = web.AppKey("transform_client", TransformClient)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by route name and status."""
    start = time.perf_counter()
    route = request.match_info.route.name or "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        REQUESTS.labels(route, str(status)).inc()
        REQUEST_SECONDS.labels(route, str(status)).observe(time.perf_counter() - start)


async def image_handler(request: web.Request) -> web.StreamResponse:
    """GET an image through the ImageKit URL grammar."""
    accept = request.headers.get("Accept")
    try:
        chain, source = split_request(request.path, request.query.get("tr"))
        graph = build_graph(chain, source, accepted_formats(accept))
    except GrammarError as exc:
        return web.json_response(exc.to_json(), status=400)
    try:
        reply = await request.app[TRANSFORM_CLIENT].render(graph)
    except grpc.aio.AioRpcError as exc:
        return from_rpc_error(exc)
    response = web.StreamResponse(
        headers={
            "Content-Type": reply.content_type,
            "Cache-Control": request.app[CONFIG].cache_control,
            "Vary": "Accept",
        }
    )
    response.content_length = len(reply.image)
    await response.prepare(request)
    await response.write(reply.image)
    await response.write_eof()
    return response


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: transform_svc answers its health check."""
    if await request.app[TRANSFORM_CLIENT].ready():
        return web.json_response({"status": "ready"})
    return error_response("transform_unavailable", "transform service not ready")


async def metrics(_request: web.Request) -> web.Response:
    """Prometheus exposition."""
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(config: GatewayConfig) -> web.Application:
    """Build the aiohttp application (the gRPC channel opens on startup).

    Tracing: call ``telemetry.tracing.instrument_aiohttp_server()`` first; it
    makes every ``web.Application`` carry the OpenTelemetry server middleware.
    """
    app = web.Application(middlewares=[metrics_middleware])
    app[CONFIG] = config

    async def on_startup(app: web.Application) -> None:
        app[TRANSFORM_CLIENT] = TransformClient(config.transform_address, config.render_timeout_s)

    async def on_cleanup(app: web.Application) -> None:
        await app[TRANSFORM_CLIENT].close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics, name="metrics")
    app.router.add_get("/{tail:.+}", image_handler, name="image")
    return app
