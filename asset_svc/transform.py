"""asset_svc's channel to transform_svc: every decode of an uploaded file
happens there, in its crash-contained render workers (probe, render,
analyze); asset_svc itself never parses image bytes."""

from __future__ import annotations

import grpc

from asset_svc.errors import AssetError
from contract.errors import public_error
from grpcutil import channels
from imgmesh.v1 import edit_pb2, transform_pb2, transform_pb2_grpc


def _as_asset_error(exc: grpc.aio.AioRpcError) -> AssetError:
    code = public_error(exc.trailing_metadata()).code
    if code is None:
        if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return AssetError("timeout", "processing took too long")
        return AssetError("transform_unavailable", "transform service unavailable")
    return AssetError(code, exc.details() or code)


class TransformPort:
    """Calls into transform_svc.

    Args:
        address: ``host:port``.
        timeout_s: deadline of one call, s.
    """

    def __init__(self, address: str, timeout_s: float = 120.0) -> None:
        self.channel = channels.channel(address)
        self.stub = transform_pb2_grpc.TransformStub(self.channel)
        self.timeout_s = timeout_s

    async def render(
        self, graph: edit_pb2.EditGraph, timeout_s: float | None = None
    ) -> transform_pb2.RenderReply:
        """Render ``graph``.

        Raises:
            AssetError: the code transform_svc reported, or transform_unavailable.
        """
        try:
            return await self.stub.Render(
                transform_pb2.RenderRequest(graph=graph), timeout=timeout_s or self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            raise _as_asset_error(exc) from None

    async def probe(self, data: bytes) -> transform_pb2.RenderReply:
        """Decode-check ``data`` (``orig-true``): its content type, width,
        height and alpha (the bytes come back unchanged, SVG sanitised).

        Raises:
            AssetError: unsupported_image, image_too_large, transform_unavailable.
        """
        graph = edit_pb2.EditGraph(
            source=edit_pb2.Source(inline_bytes=data), encode=edit_pb2.Encode(original=True)
        )
        return await self.render(graph)

    async def analyze(
        self, data: bytes, min_confidence: float, max_labels: int, timeout_s: float
    ) -> list[transform_pb2.Label]:
        """Detected object classes, best first.

        Raises:
            AssetError: as :meth:`render` (timeout when past ``timeout_s``).
        """
        request = transform_pb2.AnalyzeRequest(
            source=edit_pb2.Source(inline_bytes=data),
            min_confidence=min_confidence,
            max_labels=max_labels,
        )
        try:
            reply = await self.stub.Analyze(request, timeout=timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _as_asset_error(exc) from None
        return list(reply.labels)

    async def close(self) -> None:
        await self.channel.close()
