"""Settings: every setting of each service is documented in the README (and
nothing the README documents is missing from them), environment variables and
flags parse as declared, and ``make run``'s ports follow the settings."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError
from pydantic_settings import CliApp

from asset_svc.settings import AssetSettings
from contract.env_names import env_name
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
    return {
        env_name(name, field)
        for model in (GatewaySettings, TransformSettings, Limits, AssetSettings)
        for name, field in model.model_fields.items()
    }


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"(?:IMGMESH|IMGPROXY)_[A-Z0-9_]*[A-Z0-9]", README))
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
    monkeypatch.setenv("IMGMESH_TRITON_HTTP_PORT", "9000")
    monkeypatch.setenv("IMGMESH_TRITON_METRICS_PORT", "9002")
    ports = Ports.defaults()
    assert ports.gateway == 8090 and ports.triton_grpc == 9001 and ports.transform == 50051
    assert (ports.triton_http, ports.triton_metrics) == (9000, 9002)


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGMESH_MAX_STEPS", "7")
    monkeypatch.setenv("IMGMESH_MAX_BLUR_SIGMA", "2.5")
    limits = Limits()
    assert limits.max_steps == 7 and limits.max_blur_sigma == 2.5


THUMBOR_CONF = """
# thumbor.conf of an existing site (Python, as thumbor reads it)
import os
SECURITY_KEY = 'from-the-conf'
ALLOW_UNSAFE_URL = False
QUALITY = 70
MAX_WIDTH = 1200
AUTO_WEBP = True
LOADER = 'thumbor.loaders.file_loader'   # no meaning here: ignored
FILE_LOADER_ROOT_PATH = os.path.expanduser('~/images')   # not a literal: ignored
RESULT_STORAGE_EXPIRATION_SECONDS = 60 * 60   # an expression: ignored, never run
"""


def test_an_existing_thumbor_conf_is_read_not_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    conf = tmp_path / "thumbor.conf"
    ran = tmp_path / "ran"
    conf.write_text(THUMBOR_CONF + f"\nopen({str(ran)!r}, 'w')\n")  # would leave a file if run
    monkeypatch.setenv("IMGMESH_THUMBOR_CONF", str(conf))
    monkeypatch.setenv("IMGMESH_THUMBOR_QUALITY", "55")  # the environment wins
    settings = CliApp.run(GatewaySettings, cli_args=["--thumbor-max-width=800"])  # ... and flags
    assert settings.thumbor_security_key == "from-the-conf"
    assert settings.thumbor_allow_unsafe_url is False and settings.thumbor_auto_webp is True
    assert settings.thumbor_quality == 55 and settings.thumbor_max_width == 800
    assert settings.thumbor_max_height == 0  # not in the conf: the default
    assert not ran.exists()


@pytest.mark.parametrize(
    "text,error",
    [("QUALITY = 500\n", ValidationError), ("QUALITY = = 1\n", ValueError)],
)
def test_a_bad_thumbor_conf_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path, text: str, error: type[Exception]
) -> None:
    conf = tmp_path / "thumbor.conf"
    conf.write_text(text)
    monkeypatch.setenv("IMGMESH_THUMBOR_CONF", str(conf))
    with pytest.raises(error):
        GatewaySettings()


def test_a_mesh_refuses_to_start_on_ports_another_holds(tmp_path) -> None:
    """make run beside another mesh: a clear error naming the port, not a
    readiness probe answered by the other mesh's Triton (issue [18], row 10)."""
    import socket

    from mesh.processes import Mesh

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        mesh = Mesh(ports=Ports(triton_http=taken), log_dir=tmp_path)
        with pytest.raises(RuntimeError, match=str(taken)):
            mesh.start()
        assert mesh.triton is None and mesh.procs == {}
