"""aiohttp application: routes, the image handler and metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from contract.limits import GraphLimitError, GraphLimits, check_graph
from contract.steps import has_ai_step
from gateway import model_choice
from gateway.errors import HTTP_STATUS, error_response, from_rpc_error
from gateway.negotiation import accepted_formats
from gateway.photoroom.auth import ApiKeys
from gateway.photoroom.handlers import API_KEYS, GRAPH_LIMITS, MAX_UPLOAD_BYTES, add_routes
from gateway.settings import GatewaySettings
from gateway.signing import SignatureError, verify
from gateway.transform_client import TransformClient
from gateway.urlgrammar import ClientHints, GrammarError, build_graph, split_request
from imgmesh.v1 import transform_pb2

REQUESTS = Counter("imgmesh_gateway_requests_total", "HTTP requests", ["route", "status"])
REQUEST_SECONDS = Histogram(
    "imgmesh_gateway_request_seconds",
    "HTTP request latency, seconds",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)


SETTINGS = web.AppKey("settings", GatewaySettings)
NAMED = web.AppKey("named_transformations", dict)
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


@web.middleware
async def json_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own errors (no route 404, wrong method 405 with ``Allow``,
    body too large 413, malformed request 400) and anything unexpected (500)
    answered as JSON with a stable ``code``, never a text page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "image_too_large"}.get(
            exc.status, "invalid_request"
        )
        extra = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
        message = f"{request.method} is not allowed here" if exc.status == 405 else exc.reason
        response = error_response(code, message)
        response.set_status(exc.status if code == "invalid_request" else HTTP_STATUS[code])
        response.headers.update(extra)
        return response


def graph_limit_response(exc: GraphLimitError) -> web.Response:
    """400 ``limit_exceeded`` / 413 ``image_too_large`` naming the limit and its value."""
    return web.json_response(exc.to_json(), status=HTTP_STATUS[exc.code])


EXEMPT_ROUTES = frozenset({"healthz", "readyz", "metrics"})


def shedding_middleware(
    limit: int,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Refuse work beyond ``limit`` requests in flight (503 + Retry-After)."""
    inflight = 0

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal inflight
        if request.match_info.route.name in EXEMPT_ROUTES:
            return await handler(request)
        if inflight >= limit:
            return error_response("overloaded", f"{limit} requests in progress; retry later")
        inflight += 1
        try:
            return await handler(request)
        finally:
            inflight -= 1

    return middleware


ACCEPT_CH = "Sec-CH-DPR, Sec-CH-Width, DPR, Width"
INTERMEDIATE_BODY = (
    "<!DOCTYPE html><html><head><title>Preparing</title></head>"
    "<body><p>The asset is currently being prepared. Please retry in a few seconds.</p>"
    "</body></html>"
)


def client_hints(request: web.Request) -> ClientHints:
    """Sec-CH-DPR / DPR (ratio) and Sec-CH-Width / Width (px) request headers."""
    headers = request.headers

    def read(*names: str) -> float | None:
        for name in names:
            try:
                value = float(headers[name])
            except (KeyError, ValueError):
                continue
            if 0 < value < 100_000:
                return value
        return None

    width = read("Sec-CH-Width", "Width")
    return ClientHints(dpr=read("Sec-CH-DPR", "DPR"), width=int(width) if width else None)


async def image_handler(request: web.Request) -> web.StreamResponse:
    """GET an image through the ImageKit URL grammar."""
    config = request.app[SETTINGS]
    try:
        chain, source = split_request(request.path, request.query.get("tr"), request.app[NAMED])
        built = build_graph(
            chain, source, accepted_formats(request.headers.get("Accept")), client_hints(request)
        )
        model_choice.apply(built.graph, request.headers.get(model_choice.HEADER))
        required = config.require_signed == "all" or (
            config.require_signed == "ai" and has_ai_step(built.graph)
        )
        raw_path, _, raw_query = request.raw_path.partition("?")
        verify(  # over the URL as the client sent it (undecoded), as ImageKit's SDKs sign
            config.signing_key,
            raw_path,
            raw_query,
            required=required,
        )
    except GrammarError as exc:
        return web.json_response(exc.to_json(), status=400)
    except SignatureError as exc:
        return error_response(exc.code, exc.message)
    try:
        check_graph(built.graph, request.app[GRAPH_LIMITS])
    except GraphLimitError as exc:
        return graph_limit_response(exc)
    client = request.app[TRANSFORM_CLIENT]
    render = transform_pb2.RenderRequest(
        graph=built.graph,
        if_none_match=request.headers.get("If-None-Match", ""),
        ai_budget_ms=config.ai_budget_ms,
    )
    try:
        reply = await client.render(render)
    except grpc.aio.AioRpcError as exc:
        response = from_rpc_error(exc)
        if response.status != 404 or not built.default_image:
            return response
        render.graph.source.origin_path = built.default_image  # di-: same transformation
        try:
            reply = await client.render(render)
        except grpc.aio.AioRpcError as exc2:
            return from_rpc_error(exc2)
    vary = "Accept" + (", " + ACCEPT_CH if built.uses_client_hints else "")
    if model_choice.uses_segmentation(built.graph):
        vary += ", " + model_choice.HEADER
    headers = {"Vary": vary, "Accept-CH": ACCEPT_CH}
    if reply.intermediate:
        headers.update({"is-intermediate-response": "true", "Cache-Control": "no-store"})
        return web.Response(text=INTERMEDIATE_BODY, content_type="text/html", headers=headers)
    headers["Cache-Control"] = config.cache_control
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.last_modified_unix:
        headers["Last-Modified"] = formatdate(reply.last_modified_unix, usegmt=True)
    if reply.not_modified:
        return web.Response(status=304, headers=headers)
    if built.content_dpr is not None:
        headers["Content-DPR"] = f"{built.content_dpr:g}"
    headers["Content-Type"] = reply.content_type
    headers["X-Imgmesh-Cache"] = "hit" if reply.cache_hit else "miss"
    response = web.StreamResponse(headers=headers)
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


def create_app(
    settings: GatewaySettings,
    *,
    api_keys: ApiKeys | None = None,
    graph_limits: GraphLimits | None = None,
) -> web.Application:
    """Build the aiohttp application (the gRPC channel opens on startup).

    Args:
        settings: the gateway's settings (named transformations and API keys
            are read from the files they name).
        api_keys: accounts for the Photoroom-style endpoints (default: from
            ``settings.api_keys``).
        graph_limits: bounds on every edit graph (default: from the environment).

    Tracing: call ``telemetry.tracing.instrument_aiohttp_server()`` first; it
    makes every ``web.Application`` carry the OpenTelemetry server middleware.

    Raises:
        OSError, ValueError: a settings file is unreadable or malformed.
    """
    # Uploads up to Photoroom's 30 MB image limit plus the other form fields.
    app = web.Application(
        middlewares=[
            metrics_middleware,
            json_errors_middleware,
            shedding_middleware(settings.gateway_max_inflight),
        ],
        client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024,
    )
    app[SETTINGS] = settings
    app[NAMED] = settings.named()
    app[API_KEYS] = api_keys or ApiKeys.load(settings.api_keys)
    app[GRAPH_LIMITS] = graph_limits or GraphLimits.from_env()

    async def on_startup(app: web.Application) -> None:
        app[TRANSFORM_CLIENT] = TransformClient(
            settings.transform_address, settings.render_timeout_s
        )

    async def on_cleanup(app: web.Application) -> None:
        await app[TRANSFORM_CLIENT].close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics, name="metrics")
    add_routes(app, lambda request: request.app[TRANSFORM_CLIENT])
    app.router.add_get("/{tail:.+}", image_handler, name="image")
    return app
