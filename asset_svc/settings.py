"""asset_svc's settings: every environment variable and flag, declared once
(pydantic-settings). ``IMGMESH_<FIELD>`` in the environment, ``--<field>``
(kebab case) on the command line; flags win. The README's configuration table
lists the same names (``tests/unit/test_settings.py``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from outbound.ssrf import HostList


class AssetSettings(BaseSettings):
    """Settings of ``python -m asset_svc``."""

    model_config = SettingsConfigDict(
        env_prefix="IMGMESH_", cli_kebab_case=True, cli_prog_name="python -m asset_svc"
    )

    asset_host: str = Field("127.0.0.1", description="address the gRPC server binds")
    asset_port: int = Field(50052, description="asset_svc gRPC port (0 = a free one)")
    asset_metrics_port: int = Field(9102, description="asset_svc Prometheus port (0 = none)")
    database_url: str = Field(
        "sqlite+aiosqlite:///state/assets.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///file or postgresql+asyncpg://...",
    )
    blob_store_url: str = Field(
        "state/blobs", description="blob store: a directory, file:///dir, memory:/// or s3://bucket"
    )
    transform_address: str = Field("127.0.0.1:50051", description="transform_svc host:port")
    url_endpoint: str = Field(
        "http://127.0.0.1:8080", description="the gateway's public base URL (file URLs)"
    )
    max_upload_bytes: int = Field(
        25 * 1024 * 1024, gt=0, description="largest uploaded file, bytes (ImageKit's 25 MB)"
    )
    private_hosts: HostList = Field(
        frozenset(),
        description="comma-separated hosts that may resolve to private addresses",
    )
    allowed_hosts: HostList = Field(
        frozenset(),
        description="comma-separated http(s) origin hosts (transform_svc's, checked at upload "
        "for bg_image_url)",
    )
    webhook_secret: str = Field(
        "whsec_imgmesh-dev-secret",
        description="Standard Webhooks signing secret (its UTF-8 bytes are the HMAC key)",
    )
    webhook_retry_base_s: float = Field(
        30.0, gt=0, description="first webhook retry delay, s (doubles per attempt)"
    )
    webhook_retry_window_s: float = Field(
        86_400.0, gt=0, description="webhook retries stop this long after the first, s"
    )
    webhook_timeout_s: float = Field(30.0, gt=0, description="a webhook answer must come within, s")
    job_workers: int = Field(
        4, ge=0, description="workers running extensions and post-transformations (0 = none)"
    )
    webhook_workers: int = Field(8, ge=0, description="workers delivering webhooks (0 = none)")
    job_workers_per_account: int = Field(
        2,
        ge=0,
        description="the most workers of each lane (renders, webhooks) one account holds at once"
        " (0 = no cap)",
    )
    job_queue_per_account: int = Field(
        1000,
        ge=0,
        description="the most queued and running jobs one account may have; a request that "
        "would add more answers 429 (0 = no bound)",
    )
    job_lease_s: float = Field(
        300.0, gt=0, description="a claimed job is re-run when its worker is silent this long, s"
    )
    tagging_budget_ms: int = Field(
        3000, ge=0, description="auto-tagging tried synchronously this long, then pending"
    )
