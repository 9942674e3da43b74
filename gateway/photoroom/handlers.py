"""aiohttp handlers for ``/v2/edit`` (GET, POST), ``/v1/segment`` and ``/v2/account``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from contract.limits import GraphLimitError, check_graph
from gateway import model_choice
from gateway.appkeys import API_KEYS, GRAPH_LIMITS, TRANSFORM_CLIENT
from gateway.errors import (
    RequestError,
    error_response,
    from_rpc_error,
    graph_limit_response,
    request_error_response,
)
from gateway.photoroom import edit, segment
from gateway.photoroom.auth import Account, AuthError
from gateway.photoroom.fields import UnprocessableError
from gateway.responses import stream_image
from gateway.transform_client import TransformClient
from imgmesh.v1 import edit_pb2, transform_pb2

MAX_UPLOAD_BYTES = 30 * 1024 * 1024  # Photoroom: "The maximum size of the image is 30MB."

Client = Callable[[web.Request], TransformClient]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _auth_error(exc: AuthError) -> web.Response:
    return error_response(exc.code, exc.message, status_code=exc.status)


async def _form(request: web.Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """Multipart/urlencoded body -> (text fields, file parts).

    Raises:
        RequestError: the body is not a form.
        web.HTTPRequestEntityTooLarge: body over the upload limit (413).
    """
    try:
        form = await request.post()
    except web.HTTPException:
        raise
    except (ValueError, HttpProcessingError, AssertionError, LookupError) as exc:
        # malformed multipart: bad boundary, part headers over aiohttp's limits, ...
        raise RequestError(
            "invalid_parameter",
            "the request body is not a readable multipart/form-data or urlencoded form",
            "body",
            "multipart/form-data or application/x-www-form-urlencoded",
        ) from exc
    texts: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = value.file.read()
        else:
            texts[name] = str(value)
    return texts, files


async def _render(
    request: web.Request, client: TransformClient, graph: edit_pb2.EditGraph
) -> web.StreamResponse:
    """Render through transform_svc and stream the bytes back."""
    try:
        reply = await client.render(transform_pb2.RenderRequest(graph=graph))
    except grpc.aio.AioRpcError as exc:
        return from_rpc_error(exc)
    headers = {"Content-Type": reply.content_type, "Cache-Control": "no-store"}
    return await stream_image(request, reply.image, headers)


def make_handlers(
    client: Client,
) -> dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """The handlers, bound to a way of reaching the app's TransformClient."""

    async def authorised(request: web.Request, *, needs_image: bool) -> Account:
        return request.app[API_KEYS].check(
            request.headers.get("x-api-key"), needs_image=needs_image
        )

    async def run(
        request: web.Request, parse: Callable[[], Awaitable[edit_pb2.EditGraph]]
    ) -> web.StreamResponse:
        try:
            account = await authorised(request, needs_image=True)
        except AuthError as exc:
            return _auth_error(exc)
        try:
            graph = await parse()
            model_choice.apply(graph, request.headers.get(model_choice.HEADER))
            check_graph(graph, request.app[GRAPH_LIMITS])
        except RequestError as exc:
            return request_error_response(exc)
        except UnprocessableError as exc:
            return error_response("impossible_edit", str(exc))
        except GraphLimitError as exc:
            return graph_limit_response(exc)
        except web.HTTPRequestEntityTooLarge:
            return error_response("image_too_large", f"request body over {MAX_UPLOAD_BYTES} bytes")
        response = await _render(request, client(request), graph)
        if response.status == 200:
            request.app[API_KEYS].count_image(account)
        return response

    async def edit_get(request: web.Request) -> web.StreamResponse:
        async def parse() -> edit_pb2.EditGraph:
            return edit.build(edit.parse(dict(request.query), {}, post=False))

        return await run(request, parse)

    async def edit_post(request: web.Request) -> web.StreamResponse:
        async def parse() -> edit_pb2.EditGraph:
            texts, files = await _form(request)
            unknown = [n for n in files if n not in edit.FILES]
            if unknown:
                raise RequestError(
                    "unknown_parameter", f"unexpected file part {unknown[0]!r}", unknown[0]
                )
            return edit.build(edit.parse(texts, files, post=True))

        return await run(request, parse)

    async def segment_post(request: web.Request) -> web.StreamResponse:
        async def parse() -> edit_pb2.EditGraph:
            texts, files = await _form(request)
            image = files.pop("image_file", None)
            if files:
                name = next(iter(files))
                raise RequestError("unknown_parameter", f"unexpected file part {name!r}", name)
            return segment.build(texts, image)

        return await run(request, parse)

    async def account(request: web.Request) -> web.Response:
        try:
            acc = await authorised(request, needs_image=False)
        except AuthError as exc:
            return _auth_error(exc)
        return web.json_response(
            {
                "plan": acc.plan,
                "images": {
                    "available": acc.available,
                    "subscription": acc.images,
                    "used": acc.used,
                },
            }
        )

    return {
        "edit_get": edit_get,
        "edit_post": edit_post,
        "segment": segment_post,
        "account": account,
    }


def method_not_allowed(*allowed: str) -> Handler:
    """A handler answering 405 ``method_not_allowed`` with ``Allow``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = error_response(
            "method_not_allowed", f"{request.method} is not allowed here; use {', '.join(allowed)}"
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response

    return handler


def add_routes(app: web.Application) -> None:
    """Register the Photoroom routes (before the URL API's catch-all)."""
    h = make_handlers(lambda request: request.app[TRANSFORM_CLIENT])
    app.router.add_get("/v2/edit", h["edit_get"], name="photoroom_edit")
    app.router.add_post("/v2/edit", h["edit_post"], name="photoroom_edit_post")
    app.router.add_post("/v1/segment", h["segment"], name="photoroom_segment")
    # Without this, GET /v1/segment would fall through to the image URL route.
    app.router.add_get("/v1/segment", method_not_allowed("POST"), name="photoroom_segment_get")
    app.router.add_get("/v2/account", h["account"], name="photoroom_account")
