"""libthumbor's URL signing, byte for byte: the urlsafe base64 (with
padding) of HMAC-SHA1, keyed by ``SECURITY_KEY``, over the path after the
hash segment exactly as sent (still percent-encoded).
libthumbor/crypto.py ``CryptoURL.generate``; thumbor/signers/url_signer.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(key: str, signed_part: str) -> str:
    """The 28-character hash libthumbor puts before ``signed_part``
    (e.g. ``300x200/photos/coffee.png``)."""
    digest = hmac.new(key.encode(), signed_part.encode(), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode()


def valid(key: str, signed_part: str, given: str) -> bool:
    """``given`` is the signature of ``signed_part`` (constant-time)."""
    return hmac.compare_digest(signature(key, signed_part).encode(), given.encode())


def signed_url(key: str, signed_part: str) -> str:
    """``/<hash>/<signed_part>``, as ``CryptoURL.generate`` returns it."""
    return f"/{signature(key, signed_part)}/{signed_part}"
