"""CLI: ``python -m gateway`` (flags default to IMGMESH_* environment variables)."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from aiohttp import web

from contract.limits import GraphLimits
from gateway.app import GatewayConfig, create_app
from gateway.photoroom.auth import ApiKeys
from gateway.signing import REQUIRE_MODES
from telemetry.tracing import (
    instrument_aiohttp_server,
    instrument_grpc_aio_client,
    setup_tracing,
)


def main() -> None:
    env = os.environ.get
    p = argparse.ArgumentParser(description="imgmesh HTTP gateway")
    p.add_argument("--host", default=env("IMGMESH_GATEWAY_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("IMGMESH_GATEWAY_PORT", "8080")))
    p.add_argument("--transform", default=env("IMGMESH_TRANSFORM_ADDRESS", "127.0.0.1:50051"))
    p.add_argument("--cache-control", default=env("IMGMESH_CACHE_CONTROL", "public, max-age=3600"))
    p.add_argument(
        "--render-timeout", type=float, default=float(env("IMGMESH_RENDER_TIMEOUT_S", "60"))
    )
    p.add_argument(
        "--named-transformations",
        default=env("IMGMESH_NAMED_TRANSFORMATIONS", ""),
        help="JSON file: {name: transformation string} for n-<name>",
    )
    p.add_argument(
        "--require-signed", choices=REQUIRE_MODES, default=env("IMGMESH_REQUIRE_SIGNED", "none")
    )
    p.add_argument("--ai-budget-ms", type=int, default=int(env("IMGMESH_AI_BUDGET_MS", "0")))
    p.add_argument(
        "--api-keys",
        default=env("IMGMESH_API_KEYS", ""),
        help='JSON file {"<key>": {"plan": "plus", "images": 1000}}; default: the dev key',
    )
    p.add_argument(
        "--max-inflight", type=int, default=int(env("IMGMESH_GATEWAY_MAX_INFLIGHT", "256"))
    )
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    setup_tracing("gateway")
    instrument_grpc_aio_client()
    instrument_aiohttp_server()
    named = json.loads(Path(a.named_transformations).read_text()) if a.named_transformations else {}
    config = GatewayConfig(
        a.transform,
        a.cache_control,
        a.render_timeout,
        named_transformations=named,
        signing_key=env("IMGMESH_SIGNING_KEY") or None,
        require_signed=a.require_signed,
        ai_budget_ms=a.ai_budget_ms,
        api_keys=ApiKeys.load(Path(a.api_keys) if a.api_keys else None),
        max_inflight=a.max_inflight,
        graph_limits=GraphLimits.from_env(),
    )
    app = create_app(config)
    # aiohttp handles SIGTERM/SIGINT: stops accepting, lets in-flight requests finish.
    web.run_app(app, host=a.host, port=a.port, shutdown_timeout=10, access_log=None)


if __name__ == "__main__":
    main()
