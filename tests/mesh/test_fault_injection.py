"""Fault injection on a mesh of its own: Triton SIGKILLed mid-load and
restarted; transform_svc killed and restarted. Only the requests that need
the missing part fail, with 503 + Retry-After, and everything recovers
without restarting the other services."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mesh.processes import Mesh, Ports
from tests.helpers import Reply, get

# {} = a width in px, distinct per request so no result or failure is reused
AI = "/photos/skimage/coffee.png?tr=e-bgremove,w-{}"
PLAIN = "/photos/skimage/coffee.png?tr=w-{}"


@pytest.fixture(scope="module")
def lone_mesh(origin_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    m = Mesh(
        ports=Ports(),
        origin_root=origin_root,
        log_dir=tmp_path_factory.mktemp("fault_logs"),
        state_dir=tmp_path_factory.mktemp("fault_state"),
        result_cache="none",
    )
    m.start()
    yield m
    m.stop()


def poll(url: str, want: int, timeout_s: float = 90) -> Reply:
    deadline = time.monotonic() + timeout_s
    i = 0
    while True:
        r = get(url.format(300 + i) if "{}" in url else url, timeout=30)
        if r.status == want or time.monotonic() > deadline:
            return r
        i += 1
        time.sleep(1)


def test_triton_sigkill_fails_only_ai_requests_then_recovers(lone_mesh: Mesh):
    base = lone_mesh.gateway_url
    assert get(base + AI.format(101)).status == 200
    transform_pid = lone_mesh.procs["transform_svc"].pid
    gateway_pid = lone_mesh.procs["gateway"].pid
    triton = lone_mesh.triton
    assert triton is not None and triton.process is not None

    # kill Triton while AI requests are in flight
    with ThreadPoolExecutor(4) as pool:
        pending = [pool.submit(get, base + AI.format(110 + i)) for i in range(4)]
        time.sleep(0.3)
        os.killpg(triton.process.pid, signal.SIGKILL)
        in_flight = [f.result() for f in pending]
    triton.process.wait()
    triton.clean_shm()
    assert all(r.status in (200, 503) for r in in_flight), [r.status for r in in_flight]

    down = get(base + AI.format(120))
    assert down.status == 503 and down.json()["code"] == "model_unavailable"
    assert int(down.headers["retry-after"]) > 0
    assert get(base + PLAIN.format(121)).status == 200  # non-AI keeps working

    lone_mesh.start_triton()
    back = poll(base + AI, 200)
    assert back.status == 200, back.body[:200]
    # the same transform_svc and gateway processes reconnected by themselves
    assert lone_mesh.procs["transform_svc"].pid == transform_pid
    assert lone_mesh.procs["gateway"].pid == gateway_pid


def test_transform_killed_gives_503_then_recovers(lone_mesh: Mesh):
    base = lone_mesh.gateway_url
    gateway_pid = lone_mesh.procs["gateway"].pid
    proc = lone_mesh.procs.pop("transform_svc")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    down = get(base + PLAIN.format(130))
    assert down.status == 503 and down.json()["code"] == "transform_unavailable"
    assert int(down.headers["retry-after"]) > 0
    lone_mesh.start_transform()
    back = poll(base + PLAIN, 200)
    assert back.status == 200
    assert lone_mesh.procs["gateway"].pid == gateway_pid


@pytest.mark.parametrize("service", ["transform_svc", "gateway"])
def test_sigterm_drains_in_flight_requests(lone_mesh: Mesh, service: str):
    base = lone_mesh.gateway_url
    proc = lone_mesh.procs[service]
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, base + AI.format(140 if service == "gateway" else 141))
        time.sleep(0.3)  # the render is under way
        os.killpg(proc.pid, signal.SIGTERM)
        assert slow.result().status == 200  # finished, not cut off
    proc.wait(30)
    lone_mesh.procs.pop(service)
    if service == "gateway":
        with pytest.raises(OSError):
            get(base + PLAIN.format(142), timeout=5)  # new requests refused
        lone_mesh.start_gateway()
    else:
        assert get(base + PLAIN.format(143)).status == 503
        lone_mesh.start_transform()
    assert poll(base + PLAIN, 200).status == 200
