"""Soak: a bounded mixed load (thumbnails and background removal, distinct
URLs, and an attacker's share: long chains, huge layers, huge radii, huge
text, malformed multipart) at a fixed concurrency for a fixed time, with the
RSS of each service (its process tree: render workers and Triton's
python-backend stubs included) sampled every second. Prints start /
after-warm-up / peak / end RSS, the growth after warm-up and the statuses.
``python -m bench.soak [--seconds 120] [--concurrency 16]``."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from bench.__main__ import prepare_origin
from bench.rss import RssSampler
from gateway.accounts import DEV_KEY
from mesh.processes import Mesh, Ports

ATTACKS = (  # each must be a 4xx, never a crash, a 5xx or a stall
    ("GET", "tr=" + ":".join(["e-sharpen"] * 60)),
    ("GET", "tr=" + ":".join(["bl-5"] * 400)),
    ("GET", "tr=l-image,i-bench@@12mp.jpg,w-16384,h-16383,c-force,l-end"),
    ("GET", "tr=e-usm-1000-1000-1000-1000"),
    ("GET", "tr=l-text,i-" + "imgmesh" * 430 + ",fs-200,l-end"),
    ("POST", "--x\r\nnot valid"),
)


async def load(
    base: str, names: list[str], seconds: float, concurrency: int
) -> tuple[int, Counter[int]]:
    """Closed loop until ``seconds`` pass; of every 10 requests 2 remove a
    background, 2 are attacks (:data:`ATTACKS` in turn), 6 are thumbnails."""
    deadline = time.monotonic() + seconds
    counter = 0
    statuses: Counter[int] = Counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def worker() -> None:
            nonlocal counter
            while time.monotonic() < deadline:
                i = counter
                counter += 1
                name = names[i % len(names)]
                width = 100 + i % 900  # distinct URLs: no cache hits
                if i % 10 in (3, 7):
                    method, arg = ATTACKS[(i // 10) % len(ATTACKS)]
                    if method == "POST":
                        request = session.post(
                            f"{base}/v1/segment",
                            data=arg.encode(),
                            headers={
                                "Content-Type": "multipart/form-data; boundary=x",
                                "x-api-key": DEV_KEY,
                            },
                        )
                    else:
                        request = session.get(f"{base}/{name}?{arg}")
                else:
                    tr = f"e-bgremove,w-{width}" if i % 10 in (0, 5) else f"w-{width},f-webp"
                    request = session.get(f"{base}/{name}?tr={tr}")
                async with request as resp:
                    await resp.read()
                    statuses[resp.status] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counter, statuses


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--warmup", type=float, default=20, help="seconds before the baseline sample")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "origin"
        names = prepare_origin(root)
        mesh = Mesh(
            ports=Ports(), origin_root=root, log_dir=Path(tmp) / "logs", result_cache="none"
        )
        mesh.start()
        try:
            assert mesh.triton is not None and mesh.triton.process is not None
            groups = {
                "gateway": mesh.procs["gateway"].pid,
                "transform_svc": mesh.procs["transform_svc"].pid,
                "triton (+ stubs)": mesh.triton.process.pid,
            }
            with RssSampler(groups, every_s=1.0) as sampler:
                done, statuses = asyncio.run(
                    load(mesh.gateway_url, names, a.seconds, a.concurrency)
                )
            samples = sampler.series
        finally:
            mesh.stop()
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    print(
        f"\nsoak: {done} requests in {a.seconds:.0f} s at concurrency {a.concurrency} "
        f"(2 in 10 e-bgremove, 2 in 10 attacks); statuses {dict(sorted(statuses.items()))}; "
        f"{server_errors} 5xx"
    )
    print("| service | start MB | after warm-up MB | peak MB | end MB | growth after warm-up |")
    print("|---|---|---|---|---|---|")
    for name, series in samples.items():
        rss = [mb for _, mb in series]
        warm = next((mb for t, mb in series if t >= a.warmup), rss[0])
        growth = (rss[-1] - warm) / warm * 100
        print(
            f"| {name} | {rss[0]:.0f} | {warm:.0f} | {max(rss):.0f} | {rss[-1]:.0f} | "
            f"{growth:+.1f} % |"
        )


if __name__ == "__main__":
    main()
