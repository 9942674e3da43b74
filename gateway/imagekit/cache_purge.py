"""ImageKit's cache purge, as the SDK's ``cache.invalidation`` calls it:

- ``POST /v1/files/purge`` ``{"url": ...}`` -> ``{"requestId": ...}``
- ``GET /v1/files/purge/{requestId}`` -> ``{"status": "Completed"}``

The URL is one the gateway serves: a media-library file
(``/<account id>/<filePath>``, only the caller's own account) or a file of
the local origin, with or without a transformation. transform_svc's Purge
makes every cached render of that source miss (each transformation, each
dialect), so the purge is done when the answer comes: its status is
``Completed`` at once. The request id is the caller's account HMAC over a
nonce, so the gateway keeps no state and one account cannot read another's
ids. Reference:
https://imagekit.io/docs/api-reference/cache-management/purge-cache
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import unquote, urlsplit

from aiohttp import web

from gateway.accounts import Account, ApiKeys
from gateway.app_state import API_KEYS, SETTINGS, TRANSFORM_CLIENT
from gateway.authenticated import keyed
from gateway.errors import RequestError
from gateway.imagekit.file_ops import json_body, required
from gateway.imagekit.handlers import strip_endpoint_path
from gateway.imagekit.support import HELP
from gateway.imagekit.urlgrammar.split import PATH_PREFIX
from imgmesh.v1 import edit_pb2, transform_pb2

NONCE_HEX = 16
MAC_HEX = 24


def purge_source(
    url: str, account: Account, keys: ApiKeys, url_endpoint: str | None
) -> edit_pb2.Source:
    """The source a served URL names (its transformation, path or query, dropped).

    Raises:
        RequestError: invalid_parameter for a URL without a file path;
            not_found for another account's library.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestError("invalid_parameter", "url is the http(s) URL of a file", "url")
    segments = strip_endpoint_path(parts.path, url_endpoint).lstrip("/").split("/")
    if segments and segments[0].startswith(PATH_PREFIX):  # /tr:w-300/a.jpg
        segments.pop(0)
    if len(segments) > 1 and segments[0] in keys.ids:
        if segments[0] != account.id:  # another account's library: not yours to purge
            raise RequestError("not_found", "The requested file does not exist.", "url")
        path = "/".join(unquote(s) for s in segments[1:])
        source = edit_pb2.Source(library=edit_pb2.LibraryFile(account=account.id, path=path))
    else:
        source = edit_pb2.Source(origin_path="/".join(unquote(s) for s in segments))
    if not segments[-1]:
        raise RequestError("invalid_parameter", "url names no file", "url")
    return source


def request_id(secret: str, nonce: str) -> str:
    """``nonce`` followed by the HMAC-SHA256 of it under ``secret`` (hex)."""
    mac = hmac.new(secret.encode(), b"purge|" + nonce.encode(), hashlib.sha256).hexdigest()
    return nonce + mac[:MAC_HEX]


async def create(request: web.Request, account: Account) -> web.StreamResponse:
    body = await json_body(request, {"url": str})
    required(body, "url")
    url = body["url"]
    keys = request.app[API_KEYS]
    source = purge_source(url, account, keys, request.app[SETTINGS].url_endpoint)
    await request.app[TRANSFORM_CLIENT].purge(transform_pb2.PurgeRequest(source=source))
    secret = keys.key_for_id(account.id) or ""
    return web.json_response({"requestId": request_id(secret, secrets.token_hex(NONCE_HEX // 2))})


async def status(request: web.Request, account: Account) -> web.StreamResponse:
    given = request.match_info["request_id"]
    secret = request.app[API_KEYS].key_for_id(account.id) or ""
    nonce = given[:NONCE_HEX]
    if len(given) != NONCE_HEX + MAC_HEX or not hmac.compare_digest(
        request_id(secret, nonce), given
    ):
        raise RequestError("not_found", "No purge request with this id.", "requestId")
    return web.json_response({"status": "Completed"})


def add_routes(app: web.Application) -> None:
    """Register ``/v1/files/purge`` (before the files routes' ``{file_id}``)."""
    app.router.add_post("/v1/files/purge", keyed(create, help=HELP), name="imagekit_purge")
    app.router.add_get(
        "/v1/files/purge/{request_id}", keyed(status, help=HELP), name="imagekit_purge_status"
    )
