"""The one image-response writer of every dialect."""

from __future__ import annotations

from aiohttp import web


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
