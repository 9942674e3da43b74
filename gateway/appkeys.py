"""The aiohttp application keys every dialect's handlers read (one place)."""

from __future__ import annotations

from aiohttp import web

from contract.limits import GraphLimits
from gateway.photoroom.auth import ApiKeys
from gateway.settings import GatewaySettings
from gateway.transform_client import TransformClient

SETTINGS = web.AppKey("settings", GatewaySettings)
NAMED = web.AppKey("named_transformations", dict)
TRANSFORM_CLIENT = web.AppKey("transform_client", TransformClient)
API_KEYS = web.AppKey("api_keys", ApiKeys)
GRAPH_LIMITS = web.AppKey("graph_limits", GraphLimits)
