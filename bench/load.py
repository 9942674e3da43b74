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


@dataclass(frozen=True)
class FormPost:
    """A multipart/form-data POST (text fields and file parts)."""

    url: str
    fields: dict[str, str]
    files: dict[str, bytes]
    headers: dict[str, str]

    def form(self) -> aiohttp.FormData:
        data = aiohttp.FormData()
        for name, value in self.fields.items():
            data.add_field(name, value)
        for name, blob in self.files.items():
            data.add_field(name, blob, filename=name, content_type="application/octet-stream")
        return data


Request = str | FormPost  # a URL to GET, or a form to POST


def post(form: FormPost) -> bytes:
    """POST one form and return the body.

    Raises:
        RuntimeError: the answer is not 200.
    """

    async def run() -> bytes:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            async with session.post(form.url, data=form.form(), headers=form.headers) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{form.url}: HTTP {resp.status} {body[:200]!r}")
                return body

    return asyncio.run(run())


async def _http_run(urls: list[Request], concurrency: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[Request] = asyncio.Queue()
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
                if isinstance(url, FormPost):
                    call = session.post(url.url, data=url.form(), headers=url.headers)
                else:
                    call = session.get(url)
                async with call as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{url}: HTTP {resp.status}")
                latencies.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, latencies


def http_load(name: str, urls: list[Request], concurrency: int, warmup: int = 0) -> Result:
    """GET every url / POST every form (``warmup`` first, unmeasured) with
    ``concurrency`` in flight."""
    if warmup:
        asyncio.run(_http_run(urls[:warmup], concurrency))
    seconds, latencies = asyncio.run(_http_run(urls, concurrency))
    return Result(name, len(urls), seconds, latencies)
