"""Settings: every setting of each service is documented in the README (and
nothing the README documents is missing from them), environment variables and
flags parse as declared, and ``make run``'s ports follow the settings."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError
from pydantic_settings import CliApp

from asset_svc.settings import AssetSettings
from contract.limits import Limits
from gateway.settings import GatewaySettings
from mesh.processes import REPO_ROOT, Ports
from transform_svc.settings import TransformSettings

README = (REPO_ROOT / "README.md").read_text()
# Variables read outside the two settings models.
ELSEWHERE = {
    "IMGMESH_TRACES_EXPORTER",  # telemetry/tracing.py, every service
    "IMGMESH_SHARED_DATA",  # tests and benchmarks: where ../shared/data is
    "IMGMESH_PG_BIN",  # tests and benchmarks: PostgreSQL's binaries (mesh/servers.py)
}


def declared() -> set[str]:
    names = {f"IMGMESH_{n.upper()}" for n in GatewaySettings.model_fields}
    names |= {f"IMGMESH_{n.upper()}" for n in TransformSettings.model_fields}
    names |= {f"IMGMESH_{n.upper()}" for n in Limits.model_fields}
    names |= {f"IMGMESH_{n.upper()}" for n in AssetSettings.model_fields}
    return names


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"IMGMESH_[A-Z0-9_]*[A-Z0-9]", README))
    assert declared() - documented == set(), "settings missing from the README"
    assert documented - declared() - ELSEWHERE == set(), "README names unknown settings"


def test_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGMESH_RESULT_CACHE", "none")
    monkeypatch.setenv("IMGMESH_ALLOWED_HOSTS", "Example.com, cdn.example.com")
    monkeypatch.setenv("IMGMESH_MAX_PIXELS", "1000")
    settings = CliApp.run(TransformSettings, cli_args=["--transform-port=6000"])
    assert settings.result_cache == "none"
    assert settings.allowed_hosts == {"example.com", "cdn.example.com"}
    assert settings.transform_port == 6000
    assert settings.limits.max_pixels == 1000
    monkeypatch.setenv("IMGMESH_REQUIRE_SIGNED", "sometimes")
    with pytest.raises(ValidationError):
        GatewaySettings()


def test_make_run_ports_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGMESH_GATEWAY_PORT", "8090")
    monkeypatch.setenv("IMGMESH_TRITON_URL", "127.0.0.1:9001")
    ports = Ports.defaults()
    assert ports.gateway == 8090 and ports.triton_grpc == 9001 and ports.transform == 50051


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGMESH_MAX_STEPS", "7")
    monkeypatch.setenv("IMGMESH_MAX_BLUR_SIGMA", "2.5")
    limits = Limits()
    assert limits.max_steps == 7 and limits.max_blur_sigma == 2.5
