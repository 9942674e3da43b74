"""The one way every URL dialect renders a compiled EditGraph: the graph
limits, the Render call to transform_svc (with an optional fallback source
for a missing one, ImageKit's ``di-``), and the image response (ETag,
Last-Modified, 304, ImageKit's intermediate response, streaming).

A dialect compiles its URL to a graph and calls :func:`render` then
:func:`respond`; it never builds a pipeline of its own."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import formatdate

import grpc
from aiohttp import web

from contract.facts import GraphFacts
from contract.limits import GraphLimitError, check_graph
from gateway.app_state import LIMITS, SETTINGS, TRANSFORM_CLIENT
from gateway.errors import from_rpc_error, graph_limit_response
from gateway.responses import stream_image
from imgmesh.v1 import edit_pb2, transform_pb2

INTERMEDIATE_BODY = (
    "<!DOCTYPE html><html><head><title>Preparing</title></head>"
    "<body><p>The asset is currently being prepared. Please retry in a few seconds.</p>"
    "</body></html>"
)


async def render(
    request: web.Request,
    graph: edit_pb2.EditGraph,
    facts: GraphFacts,
    *,
    fallbacks: Sequence[str] = (),
) -> transform_pb2.RenderReply | web.Response:
    """Check ``graph`` against the limits and render it.

    Returns the reply, or the error response to send (413/422 graph limits,
    the RPC's status mapped by :func:`gateway.errors.from_rpc_error`). A 404
    source is rendered again from each origin path of ``fallbacks`` in turn
    (ImageKit's ``di-``, Cloudinary's ``d_`` and its local origin after the
    media library).
    """
    try:
        check_graph(graph, request.app[LIMITS], facts)
    except GraphLimitError as exc:
        return graph_limit_response(exc)
    client = request.app[TRANSFORM_CLIENT]
    call = transform_pb2.RenderRequest(
        graph=graph,
        if_none_match=request.headers.get("If-None-Match", ""),
        ai_budget_ms=request.app[SETTINGS].ai_budget_ms,
    )
    for fallback in ("", *fallbacks):
        if fallback:
            call.graph.source.origin_path = fallback
        try:
            return await client.render(call)
        except grpc.aio.AioRpcError as exc:
            response = from_rpc_error(exc)
            if response.status != 404:
                return response
    return response


async def probe(
    request: web.Request, source: edit_pb2.Source
) -> transform_pb2.ProbeReply | web.Response:
    """The header of ``source`` (upright size, frames, format), or the error
    response to send (the RPC's status as :func:`render` maps it)."""
    try:
        return await request.app[TRANSFORM_CLIENT].probe(transform_pb2.ProbeRequest(source=source))
    except grpc.aio.AioRpcError as exc:
        return from_rpc_error(exc)


async def analyze(
    request: web.Request, call: transform_pb2.AnalyzeRequest
) -> transform_pb2.AnalyzeReply | web.Response:
    """What ``call`` asks of its source, or the error response to send."""
    try:
        return await request.app[TRANSFORM_CLIENT].analyze(call)
    except grpc.aio.AioRpcError as exc:
        return from_rpc_error(exc)


async def respond(
    request: web.Request,
    reply: transform_pb2.RenderReply,
    headers: dict[str, str],
    *,
    cache_control: str,
) -> web.StreamResponse:
    """The image response of ``reply``: ``headers`` (Vary and the dialect's
    own) plus Cache-Control, ETag, Last-Modified, Content-Type and
    ``X-Imgmesh-Cache``; 304 for a matching ``If-None-Match``; the
    intermediate HTML page (``is-intermediate-response``) when the AI
    budget ran out."""
    if reply.intermediate:
        headers.update({"is-intermediate-response": "true", "Cache-Control": "no-store"})
        return web.Response(text=INTERMEDIATE_BODY, content_type="text/html", headers=headers)
    headers["Cache-Control"] = cache_control
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.last_modified_unix:
        headers["Last-Modified"] = formatdate(reply.last_modified_unix, usegmt=True)
    if reply.not_modified:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = reply.content_type
    headers["X-Imgmesh-Cache"] = "hit" if reply.cache_hit else "miss"
    return await stream_image(request, reply.image, headers)
