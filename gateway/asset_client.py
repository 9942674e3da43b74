"""The gateway's one long-lived grpc.aio channel to asset_svc."""

from __future__ import annotations

from grpcutil import channels, serving
from imgmesh.v1 import asset_pb2_grpc


class AssetClient:
    """The Assets stub (``stub.Upload(...)`` etc.) and its readiness.

    Args:
        address: ``host:port`` of asset_svc.
    """

    def __init__(self, address: str) -> None:
        self.channel = channels.channel(address)
        self.stub = asset_pb2_grpc.AssetsStub(self.channel)

    async def ready(self) -> bool:
        """True when asset_svc reports SERVING."""
        return await serving.is_serving(self.channel, "imgmesh.v1.Assets")

    async def close(self) -> None:
        await self.channel.close()
