"""Soak of the job lanes ([18]): is one account's load felt by another?

Two runs on one fresh mesh each, the same healthy load in both. The healthy
account uploads a 256 px PNG with ``remove-bg`` and a webhook every
``--interval`` s and renders URL thumbnails of its files. Its job latency is
the time from the upload's answer to the webhook's arrival. In the second run
a noisy account meanwhile uploads ``--noisy-uploads`` files (4 at a time) with 4 extensions
each (1,000 by default: remove-bg, two auto-taggings, ai-auto-description)
and a webhook whose receiver accepts and never answers. Prints the healthy
account's p50/p99 job latency in both runs and their ratio, the statuses
(5xx counted), the status of one more noisy upload after the run (429 once
its backlog is full), and the RSS of every service.
``python -m bench.soak_jobs [--seconds 600]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import numpy as np
import pyvips
from aiohttp import web

from bench.rss import RssSampler
from gateway.accounts import DEV_KEY
from mesh.processes import Mesh, Ports

NOISY_KEY = "imgmesh-noisy-key"
EXTENSIONS = json.dumps(
    [
        {"name": "remove-bg"},
        {"name": "google-auto-tagging", "maxTags": 5},
        {"name": "aws-auto-tagging", "maxTags": 5},
        {"name": "ai-auto-description"},
    ]
)


def picture(seed: int, side: int = 256) -> bytes:
    """A ``side`` px PNG: a light disc on a dark ground, shifted by ``seed``."""
    y, x = np.mgrid[0:side, 0:side]
    disc = (x - side / 2 - seed % 17) ** 2 + (y - side / 2) ** 2 < (side / 3) ** 2
    pixels = np.where(disc[..., None], [230, 180, 40], [20, 30, 60]).astype(np.uint8)
    return pyvips.Image.new_from_array(pixels).copy(interpretation="srgb").pngsave_buffer()


class Receivers:
    """Two webhook endpoints on 127.0.0.1: ``/ok`` records each arrival time
    by file id and answers 200; ``/hang`` accepts and never answers."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.outcomes: Counter[str] = Counter()
        self.hanging = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 (``url`` is then set)."""

        async def ok(request: web.Request) -> web.Response:
            body = await request.json()
            file_id = body.get("fileId") or body.get("fileObject", {}).get("fileId", "")
            self.arrived.setdefault(file_id, time.monotonic())
            self.outcomes[body.get("status", "")] += 1
            return web.Response()

        async def hang(request: web.Request) -> web.Response:
            self.hanging += 1
            await asyncio.Event().wait()
            return web.Response()

        app = web.Application()
        app.router.add_post("/ok", ok)
        app.router.add_post("/hang", hang)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening; requests still hanging are dropped."""
        if self.runner is not None:
            await self.runner.cleanup()


async def upload(
    session: aiohttp.ClientSession, base: str, key: str, i: int, extensions: str, hook: str
) -> tuple[int, dict]:
    """Upload ``picture(i)`` for ``key`` with ``extensions`` (JSON) and webhook
    ``hook``; returns the status and the JSON answer."""
    form = aiohttp.FormData()
    for name, value in {
        "fileName": f"soak_{i}.png",
        "folder": "/soak",
        "extensions": extensions,
        "webhookUrl": hook,
    }.items():
        form.add_field(name, value)
    form.add_field("file", picture(i), filename=f"soak_{i}.png", content_type="image/png")
    async with session.post(
        f"{base}/api/v1/files/upload", data=form, headers={"x-api-key": key}
    ) as resp:
        return resp.status, await resp.json()


async def run(base: str, seconds: float, interval: float, noisy_uploads: int) -> dict:
    """One run; returns the healthy latencies (s), statuses and noisy counts."""
    hooks = Receivers()
    await hooks.start()
    statuses: Counter[int] = Counter()
    sent: dict[str, float] = {}
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        deadline = time.monotonic() + seconds
        urls: list[str] = []

        async def healthy_uploads() -> None:
            i = 0
            while time.monotonic() < deadline:
                status, body = await upload(
                    session,
                    base,
                    DEV_KEY,
                    100_000 + i,
                    '[{"name": "remove-bg"}]',
                    hooks.url + "/ok",
                )
                statuses[status] += 1
                if status == 200:
                    sent[body["fileId"]] = time.monotonic()
                    urls.append(body["url"])
                i += 1
                await asyncio.sleep(interval)

        async def healthy_renders() -> None:
            i = 0
            while time.monotonic() < deadline:
                if not urls:
                    await asyncio.sleep(0.2)
                    continue
                async with session.get(f"{urls[i % len(urls)]}?tr=w-{60 + i % 200}") as resp:
                    await resp.read()
                    statuses[resp.status] += 1
                i += 1

        pending = iter(range(noisy_uploads))

        async def noisy() -> None:  # 4 at a time, as fast as they are answered
            for i in pending:
                status, _ = await upload(
                    session, base, NOISY_KEY, i, EXTENSIONS, hooks.url + "/hang"
                )
                statuses[status] += 1

        await asyncio.gather(
            healthy_uploads(), healthy_renders(), healthy_renders(), *(noisy() for _ in range(4))
        )
        overflow = None
        if noisy_uploads:  # its backlog is still full of hanging webhooks: 429 expected
            overflow, _ = await upload(
                session, base, NOISY_KEY, noisy_uploads, EXTENSIONS, hooks.url + "/hang"
            )
        grace = time.monotonic() + 120  # the last jobs' webhooks
        while set(sent) - set(hooks.arrived) and time.monotonic() < grace:
            await asyncio.sleep(0.2)
    await hooks.stop()
    latencies = [hooks.arrived[f] - t for f, t in sent.items() if f in hooks.arrived]
    return {
        "latencies": latencies,
        "lost": len(set(sent) - set(hooks.arrived)),
        "statuses": statuses,
        "hanging": hooks.hanging,
        "outcomes": hooks.outcomes,
        "overflow": overflow,
    }


def one_run(seconds: float, interval: float, noisy_uploads: int) -> tuple[dict, dict]:
    """A fresh mesh; returns the run's result and each service's RSS series (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "api_keys.json"
        keys.write_text(
            json.dumps(
                {
                    DEV_KEY: {"plan": "dev", "images": 100_000, "id": "dev"},
                    NOISY_KEY: {"plan": "dev", "images": 100_000, "id": "noisy"},
                }
            )
        )
        (Path(tmp) / "origin").mkdir()
        mesh = Mesh(
            ports=Ports(),
            origin_root=Path(tmp) / "origin",
            log_dir=Path(tmp) / "logs",
            state_dir=Path(tmp) / "state",
            env={"IMGMESH_PRIVATE_HOSTS": "127.0.0.1", "IMGMESH_SEGMENTATION_MODEL": "u2netp"},
            gateway_args=[f"--api-keys={keys}"],
        )
        mesh.start()
        pids = {name: mesh.procs[name].pid for name in ("gateway", "asset_svc", "transform_svc")}
        try:
            with RssSampler(pids, every_s=1.0) as sampler:
                result = asyncio.run(run(mesh.gateway_url, seconds, interval, noisy_uploads))
        finally:
            mesh.stop()
    return result, {name: sampler.mb(name) for name in pids}


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``; NaN when empty."""
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--interval", type=float, default=1.0, help="s between healthy uploads")
    p.add_argument("--noisy-uploads", type=int, default=250, help="x 4 extensions each")
    a = p.parse_args()
    quiet, quiet_rss = one_run(a.seconds, a.interval, 0)
    noisy, noisy_rss = one_run(a.seconds, a.interval, a.noisy_uploads)
    print(f"\nsoak_jobs: {a.seconds:.0f} s per run, a healthy upload every {a.interval} s")
    print(
        "| run | healthy jobs | outcomes | lost | p50 s | p99 s | statuses | 5xx | hung webhooks |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in (("healthy alone", quiet), (f"+ noisy ({a.noisy_uploads * 4} ext.)", noisy)):
        lat = r["latencies"]
        errors = sum(n for s, n in r["statuses"].items() if s >= 500)
        print(
            f"| {name} | {len(lat)} | {dict(r['outcomes'])} | {r['lost']} | "
            f"{percentile(lat, 50):.2f} | "
            f"{percentile(lat, 99):.2f} | {dict(sorted(r['statuses'].items()))} | {errors} | "
            f"{r['hanging']} |"
        )
    print(f"the noisy account's next upload, after the run: {noisy['overflow']}")
    ratio = percentile(noisy["latencies"], 99) / percentile(quiet["latencies"], 99)
    print(f"p99 ratio (with noisy / alone): {ratio:.2f} (target <= 2)")
    print("| run | service | start MB | after 20 s MB | peak MB | end MB |")
    print("|---|---|---|---|---|---|")
    for name, series in (("alone", quiet_rss), ("noisy", noisy_rss)):
        for service, mb in series.items():
            warm = mb[min(20, len(mb) - 1)]
            print(
                f"| {name} | {service} | {mb[0]:.0f} | {warm:.0f} | {max(mb):.0f} | {mb[-1]:.0f} |"
            )


if __name__ == "__main__":
    main()
