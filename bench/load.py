"""Closed-loop HTTP load: N requests at a fixed concurrency, latency percentiles."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp
import numpy as np


@dataclass
class Result:
    """Throughput (req/s) and latency percentiles (ms) of one measured run."""

    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))


async def _http_run(urls: list[str], concurrency: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while not queue.empty():
                url = queue.get_nowait()
                start = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{url}: HTTP {resp.status}")
                latencies.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, latencies


def http_load(name: str, urls: list[str], concurrency: int, warmup: int = 0) -> Result:
    """GET every url (``warmup`` first, unmeasured) with ``concurrency`` in flight."""
    if warmup:
        asyncio.run(_http_run(urls[:warmup], concurrency))
    seconds, latencies = asyncio.run(_http_run(urls, concurrency))
    return Result(name, len(urls), seconds, latencies)
