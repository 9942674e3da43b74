"""Handlers of the APIs that take a key (the asset APIs): authenticate, run,
and answer every failure in the one JSON error shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web

from gateway.accounts import Account, AuthError, key_of
from gateway.app_state import API_KEYS, SETTINGS
from gateway.errors import RequestError, error_response, from_rpc_error, request_error_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Work = Callable[[web.Request, Account], Awaitable[web.StreamResponse]]


def guarded(work: Handler, **extra: str) -> Handler:
    """``work(request)`` with every failure answered in the one JSON error
    shape: 401/403 for keys, 400 for a :class:`RequestError`, 413 for a body
    over the limit, asset_svc's own codes (503 ``asset_unavailable`` when it
    is down). ``extra`` fields (e.g. ImageKit's ``help``) go into every error body."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return await work(request)
        except AuthError as exc:
            return error_response(exc.code, exc.message, **extra)
        except RequestError as exc:
            return request_error_response(exc, **extra)
        except web.HTTPRequestEntityTooLarge:
            return error_response("image_too_large", "the upload is over the size limit", **extra)
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc, "asset_unavailable", **extra)

    return handler


def keyed(work: Work, **extra: str) -> Handler:
    """``work(request, account)`` for the caller's account (its key in
    ``x-api-key`` or HTTP Basic), failures answered as :func:`guarded` does."""

    async def with_account(request: web.Request) -> web.StreamResponse:
        return await work(request, request.app[API_KEYS].check(key_of(request)))

    return guarded(with_account, **extra)


def public_base(request: web.Request) -> str:
    """The base URL clients reach the gateway at: ``IMGMESH_URL_ENDPOINT``, else
    the request's own scheme and host."""
    return request.app[SETTINGS].url_endpoint or str(request.url.origin())
