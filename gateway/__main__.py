"""CLI: ``python -m gateway`` (settings: gateway/settings.py; ``--help`` lists them)."""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic_settings import CliApp

from gateway.app import create_app
from gateway.settings import GatewaySettings
from telemetry.tracing import (
    instrument_aiohttp_server,
    instrument_grpc_aio_client,
    setup_tracing,
)

MAX_REQUEST_LINE = 32 * 1024  # bytes of "GET <url> HTTP/1.1"
MAX_HEADER_FIELD = 16 * 1024  # bytes of one header line


def main() -> None:
    settings = CliApp.run(GatewaySettings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    setup_tracing("gateway")
    instrument_grpc_aio_client()
    instrument_aiohttp_server()
    app = create_app(settings)
    # aiohttp handles SIGTERM/SIGINT: stops accepting, lets in-flight requests finish.
    web.run_app(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        shutdown_timeout=10,
        access_log=None,
        # Long signed URLs and layer chains reach the handlers (and get the
        # API's JSON answers) instead of aiohttp's text/plain 400 at 8 KB.
        max_line_size=MAX_REQUEST_LINE,
        max_field_size=MAX_HEADER_FIELD,
    )


if __name__ == "__main__":
    main()
