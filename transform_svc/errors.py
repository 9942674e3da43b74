"""Errors raised while rendering, each carrying a stable ErrorCode from the contract."""

from __future__ import annotations

import grpc

from imgmesh.v1 import transform_pb2

ErrorCode = transform_pb2.ErrorCode

# ErrorCode -> the gRPC status a failed Render returns with it.
GRPC_STATUS: dict[int, grpc.StatusCode] = {
    ErrorCode.ERROR_CODE_INVALID_PARAMETER: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.ERROR_CODE_SOURCE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.ERROR_CODE_IMAGE_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.ERROR_CODE_UNSUPPORTED_IMAGE: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.ERROR_CODE_IMPOSSIBLE_EDIT: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.ERROR_CODE_MODEL_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
}

ERROR_CODE_METADATA_KEY = "imgmesh-error-code"


def code_name(code: int) -> str:
    """``ERROR_CODE_SOURCE_NOT_FOUND`` -> ``source_not_found`` (the public, stable name)."""
    return ErrorCode.Name(code).removeprefix("ERROR_CODE_").lower()


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

    @property
    def grpc_status(self) -> grpc.StatusCode:
        """The gRPC status code for this error."""
        return GRPC_STATUS.get(self.code, grpc.StatusCode.INTERNAL)


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


def too_large(message: str) -> TransformError:
    return TransformError(ErrorCode.ERROR_CODE_IMAGE_TOO_LARGE, message)
