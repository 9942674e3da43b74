"""Result cache backends: encoded outputs keyed by (normalised edit graph,
source version).

* ``disk`` (embedded default): ``diskcache`` with an LRU size bound.
* ``redis``: any Redis-compatible server shared by many transform_svc
  replicas (``redis://host:port/db``); its own maxmemory policy bounds it.

Both store opaque bytes (a serialised RenderReply) with an optional TTL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol


class ResultCache(Protocol):
    """The operations the renderer needs."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: float | None) -> None: ...

    async def close(self) -> None: ...


class DiskCache:
    """On-disk LRU cache.

    Args:
        directory: where entries live (created if missing).
        size_limit_bytes: total size bound; least-recently-used entries go first.
    """

    def __init__(self, directory: Path, size_limit_bytes: int) -> None:
        import diskcache

        self._cache = diskcache.Cache(
            str(directory),
            size_limit=size_limit_bytes,
            eviction_policy="least-recently-used",
        )

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._cache.get, key)

    async def set(self, key: str, value: bytes, ttl_s: float | None) -> None:
        await asyncio.to_thread(self._cache.set, key, value, ttl_s)

    async def close(self) -> None:
        self._cache.close()


class RedisCache:
    """Shared cache on a Redis-compatible server (``redis.asyncio``)."""

    def __init__(self, url: str, prefix: str = "imgmesh:result:") -> None:
        import redis.asyncio as redis

        self._client = redis.from_url(url)
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        return await self._client.get(self._prefix + key)

    async def set(self, key: str, value: bytes, ttl_s: float | None) -> None:
        await self._client.set(self._prefix + key, value, px=int(ttl_s * 1000) if ttl_s else None)

    async def close(self) -> None:
        await self._client.aclose()


class NoCache:
    """Caching switched off."""

    async def get(self, key: str) -> bytes | None:
        return None

    async def set(self, key: str, value: bytes, ttl_s: float | None) -> None:
        return None

    async def close(self) -> None:
        return None


def open_cache(spec: str, default_dir: Path, size_limit_bytes: int) -> ResultCache:
    """``disk`` / ``disk:/path`` / ``redis://...`` / ``none`` -> a cache.

    Raises:
        ValueError: unknown spec.
    """
    if spec == "none":
        return NoCache()
    if spec == "disk" or spec.startswith("disk:"):
        directory = Path(spec[5:]) if spec.startswith("disk:") else default_dir
        return DiskCache(directory, size_limit_bytes)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(spec)
    raise ValueError(f"IMGMESH_RESULT_CACHE={spec!r}; allowed: none, disk[:/path], redis://...")
