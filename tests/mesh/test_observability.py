"""Observability against the real thing: a real Prometheus scraping the
running mesh (every second, with the project's rules) after a short mixed
load answers every PromQL expression of the recording rules and of the Grafana
dashboard with data; and gRPC's client-side round robin spreads one gateway's
renders over two transform_svc replicas."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.accounts import DEV_KEY
from mesh.monitor import RULES, prometheus_config, start_prometheus
from mesh.processes import Mesh, free_port
from tests.helpers import SAMPLES, extra_gateway, get, post_form
from tests.unit.test_monitoring import dashboard_expressions, rule_expressions


@pytest.fixture(scope="module")
def prometheus(mesh: Mesh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed (make test-deps installs Debian's)")
    port = free_port()
    folder = tmp_path_factory.mktemp("prometheus")
    proc = start_prometheus(prometheus_config(mesh.ports, RULES, interval_s=1), folder, port)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _ready(url, "/-/ready"):
        assert time.monotonic() < deadline and proc.poll() is None, "prometheus did not start"
        time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(10)


def query(prometheus: str, expr: str) -> list[dict]:
    reply = get(f"{prometheus}/api/v1/query?query={urllib.parse.quote(expr)}")
    body = reply.json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def mixed_load(base_url: str) -> None:
    """Thumbnails (one repeated: a cache hit), a background removal, a 4xx and
    a 5xx-free error path, an upload with a remove-bg job."""
    for width in (100, 120, 140, 100, 100):
        assert get(f"{base_url}/photos/skimage/coffee.png?tr=w-{width}").status == 200
    assert get(f"{base_url}/photos/skimage/chelsea.png?tr=e-bgremove,w-200").status == 200
    assert get(f"{base_url}/photos/skimage/coffee.png?tr=w-abc").status == 400
    assert get(f"{base_url}/photos/nothing-here.png").status == 404
    photo = (SAMPLES / "coffee.png").read_bytes()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{DEV_KEY}:".encode()).decode()}
    uploaded = post_form(
        f"{base_url}/api/v1/files/upload",
        {"fileName": "observed.png", "extensions": '[{"name": "remove-bg"}]'},
        {"file": photo},
        auth,
    )
    assert uploaded.status == 200


def test_every_rule_and_dashboard_expression_returns_data(
    mesh: Mesh, prometheus: str, base_url: str
) -> None:
    mixed_load(base_url)
    expressions = [(n, e) for n, e in rule_expressions() if ":" in n or n == "avg_time_queue_us"]
    expressions += dashboard_expressions()
    deadline = time.monotonic() + 90
    empty: list[str] = []
    while time.monotonic() < deadline:
        empty = [name for name, expr in expressions if not query(prometheus, expr)]
        if not empty:
            break
        mixed_load(base_url)  # keep rates non-zero while the rule groups catch up
        time.sleep(3)
    assert empty == [], f"no data for {empty}"
    up = {r["metric"]["job"]: r["value"][1] for r in query(prometheus, "up")}
    assert up == {"gateway": "1", "transform-svc": "1", "asset-svc": "1", "triton": "1"}


def test_round_robin_spreads_renders_over_two_transform_replicas(
    mesh: Mesh, tmp_path: Path
) -> None:
    """One gateway, a target naming two transform_svc processes: both render."""
    replicas = [
        Mesh(
            ports=dataclasses.replace(
                mesh.ports, transform=free_port(), transform_metrics=free_port()
            ),
            origin_root=mesh.origin_root,
            log_dir=tmp_path / f"replica{i}",
            result_cache="none",
            env={"IMGMESH_WORKERS": "1"},
        )
        for i in range(2)
    ]
    try:
        for replica in replicas:
            replica.start_transform()
        target = "ipv4:" + ",".join(f"127.0.0.1:{r.ports.transform}" for r in replicas)
        with extra_gateway(mesh.ports, [], {}, tmp_path / "gateway.log", target) as url:
            for width in range(40, 60):
                assert get(f"{url}/photos/skimage/coffee.png?tr=w-{width}").status == 200
        counts = []
        for replica in replicas:
            text = get(f"http://127.0.0.1:{replica.ports.transform_metrics}/metrics").body.decode()
            ok = [
                line
                for line in text.splitlines()
                if line.startswith('imgmesh_transform_renders_total{code="ok"}')
            ]
            counts.append(float(ok[0].split()[-1]) if ok else 0.0)
        assert sum(counts) == 20 and min(counts) >= 5, counts
    finally:
        for replica in replicas:
            replica.stop_process("transform_svc")


def _ready(url: str, path: str = "/readyz") -> bool:
    try:
        return get(f"{url}{path}", timeout=2).status == 200
    except OSError:
        return False


def test_dashboard_is_valid_grafana_json() -> None:
    dashboard = json.loads(
        (Path(__file__).parents[2] / "monitoring/grafana/imgmesh.json").read_text()
    )
    assert dashboard["uid"] == "imgmesh" and len(dashboard["panels"]) >= 12
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
