"""The thumbor URL handler: ``GET /thumbor/(unsafe|<hash>)/...`` (and the
root path when ``IMGMESH_ROOT_DIALECT=thumbor``) -> URL grammar ->
libthumbor signature check -> EditGraph -> :mod:`gateway.rendering`.

Status codes as thumbor 7.8 answers them: 400 for a URL without an image, a
hash that does not match, or ``unsafe/`` when it is not allowed; the mesh's
own 404/413/415/422/503 otherwise."""

from __future__ import annotations

import json
import logging
import re

from aiohttp import web

from contract.facts import graph_facts
from gateway import model_choice
from gateway.app_state import SETTINGS
from gateway.errors import RequestError, error_response, request_error_response
from gateway.negotiation import accepted_formats
from gateway.rendering import render, respond
from gateway.thumbor import geometry, signing
from gateway.thumbor.compile import Compiled, compile_request
from gateway.thumbor.urlgrammar import ThumborURLError, parse
from imgmesh.v1 import edit_pb2, transform_pb2

PREFIX = "/thumbor"
CALLBACK_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]{0,63}")
# thumbor's origin names for what its detectors found (thumbor/detectors/)
DETECTOR_ORIGIN = {"face": "Face Detection"}
LOG = logging.getLogger("imgmesh.gateway.thumbor")


def dialect_path(raw_path: str, prefix: str) -> str:
    """The raw path after the dialect's ``prefix`` ("" at the root)."""
    return raw_path[len(prefix) :] if prefix and raw_path.startswith(prefix + "/") else raw_path


async def serve(request: web.Request, prefix: str) -> web.StreamResponse:
    """Answer one thumbor URL found under ``prefix``."""
    config = request.app[SETTINGS]
    raw_path = dialect_path(request.raw_path.partition("?")[0], prefix)
    try:
        req = parse(raw_path)
    except ThumborURLError as exc:
        return error_response("invalid_request", str(exc))
    if req.unsafe:
        if not config.thumbor_allow_unsafe_url:
            return error_response("thumbor_unsafe_not_allowed", "unsafe URLs are not allowed")
    elif req.signature is None or not config.thumbor_security_key:
        return error_response(
            "thumbor_signature_mismatch", "the URL has neither a valid hash nor unsafe/"
        )
    elif not signing.valid(config.thumbor_security_key, req.signed_part, req.signature):
        if config.thumbor_log_signatures:
            LOG.warning("thumbor signature mismatch over %r", req.signed_part)
        return error_response("thumbor_signature_mismatch", "the URL's hash does not match")
    accepted = accepted_formats(request.headers.get("Accept"))
    compiled = compile_request(
        req,
        accepted=accepted,
        quality=config.thumbor_quality,
        auto_webp=config.thumbor_auto_webp,
        auto_avif=config.thumbor_auto_avif,
        max_age=config.thumbor_max_age,
        max_width=config.thumbor_max_width,
        max_height=config.thumbor_max_height,
    )
    facts = graph_facts(compiled.graph)
    try:
        model_choice.apply(facts, request.headers.get(model_choice.HEADER))
    except RequestError as exc:
        return request_error_response(exc)
    reply = await render(request, compiled.graph, facts)
    if isinstance(reply, web.StreamResponse):
        return reply
    if req.meta:
        return meta_response(request, compiled, reply)
    auto_format = config.thumbor_auto_webp or config.thumbor_auto_avif
    headers = {"Vary": "Accept"} if auto_format else {}
    return await respond(
        request, reply, headers, cache_control=f"max-age={compiled.max_age},public"
    )


def _box(box: edit_pb2.Box) -> tuple[int, int, int, int]:
    return box.left, box.top, box.left + box.width, box.top + box.height


def meta_response(
    request: web.Request,
    compiled: Compiled,
    reply: transform_pb2.RenderReply,
) -> web.Response:
    """thumbor's ``meta/`` JSON for the rendered source: the operations of
    :mod:`gateway.thumbor.geometry` on the source size the render reported,
    the detected focal points among them; JSONP (``text/javascript``) when
    ``IMGMESH_THUMBOR_META_CALLBACK_NAME`` or a ``callback`` query argument
    names a function (thumbor's ``META_CALLBACK_NAME``)."""
    detected = [
        (r.left, r.top, r.right, r.bottom, DETECTOR_ORIGIN.get(r.origin, r.origin))
        for r in reply.focal_regions
    ]
    planned = geometry.plan(
        compiled.request,
        geometry.normalized((reply.source_width, reply.source_height), compiled.normalized),
        stretch=compiled.stretch,
        explicit=list(compiled.focal),
        detected=detected,
        trimmed=_box(reply.trimmed) if reply.HasField("trimmed") else None,
    )
    body = json.dumps(planned.to_json(compiled.image, reply.source_frames or 1))
    callback = request.app[SETTINGS].thumbor_meta_callback_name or request.query.get("callback")
    if callback and CALLBACK_NAME.fullmatch(callback):  # never echo script into JSONP
        return web.Response(text=f"{callback}({body});", content_type="text/javascript")
    return web.Response(text=body, content_type="application/json")


async def prefixed_handler(request: web.Request) -> web.StreamResponse:
    """``/thumbor/...``."""
    return await serve(request, PREFIX)


async def root_handler(request: web.Request) -> web.StreamResponse:
    """The root path, when thumbor is the root dialect."""
    return await serve(request, "")


def add_routes(app: web.Application) -> None:
    """Register ``/thumbor/{tail}`` (GET and HEAD)."""
    app.router.add_get(PREFIX + "/{tail:.+}", prefixed_handler, name="thumbor")
