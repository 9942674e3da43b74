"""aiohttp handlers for ``/v2/edit`` (GET, POST), ``/v1/segment`` and ``/v2/account``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web

from contract.facts import graph_facts
from contract.limits import GraphLimitError, check_graph
from gateway import model_choice
from gateway.accounts import Account, AuthError, key_of
from gateway.app_state import API_KEYS, ASSET_CLIENT, LIMITS, TRANSFORM_CLIENT
from gateway.errors import (
    RequestError,
    error_response,
    from_rpc_error,
    graph_limit_response,
    request_error_response,
)
from gateway.forms import read_form
from gateway.photoroom import edit, segment
from gateway.photoroom.fields import UnprocessableError
from gateway.responses import stream_image
from gateway.transform_client import TransformClient
from imgmesh.v1 import asset_pb2, edit_pb2, transform_pb2

log = logging.getLogger("gateway.photoroom")

MAX_UPLOAD_BYTES = 30 * 1024 * 1024  # Photoroom: "The maximum size of the image is 30MB."

Client = Callable[[web.Request], TransformClient]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def auth_error(exc: AuthError) -> web.Response:
    """The JSON error of a refused key (401/402/403)."""
    return error_response(exc.code, exc.message)


async def usage(request: web.Request, account: Account) -> asset_pb2.UsageReply:
    """The account's usage counters (asset_svc keeps them).

    Raises:
        grpc.aio.AioRpcError: asset_svc failed or is unreachable.
    """
    return await request.app[ASSET_CLIENT].stub.GetUsage(
        asset_pb2.UsageRequest(account=account.id), timeout=5.0
    )


def make_handlers(
    client: Client,
) -> dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """The handlers, bound to a way of reaching the app's TransformClient."""

    async def authorised(request: web.Request, *, needs_image: bool) -> Account:
        """The caller's account; with ``needs_image``, one with images left.

        Raises:
            AuthError: 401, 403, 402 quota_exceeded.
            grpc.aio.AioRpcError: asset_svc (which counts usage) failed.
        """
        account = request.app[API_KEYS].check(key_of(request))
        if needs_image and (await usage(request, account)).images_used >= account.images:
            raise AuthError(402, "quota_exceeded", "no images left on this plan")
        return account

    async def run(
        request: web.Request, parse: Callable[[], Awaitable[edit_pb2.EditGraph]]
    ) -> web.StreamResponse:
        try:
            account = await authorised(request, needs_image=True)
        except AuthError as exc:
            return auth_error(exc)
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc, "asset_unavailable")
        try:
            graph = await parse()
            facts = graph_facts(graph)
            model_choice.apply(facts, request.headers.get(model_choice.HEADER))
            check_graph(graph, request.app[LIMITS], facts)
        except RequestError as exc:
            return request_error_response(exc)
        except UnprocessableError as exc:
            return error_response("impossible_edit", str(exc))
        except GraphLimitError as exc:
            return graph_limit_response(exc)
        except web.HTTPRequestEntityTooLarge:
            return error_response("image_too_large", f"request body over {MAX_UPLOAD_BYTES} bytes")
        try:
            reply = await client(request).render(transform_pb2.RenderRequest(graph=graph))
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc)
        try:  # counted once rendered, before the bytes go out
            await request.app[ASSET_CLIENT].stub.RecordUsage(
                asset_pb2.UsageRequest(account=account.id, images=1), timeout=5.0
            )
        except grpc.aio.AioRpcError as exc:  # the image is delivered; counting is best effort
            log.warning("usage of one image not recorded: %s", exc.code())
        headers = {"Content-Type": reply.content_type, "Cache-Control": "no-store"}
        return await stream_image(request, reply.image, headers)

    async def edit_get(request: web.Request) -> web.StreamResponse:
        async def parse() -> edit_pb2.EditGraph:
            return edit.build(edit.parse(dict(request.query), {}, post=False))

        return await run(request, parse)

    async def edit_post(request: web.Request) -> web.StreamResponse:
        async def parse() -> edit_pb2.EditGraph:
            texts, files = await read_form(request)
            unknown = [n for n in files if n not in edit.FILES]
            if unknown:
                raise RequestError(
                    "unknown_parameter", f"unexpected file part {unknown[0]!r}", unknown[0]
                )
            return edit.build(edit.parse(texts, files, post=True))

        return await run(request, parse)

    async def segment_post(request: web.Request) -> web.StreamResponse:
        async def parse() -> edit_pb2.EditGraph:
            texts, files = await read_form(request)
            image = files.pop("image_file", None)
            if files:
                name = next(iter(files))
                raise RequestError("unknown_parameter", f"unexpected file part {name!r}", name)
            return segment.build(texts, image)

        return await run(request, parse)

    async def account(request: web.Request) -> web.Response:
        try:
            acc = await authorised(request, needs_image=False)
            used = await usage(request, acc)
        except AuthError as exc:
            return auth_error(exc)
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc, "asset_unavailable")
        return web.json_response(
            {
                "plan": acc.plan,
                "images": {
                    "available": max(0, acc.images - used.images_used),
                    "subscription": acc.images,
                    "used": used.images_used,
                },
                # imgmesh: Images API operations (remove-background counts 2)
                "operations": used.operations,
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
