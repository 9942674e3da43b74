"""asset_svc's one error type: a public code from ``contract.errors`` (its HTTP
status from the same table), sent as transform.proto's trailing metadata."""

from __future__ import annotations

import grpc

from contract.errors import HTTP_STATUS

# HTTP status -> how the error travels as a gRPC status.
GRPC_STATUS: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    422: grpc.StatusCode.FAILED_PRECONDITION,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


class AssetError(Exception):
    """A refused asset call.

    Attributes:
        code: public code (``contract.errors.HTTP_STATUS`` key), e.g. ``not_found``.
        message: safe to show (names no host, path or library).
        parameter: the request field at fault, if any.
    """

    def __init__(self, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    @property
    def grpc_status(self) -> grpc.StatusCode:
        return GRPC_STATUS.get(self.http_status, grpc.StatusCode.INTERNAL)


def not_found(what: str = "file") -> AssetError:
    """404 ``not_found``: no such object for this account (another account's
    objects are not found either)."""
    return AssetError("not_found", f"the requested {what} does not exist")


def invalid(parameter: str, message: str) -> AssetError:
    """400 ``invalid_parameter`` naming the field."""
    return AssetError("invalid_parameter", message, parameter)
