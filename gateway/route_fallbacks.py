"""Unknown routes inside an API's namespace answer as the API does.

Every API route's first two path segments (``/v1/files``, ``/api/v1``,
``/v2/edit`` ...) form a family. A request under a family that no route
serves is the API's own JSON 404 ``not_found``, or 405 ``method_not_allowed``
with ``Allow`` when the path exists with other methods, instead of falling
through to the image route (whose 404 would be ``source_not_found``). Paths
outside every family (``/v1/photo.jpg``) stay image URLs; an account id may
not be a family's first segment (``v1``, ``v2``, ``api``: see
:data:`gateway.accounts.RESERVED_IDS`).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource


def family(canonical: str) -> str | None:
    """``/a/b`` of a route's canonical path ``/a/b/...`` when both segments
    are literal and the path has more than one segment; else None."""
    parts = canonical.split("/")
    if len(parts) < 3 or any("{" in p or not p for p in parts[1:3]):
        return None
    return "/".join(parts[:3])


def _served(resource: AbstractResource) -> bool:
    return all(route.handler is not fallback for route in resource)


async def fallback(request: web.Request) -> web.Response:
    """Raise 405 with ``Allow`` when another route serves this path with other
    methods, else 404 (the JSON errors middleware answers both).

    Raises:
        web.HTTPMethodNotAllowed, web.HTTPNotFound: always.
    """
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if _served(resource) and family(resource.canonical) is not None:
            _match, methods = await resource.resolve(request)
            allowed |= methods
    if allowed:
        raise web.HTTPMethodNotAllowed(request.method, sorted(allowed))
    raise web.HTTPNotFound(reason="no such API route")


def add_routes(app: web.Application) -> None:
    """Add a fallback for each family of the routes added so far (call after
    every API's routes and before the catch-all image route)."""
    families = {family(resource.canonical) for resource in app.router.resources()}
    for prefix in sorted(f for f in families if f is not None):
        app.router.add_route("*", prefix + "{tail:(/.*)?}", fallback)
