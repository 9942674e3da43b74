"""The aiohttp application keys every dialect's handlers read (one place)."""

from __future__ import annotations

from aiohttp import web

from contract.limits import Limits
from gateway.accounts import ApiKeys
from gateway.asset_client import AssetClient
from gateway.settings import GatewaySettings
from gateway.transform_client import TransformClient

SETTINGS = web.AppKey("settings", GatewaySettings)
NAMED = web.AppKey("named_transformations", dict)
TRANSFORM_CLIENT = web.AppKey("transform_client", TransformClient)
ASSET_CLIENT = web.AppKey("asset_client", AssetClient)
API_KEYS = web.AppKey("api_keys", ApiKeys)
LIMITS = web.AppKey("limits", Limits)
