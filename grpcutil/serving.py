"""Serving a grpc.aio server the mesh's way: the standard health service
(``grpc.health.v1``: "" and the service's own name), serving until told to
stop with a drain, and readiness checks of a peer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

DRAIN_S = 10  # in-flight calls get this long on shutdown (s)


@asynccontextmanager
async def serving(
    server: grpc.aio.Server,
    address: str,
    service_name: str,
    log: logging.Logger,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[int]:
    """Add the health service, bind ``address``, start and report SERVING;
    yields the bound port. On exit: NOT_SERVING, then drain for DRAIN_S."""
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(address)
    await server.start()
    for name in ("", service_name):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("%s listening on %s (port %d)", service_name, address, port)
    if ready is not None:
        ready.set()
    try:
        yield port
    finally:
        for name in ("", service_name):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await server.stop(grace=DRAIN_S)


async def until_stopped(server: grpc.aio.Server, stop: asyncio.Event | None) -> None:
    """Wait for ``stop`` (or for the server to end when there is none)."""
    if stop is None:
        await server.wait_for_termination()
    else:
        await stop.wait()


async def is_serving(ch: grpc.aio.Channel, service_name: str, timeout_s: float = 2.0) -> bool:
    """True when the service behind ``ch`` reports SERVING for ``service_name``."""
    try:
        reply = await health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=service_name), timeout=timeout_s
        )
    except grpc.aio.AioRpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING
