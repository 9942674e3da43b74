"""Go's ``base64.RawURLEncoding``, which imgproxy uses for signatures, source
URLs and file names: the URL-safe alphabet, no padding, strict."""

from __future__ import annotations

import base64
import binascii


def encode(data: bytes) -> str:
    """Unpadded URL-safe base64 of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(text: str) -> bytes:
    """The bytes of unpadded URL-safe base64 ``text`` (callers trim any
    ``=`` where imgproxy does).

    Raises:
        ValueError: a character outside the alphabet (``=`` included) or a
            length no encoding has.
    """
    if "=" in text:
        raise ValueError("padded base64")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from exc
