"""``GET /console`` and its static files.

The page and its scripts are served from ``static/`` with a strict Content
Security Policy (scripts, styles and connections to this origin only; images
also as ``blob:`` URLs, which the page makes of fetched renders) and
``nosniff``. Nothing here reads a key: the page holds it and sends it to the
APIs like any other client.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from gateway.errors import error_response

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
}
FILES = {p.name: TYPES[p.suffix] for p in STATIC.iterdir() if p.suffix in TYPES}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' blob:; "
        "img-src 'self' blob: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def page(request: web.Request) -> web.StreamResponse:
    """``/console``: the page; ``/console/<file>``: one of its static files
    (404 for anything else, so no path outside ``static/`` is reachable)."""
    name = request.match_info.get("name") or "index.html"
    content_type = FILES.get(name)
    if content_type is None:
        return error_response("not_found", "The requested file does not exist.")
    body = (STATIC / name).read_bytes()
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


async def slash(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console")


def add_routes(app: web.Application) -> None:
    """Register ``/console`` (before the URL API's catch-all)."""
    app.router.add_get("/console", page, name="console")
    app.router.add_get("/console/", slash, name="console_slash")
    app.router.add_get("/console/{name}", page, name="console_file")
