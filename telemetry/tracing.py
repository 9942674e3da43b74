"""OpenTelemetry tracing set-up, one call per service process.

The exporter is chosen by the environment variable ``IMGMESH_TRACES_EXPORTER``
(falling back to the standard ``OTEL_TRACES_EXPORTER``):

* ``none`` (default): spans are created (context still propagates) but not exported;
* ``console``: spans printed as JSON to stderr;
* ``otlp``: OTLP/gRPC to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (default localhost:4317).

Context crosses process boundaries as W3C ``traceparent`` headers/metadata,
injected by the aiohttp and grpc.aio instrumentations.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

EXPORTERS = ("none", "console", "otlp")


def exporter_name() -> str:
    """The configured exporter name, one of :data:`EXPORTERS`.

    Raises:
        ValueError: the variable holds another value.
    """
    name = os.environ.get("IMGMESH_TRACES_EXPORTER") or os.environ.get(
        "OTEL_TRACES_EXPORTER", "none"
    )
    name = name.strip().lower()
    if name not in EXPORTERS:
        raise ValueError(f"IMGMESH_TRACES_EXPORTER={name!r}; allowed: {', '.join(EXPORTERS)}")
    return name


def setup_tracing(service_name: str) -> TracerProvider:
    """Install a global TracerProvider for ``service_name`` with the configured exporter."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    name = exporter_name()
    exporter: SpanExporter | None = None
    if name == "console":
        exporter = ConsoleSpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif name == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def instrument_grpc_aio_client() -> None:
    """Trace every grpc.aio channel created after this call (ours and tritonclient's)."""
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient

    GrpcAioInstrumentorClient().instrument()


def instrument_grpc_aio_server() -> None:
    """Trace every grpc.aio server created after this call."""
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer

    GrpcAioInstrumentorServer().instrument()


def instrument_aiohttp_server() -> None:
    """Trace every aiohttp ``web.Application`` created after this call."""
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor

    AioHttpServerInstrumentor().instrument()
