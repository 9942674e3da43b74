"""``/v1/images``: upload, get, list, download, delete, publish/unpublish, and
the processing calls that each make a new immutable Image (remove-background,
convert, resize, crop) by an edit graph (https://docs.img-processing.com,
seed 003). Keys as ``x-api-key``; one key never sees another key's images
(404). A published image's ``url`` is its download URL, readable without a key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from aiohttp import web

from contract import json_text, vocabulary
from gateway import value_parsers
from gateway.accounts import Account, AuthError, key_of
from gateway.app_state import API_KEYS, ASSET_CLIENT
from gateway.authenticated import keyed, public_base
from gateway.errors import RequestError, error_response, from_rpc_error
from gateway.forms import read_form
from gateway.value_parsers import MAX_SIDE
from imgmesh.v1 import asset_pb2, edit_pb2

# convert's format: jpeg, png, webp (no aliases).
FORMATS = vocabulary.format_names(
    edit_pb2.FORMAT_JPEG, edit_pb2.FORMAT_PNG, edit_pb2.FORMAT_WEBP, aliases=False
)
TIMEOUT_S = 30.0  # deadline of a metadata call to asset_svc; processing gets 120 s
CUTOUT_OPERATIONS = 2  # "removing the background counts as two image processing operations"


def image_json(image: asset_pb2.Image, base_url: str) -> dict[str, Any]:
    """The Image object; ``url`` is null until the image is published."""
    return {
        "id": image.id,
        "name": image.name,
        "url": f"{base_url}/v1/images/{image.id}/download" if image.published else None,
        "width": image.width,
        "height": image.height,
        "format": image.format,
        "size": image.size,
        "created_at": image.created_at,
    }


async def json_body(request: web.Request, *, required: bool) -> dict[str, Any]:
    """The JSON object body; ``{}`` when there is none. A body declared JSON
    but empty is refused, as the reference says.

    Raises:
        RequestError: invalid_request.
    """
    raw = await request.read()
    if not raw.strip():
        if request.content_type == "application/json" or required:
            raise RequestError(
                "invalid_request",
                "the body is empty; send a JSON object with at least one field",
                "body",
            )
        return {}
    try:
        body = json_text.loads(raw)
    except json_text.JsonTextError:
        body = None
    if not isinstance(body, dict):
        raise RequestError("invalid_request", "the body must be a JSON object", "body")
    return body


def _name(body: dict[str, Any]) -> str:
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 30 or ("name" in body and not name):
        raise RequestError(
            "invalid_parameter", "name is a string of 1..30 characters", "name", "1..30 characters"
        )
    return name


def _int(body: dict[str, Any], key: str, lo: int, hi: int) -> int | None:
    if key not in body:
        return None
    return value_parsers.integer(key, str(body[key]), lo, hi, negative="")


Steps = tuple[list[edit_pb2.Step], edit_pb2.Encode, int]


def remove_background(body: dict[str, Any]) -> Steps:
    steps = [edit_pb2.Step(remove_background=edit_pb2.RemoveBackground())]
    return steps, edit_pb2.Encode(format=edit_pb2.FORMAT_PNG), CUTOUT_OPERATIONS


def convert(body: dict[str, Any]) -> Steps:
    fmt = value_parsers.enum("format", str(body.get("format", "")), tuple(FORMATS))
    quality = _int(body, "quality", 1, 100) or 0
    return [], edit_pb2.Encode(format=FORMATS[fmt], quality=quality), 1


def resize(body: dict[str, Any]) -> Steps:
    width, height = _int(body, "width", 1, MAX_SIDE), _int(body, "height", 1, MAX_SIDE)
    if width is None and height is None:
        raise RequestError("invalid_parameter", "give width and/or height (px)", "width")
    r = edit_pb2.Resize(crop_mode=edit_pb2.CROP_MODE_FORCE if width and height else 0)
    if width:
        r.width.px = width
    if height:
        r.height.px = height
    return [edit_pb2.Step(resize=r)], edit_pb2.Encode(format=edit_pb2.FORMAT_AUTO), 1


def crop(body: dict[str, Any]) -> Steps:
    box = {k: _int(body, k, 0 if k in "xy" else 1, MAX_SIDE) for k in ("x", "y", "width", "height")}
    missing = [k for k, v in box.items() if v is None]
    if missing:
        raise RequestError("invalid_parameter", f"{missing[0]} is required (px)", missing[0])
    r = edit_pb2.Resize(
        width=edit_pb2.Dimension(px=box["width"]),
        height=edit_pb2.Dimension(px=box["height"]),
        crop_mode=edit_pb2.CROP_MODE_EXTRACT,
        x=edit_pb2.Offset(px=box["x"]),
        y=edit_pb2.Offset(px=box["y"]),
    )
    return [edit_pb2.Step(resize=r)], edit_pb2.Encode(format=edit_pb2.FORMAT_AUTO), 1


OPERATIONS: dict[str, Callable[[dict[str, Any]], Steps]] = {
    "remove-background": remove_background,
    "convert": convert,
    "resize": resize,
    "crop": crop,
}


def _reply(request: web.Request, reply: asset_pb2.ImageReply, status: int = 200) -> web.Response:
    return web.json_response(image_json(reply.image, public_base(request)), status=status)


def _ref(request: web.Request, account: Account) -> asset_pb2.ImageRef:
    return asset_pb2.ImageRef(account=account.id, image_id=request.match_info["image_id"])


async def create(request: web.Request, account: Account) -> web.StreamResponse:
    req = asset_pb2.CreateImageRequest(account=account.id)
    if request.content_type == "application/json":
        body = await json_body(request, required=True)
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise RequestError("invalid_parameter", "url is required (http(s))", "url")
        req.url, req.name = url, _name(body) or "image"
    else:
        texts, files = await read_form(request)
        if "image" not in files:
            raise RequestError("missing_source", "the image file part is required", "image")
        req.data, req.name = files["image"], _name(texts) or "image"
    reply = await request.app[ASSET_CLIENT].stub.CreateImage(req, timeout=120)
    return _reply(request, reply, 201)


async def get(request: web.Request, account: Account) -> web.StreamResponse:
    return _reply(
        request,
        await request.app[ASSET_CLIENT].stub.GetImage(_ref(request, account), timeout=TIMEOUT_S),
    )


async def list_images(request: web.Request, account: Account) -> web.StreamResponse:
    page = value_parsers.integer("page", request.query.get("page", "1"), 1, 1_000_000, negative="")
    limit = value_parsers.integer("limit", request.query.get("limit", "20"), 1, 100, negative="")
    reply = await request.app[ASSET_CLIENT].stub.ListImages(
        asset_pb2.ListImagesRequest(account=account.id, page=page, limit=limit), timeout=TIMEOUT_S
    )
    base = public_base(request)
    return web.json_response(
        {
            "data": [image_json(i, base) for i in reply.images],
            "page": page,
            "limit": limit,
            "total": reply.total,
        }
    )


async def delete(request: web.Request, account: Account) -> web.StreamResponse:
    await request.app[ASSET_CLIENT].stub.DeleteImage(_ref(request, account), timeout=TIMEOUT_S)
    return web.Response(status=204)


async def process(request: web.Request, account: Account) -> web.StreamResponse:
    operation = request.match_info["operation"]
    if operation in ("publish", "unpublish"):
        reply = await request.app[ASSET_CLIENT].stub.SetPublished(
            asset_pb2.SetPublishedRequest(
                account=account.id,
                image_id=request.match_info["image_id"],
                published=operation == "publish",
            ),
            timeout=TIMEOUT_S,
        )
        return _reply(request, reply)
    if operation not in OPERATIONS:
        return error_response("not_found", f"no operation {operation!r}")
    body = await json_body(request, required=False)
    name = _name(body)
    steps, encode, operations = OPERATIONS[operation](body)
    req = asset_pb2.DeriveImageRequest(
        account=account.id,
        image_id=request.match_info["image_id"],
        name=name,
        steps=steps,
        encode=encode,
        operations=operations,
    )
    reply = await request.app[ASSET_CLIENT].stub.DeriveImage(req, timeout=120)
    return _reply(request, reply, 201)


async def download(request: web.Request) -> web.StreamResponse:
    """The bytes; a published image needs no key."""
    client = request.app[ASSET_CLIENT]
    image_id = request.match_info["image_id"]
    try:
        key = key_of(request)
        if key:
            account_id = request.app[API_KEYS].check(key).id
        else:  # anonymous: only a published image, found by id alone
            account_id = ""
        reply = await client.stub.DownloadImage(
            asset_pb2.ImageRef(account=account_id, image_id=image_id), timeout=TIMEOUT_S
        )
    except AuthError as exc:
        return error_response(exc.code, exc.message)
    except grpc.aio.AioRpcError as exc:
        return from_rpc_error(exc, "asset_unavailable")
    return web.Response(
        body=reply.data, headers={"Content-Type": reply.mime, "Cache-Control": "no-store"}
    )


def add_routes(app: web.Application) -> None:
    """Register the Images API routes (before the URL API's catch-all)."""
    app.router.add_post("/v1/images", keyed(create), name="images_create")
    app.router.add_get("/v1/images", keyed(list_images), name="images_list")
    app.router.add_get("/v1/images/{image_id}", keyed(get), name="images_get")
    app.router.add_delete("/v1/images/{image_id}", keyed(delete), name="images_delete")
    app.router.add_get("/v1/images/{image_id}/download", download, name="images_download")
    app.router.add_post("/v1/images/{image_id}/{operation}", keyed(process), name="images_process")
