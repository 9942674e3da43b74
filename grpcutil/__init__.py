"""What every gRPC server and client of the mesh shares: message-size
options, the standard health service (``grpc.health.v1``: "" and the service's
own name), serving until told to stop, and readiness checks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # a 25 MB upload or a 100 MP PNG fits
OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]
# Client-side load balancing: a target that resolves to several addresses (a
# Kubernetes headless Service, ``dns:///transform-svc-headless:50051``, or
# ``ipv4:10.0.0.1:50051,10.0.0.2:50051``) gets one subchannel per address and
# calls go round robin over the ready ones
# (https://github.com/grpc/grpc/blob/master/doc/load-balancing.md). A single
# address behaves as before. Re-resolution happens when a subchannel drops.
LOAD_BALANCING = [
    ("grpc.service_config", json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})),
    ("grpc.dns_min_time_between_resolutions_ms", 5000),
]
# A restarted peer is reconnected to within a second (gRPC's default backoff
# grows to 120 s, during which every call fails fast).
RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]
CHANNEL_OPTIONS = [*OPTIONS, *LOAD_BALANCING, *RECONNECT]
DRAIN_S = 10  # in-flight calls get this long on shutdown


def channel(address: str) -> grpc.aio.Channel:
    """A long-lived insecure channel (in-cluster traffic) to ``host:port`` or any
    gRPC target, balanced round robin over its addresses."""
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)


def new_server() -> grpc.aio.Server:
    """A grpc.aio server with the mesh's message-size options."""
    return grpc.aio.server(options=OPTIONS)


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
