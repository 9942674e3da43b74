"""The ImageKit image URL handler: ``GET /<path>?tr=...`` (or ``/tr:.../<path>``)
-> URL grammar -> signed-URL check -> graph limits -> Render -> image bytes.

A path under an account's URL endpoint, ``/<account id>/<filePath>``, is a
media-library file (private files need a URL signed with that account's key);
any other path is a file of the local origin."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import grpc
from aiohttp import web

from contract.facts import graph_facts
from gateway import model_choice
from gateway.app_state import API_KEYS, NAMED, SETTINGS
from gateway.errors import (
    RequestError,
    error_response,
    from_rpc_error,
    request_error_response,
)
from gateway.imagekit.definitions import account_named
from gateway.imagekit.signing import SignatureError, verify
from gateway.imagekit.urlgrammar import ClientHints, build_graph, split_request
from gateway.negotiation import accepted_formats, client_hint
from gateway.rendering import render, respond
from imgmesh.v1 import edit_pb2

ACCEPT_CH = "Sec-CH-DPR, Sec-CH-Width, DPR, Width"


def client_hints(request: web.Request) -> ClientHints:
    """Sec-CH-DPR / DPR (ratio) and Sec-CH-Width / Width (px) request headers."""
    headers = request.headers
    width = client_hint(headers, "Sec-CH-Width", "Width")
    return ClientHints(
        dpr=client_hint(headers, "Sec-CH-DPR", "DPR"), width=int(width) if width else None
    )


def raw_tr(raw_query: str) -> str | None:
    """The ``tr`` value of a raw query string, still percent-encoded (the
    grammar splits it before decoding); None when absent."""
    for part in raw_query.split("&"):
        key, _, value = part.partition("=")
        if unquote(key) == "tr":
            return value
    return None


def strip_endpoint_path(raw_path: str, url_endpoint: str | None) -> str:
    """``raw_path`` without the path prefix of the URL endpoint
    (``IMGMESH_URL_ENDPOINT=https://img.example.com/prefix`` serves
    ``/prefix/tr:w-300/a.jpg``): what follows is what ImageKit's SDKs sign.
    A request without the prefix (a proxy already removed it) is kept."""
    prefix = urlsplit(url_endpoint).path.rstrip("/") if url_endpoint else ""
    if prefix and raw_path.startswith(prefix + "/"):
        return raw_path[len(prefix) :]
    return raw_path


async def image_handler(request: web.Request) -> web.StreamResponse:
    """GET an image through the ImageKit URL grammar."""
    config = request.app[SETTINGS]
    keys = request.app[API_KEYS]
    raw_path, _, raw_query = request.raw_path.partition("?")
    raw_path = strip_endpoint_path(raw_path, config.url_endpoint)
    # /<account>/...: a file in that account's media library (its URL endpoint).
    raw_first, _, rest = raw_path.lstrip("/").partition("/")
    first = unquote(raw_first)
    # The raw segment must be the id itself (no percent-encoding), so that the
    # signature below covers exactly the path that is served.
    library = first if first in keys.ids and rest and raw_first == first else None
    signing_key = config.signing_key
    if library is not None:
        raw_path = raw_path[len(first) + 1 :]
        signing_key = keys.key_for_id(library)
    named = request.app[NAMED]
    tr = raw_tr(raw_query)
    if library is not None and "n-" in f"{raw_path}?{tr}":  # the account's own names too
        try:
            named = await account_named(request.app, library)
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc, "asset_unavailable")
    try:
        chain, source = split_request(raw_path, tr, named)
        built = build_graph(
            chain, source, accepted_formats(request.headers.get("Accept")), client_hints(request)
        )
        facts = graph_facts(built.graph)
        model_choice.apply(facts, request.headers.get(model_choice.HEADER))
        required = config.require_signed == "all" or (
            config.require_signed == "ai" and facts.has_ai
        )
        signed = verify(  # over the URL as the client sent it (undecoded), as ImageKit's SDKs sign
            signing_key,
            raw_path,
            raw_query,
            required=required,
        )
    except RequestError as exc:
        return request_error_response(exc)
    except SignatureError as exc:
        return error_response(exc.code, exc.message)
    if library is not None:
        built.graph.source.library.CopyFrom(
            edit_pb2.LibraryFile(
                account=library,
                path=built.graph.source.origin_path,
                signed=signed,
                version_id=request.query.get("ik-obj-version", ""),
            )
        )
    fallbacks = [built.default_image] if built.default_image else []
    reply = await render(request, built.graph, facts, fallbacks=fallbacks)
    if isinstance(reply, web.StreamResponse):
        return reply
    vary = "Accept" + (", " + ACCEPT_CH if built.uses_client_hints else "")
    if facts.segmentation:
        vary += ", " + model_choice.HEADER
    headers = {"Vary": vary, "Accept-CH": ACCEPT_CH}
    if built.content_dpr is not None and not (reply.intermediate or reply.not_modified):
        headers["Content-DPR"] = f"{built.content_dpr:g}"
    return await respond(request, reply, headers, cache_control=config.cache_control)
