"""The v2 upload's client-side authentication (``beta.v2.files.upload``): the
form's ``token`` is a JWT signed HS256 with the private key, its header's
``kid`` the public key of the pair, its payload every other form field
(``file`` and ``token`` excepted) plus ``iat`` and ``exp``, at most an hour
apart. A field in the payload and not in the form, or the other way round,
or with another value, is refused: nothing in the request can be changed
after the app's server signed it. Each token is accepted once (asset_svc
remembers the SHA-256 of it). Reference:
https://imagekit.io/docs/api-reference/upload-file/upload-file-v2
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from typing import Any

import jwt

from gateway.accounts import Account, ApiKeys, AuthError
from gateway.errors import RequestError

MAX_LIFETIME_S = 3600  # ImageKit: exp at most one hour after iat
MAX_TOKEN = 64 * 1024  # characters; a payload carries every form field but the file
UNSIGNED = ("file", "token")


def _same(signed: Any, sent: str) -> bool:
    """A payload value equals the form's text: strings as they are, booleans
    as ``true``/``false``, numbers as written, lists of strings as
    comma-joined (``tags``) or JSON, objects as equal JSON."""
    if isinstance(signed, str):
        return signed == sent
    if isinstance(signed, bool):
        return sent.strip().lower() == ("true" if signed else "false")
    if isinstance(signed, int | float):
        try:
            return float(sent) == float(signed)
        except ValueError:
            return False
    if isinstance(signed, list) and all(isinstance(v, str) for v in signed):
        if ",".join(signed) == sent:
            return True
    try:
        return json.loads(sent) == signed
    except ValueError:
        return False


def authenticate(
    keys: ApiKeys, texts: dict[str, str], now: float | None = None
) -> tuple[Account, str, float]:
    """(account, the token's SHA-256 hex, its exp) of a v2 client-side upload;
    ``token`` is removed from ``texts``.

    Raises:
        RequestError: invalid_parameter when ``token`` is missing or too long.
        AuthError: 403 invalid_api_key for an unknown ``kid``; 401
            invalid_signature for a bad signature, an expired token, a lifetime
            over an hour or a payload that differs from the form.
    """
    token = texts.pop("token", "").strip()
    if not token or len(token) > MAX_TOKEN:
        raise RequestError("invalid_parameter", "token is a JWT (or send the private key)", "token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError(401, "invalid_signature", "Invalid token.") from None
    pair = keys.by_public_key(str(header.get("kid", "")))
    if pair is None:
        raise AuthError(403, "invalid_api_key", "Your account cannot be authenticated.")
    private_key, account = pair
    try:
        with warnings.catch_warnings():  # the key's length is the operator's choice
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            payload = jwt.decode(
                token,
                private_key,
                algorithms=["HS256"],
                options={"require": ["exp", "iat"], "verify_exp": False, "verify_iat": False},
            )
    except jwt.PyJWTError:
        raise AuthError(401, "invalid_signature", "Invalid token.") from None
    exp, iat = payload.pop("exp"), payload.pop("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise AuthError(401, "invalid_signature", "Invalid token.")
    now = time.time() if now is None else now
    if exp <= now:
        raise AuthError(401, "invalid_signature", "The token has expired.")
    if exp - iat > MAX_LIFETIME_S or exp > now + MAX_LIFETIME_S:
        raise AuthError(401, "invalid_signature", "The token's lifetime is at most one hour.")
    sent = {k: v for k, v in texts.items() if k not in UNSIGNED}
    if set(payload) != set(sent) or not all(_same(payload[k], sent[k]) for k in sent):
        raise AuthError(401, "invalid_signature", "The request differs from the signed token.")
    return account, hashlib.sha256(token.encode()).hexdigest(), float(exp)
