"""Observability shared by the services: OpenTelemetry tracing set-up and
Prometheus metric helpers. One trace follows a request gateway -> gRPC ->
transform_svc -> Triton call."""
