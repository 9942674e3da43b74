"""Cloudinary delivery URL signatures, byte-exact with the SDKs
(pycloudinary ``cloudinary_url``, https://cloudinary.com/documentation/control_access_to_media#signed_delivery_urls):
``s--`` + the first 8 characters of the URL-safe base64 of SHA-1 (or SHA-256)
over ``<components>/<public_id>[.<format>]`` followed by the API secret, then
``--``; a long signature is 32 characters of SHA-256. The version is not
signed."""

from __future__ import annotations

import base64
import hashlib
import hmac

SHORT_LENGTH = 8  # characters (pycloudinary SHORT_URL_SIGNATURE_LENGTH)
LONG_LENGTH = 32  # characters, always SHA-256 (LONG_URL_SIGNATURE_LENGTH)
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def sign(signed_part: str, api_secret: str, algorithm: str = "sha1", *, long: bool = False) -> str:
    """The signature characters (without ``s--``/``--``) of ``signed_part``.

    Raises:
        KeyError: an algorithm other than sha1 / sha256.
    """
    hash_fn = ALGORITHMS["sha256" if long else algorithm]
    digest = hash_fn((signed_part + api_secret).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[: LONG_LENGTH if long else SHORT_LENGTH]


def valid(signature: str, signed_part: str, api_secret: str, algorithm: str = "sha1") -> bool:
    """True when ``signature`` (8 or 32 characters) is the SDKs' signature of
    ``signed_part``; compared in constant time."""
    if not api_secret:
        return False
    long = len(signature) == LONG_LENGTH
    expected = sign(signed_part, api_secret, algorithm, long=long)
    return hmac.compare_digest(expected, signature)
