"""HTTP error responses with a stable machine-readable ``code``."""

from __future__ import annotations

import grpc
from aiohttp import web

# code -> HTTP status. Codes from transform_svc arrive in gRPC trailing metadata.
HTTP_STATUS: dict[str, int] = {
    "invalid_parameter": 400,
    "unknown_parameter": 400,
    "missing_source": 400,
    "source_forbidden": 403,
    "source_not_found": 404,
    "image_too_large": 413,
    "unsupported_image": 415,
    "impossible_edit": 422,
    "origin_unavailable": 502,
    "model_unavailable": 503,
    "transform_unavailable": 503,
    "timeout": 504,
    "internal": 500,
}

RETRY_AFTER_S = 5  # seconds suggested to clients when a dependency is down
ERROR_CODE_METADATA_KEY = "imgmesh-error-code"


def error_response(code: str, message: str, **extra: str) -> web.Response:
    """JSON ``{"code", "message", ...extra}`` with the status for ``code``;
    503s carry ``Retry-After``."""
    status = HTTP_STATUS.get(code, 500)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return web.json_response(
        {"code": code, "message": message, **extra}, status=status, headers=headers
    )


def from_rpc_error(exc: grpc.aio.AioRpcError) -> web.Response:
    """Map a failed Render to an HTTP error response."""
    code = None
    for key, value in exc.trailing_metadata() or ():
        if key == ERROR_CODE_METADATA_KEY:
            code = value if isinstance(value, str) else value.decode()
    if code is None:
        status = exc.code()
        if status == grpc.StatusCode.DEADLINE_EXCEEDED:
            return error_response("timeout", "rendering took too long")
        if status == grpc.StatusCode.UNAVAILABLE:
            return error_response("transform_unavailable", "transform service unavailable")
        return error_response("internal", "internal error")
    return error_response(code, exc.details() or code)
