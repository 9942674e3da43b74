"""Async Triton client: one gRPC channel per process, shared by all requests.

Concurrent ``infer`` calls from many requests reach Triton at once, where the
model's dynamic batcher groups them (see model_repository/*/config.pbtxt).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import tritonclient.grpc.aio as triton_grpc
from opentelemetry import propagate, trace
from prometheus_client import Histogram
from tritonclient.utils import InferenceServerException

from grpcutil.channels import LOAD_BALANCING
from grpcutil.deadline import DEADLINE

INFER_SECONDS = Histogram(
    "imgmesh_inference_request_seconds",
    "Triton inference round trip per request, seconds",
    ["model", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)

_tracer = trace.get_tracer(__name__)
log = logging.getLogger("inference.client")

# tritonclient's own message bounds, plus round robin over every address the
# target resolves to (a headless Service in Kubernetes: one per Triton pod).
TRITON_CHANNEL_ARGS = [
    ("grpc.max_send_message_length", 2**31 - 1),
    ("grpc.max_receive_message_length", 2**31 - 1),
    *LOAD_BALANCING,
]


class ModelUnavailableError(Exception):
    """Triton is unreachable, or the model is not loaded or failed. The message
    is safe to show: it names the model, never a host, port or library."""


def public_reason(exc: InferenceServerException) -> str:
    """Why a Triton call failed, in words that name no address (the full
    message, which does, is logged)."""
    text = f"{exc.status() or ''} {exc.message() or ''}".lower()
    if "deadline" in text:
        return "did not answer before the request's deadline"
    if "unavailable" in text or "connect" in text or "socket" in text:
        return "is unreachable: the inference server is down or restarting"
    if "not found" in text or "unknown model" in text or "not ready" in text:
        return "is not loaded in the inference server"
    return "failed in the inference server"


class InferenceClient:
    """Thin async wrapper over ``tritonclient.grpc.aio``.

    Args:
        url: Triton gRPC address, e.g. ``127.0.0.1:8001``.
        timeout_s: client-side deadline for one inference (seconds); shortened
            to the request's remaining time when :data:`DEADLINE` is set.
    """

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client: triton_grpc.InferenceServerClient | None = None

    def _get(self) -> triton_grpc.InferenceServerClient:
        if self._client is None:
            self._client = triton_grpc.InferenceServerClient(
                self.url, channel_args=TRITON_CHANNEL_ARGS
            )
        return self._client

    async def infer(
        self, model: str, input_name: str, batch: np.ndarray, output_name: str
    ) -> np.ndarray:
        """Run one request (``batch`` already has its leading batch dim).

        Args:
            batch: e.g. ``float32[1,3,320,320]``.

        Returns:
            the output tensor, e.g. ``float32[1,1,320,320]``.

        Raises:
            ModelUnavailableError: Triton is down, the model is missing or failed.
        """
        outputs = await self.infer_outputs(model, input_name, batch, (output_name,))
        return outputs[output_name]

    async def infer_outputs(
        self, model: str, input_name: str, batch: np.ndarray, output_names: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        """Like :meth:`infer` for a model with several outputs.

        Returns:
            {output name: tensor}.

        Raises:
            ModelUnavailableError: Triton is down, the model is missing or failed.
        """
        start = time.perf_counter()
        status = "ok"
        with _tracer.start_as_current_span("triton.infer") as span:
            span.set_attribute("triton.model", model)
            span.set_attribute("triton.batch", int(batch.shape[0]))
            headers: dict[str, str] = {}
            propagate.inject(headers)
            inp = triton_grpc.InferInput(input_name, list(batch.shape), "FP32")
            inp.set_data_from_numpy(batch)
            timeout = self.timeout_s
            deadline = DEADLINE.get()
            if deadline is not None:
                timeout = max(0.01, min(timeout, deadline - time.monotonic()))
            try:
                result = await self._get().infer(
                    model,
                    [inp],
                    outputs=[triton_grpc.InferRequestedOutput(n) for n in output_names],
                    client_timeout=timeout,
                    headers=headers,
                )
                outputs = {n: result.as_numpy(n) for n in output_names}
                if any(v is None for v in outputs.values()):
                    raise ModelUnavailableError(f"{model}: missing outputs")
                return outputs  # type: ignore[return-value]
            except InferenceServerException as exc:
                status = "error"
                log.warning("Triton infer %s failed: %s", model, exc.message())
                raise ModelUnavailableError(f"model '{model}' {public_reason(exc)}") from exc
            finally:
                INFER_SECONDS.labels(model, status).observe(time.perf_counter() - start)

    async def is_model_ready(self, model: str) -> bool:
        """True if Triton answers and ``model`` is loaded."""
        try:
            return bool(await self._get().is_model_ready(model))
        except InferenceServerException:
            return False

    async def close(self) -> None:
        """Close the gRPC channel."""
        if self._client is not None:
            await self._client.close()
            self._client = None
