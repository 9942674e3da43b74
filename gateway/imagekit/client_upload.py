"""Client-side uploads (a browser or app holding no private key): the
upload form carries ``publicKey``, ``token``, ``expire`` and ``signature``,
the HMAC-SHA1 of ``token + expire`` keyed by the private key of the pair
(what the SDK's ``helper.get_authentication_parameters()`` makes on the
app's server). ``expire`` is a unix time at most one hour ahead; each token
is accepted once (asset_svc remembers it).
https://imagekit.io/docs/api-reference/upload-file/upload-file#how-to-implement-client-side-file-upload
"""

from __future__ import annotations

import hashlib
import hmac
import time

from gateway.accounts import Account, ApiKeys, AuthError
from gateway.errors import RequestError

FIELDS = ("publicKey", "token", "expire", "signature")
MAX_AHEAD_S = 3600  # ImageKit: "expire ... less than 1 hour into the future"
MAX_TOKEN = 128  # characters (asset_svc's upload_tokens.token)


def signature(private_key: str, token: str, expire: str) -> str:
    """HMAC-SHA1 hex of ``token + expire`` keyed by ``private_key``."""
    return hmac.new(private_key.encode(), (token + expire).encode(), hashlib.sha1).hexdigest()


def authenticate(
    keys: ApiKeys, texts: dict[str, str], now: float | None = None
) -> tuple[Account, str, float]:
    """(account, token, expire) of a client-side upload's form, its four
    fields removed from ``texts``.

    Raises:
        AuthError: 403 ``invalid_api_key`` for an unknown public key;
            401 ``invalid_signature`` for a signature that does not match.
        RequestError: invalid_parameter for a missing field, a token over
            128 characters, or an expire in the past or over an hour ahead.
    """
    values = {name: texts.pop(name, "").strip() for name in FIELDS}
    for name, value in values.items():
        if not value:
            raise RequestError("invalid_parameter", f"{name} is required", name)
    pair = keys.by_public_key(values["publicKey"])
    if pair is None:
        raise AuthError(403, "invalid_api_key", "Your account cannot be authenticated.")
    private_key, account = pair
    if len(values["token"]) > MAX_TOKEN:
        raise RequestError("invalid_parameter", f"token is 1..{MAX_TOKEN} characters", "token")
    if (
        not (values["expire"].isascii() and values["expire"].isdigit())
        or len(values["expire"]) > 12
    ):
        raise RequestError("invalid_parameter", "expire is a unix time in seconds", "expire")
    expire = int(values["expire"])
    now = time.time() if now is None else now
    if expire < now:
        raise RequestError("invalid_parameter", "The expire parameter is in the past.", "expire")
    if expire > now + MAX_AHEAD_S:
        raise RequestError(
            "invalid_parameter",
            "The expire parameter must be less than 1 hour into the future.",
            "expire",
        )
    expected = signature(private_key, values["token"], values["expire"])
    if not hmac.compare_digest(expected, values["signature"].lower()):
        raise AuthError(401, "invalid_signature", "Invalid signature.")
    return account, values["token"], float(expire)
