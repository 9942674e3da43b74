"""Monitoring files: Prometheus' own tools accept the configuration and the
rules, the rules' unit tests pass, every PromQL expression of the rules and of
the Grafana dashboard parses, and ``monitoring/prometheus.yml`` is what
``make monitor`` generates for the default ports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import promql_parser
import pytest
import yaml

from mesh.monitor import prometheus_config
from mesh.processes import REPO_ROOT, Ports

MONITORING = REPO_ROOT / "monitoring"
RULES = MONITORING / "rules" / "imgmesh.rules.yml"
DASHBOARD = MONITORING / "grafana" / "imgmesh.json"


def rule_expressions() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [
        (rule.get("record") or rule["alert"], rule["expr"])
        for group in groups
        for rule in group["rules"]
    ]


def dashboard_expressions() -> list[tuple[str, str]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p["targets"]]


def promtool(*args: str, cwd: Path = MONITORING) -> str:
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (make test-deps installs Debian's prometheus)")
    done = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("name", "expr"), rule_expressions() + dashboard_expressions(), ids=lambda v: v[:60]
)
def test_every_expression_parses(name: str, expr: str) -> None:
    promql_parser.parse(expr)


def test_promtool_accepts_the_config_and_the_rules() -> None:
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    assert "SUCCESS" in promtool("check", "rules", "rules/imgmesh.rules.yml")


def test_promtool_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool(
        "test", "rules", "imgmesh.rules.test.yml", cwd=MONITORING / "rules"
    )


def test_the_checked_in_config_is_make_monitors_for_the_default_ports() -> None:
    ports = Ports(8080, 50051, 9101, 8001, 8000, 8002, 50052, 9102)
    assert (MONITORING / "prometheus.yml").read_text() == prometheus_config(
        ports, "rules/imgmesh.rules.yml"
    )


def test_the_dashboard_covers_every_recording_rule() -> None:
    """Each recorded series is on a panel (avg_time_queue_us only feeds the HPA)."""
    used = {expr for _, expr in dashboard_expressions()}
    recorded = {name for name, _ in rule_expressions() if ":" in name}
    assert recorded - used == set()
