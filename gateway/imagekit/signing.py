"""ImageKit signed URLs (``ik-s`` signature, ``ik-t`` expiry).

Algorithm (https://imagekit.io/docs/media-delivery-basic-security#signed-urls,
and ImageKit SDKs' ``getSignature``): the signed string is the URL after the
endpoint (path-form transformation, path and query string, without ``ik-s``
and ``ik-t``) followed by the expiry as decimal unix seconds, or
``9999999999`` when the URL never expires (then ``ik-t`` is omitted);
``ik-s`` = lowercase hex HMAC-SHA1 of it keyed by the private key.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

NO_EXPIRY = "9999999999"
SIGNATURE_PARAMS = ("ik-s", "ik-t")
REQUIRE_MODES = ("none", "ai", "all")


@dataclass(frozen=True)
class SignatureError(Exception):
    """Why a URL is refused (HTTP 401).

    Attributes:
        code: ``signature_required``, ``invalid_signature`` or ``url_expired``.
    """

    code: str
    message: str


def unsigned_part(path: str, raw_query: str) -> str:
    """The URL after the endpoint, without the signature parameters.

    Args:
        path: raw (still percent-encoded) request path, starting with ``/``.
        raw_query: raw query string without ``?``.
    """
    kept = [
        part
        for part in raw_query.split("&")
        if part and part.split("=", 1)[0] not in SIGNATURE_PARAMS
    ]
    return path.lstrip("/") + ("?" + "&".join(kept) if kept else "")


def sign(key: str, path: str, raw_query: str = "", expires: int | None = None) -> str:
    """Lowercase hex ``ik-s`` for a URL (``expires`` unix seconds, None = never)."""
    message = unsigned_part(path, raw_query) + (str(expires) if expires else NO_EXPIRY)
    return hmac.new(key.encode(), message.encode(), hashlib.sha1).hexdigest()


def verify(
    key: str | None, path: str, raw_query: str, *, required: bool, now: float | None = None
) -> bool:
    """Check the request's signature.

    Returns:
        True if the URL carried a valid signature, False if it carried none
        (and none was required).

    Raises:
        SignatureError: missing where required, wrong, or expired.
    """
    params = dict(parse_qsl(raw_query, keep_blank_values=True))
    signature = params.get("ik-s")
    if signature is None:
        if required:
            raise SignatureError("signature_required", "this URL must be signed (ik-s)")
        return False
    if not key:
        raise SignatureError("invalid_signature", "signed URLs are not configured")
    expiry = params.get("ik-t", NO_EXPIRY)
    if not (expiry.isascii() and expiry.isdigit()):
        raise SignatureError("invalid_signature", "ik-t must be unix seconds")
    message = unsigned_part(path, raw_query) + expiry
    expected = hmac.new(key.encode(), message.encode(), hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise SignatureError("invalid_signature", "ik-s does not match this URL")
    if expiry != NO_EXPIRY and int(expiry) < (now if now is not None else time.time()):
        raise SignatureError("url_expired", "the signed URL has expired (ik-t)")
    return True
