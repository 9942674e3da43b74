"""transform_svc's settings: every environment variable and flag, declared
once (pydantic-settings). ``IMGMESH_<FIELD>`` in the environment,
``--<field>`` (kebab case) on the command line; flags win. The README's
configuration table lists the same names (``tests/unit/test_settings.py``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contract.limits import Limits
from outbound.ssrf import HostList
from transform_svc.context import DEFAULT_SEGMENTATION_MODEL


class TransformSettings(Limits):
    """Settings of ``python -m transform_svc``: its own, and every bound of
    ``contract.limits.Limits`` (declared there, once)."""

    model_config = SettingsConfigDict(
        env_prefix="IMGMESH_",
        cli_kebab_case=True,
        cli_prog_name="python -m transform_svc",
        frozen=False,
    )

    transform_host: str = Field("127.0.0.1", description="address the gRPC server binds")
    transform_port: int = Field(50051, description="gRPC port (0 = a free one)")
    transform_metrics_port: int = Field(9101, description="Prometheus port (0 = none)")
    origin_root: Path = Field(Path("images"), description="local origin directory")
    allowed_hosts: HostList = Field(frozenset(), description="comma-separated http(s) origin hosts")
    private_hosts: HostList = Field(
        frozenset(),
        description="comma-separated allowed hosts that may resolve to private addresses",
    )
    s3_sources: bool = Field(
        False,
        description="fetch s3://bucket/key sources (credentials and region from the AWS_* "
        "environment)",
    )
    s3_buckets: HostList = Field(
        frozenset(), description="comma-separated buckets s3:// sources may name; empty = none"
    )
    s3_endpoint: str = Field(
        "", description="S3-compatible server for s3:// sources (empty: AWS_ENDPOINT_URL or AWS)"
    )
    triton_url: str = Field("127.0.0.1:8001", description="Triton gRPC host:port")
    triton_http_port: int = Field(
        8000, ge=1, le=65535, description="Triton's HTTP port (make run starts Triton on it)"
    )
    triton_metrics_port: int = Field(
        8002, ge=1, le=65535, description="Triton's metrics port (make run starts Triton on it)"
    )
    asset_address: str = Field(
        "127.0.0.1:50052", description="asset_svc host:port (media-library sources)"
    )
    workers: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        gt=0,
        description="render worker processes (default 2 x cores)",
    )
    worker_memory_mb: int = Field(
        4096, ge=0, description="address space a worker may add to its start size, MB (0 = any)"
    )
    worker_max_renders: int = Field(
        200, ge=0, description="renders after which a worker is replaced (0 = never)"
    )
    render_timeout_s: float = Field(60.0, gt=0, description="deadline of a render without one, s")
    vips_concurrency: int = Field(1, gt=0, description="libvips threads per pipeline")
    segmentation_model: str = Field(
        DEFAULT_SEGMENTATION_MODEL,
        description="default cut-out model (contract/catalogue.py, capability segmentation)",
    )
    result_cache: str = Field("disk", description="disk, disk:/path, redis://..., none")
    cache_dir: Path = Field(Path("build/cache"), description="directory of the disk cache")
    cache_size_mb: int = Field(1024, gt=0, description="LRU bound of the disk cache, MB")
    failure_ttl_s: float = Field(10.0, ge=0, description="how long a failure is remembered, s")
    transform_max_inflight: int = Field(
        64, gt=0, description="renders in progress at most; beyond, 503 overloaded"
    )

    @property
    def limits(self) -> Limits:
        """The bounds alone (what render workers are given)."""
        return Limits(**{name: getattr(self, name) for name in Limits.model_fields})
