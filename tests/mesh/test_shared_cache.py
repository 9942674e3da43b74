"""Two transform_svc replicas sharing one Redis-compatible result cache."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis

from mesh.processes import Mesh, free_port
from tests.helpers import get

REDIS = shutil.which("redis-server")


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(url, timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if REDIS is None:
        pytest.skip("redis-server is not installed (make test-deps installs it)")
    port = free_port()
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def replicas(mesh: Mesh, redis_url: str, origin_root, tmp_path_factory) -> Iterator[list[str]]:
    """Two (transform_svc, gateway) pairs on the session's Triton, one Redis cache."""
    logs = tmp_path_factory.mktemp("replicas")
    procs, urls = [], []
    for i in range(2):
        t_port, g_port = free_port(), free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "transform_svc",
                    f"--transform-port={t_port}",
                    "--transform-metrics-port=0",
                    f"--origin-root={origin_root}",
                    f"--triton-url=127.0.0.1:{mesh.ports.triton_grpc}",
                    f"--result-cache={redis_url}",
                ],
                stdout=(logs / f"transform{i}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gateway",
                    f"--gateway-port={g_port}",
                    f"--transform-address=127.0.0.1:{t_port}",
                    f"--asset-address=127.0.0.1:{mesh.ports.asset}",
                ],
                stdout=(logs / f"gateway{i}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{g_port}")
    for url in urls:
        _wait(f"{url}/readyz")
    yield urls
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(15)


def test_a_render_on_one_replica_is_a_hit_on_the_other(replicas, redis_url):
    first, second = replicas
    path = "/photos/skimage/chelsea.png?tr=w-77,e-grayscale"
    miss = get(f"{first}{path}")
    assert miss.status == 200 and miss.headers["x-imgmesh-cache"] == "miss"
    hit = get(f"{second}{path}")
    assert hit.headers["x-imgmesh-cache"] == "hit"
    assert hit.body == miss.body and hit.headers["etag"] == miss.headers["etag"]
    keys = redis.Redis.from_url(redis_url).keys("imgmesh:result:*")
    assert len(keys) >= 1
