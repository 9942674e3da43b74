"""Soak: a bounded mixed load (thumbnails and background removal, distinct
URLs) at a fixed concurrency for a fixed time, with the RSS of each service
(its whole process group: Triton's python-backend stubs included) sampled every
second. Prints start / after-warm-up / peak / end RSS and the growth after
warm-up. ``python -m bench.soak [--seconds 120] [--concurrency 16]``."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

from bench.__main__ import prepare_origin
from mesh.processes import Mesh, Ports, group_rss_mb


async def load(base: str, names: list[str], seconds: float, concurrency: int) -> tuple[int, int]:
    """Closed loop until ``seconds`` pass; every 4th request removes a background."""
    deadline = time.monotonic() + seconds
    counter = 0
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def worker() -> None:
            nonlocal counter, errors
            while time.monotonic() < deadline:
                i = counter
                counter += 1
                name = names[i % len(names)]
                width = 100 + i % 900  # distinct URLs: no cache hits
                tr = f"e-bgremove,w-{width}" if i % 4 == 0 else f"w-{width},h-{width},f-webp"
                async with session.get(f"{base}/{name}?tr={tr}") as resp:
                    await resp.read()
                    errors += resp.status != 200

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counter, errors


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
            samples: dict[str, list[tuple[float, float]]] = {k: [] for k in groups}
            stop = threading.Event()
            start = time.monotonic()

            def sample() -> None:
                while not stop.is_set():
                    for name, pgid in groups.items():
                        samples[name].append((time.monotonic() - start, group_rss_mb(pgid)))
                    stop.wait(1.0)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            done, errors = asyncio.run(load(mesh.gateway_url, names, a.seconds, a.concurrency))
            stop.set()
            sampler.join()
        finally:
            mesh.stop()
    print(
        f"\nsoak: {done} requests in {a.seconds:.0f} s at concurrency {a.concurrency} "
        f"(1 in 4 e-bgremove), {errors} non-200"
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
