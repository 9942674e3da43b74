"""Public error codes: the one table of code -> HTTP status, shared by the
gateway (its own errors and the ones transform_svc reports) and transform_svc
(which sends the code and the status with every failed Render).

A failed Render carries two trailing metadata entries: the public code
(:data:`ERROR_CODE_METADATA_KEY`) and the HTTP status the public APIs answer
with (:data:`HTTP_STATUS_METADATA_KEY`). The README's error table lists the
same codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from imgmesh.v1 import transform_pb2

ErrorCode = transform_pb2.ErrorCode

ERROR_CODE_METADATA_KEY = "imgmesh-error-code"
HTTP_STATUS_METADATA_KEY = "imgmesh-http-status"
# The request field at fault, when there is one (asset_svc's validation errors).
PARAMETER_METADATA_KEY = "imgmesh-parameter"

# public code -> HTTP status
HTTP_STATUS: dict[str, int] = {
    "invalid_parameter": 400,
    "unknown_parameter": 400,
    "missing_source": 400,
    "conflicting_parameters": 400,
    "thumbor_signature_mismatch": 400,  # thumbor answers 400, not 401
    "thumbor_unsafe_not_allowed": 400,
    "imgproxy_invalid_url": 404,  # imgproxy answers a bad path or option 404
    "imgproxy_signature_mismatch": 403,
    "imgproxy_forbidden_option": 403,
    "imgproxy_option_not_supported": 501,
    "cloudinary_signature_mismatch": 401,  # Cloudinary answers a bad s--SIG-- 401
    "cloudinary_signature_required": 401,  # private/authenticated, strict transformations
    "cloudinary_not_supported": 501,
    "limit_exceeded": 400,
    "invalid_request": 400,
    "checks_failed": 400,  # an upload that fails its ImageKit upload checks
    "file_exists": 400,  # upload with overwriteFile=false onto an existing path
    "name_conflict": 409,  # a file or definition name already taken (ImageKit's 409)
    "signature_required": 401,
    "invalid_signature": 401,
    "url_expired": 401,
    "upload_token_used": 401,  # a client-side upload token replayed
    "missing_api_key": 401,
    "quota_exceeded": 402,
    "invalid_api_key": 403,
    "source_forbidden": 403,
    "source_not_found": 404,
    "not_found": 404,
    "method_not_allowed": 405,
    "image_too_large": 413,
    "job_queue_full": 429,  # an account's job backlog is at its bound
    "unsupported_image": 415,
    "impossible_edit": 422,
    "internal": 500,
    "origin_unavailable": 502,
    "model_unavailable": 503,
    "transform_unavailable": 503,
    "asset_unavailable": 503,
    "overloaded": 503,
    "render_failed": 503,
    "timeout": 504,
}

# ErrorCode (transform.proto) -> public code. MODEL_NOT_DEPLOYED is public as
# "model_unavailable" too, but answered 501 Not Implemented: the operation
# exists, its model slot is empty (a 503 would invite retries that cannot help).
PUBLIC_CODE: dict[int, str] = {
    ErrorCode.ERROR_CODE_INVALID_PARAMETER: "invalid_parameter",
    ErrorCode.ERROR_CODE_SOURCE_NOT_FOUND: "source_not_found",
    ErrorCode.ERROR_CODE_IMAGE_TOO_LARGE: "image_too_large",
    ErrorCode.ERROR_CODE_UNSUPPORTED_IMAGE: "unsupported_image",
    ErrorCode.ERROR_CODE_IMPOSSIBLE_EDIT: "impossible_edit",
    ErrorCode.ERROR_CODE_MODEL_UNAVAILABLE: "model_unavailable",
    ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE: "origin_unavailable",
    ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN: "source_forbidden",
    ErrorCode.ERROR_CODE_MODEL_NOT_DEPLOYED: "model_unavailable",
    ErrorCode.ERROR_CODE_OVERLOADED: "overloaded",
    ErrorCode.ERROR_CODE_RENDER_FAILED: "render_failed",
    ErrorCode.ERROR_CODE_TIMEOUT: "timeout",
    ErrorCode.ERROR_CODE_LIMIT_EXCEEDED: "limit_exceeded",
}


def http_status(error_code: int) -> int:
    """HTTP status for an ``ErrorCode`` (500 for one not in the table)."""
    if error_code == ErrorCode.ERROR_CODE_MODEL_NOT_DEPLOYED:
        return 501
    return HTTP_STATUS.get(PUBLIC_CODE.get(error_code, "internal"), 500)


@dataclass(frozen=True)
class PublicError:
    """What a failed call's trailing metadata says (all None when the call
    never reached a service that sets it, e.g. the connection failed)."""

    code: str | None
    http_status: int | None
    parameter: str | None


def public_error(metadata: Iterable[tuple[str, str | bytes]] | None) -> PublicError:
    """Read the public code, HTTP status and parameter from a gRPC call's
    trailing metadata (``exc.trailing_metadata()``)."""
    meta = {k: v if isinstance(v, str) else v.decode() for k, v in metadata or ()}
    status = meta.get(HTTP_STATUS_METADATA_KEY, "")
    return PublicError(
        meta.get(ERROR_CODE_METADATA_KEY),
        int(status) if status.isdigit() else None,
        meta.get(PARAMETER_METADATA_KEY),
    )
