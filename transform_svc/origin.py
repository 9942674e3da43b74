"""Origins: where source image bytes come from.

* Local origin: a directory root; paths are resolved inside it and anything that
  escapes it (``..``, absolute paths, symlinks pointing out) is "not found", so
  no server path leaks.
* HTTP(S) origin: only hosts on the allow-list; bounded size and time.
* Inline bytes from the request itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from imgmesh.v1 import edit_pb2
from transform_svc.errors import ErrorCode, TransformError, not_found, too_large


@dataclass
class OriginConfig:
    """Origin settings.

    Attributes:
        root: local origin directory.
        allowed_hosts: host names an http(s) source may name; empty = none.
        max_source_bytes: largest source accepted (bytes).
        fetch_timeout_s: total time for one HTTP fetch (seconds).
    """

    root: Path
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    max_source_bytes: int = 50 * 1024 * 1024
    fetch_timeout_s: float = 10.0


class Origin:
    """Fetches the bytes of an ``edit_pb2.Source``."""

    def __init__(self, config: OriginConfig) -> None:
        self.config = config
        self.root = config.root.resolve()
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, source: edit_pb2.Source) -> bytes:
        """Return the encoded source image.

        Raises:
            TransformError: source_not_found, source_forbidden, origin_unavailable,
                image_too_large, invalid_parameter (no source given).
        """
        kind = source.WhichOneof("kind")
        if kind == "origin_path":
            return await asyncio.to_thread(self.read_local, source.origin_path)
        if kind == "url":
            return await self.fetch_url(source.url)
        if kind == "inline_bytes":
            self._check_size(len(source.inline_bytes))
            return source.inline_bytes
        raise TransformError(ErrorCode.ERROR_CODE_INVALID_PARAMETER, "no source image given")

    def resolve_local(self, relative: str) -> Path:
        """Resolve ``relative`` inside the origin root.

        Raises:
            TransformError: source_not_found if it escapes the root or is no file.
        """
        rel = relative.lstrip("/")
        if not rel or "\x00" in rel:
            raise not_found()
        candidate = (self.root / rel).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            raise not_found()
        return candidate

    def read_local(self, relative: str) -> bytes:
        """Bytes of a file under the local origin root (see :meth:`resolve_local`)."""
        path = self.resolve_local(relative)
        self._check_size(path.stat().st_size)
        return path.read_bytes()

    async def fetch_url(self, url: str) -> bytes:
        """GET an allow-listed http(s) URL, streaming with a size bound."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransformError(
                ErrorCode.ERROR_CODE_INVALID_PARAMETER, "source URL must be http(s)"
            )
        if parts.hostname.lower() not in self.config.allowed_hosts:
            raise TransformError(
                ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN,
                f"host {parts.hostname!r} is not an allowed origin",
            )
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.fetch_timeout_s)
            )
        try:
            async with self._session.get(url, allow_redirects=False) as resp:
                if resp.status == 404:
                    raise not_found()
                if resp.status != 200:
                    raise TransformError(
                        ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE,
                        f"origin answered HTTP {resp.status}",
                    )
                if resp.content_length is not None:
                    self._check_size(resp.content_length)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(1 << 16):
                    size += len(chunk)
                    self._check_size(size)
                    chunks.append(chunk)
                return b"".join(chunks)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransformError(
                ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE,
                f"origin fetch failed: {type(exc).__name__}",
            ) from exc

    def _check_size(self, size: int) -> None:
        if size > self.config.max_source_bytes:
            raise too_large(f"source is {size} bytes; limit {self.config.max_source_bytes}")

    async def close(self) -> None:
        """Close the HTTP client session."""
        if self._session is not None:
            await self._session.close()
