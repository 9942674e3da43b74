"""ImageKit's ``GET /v1/accounts/usage?startDate=&endDate=`` (the SDK's
``accounts.usage.get``): the media library's stored bytes now and the
extension units used in the window; bandwidth, video and original-cache
figures are not measured here and answer 0. Dates are ``YYYY-MM-DD``, the
window at most 90 days (ImageKit's limit). Reference:
https://imagekit.io/docs/api-reference/account-management/get-usage
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from gateway.accounts import Account
from gateway.app_state import ASSET_CLIENT
from gateway.authenticated import keyed
from gateway.errors import RequestError
from gateway.imagekit.support import HELP
from imgmesh.v1 import asset_pb2

MAX_DAYS = 90


def _date(query: dict[str, str], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(query.get(name, ""))
    except ValueError:
        raise RequestError("invalid_parameter", f"{name} is a date, YYYY-MM-DD", name) from None


async def usage(request: web.Request, account: Account) -> web.StreamResponse:
    query = dict(request.query)
    start, end = _date(query, "startDate"), _date(query, "endDate")
    if end < start or (end - start).days > MAX_DAYS or end >= dt.date(9999, 12, 31):
        raise RequestError(
            "invalid_parameter",
            f"endDate is on or after startDate, at most {MAX_DAYS} days later",
            "endDate",
        )
    midnight = dt.time(tzinfo=dt.UTC)
    req = asset_pb2.UsageRequest(
        account=account.id,
        start_unix=dt.datetime.combine(start, midnight).timestamp(),
        end_unix=dt.datetime.combine(end + dt.timedelta(days=1), midnight).timestamp(),
    )
    reply = await request.app[ASSET_CLIENT].stub.GetUsage(req, timeout=30)
    return web.json_response(
        {
            "bandwidthBytes": 0,
            "mediaLibraryStorageBytes": reply.storage_bytes,
            "videoProcessingUnitsCount": 0,
            "extensionUnitsCount": reply.extension_units,
            "originalCacheStorageBytes": 0,
        }
    )


def add_routes(app: web.Application) -> None:
    """Register ``/v1/accounts/usage``."""
    app.router.add_get("/v1/accounts/usage", keyed(usage, help=HELP), name="imagekit_usage")
