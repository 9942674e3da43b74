"""The Cloudinary delivery URL handler: ``GET /cloudinary/<cloud_name>/image/<type>/...``
(and the root path when ``IMGMESH_ROOT_DIALECT=cloudinary``, as
``res.cloudinary.com`` paths are) -> :mod:`gateway.cloudinary.path` ->
signature check -> components -> EditGraph -> :mod:`gateway.rendering`.

Statuses as Cloudinary answers them
(https://support.cloudinary.com/hc/en-us/articles/202521522): 404 for
another cloud name or a path that is no delivery URL, 400 for a bad
transformation, 401 for a missing or wrong signature; every error carries
Cloudinary's ``X-Cld-Error`` header with the message as well as the JSON body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

from aiohttp import web

from contract.facts import graph_facts
from gateway import model_choice
from gateway.app_state import SETTINGS
from gateway.cloudinary import signing
from gateway.cloudinary.compile import Request, compile_components
from gateway.cloudinary.path import DELIVERY_TYPES, REMOTE, PathError, parse
from gateway.cloudinary.path import extension as extension_of
from gateway.errors import RequestError, error_response, request_error_response
from gateway.negotiation import accepted_formats, client_hint
from gateway.rendering import render, respond
from gateway.settings import GatewaySettings
from imgmesh.v1 import edit_pb2

PREFIX = "/cloudinary"
# Delivery types Cloudinary has that imgmesh does not serve (social images, sprites...).
OTHER_TYPES = (
    "facebook", "twitter", "twitter_name", "gravatar", "youtube", "hulu", "vimeo",
    "animoto", "worldstarhiphop", "dailymotion", "sprite", "text", "multi", "list",
)  # fmt: skip
IMMUTABLE = "public, max-age=31536000, immutable"
_FILENAME = re.compile(r"[^A-Za-z0-9_\-! .]")


@dataclass(frozen=True)
class CloudinaryConfig:
    """The dialect's settings read once at start.

    Attributes:
        named: named transformations, ``t_<name>`` -> components (``a/b``).
    """

    named: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> CloudinaryConfig:
        """Read IMGMESH_CLOUDINARY_NAMED_TRANSFORMATIONS.

        Raises:
            OSError, ValueError: unreadable or malformed file.
        """
        named: dict[str, str] = {}
        if settings.cloudinary_named_transformations is not None:
            loaded = json.loads(settings.cloudinary_named_transformations.read_text())
            if not isinstance(loaded, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
            ):
                raise ValueError("named transformations must be {name: components}")
            named = loaded
        return cls(named=named)


CONFIG = web.AppKey("cloudinary_config", CloudinaryConfig)


def header_text(message: str) -> str:
    """``message`` fit for a header value: printable ASCII, 200 characters."""
    return "".join(c if " " <= c <= "~" else " " for c in message)[:200]


def cld_error(code: str, message: str) -> web.Response:
    """The error response, with Cloudinary's ``X-Cld-Error`` header."""
    response = error_response(code, message)
    response.headers["X-Cld-Error"] = header_text(message)
    return response


def _request_error(exc: RequestError) -> web.Response:
    response = request_error_response(exc)
    response.headers["X-Cld-Error"] = header_text(exc.message)
    return response


def _fetch_url(public_id: str) -> str:
    """The remote URL of an ``image/fetch`` public id (the SDK escapes it;
    a proxy may have merged its ``//``)."""
    url = unquote(public_id)
    m = REMOTE.match(url)
    if m:
        scheme = url[: m.end()].split(":")[0].lower()
        url = f"{scheme}://{url[m.end() :]}"
    return url


def _attachment(name: str, public_id: str, extension: str) -> str:
    """``Content-Disposition`` for ``fl_attachment[:name]``."""
    stem = name
    if not stem:
        stem = PurePosixPath(unquote(public_id)).name
        while extension_of(stem):  # photo.png.jpg -> photo
            stem = stem.rpartition(".")[0]
    stem = _FILENAME.sub("_", stem)[:200] or "image"
    return f'attachment; filename="{stem}.{extension}"' if extension else "attachment"


async def serve(request: web.Request, prefix: str) -> web.StreamResponse:
    """Answer one Cloudinary delivery URL found under ``prefix``."""
    settings = request.app[SETTINGS]
    raw = request.raw_path.partition("?")[0]
    if prefix and raw.startswith(prefix + "/"):
        raw = raw[len(prefix) :]
    try:
        path = parse(raw)
    except PathError as exc:
        return cld_error("not_found", str(exc))
    if path.cloud_name != settings.cloudinary_cloud_name:
        return cld_error("not_found", "unknown cloud name")
    if path.resource_type in ("video", "raw"):
        return cld_error("cloudinary_not_supported", f"{path.resource_type} delivery is not served")
    if path.resource_type != "image":
        return cld_error("not_found", "Resource not found")
    if path.delivery_type in OTHER_TYPES:
        return cld_error("cloudinary_not_supported", f"delivery type {path.delivery_type}")
    if path.delivery_type not in DELIVERY_TYPES:
        return cld_error("not_found", "Resource not found")
    secret = settings.cloudinary_api_secret or ""
    if path.signature is not None:
        if not signing.valid(
            path.signature, path.signed_part, secret, settings.cloudinary_signature_algorithm
        ):
            return cld_error("cloudinary_signature_mismatch", "Invalid signature")
    elif path.delivery_type in ("private", "authenticated") or (
        settings.cloudinary_strict_transformations and path.components
    ):
        return cld_error("cloudinary_signature_required", "deny or ACL failure")
    signed = path.signature is not None
    fetch = path.delivery_type == "fetch"
    library = settings.cloudinary_library

    def source_for(public_id: str) -> edit_pb2.Source:
        if library:
            file = edit_pb2.LibraryFile(account=library, path=public_id, signed=signed)
            return edit_pb2.Source(library=file, by_stem=True)  # kept by an origin fallback
        return edit_pb2.Source(origin_path=public_id, by_stem=True)

    accepted = accepted_formats(request.headers.get("Accept"))
    width_hint = client_hint(request.headers, "Sec-CH-Width", "Width")
    req = Request(
        extension=path.format,
        accepted=accepted,
        source_for=source_for,
        dpr_hint=client_hint(request.headers, "Sec-CH-DPR", "DPR"),
        width_hint=int(width_hint) if width_hint else None,
    )
    try:
        compiled = compile_components(path.components, request.app[CONFIG].named, req)
        if fetch:
            url = _fetch_url(path.public_id)
            if not url.startswith(("http://", "https://")):
                raise RequestError("not_found", "a fetch public id is an http(s) URL")
            compiled.graph.source.CopyFrom(edit_pb2.Source(url=url))
        else:
            compiled.graph.source.CopyFrom(source_for(unquote(path.public_id)))
        facts = graph_facts(compiled.graph)
        model_choice.apply(facts, request.headers.get(model_choice.HEADER))
    except RequestError as exc:
        return _request_error(exc)
    fallbacks = [unquote(path.public_id)] if library and not fetch else []
    fallbacks += [d.replace(":", "/") for d in compiled.fallbacks]
    reply = await render(request, compiled.graph, facts, fallbacks=fallbacks)
    if isinstance(reply, web.StreamResponse):
        if reply.status == 404:
            return cld_error("source_not_found", f"Resource not found - {unquote(path.public_id)}")
        message = reply.text or ""
        try:
            reply.headers["X-Cld-Error"] = header_text(str(json.loads(message).get("message", "")))
        except (ValueError, AttributeError):
            pass
        return reply
    headers: dict[str, str] = {}
    if compiled.negotiated:
        headers["Vary"] = "Accept"
    if compiled.attachment is not None:
        extension = reply.content_type.rpartition("/")[2].replace("jpeg", "jpg")
        headers["Content-Disposition"] = _attachment(compiled.attachment, path.public_id, extension)
    cache_control = IMMUTABLE if compiled.immutable else settings.cache_control
    return await respond(request, reply, headers, cache_control=cache_control)


async def prefixed_handler(request: web.Request) -> web.StreamResponse:
    """``/cloudinary/...``."""
    return await serve(request, PREFIX)


async def root_handler(request: web.Request) -> web.StreamResponse:
    """The root path, when Cloudinary is the root dialect."""
    return await serve(request, "")


def add_routes(app: web.Application) -> None:
    """Register ``/cloudinary/{tail}`` (GET and HEAD); the dialect's config
    is read from the settings.

    Raises:
        OSError, ValueError: an unreadable named transformations file.
    """
    app[CONFIG] = CloudinaryConfig.from_settings(app[SETTINGS])
    app.router.add_get(PREFIX + "/{tail:.+}", prefixed_handler, name="cloudinary")
