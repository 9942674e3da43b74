"""The gateway's one error type and one JSON error shape, for every dialect:
``{"code", "message", ...}`` with a stable machine-readable ``code`` (its HTTP
status from :mod:`contract.errors`) and, for a bad parameter, ``parameter``
and ``allowed``."""

from __future__ import annotations

import grpc
from aiohttp import web

from contract.errors import HTTP_STATUS, public_error
from contract.limits import GraphLimitError


class RequestError(ValueError):
    """A request a dialect refuses before rendering: a malformed or unknown
    parameter (HTTP 400).

    Attributes:
        code: stable machine-readable code from contract.errors, e.g.
            ``invalid_parameter``, ``unknown_parameter``, ``missing_source``,
            ``conflicting_parameters``.
        parameter: the offending parameter key (e.g. ``"w"``), or None.
        allowed: human-readable description of the accepted values.
    """

    def __init__(
        self, code: str, message: str, parameter: str | None = None, allowed: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter
        self.allowed = allowed

    def to_json(self) -> dict[str, str]:
        """The JSON error body."""
        body = {"code": self.code, "message": self.message}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        if self.allowed is not None:
            body["allowed"] = self.allowed
        return body


def invalid(parameter: str, value: str, allowed: str) -> RequestError:
    """``invalid_parameter`` for ``parameter-value``."""
    return RequestError(
        "invalid_parameter",
        f"invalid value {value!r} for parameter {parameter!r}; allowed: {allowed}",
        parameter,
        allowed,
    )


def request_error_response(exc: RequestError, **extra: object) -> web.Response:
    """The JSON error response of a :class:`RequestError` (plus ``extra`` fields)."""
    return web.json_response({**exc.to_json(), **extra}, status=HTTP_STATUS.get(exc.code, 400))


RETRY_AFTER_S = 5  # seconds suggested to clients when a dependency is down
# ... and when an account's job backlog is full (429): its jobs take longer to drain
BACKLOG_RETRY_AFTER_S = 30


def retry_after(status: int) -> dict[str, str] | None:
    """``Retry-After`` for a 429 or 503, else None."""
    seconds = {429: BACKLOG_RETRY_AFTER_S, 503: RETRY_AFTER_S}.get(status)
    return {"Retry-After": str(seconds)} if seconds else None


def error_response(code: str, message: str, **extra: object) -> web.Response:
    """JSON ``{"code", "message", ...extra}`` with the status for ``code``;
    429s and 503s carry ``Retry-After``."""
    status = HTTP_STATUS.get(code, 500)
    headers = retry_after(status)
    return web.json_response(
        {"code": code, "message": message, **extra}, status=status, headers=headers
    )


def graph_limit_response(exc: GraphLimitError) -> web.Response:
    """400 ``limit_exceeded`` / 413 ``image_too_large`` naming the limit and its value."""
    return error_response(exc.code, exc.message, limit=exc.limit, value=exc.value)


def from_rpc_error(
    exc: grpc.aio.AioRpcError, unavailable: str = "transform_unavailable", **extra: object
) -> web.Response:
    """Map a failed call to transform_svc or asset_svc to an HTTP error
    response. Both send the public code and HTTP status in trailing metadata;
    a call that never reached the service (no metadata) is ``unavailable``
    (transform_unavailable / asset_unavailable) or timeout."""
    error = public_error(exc.trailing_metadata())
    if error.code is None:
        status = exc.code()
        if status == grpc.StatusCode.DEADLINE_EXCEEDED:
            return error_response("timeout", "the operation took too long", **extra)
        if status == grpc.StatusCode.UNAVAILABLE:
            return error_response(unavailable, "a backing service is unavailable", **extra)
        return error_response("internal", "internal error", **extra)
    http_status = error.http_status or HTTP_STATUS.get(error.code, 500)
    headers = retry_after(http_status)
    body: dict[str, object] = {"code": error.code, "message": exc.details() or error.code, **extra}
    if error.parameter:
        body["parameter"] = error.parameter
    return web.json_response(body, status=http_status, headers=headers)
