"""Crash containment on a mesh of its own whose graph limits are raised far
above the defaults, so graphs the gateway normally refuses reach libvips:

* a native crash (SIGSEGV in libvips) inside a render worker is a 503
  ``render_failed`` with Retry-After; the service keeps answering, the next
  render succeeds, and the same graph repeated is answered from the
  remembered failure without crashing another worker;
* a render past its deadline is a 504 and leaves no CPU burning;
* memory returns: RSS after 20 large renders stays within 20 % of the RSS
  after the first ones;
* ``require-signed=ai`` covers every step that calls a model, in layers too;
* the local supervisor restarts a SIGKILLed transform_svc and the gateway
  recovers without a restart of its own.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pyvips

from mesh.fetch_samples import SAMPLE_PHOTOS
from mesh.processes import Mesh, Ports, tree_cpu_s, tree_pids, tree_rss_mb
from mesh.supervisor import Supervisor
from tests.helpers import extra_gateway, get

RAISED = {  # contract.limits.Limits, raised so the gateway lets these through
    "IMGMESH_MAX_STEPS": "1000",
    "IMGMESH_MAX_TOTAL_STEPS": "1000",
    "IMGMESH_MAX_TEXT_PIXELS": "10000000000",
}
CRASH = ":".join(["bl-5"] * 500)  # overflows libvips' stack: SIGSEGV (issue [6])
SLOW = ":".join(["e-sharpen"] * 500)  # minutes of CPU and GBs of RSS if let run


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    root = tmp_path_factory.mktemp("containment_origin")
    photo = pyvips.Image.new_from_file(str(SAMPLE_PHOTOS / "rocket.jpg"))
    (root / "photos").mkdir()
    photo.write_to_file(str(root / "photos" / "rocket.jpg"))
    camera = photo.resize(4032 / photo.width, vscale=3024 / photo.height)  # 12.2 MP
    camera.write_to_file(str(root / "photos" / "camera.jpg"), Q=90)
    m = Mesh(
        ports=Ports(),
        origin_root=root,
        log_dir=tmp_path_factory.mktemp("containment_logs"),
        state_dir=tmp_path_factory.mktemp("containment_state"),
        result_cache="none",
        env={
            **RAISED,
            "IMGMESH_SIGNING_KEY": "containment-key",
            "IMGMESH_RENDER_TIMEOUT_S": "30",
            "IMGMESH_WORKERS": "2",
            "IMGMESH_FAILURE_TTL_S": "60",
            "IMGMESH_SEGMENTATION_MODEL": "u2netp",
        },
        gateway_args=["--require-signed=ai"],
    )
    m.start()
    yield m
    m.stop()


def transform_pid(mesh: Mesh) -> int:
    return mesh.procs["transform_svc"].pid


def worker_pids(mesh: Mesh) -> set[int]:
    """transform_svc's render workers (its children but the resource tracker)."""
    found = set()
    for pid in tree_pids(transform_pid(mesh))[1:]:
        try:
            with open(f"/proc/{pid}/cmdline") as f:
                if "resource_tracker" not in f.read():
                    found.add(pid)
        except OSError:
            continue
    return found


def test_native_crash_is_503_and_the_service_goes_on(hardened: Mesh) -> None:
    base = hardened.gateway_url
    before = worker_pids(hardened)
    r = get(f"{base}/photos/rocket.jpg?tr={CRASH}")
    assert r.status == 503, r.body[:300]
    assert r.json()["code"] == "render_failed"
    assert r.headers["retry-after"]
    assert "SIGSEGV" in r.json()["message"]
    # the service answers, the crashed worker was replaced, the next render works
    ok = get(f"{base}/photos/rocket.jpg?tr=w-200")
    assert ok.status == 200 and ok.image().width == 200
    after = worker_pids(hardened)
    assert len(after) == 2 and len(after - before) == 1
    # the same graph again: the remembered failure, no second crash
    start = time.monotonic()
    again = get(f"{base}/photos/rocket.jpg?tr={CRASH}")
    assert again.status == 503 and again.json()["code"] == "render_failed"
    assert time.monotonic() - start < 2
    assert worker_pids(hardened) == after


def test_render_past_its_deadline_is_504_and_burns_no_cpu(hardened: Mesh, tmp_path: Path) -> None:
    flags = ["--render-timeout-s=3"]  # a second gateway with a 3 s render deadline
    with extra_gateway(hardened.ports, flags, RAISED, tmp_path / "gw.log") as url:
        start = time.monotonic()
        r = get(f"{url}/photos/rocket.jpg?tr={SLOW}")
        assert r.status == 504, r.body[:300]
        assert r.json()["code"] == "timeout"
        assert time.monotonic() - start < 6
        time.sleep(2)  # the worker is stopped at the deadline; give it time to go
        pid = transform_pid(hardened)
        cpu_before = tree_cpu_s(pid)
        time.sleep(2)
        burnt = tree_cpu_s(pid) - cpu_before
        assert burnt < 0.5, f"transform_svc used {burnt:.2f} s of CPU in 2 s after the deadline"
        # the abandoned render's error was retrieved, not left for asyncio to complain of
        assert "never retrieved" not in (hardened.log_dir / "transform_svc.log").read_text()
        assert get(f"{hardened.gateway_url}/photos/rocket.jpg?tr=w-210").status == 200


def test_memory_returns_after_large_renders(hardened: Mesh) -> None:
    base = hardened.gateway_url
    pid = transform_pid(hardened)

    def render(i: int) -> int:
        return get(f"{base}/photos/camera.jpg?tr=w-{3000 + i},e-sharpen,q-{50 + i}").status

    with ThreadPoolExecutor(2) as pool:  # both workers render at least once
        assert set(pool.map(render, range(4))) == {200}
    first = tree_rss_mb(pid)
    with ThreadPoolExecutor(2) as pool:
        assert set(pool.map(render, range(4, 24))) == {200}
    after = tree_rss_mb(pid)
    assert after <= 1.2 * first, (
        f"RSS {first:.0f} MB after the first renders, {after:.0f} MB after 20 more"
    )


@pytest.mark.parametrize(
    "tr",
    [
        "w-200,h-200,fo-face",
        "w-200,h-200,fo-person",
        "e-bgremove",
        "e-upscale",
        "l-image,i-photos@@rocket.jpg,w-100,e-bgremove,l-end",
        "l-image,i-photos@@rocket.jpg,w-100,h-100,fo-face,l-end",
    ],
)
def test_require_signed_ai_covers_every_model_step(hardened: Mesh, tr: str) -> None:
    r = get(f"{hardened.gateway_url}/photos/rocket.jpg?tr={tr}")
    assert r.status == 401, r.body[:200]
    assert r.json()["code"] == "signature_required"


def test_require_signed_ai_lets_plain_edits_through(hardened: Mesh) -> None:
    r = get(f"{hardened.gateway_url}/photos/rocket.jpg?tr=w-120,l-text,i-hi,l-end")
    assert r.status == 200


def test_text_that_cannot_be_rendered_is_422(hardened: Mesh) -> None:
    text = "imgmesh" * 430  # 3010 characters at fs-200: beyond the text renderer
    r = get(f"{hardened.gateway_url}/photos/rocket.jpg?tr=l-text,i-{text},fs-200,l-end")
    assert r.status == 422, r.body[:300]
    assert r.json()["code"] == "impossible_edit"


def test_supervisor_restarts_a_killed_transform_svc(hardened: Mesh) -> None:
    """Last in this module: it replaces the mesh's transform_svc."""
    base = hardened.gateway_url
    gateway_pid = hardened.procs["gateway"].pid
    workers = worker_pids(hardened)
    os.killpg(os.getpgid(transform_pid(hardened)), signal.SIGKILL)
    hardened.procs["transform_svc"].wait(10)
    lines: list[str] = []
    stop = threading.Event()
    supervisor = Supervisor(hardened, log=lines.append)
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline:
            status = get(f"{base}/photos/rocket.jpg?tr=w-{150 + int(time.monotonic()) % 50}").status
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200
    finally:
        stop.set()
        thread.join(30)
    assert any("transform_svc exited with -9" in line for line in lines), lines
    assert hardened.procs["gateway"].pid == gateway_pid
    assert hardened.procs["gateway"].poll() is None
    alive = [pid for pid in workers if os.path.exists(f"/proc/{pid}") and _running(pid)]
    assert not alive, f"render workers outlived their server: {alive}"


def _running(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"
