"""The gateway's one long-lived grpc.aio channel to transform_svc."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from imgmesh.v1 import transform_pb2, transform_pb2_grpc

MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class TransformClient:
    """Render calls and health checks against transform_svc.

    Args:
        address: ``host:port`` of transform_svc.
        timeout_s: per-Render deadline (seconds), propagated as the gRPC deadline.
    """

    def __init__(self, address: str, timeout_s: float = 60.0) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self.channel = grpc.aio.insecure_channel(
            address,
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self.stub = transform_pb2_grpc.TransformStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    async def render(self, request: transform_pb2.RenderRequest) -> transform_pb2.RenderReply:
        """Render one request (deadline ``timeout_s``).

        Raises:
            grpc.aio.AioRpcError: the service failed or is unreachable.
        """
        return await self.stub.Render(request, timeout=self.timeout_s)

    async def ready(self) -> bool:
        """True when transform_svc reports SERVING."""
        try:
            reply = await self.health.Check(
                health_pb2.HealthCheckRequest(service="imgmesh.v1.Transform"), timeout=2.0
            )
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self.channel.close()
