"""gRPC channel and server options every service of the mesh shares:
message-size bounds, round-robin load balancing, fast reconnects."""

from __future__ import annotations

import json

import grpc

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


def channel(address: str) -> grpc.aio.Channel:
    """A long-lived insecure channel (in-cluster traffic) to ``host:port`` or any
    gRPC target, balanced round robin over its addresses."""
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)


def new_server() -> grpc.aio.Server:
    """A grpc.aio server with the mesh's message-size options."""
    return grpc.aio.server(options=OPTIONS)
