"""Media-library figures: (j) uploads through ``POST /api/v1/files/upload``
(1 MP JPEGs, concurrency 8), (k) upload -> signed webhook latency of the
``remove-bg`` extension, (l) job-queue throughput on SQLite and on a real
PostgreSQL 15 cluster (no-op jobs, so the queue itself is measured).

``python -m bench.assets`` alone, or as part of ``make bench``."""

from __future__ import annotations

import asyncio
import base64
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyvips

from asset_svc.db import JobRow, open_engine
from asset_svc.jobs import JobQueue, NewJob, Outcome, run_worker
from asset_svc.migrate import upgrade
from bench.load import FormPost, Result, http_load, post
from gateway.accounts import DEV_KEY
from mesh.fetch_samples import SAMPLE_PHOTOS
from mesh.processes import Mesh, Ports

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{DEV_KEY}:x".encode()).decode()}


def one_mp_jpegs(count: int) -> list[bytes]:
    """``count`` distinct 1155 x 866 JPEGs (q90) from the sample photos."""
    photos = sorted(p for p in SAMPLE_PHOTOS.glob("*") if p.suffix in (".png", ".jpg"))
    out = []
    for i in range(count):
        image = pyvips.Image.thumbnail(str(photos[i % len(photos)]), 1155, height=866, size="force")
        out.append((image + (i % 7)).cast("uchar").jpegsave_buffer(Q=90))
    return out


class _Hook(BaseHTTPRequestHandler):
    arrivals: list[float] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.arrivals.append(time.perf_counter())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def webhook_latency(base: str, photos: list[bytes]) -> list[float]:
    """ms from the start of each upload (remove-bg + webhookUrl) to its webhook."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    latencies = []
    try:
        for i, photo in enumerate(photos):
            _Hook.arrivals.clear()
            start = time.perf_counter()
            post(
                FormPost(
                    f"{base}/api/v1/files/upload",
                    {
                        "fileName": f"cut{i}.jpg",
                        "extensions": '[{"name": "remove-bg"}]',
                        "webhookUrl": hook,
                    },
                    {"file": photo},
                    AUTH,
                )
            )
            while not _Hook.arrivals:
                time.sleep(0.005)
            latencies.append((_Hook.arrivals[0] - start) * 1000)
    finally:
        server.shutdown()
    return latencies


async def jobs_per_second(url: str, jobs: int = 400, workers: int = 2) -> float:
    """No-op jobs claimed, run and finished per second by ``workers`` workers."""
    await asyncio.to_thread(upgrade, url)
    engine, sessions = open_engine(url)
    queue = JobQueue(sessions, lease_s=60)
    await queue.enqueue([NewJob("noop", {"i": i}) for i in range(jobs)])
    done = 0

    async def noop(_job: JobRow) -> Outcome:
        nonlocal done
        done += 1
        return Outcome()

    stop = asyncio.Event()
    start = time.perf_counter()
    tasks = [
        asyncio.create_task(run_worker(queue, {"noop": noop}, stop, poll_s=0.01))
        for _ in range(workers)
    ]
    while done < jobs:
        await asyncio.sleep(0.01)
    seconds = time.perf_counter() - start
    stop.set()
    await asyncio.gather(*tasks)
    await engine.dispose()
    return jobs / seconds


def run(uploads: int = 64, concurrency: int = 8, cutouts: int = 8) -> str:
    """Measure (g), (h), (i); return the tables."""
    from mesh.servers import PG_BIN, postgres

    photos = one_mp_jpegs(uploads)
    with tempfile.TemporaryDirectory() as tmp:
        mesh = Mesh(
            ports=Ports(),
            log_dir=Path(tmp) / "logs",
            state_dir=Path(tmp) / "state",
            result_cache="none",
            env={"IMGMESH_SEGMENTATION_MODEL": "u2netp", "IMGMESH_PRIVATE_HOSTS": "127.0.0.1"},
        )
        mesh.start()
        try:
            forms = [
                FormPost(
                    f"{mesh.gateway_url}/api/v1/files/upload",
                    {"fileName": f"p{i}.jpg"},
                    {"file": photo},
                    AUTH,
                )
                for i, photo in enumerate(photos)
            ]
            upload = http_load(
                f"upload 1 MP JPEG, concurrency {concurrency}", forms, concurrency, warmup=8
            )
            hooks = webhook_latency(mesh.gateway_url, photos[:cutouts])
        finally:
            mesh.stop()
        sqlite_rate = asyncio.run(jobs_per_second(f"sqlite+aiosqlite:///{tmp}/jobs.db"))
    pg_rate = None
    if (PG_BIN / "initdb").exists():
        with postgres() as url:
            pg_rate = asyncio.run(jobs_per_second(url))
    lines = [
        "\n(j) ImageKit upload API, 1 MP JPEG (each decoded by transform_svc, stored)",
        f"| {'run':<46} | {'n':>4} | {'req/s':>7} | {'p50 ms':>8} | {'p99 ms':>8} |",
        f"|{'-' * 48}|{'-' * 6}|{'-' * 9}|{'-' * 10}|{'-' * 10}|",
        _row(upload),
        f"\n(k) upload -> remove-bg webhook (u2netp, 1 MP), one at a time, n={len(hooks)}:"
        f" median {statistics.median(hooks):.0f} ms, p99 {np.percentile(hooks, 99):.0f} ms",
        f"\n(l) job queue, no-op jobs, 2 workers: SQLite {sqlite_rate:.0f} jobs/s, "
        + (f"PostgreSQL 15 {pg_rate:.0f} jobs/s" if pg_rate else "PostgreSQL not installed"),
    ]
    return "\n".join(lines)


def _row(result: Result) -> str:
    return (
        f"| {result.name:<46} | {result.requests:>4} | {result.rps:7.2f} | "
        f"{result.pct(50):8.1f} | {result.pct(99):8.1f} |"
    )


if __name__ == "__main__":
    print(run())
