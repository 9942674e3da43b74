"""The gateway's one long-lived grpc.aio channel to transform_svc."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from contract.errors import public_error
from grpcutil import channels, serving
from imgmesh.v1 import transform_pb2, transform_pb2_grpc

RETRY_BACKOFF_S = 0.2
R = TypeVar("R")


def _transport_failure(exc: grpc.aio.AioRpcError) -> bool:
    """UNAVAILABLE that did not come from transform_svc's own error mapping."""
    reported = public_error(exc.trailing_metadata()).code is not None
    return exc.code() == grpc.StatusCode.UNAVAILABLE and not reported


class TransformClient:
    """Render, Probe and Analyze calls and health checks against transform_svc.

    Args:
        address: ``host:port`` of transform_svc.
        timeout_s: per-Render deadline (seconds), propagated as the gRPC deadline.
    """

    def __init__(self, address: str, timeout_s: float = 60.0) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self.channel = channels.channel(address)
        self.stub = transform_pb2_grpc.TransformStub(self.channel)

    async def render(self, request: transform_pb2.RenderRequest) -> transform_pb2.RenderReply:
        """Render one request (deadline ``timeout_s`` for all attempts).

        A Render is idempotent (same graph, same bytes), so one retry is made
        when the call never reached transform_svc (UNAVAILABLE without
        transform_svc's error metadata, e.g. a connection reset during a
        restart); errors transform_svc itself reports are never retried.

        Raises:
            grpc.aio.AioRpcError: the service failed or is unreachable.
        """
        return await self._call(self.stub.Render, request)

    async def probe(self, request: transform_pb2.ProbeRequest) -> transform_pb2.ProbeReply:
        """The source's header (retried as :meth:`render` is).

        Raises:
            grpc.aio.AioRpcError: the service failed or is unreachable.
        """
        return await self._call(self.stub.Probe, request)

    async def analyze(self, request: transform_pb2.AnalyzeRequest) -> transform_pb2.AnalyzeReply:
        """Labels, objects and the mean colour of a source (retried as
        :meth:`render` is).

        Raises:
            grpc.aio.AioRpcError: the service failed or is unreachable.
        """
        return await self._call(self.stub.Analyze, request)

    async def purge(self, request: transform_pb2.PurgeRequest) -> transform_pb2.PurgeReply:
        """Purge the result cache for a source (idempotent, retried as
        :meth:`render` is).

        Raises:
            grpc.aio.AioRpcError: the service failed or is unreachable.
        """
        return await self._call(self.stub.Purge, request)

    async def _call(self, method: Callable[..., Awaitable[R]], request: Message) -> R:
        deadline = time.monotonic() + self.timeout_s
        try:
            return await method(request, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            remaining = deadline - time.monotonic() - RETRY_BACKOFF_S
            if not _transport_failure(exc) or remaining <= 0:
                raise
        await asyncio.sleep(RETRY_BACKOFF_S)
        return await method(request, timeout=remaining)

    async def ready(self) -> bool:
        """True when transform_svc reports SERVING."""
        return await serving.is_serving(self.channel, "imgmesh.v1.Transform")

    async def close(self) -> None:
        await self.channel.close()
