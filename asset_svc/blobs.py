"""Blob bytes in an object store (obstore: a local directory by default,
S3-compatible, GCS or Azure by URL). Keys are opaque and never reused: a new
version is a new key, so a blob is written once and only deleted with its file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import obstore
from obstore.store import LocalStore, from_url


def open_store(url: str, **config: Any) -> Any:
    """The store for ``url``: a plain path or ``file:///dir`` (created if
    missing), ``memory:///``, ``s3://bucket[/prefix]`` (credentials, region and
    endpoint from ``config``, e.g. ``endpoint=``, or the ``AWS_*`` environment;
    ``AWS_ENDPOINT_URL`` names an S3-compatible server, plain http allowed), ...

    Raises:
        obstore.exceptions.BaseError: an unknown scheme or bad options.
    """
    if "://" not in url:
        path = Path(url).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return LocalStore(path)
    if url.startswith("file://"):
        path = Path(url.removeprefix("file://")).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return LocalStore(path)
    endpoint = config.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL")
    if url.startswith("s3://") and endpoint:
        config["endpoint"] = endpoint
        client = {"allow_http": endpoint.startswith("http:")}
        return from_url(url, client_options=client, **config)  # type: ignore[arg-type]
    return from_url(url, **config)


class Blobs:
    """Put, get and delete blobs by key."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def put(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key``."""
        await obstore.put_async(self.store, key, data)

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``.

        Raises:
            FileNotFoundError: no such blob.
        """
        result = await obstore.get_async(self.store, key)
        return bytes(await result.bytes_async())

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error when it is already gone)."""
        try:
            await obstore.delete_async(self.store, key)
        except FileNotFoundError:
            pass
