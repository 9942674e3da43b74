"""Errors raised while rendering, each carrying a stable ErrorCode from the contract.

A failed Render returns a gRPC status plus two trailing metadata entries (the
public error code and its HTTP status, :mod:`contract.errors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from contract.errors import (  # noqa: F401 - re-exported for the server
    ERROR_CODE_METADATA_KEY,
    HTTP_STATUS_METADATA_KEY,
    PUBLIC_CODE,
    http_status,
)
from imgmesh.v1 import transform_pb2

ErrorCode = transform_pb2.ErrorCode

# How each ErrorCode travels as a gRPC status (the HTTP side is contract.errors).
GRPC_STATUS: dict[int, grpc.StatusCode] = {
    ErrorCode.ERROR_CODE_INVALID_PARAMETER: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.ERROR_CODE_SOURCE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.ERROR_CODE_IMAGE_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.ERROR_CODE_UNSUPPORTED_IMAGE: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.ERROR_CODE_IMPOSSIBLE_EDIT: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.ERROR_CODE_MODEL_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.ERROR_CODE_MODEL_NOT_DEPLOYED: grpc.StatusCode.UNIMPLEMENTED,
    ErrorCode.ERROR_CODE_OVERLOADED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.ERROR_CODE_RENDER_FAILED: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.ERROR_CODE_TIMEOUT: grpc.StatusCode.DEADLINE_EXCEEDED,
    ErrorCode.ERROR_CODE_LIMIT_EXCEEDED: grpc.StatusCode.INVALID_ARGUMENT,
}


@dataclass(frozen=True)
class ErrorKind:
    """How one ErrorCode surfaces: gRPC status, HTTP status, public code."""

    grpc_status: grpc.StatusCode
    http_status: int
    public_code: str


KINDS: dict[int, ErrorKind] = {
    code: ErrorKind(GRPC_STATUS[code], http_status(code), PUBLIC_CODE[code]) for code in PUBLIC_CODE
}
INTERNAL = ErrorKind(grpc.StatusCode.INTERNAL, 500, "internal")


class TransformError(Exception):
    """A render failure the client caused or that a dependency caused.

    Attributes:
        code: an ``ErrorCode`` value.
        message: human-readable, safe to show (never contains server paths).
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[TransformError], tuple[int, str]]:
        """Picklable with both fields (errors cross the render-worker boundary)."""
        return (TransformError, (self.code, self.message))

    @property
    def kind(self) -> ErrorKind:
        """gRPC status, HTTP status and public code of this error."""
        return KINDS.get(self.code, INTERNAL)


def not_found(message: str = "source image not found") -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_SOURCE_NOT_FOUND, message)


def unsupported(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_UNSUPPORTED_IMAGE, message)


def impossible(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_IMPOSSIBLE_EDIT, message)


def invalid(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_INVALID_PARAMETER, message)


def model_unavailable(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_MODEL_UNAVAILABLE, message)


def model_not_deployed(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_MODEL_NOT_DEPLOYED, message)


def too_large(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_IMAGE_TOO_LARGE, message)


def overloaded(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_OVERLOADED, message)


def render_failed(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_RENDER_FAILED, message)


def timed_out(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_TIMEOUT, message)


def limit_exceeded(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_LIMIT_EXCEEDED, message)
