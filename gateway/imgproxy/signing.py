"""imgproxy's URL signature (``security/signature.go``,
https://docs.imgproxy.net/usage/signing_url): HMAC-SHA256 keyed by the key
over the salt then the path (with its leading ``/``), unpadded urlsafe
base64, truncated to ``IMGPROXY_SIGNATURE_SIZE`` bytes. Several key/salt
pairs rotate keys; ``IMGPROXY_TRUSTED_SIGNATURES`` pass as they are."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.imgproxy import b64

FULL_SIZE = 32  # bytes of an HMAC-SHA256


class SignatureError(ValueError):
    """The signature does not verify (imgproxy answers 403)."""


@dataclass(frozen=True)
class SigningConfig:
    """Key material as bytes (the settings hold hex).

    Attributes:
        keys / salts: pairs, in order (IMGPROXY_KEY / IMGPROXY_SALT, comma lists).
        size: signature bytes, 1..32 (IMGPROXY_SIGNATURE_SIZE).
        trusted: signatures accepted as they are (IMGPROXY_TRUSTED_SIGNATURES).
    """

    keys: Sequence[bytes] = ()
    salts: Sequence[bytes] = ()
    size: int = FULL_SIZE
    trusted: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def from_hex(
        cls, keys: str, salts: str, size: int = FULL_SIZE, trusted: Sequence[str] = ()
    ) -> SigningConfig:
        """From the settings' comma-separated hex lists.

        Raises:
            ValueError: a value that is not hex, or unequal numbers of keys and salts.
        """
        k = [bytes.fromhex(v) for v in keys.split(",") if v.strip()]
        s = [bytes.fromhex(v) for v in salts.split(",") if v.strip()]
        if len(k) != len(s):
            raise ValueError("IMGPROXY_KEY and IMGPROXY_SALT need as many values each")
        return cls(tuple(k), tuple(s), size, tuple(trusted))


def _mac(path: str, key: bytes, salt: bytes, size: int) -> bytes:
    """HMAC-SHA256 of salt + path (a leading ``/`` added when missing), truncated."""
    message = salt + (b"" if path.startswith("/") else b"/") + path.encode()
    return hmac.new(key, message, hashlib.sha256).digest()[: min(size, FULL_SIZE)]


def sign(path: str, key: bytes, salt: bytes, size: int = FULL_SIZE) -> str:
    """The signature of ``path``."""
    return b64.encode(_mac(path, key, salt, size))


def verify(signature: str, path: str, config: SigningConfig) -> None:
    """Accept or refuse ``signature`` for ``path``.

    With no key and salt any signature passes except one holding ``:`` (an
    option where the signature should be).

    Raises:
        SignatureError: malformed or not matching any key/salt pair.
    """
    if not config.keys or not config.salts:
        if ":" in signature:
            raise SignatureError("malformed signature")
        return
    if signature in config.trusted:
        return
    try:
        given = b64.decode(signature)
    except ValueError:
        raise SignatureError("invalid signature encoding") from None
    for key, salt in zip(config.keys, config.salts, strict=True):
        if hmac.compare_digest(given, _mac(path, key, salt, config.size)):
            return
    raise SignatureError("invalid signature")
