"""ImageKit's metadata API as the official SDK calls it:
``GET /v1/files/{fileId}/metadata`` (``files.metadata.get``) for a stored
file and ``GET /v1/metadata?url=`` (``files.metadata.get_from_url``) for any
URL the origin rules allow (the allow-list and SSRF guard apply). The
header is read by transform_svc's Probe, the perceptual hash by its Analyze
(no pixels here). Reference:
https://imagekit.io/docs/api-reference/digital-asset-management-dam/managing-assets/get-image-metadata-for-uploaded-media-files
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contract import vocabulary
from gateway.accounts import Account
from gateway.app_state import ASSET_CLIENT
from gateway.authenticated import keyed
from gateway.errors import RequestError
from gateway.imagekit.support import HELP
from gateway.rendering import analyze, probe
from imgmesh.v1 import asset_pb2, edit_pb2, transform_pb2

# EXIF tags of IFD0 (the image's own), as ImageKit groups them under exif.image;
# GPS* go under exif.gps and the rest under exif.exif (EXIF 2.32, CIPA DC-008).
IFD0 = frozenset(
    "Make Model Orientation XResolution YResolution ResolutionUnit Software DateTime "
    "ModifyDate Artist Copyright ImageDescription YCbCrPositioning HostComputer".split()
)
# The pixel density ImageKit reports when a file states none (JFIF's default), dpi.
DEFAULT_DENSITY = 72


def _value(text: str) -> Any:
    """A tag's number when its text is one, else the text."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def exif_groups(tags: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Flat EXIF tags -> ImageKit's ``{"image", "exif", "gps"}`` groups."""
    groups: dict[str, dict[str, Any]] = {"image": {}, "exif": {}, "gps": {}}
    for name, text in sorted(tags.items()):
        group = "gps" if name.startswith("GPS") else "image" if name in IFD0 else "exif"
        groups[group][name] = _value(text)
    return {k: v for k, v in groups.items() if v}


async def metadata_json(request: web.Request, source: edit_pb2.Source) -> web.Response:
    """The Metadata object of ``source``, or the error response."""
    head = await probe(request, source)
    if isinstance(head, web.Response):
        return head
    hashed = await analyze(
        request, transform_pb2.AnalyzeRequest(source=source, skip_labels=True, phash=True)
    )
    if isinstance(hashed, web.Response):
        return hashed
    name = vocabulary.media_type_format(head.content_type)
    name = next((a for a, n in vocabulary.FORMAT_ALIASES.items() if n == name), name)
    density = _value(head.exif.get("XResolution", str(DEFAULT_DENSITY)))
    body: dict[str, Any] = {
        "height": head.height,
        "width": head.width,
        "size": head.size_bytes,
        "format": name,
        "hasColorProfile": False,
        "quality": 0,
        "density": density if isinstance(density, int | float) else DEFAULT_DENSITY,
        "hasTransparency": head.has_alpha,
        "pHash": hashed.phash,
        "exif": exif_groups(dict(head.exif)),
    }
    return web.json_response(body)


async def file_metadata(request: web.Request, account: Account) -> web.StreamResponse:
    ref = asset_pb2.FileRef(account=account.id, file_id=request.match_info["file_id"])
    found = await request.app[ASSET_CLIENT].stub.GetFile(ref, timeout=30)
    library = edit_pb2.LibraryFile(
        account=account.id, path=found.file.file_path.lstrip("/"), signed=True
    )
    return await metadata_json(request, edit_pb2.Source(library=library))


async def url_metadata(request: web.Request, account: Account) -> web.StreamResponse:
    url = request.query.get("url", "")
    if not url.lower().startswith(("http://", "https://")):
        raise RequestError("invalid_parameter", "url is an http(s) URL", "url")
    return await metadata_json(request, edit_pb2.Source(url=url))


def add_routes(app: web.Application) -> None:
    """Register the metadata routes."""
    app.router.add_get(
        "/v1/files/{file_id}/metadata", keyed(file_metadata, help=HELP), name="imagekit_metadata"
    )
    app.router.add_get("/v1/metadata", keyed(url_metadata, help=HELP), name="imagekit_url_metadata")
