"""Errors raised while rendering, each carrying a stable ErrorCode from the contract.

A failed Render returns a gRPC status plus two trailing metadata entries: the
public error code (``imgmesh-error-code``) and the HTTP status the public APIs
answer with (``imgmesh-http-status``), so the mapping lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from imgmesh.v1 import transform_pb2

ErrorCode = transform_pb2.ErrorCode

ERROR_CODE_METADATA_KEY = "imgmesh-error-code"
HTTP_STATUS_METADATA_KEY = "imgmesh-http-status"


@dataclass(frozen=True)
class ErrorKind:
    """How one ErrorCode surfaces: gRPC status, HTTP status, public code."""

    grpc_status: grpc.StatusCode
    http_status: int
    public_code: str


KINDS: dict[int, ErrorKind] = {
    ErrorCode.ERROR_CODE_INVALID_PARAMETER: ErrorKind(
        grpc.StatusCode.INVALID_ARGUMENT, 400, "invalid_parameter"
    ),
    ErrorCode.ERROR_CODE_SOURCE_NOT_FOUND: ErrorKind(
        grpc.StatusCode.NOT_FOUND, 404, "source_not_found"
    ),
    ErrorCode.ERROR_CODE_IMAGE_TOO_LARGE: ErrorKind(
        grpc.StatusCode.RESOURCE_EXHAUSTED, 413, "image_too_large"
    ),
    ErrorCode.ERROR_CODE_UNSUPPORTED_IMAGE: ErrorKind(
        grpc.StatusCode.INVALID_ARGUMENT, 415, "unsupported_image"
    ),
    ErrorCode.ERROR_CODE_IMPOSSIBLE_EDIT: ErrorKind(
        grpc.StatusCode.FAILED_PRECONDITION, 422, "impossible_edit"
    ),
    ErrorCode.ERROR_CODE_MODEL_UNAVAILABLE: ErrorKind(
        grpc.StatusCode.UNAVAILABLE, 503, "model_unavailable"
    ),
    ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE: ErrorKind(
        grpc.StatusCode.UNAVAILABLE, 502, "origin_unavailable"
    ),
    ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN: ErrorKind(
        grpc.StatusCode.PERMISSION_DENIED, 403, "source_forbidden"
    ),
    ErrorCode.ERROR_CODE_MODEL_NOT_DEPLOYED: ErrorKind(
        grpc.StatusCode.UNIMPLEMENTED, 501, "model_unavailable"
    ),
    ErrorCode.ERROR_CODE_OVERLOADED: ErrorKind(
        grpc.StatusCode.RESOURCE_EXHAUSTED, 503, "overloaded"
    ),
    ErrorCode.ERROR_CODE_RENDER_FAILED: ErrorKind(
        grpc.StatusCode.UNAVAILABLE, 503, "render_failed"
    ),
    ErrorCode.ERROR_CODE_TIMEOUT: ErrorKind(grpc.StatusCode.DEADLINE_EXCEEDED, 504, "timeout"),
    ErrorCode.ERROR_CODE_LIMIT_EXCEEDED: ErrorKind(
        grpc.StatusCode.INVALID_ARGUMENT, 400, "limit_exceeded"
    ),
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
