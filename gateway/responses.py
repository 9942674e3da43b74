"""The one image-response writer of every dialect, and the graph-limit error
response."""

from __future__ import annotations

from aiohttp import web

from contract.errors import HTTP_STATUS
from contract.limits import GraphLimitError


async def stream_image(
    request: web.Request, data: bytes, headers: dict[str, str]
) -> web.StreamResponse:
    """Send encoded image bytes with ``headers`` (Content-Type among them) and
    an exact Content-Length, without another copy of the bytes."""
    response = web.StreamResponse(headers=headers)
    response.content_length = len(data)
    await response.prepare(request)
    await response.write(data)
    await response.write_eof()
    return response


def graph_limit_response(exc: GraphLimitError) -> web.Response:
    """400 ``limit_exceeded`` / 413 ``image_too_large`` naming the limit and its value."""
    return web.json_response(exc.to_json(), status=HTTP_STATUS[exc.code])
