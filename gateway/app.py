"""aiohttp application: the dialects' routes (ImageKit URLs in
``gateway/imagekit``, the Photoroom-style REST API in ``gateway/photoroom``),
middlewares, health and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from contract.errors import HTTP_STATUS
from contract.limits import Limits
from gateway import route_fallbacks
from gateway.accounts import ApiKeys
from gateway.app_state import API_KEYS, ASSET_CLIENT, LIMITS, NAMED, SETTINGS, TRANSFORM_CLIENT
from gateway.asset_client import AssetClient
from gateway.cloudinary import handlers as cloudinary
from gateway.console import routes as console
from gateway.errors import error_response
from gateway.imagekit import cache_purge as imagekit_cache_purge
from gateway.imagekit import definitions as imagekit_definitions
from gateway.imagekit import file_ops as imagekit_file_ops
from gateway.imagekit import files as imagekit_files
from gateway.imagekit import folders as imagekit_folders
from gateway.imagekit import metadata as imagekit_metadata
from gateway.imagekit import usage as imagekit_usage
from gateway.imagekit.handlers import image_handler
from gateway.imgprocessing import handlers as imgprocessing
from gateway.imgproxy import handlers as imgproxy
from gateway.photoroom.handlers import MAX_UPLOAD_BYTES, add_routes
from gateway.settings import GatewaySettings
from gateway.thumbor import handlers as thumbor
from gateway.transform_client import TransformClient

REQUESTS = Counter(
    "imgmesh_gateway_requests_total", "HTTP requests", ["route", "dialect", "status"]
)
REQUEST_SECONDS = Histogram(
    "imgmesh_gateway_request_seconds",
    "HTTP request latency, seconds",
    ["route", "dialect", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)
LOG = logging.getLogger("imgmesh.gateway")
# What the HorizontalPodAutoscaler scales on besides CPU (k8s/base/gateway.yaml).
IN_FLIGHT = Gauge(
    "imgmesh_gateway_requests_in_flight", "HTTP requests in progress (health and metrics excluded)"
)


# The public API a route speaks, by its name's prefix; the root route ("image")
# speaks IMGMESH_ROOT_DIALECT; health and metrics none.
ROUTE_DIALECTS = (
    ("thumbor", "thumbor"),
    ("imgproxy", "imgproxy"),
    ("cloudinary", "cloudinary"),
    ("imagekit_", "imagekit"),
    ("photoroom_", "photoroom"),
    ("images_", "imgprocessing"),
)


def dialect_of(route: str, root_dialect: str) -> str:
    """The ``dialect`` label of a request to ``route``: thumbor, imagekit,
    photoroom, imgprocessing, or "none"."""
    if route == "image":
        return root_dialect
    return next((d for prefix, d in ROUTE_DIALECTS if route.startswith(prefix)), "none")


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by route name, dialect and status."""
    start = time.perf_counter()
    route = request.match_info.route.name or "unmatched"
    dialect = dialect_of(route, request.app[SETTINGS].root_dialect)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        REQUESTS.labels(route, dialect, str(status)).inc()
        REQUEST_SECONDS.labels(route, dialect, str(status)).observe(time.perf_counter() - start)


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
    except (RecursionError, MemoryError):  # a hostile body no parser guard caught
        LOG.exception("request refused: %s %s", request.method, request.path)
        return error_response("invalid_request", "the request is too large or too deeply nested")
    except Exception:
        LOG.exception("unexpected error: %s %s", request.method, request.path)
        return error_response("internal", "internal error")


async def nosniff(_request: web.Request, response: web.StreamResponse) -> None:
    """Every response carries ``X-Content-Type-Options: nosniff``: a browser
    never runs an image (or an error body) as a script or page it guessed."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


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
        IN_FLIGHT.inc()
        try:
            return await handler(request)
        finally:
            inflight -= 1
            IN_FLIGHT.dec()

    return middleware


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: transform_svc and asset_svc answer their health checks."""
    if not await request.app[TRANSFORM_CLIENT].ready():
        return error_response("transform_unavailable", "transform service not ready")
    if not await request.app[ASSET_CLIENT].ready():
        return error_response("asset_unavailable", "asset service not ready")
    return web.json_response({"status": "ready"})


async def metrics(_request: web.Request) -> web.Response:
    """Prometheus exposition."""
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(
    settings: GatewaySettings,
    *,
    api_keys: ApiKeys | None = None,
    limits: Limits | None = None,
) -> web.Application:
    """Build the aiohttp application (the gRPC channel opens on startup).

    Args:
        settings: the gateway's settings (named transformations and API keys
            are read from the files they name).
        api_keys: accounts for the Photoroom-style endpoints (default: from
            ``settings.api_keys``).
        limits: bounds on every edit graph (default: from the environment).

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
    app.on_response_prepare.append(nosniff)
    app[SETTINGS] = settings
    app[NAMED] = settings.named()
    app[API_KEYS] = api_keys or ApiKeys.load(settings.api_keys)
    app[LIMITS] = limits or Limits()

    async def on_startup(app: web.Application) -> None:
        app[TRANSFORM_CLIENT] = TransformClient(
            settings.transform_address, settings.render_timeout_s
        )
        app[ASSET_CLIENT] = AssetClient(settings.asset_address)

    async def on_cleanup(app: web.Application) -> None:
        await app[TRANSFORM_CLIENT].close()
        await app[ASSET_CLIENT].close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics, name="metrics")
    console.add_routes(app)
    add_routes(app)
    imagekit_cache_purge.add_routes(app)
    imagekit_files.add_routes(app)
    imagekit_file_ops.add_routes(app)
    imagekit_folders.add_routes(app)
    imagekit_definitions.add_routes(app)
    imagekit_metadata.add_routes(app)
    imagekit_usage.add_routes(app)
    imgprocessing.add_routes(app)
    thumbor.add_routes(app)
    imgproxy.add_routes(app)
    cloudinary.add_routes(app)
    route_fallbacks.add_routes(app)  # after every API route, before the image route
    root = {
        "thumbor": thumbor.root_handler,
        "imgproxy": imgproxy.root_handler,
        "cloudinary": cloudinary.root_handler,
    }.get(settings.root_dialect, image_handler)
    app.router.add_get("/{tail:.+}", root, name="image")
    return app
