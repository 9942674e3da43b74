"""Origins: where source image bytes come from.

* Local origin: a directory root; paths are resolved inside it and anything that
  escapes it (``..``, absolute paths, symlinks pointing out) is "not found", so
  no server path leaks.
* HTTP(S) origin: only hosts on the allow-list; bounded size and time.
* Inline bytes from the request itself.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
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


@dataclass(frozen=True)
class SourceInfo:
    """What identifies a version of the source.

    Attributes:
        validator: changes whenever the source bytes change (mtime+size for
            files, the origin's ETag/Last-Modified for URLs, sha256 for inline).
        last_modified_unix: seconds since the epoch; 0 = unknown.
    """

    validator: str
    last_modified_unix: int = 0


@dataclass(frozen=True)
class Fetched:
    """Source bytes and their version."""

    data: bytes
    info: SourceInfo


class Origin:
    """Fetches the bytes of an ``edit_pb2.Source``."""

    def __init__(self, config: OriginConfig) -> None:
        self.config = config
        self.root = config.root.resolve()
        self._session: aiohttp.ClientSession | None = None

    async def stat(self, source: edit_pb2.Source) -> SourceInfo | None:
        """The source's version without reading it, where that is cheap
        (local files and inline bytes); None for URLs.

        Raises:
            TransformError: source_not_found.
        """
        kind = source.WhichOneof("kind")
        if kind == "origin_path":
            return await asyncio.to_thread(self.stat_local, source.origin_path)
        if kind == "inline_bytes":
            return SourceInfo(hashlib.sha256(source.inline_bytes).hexdigest())
        return None

    async def fetch(self, source: edit_pb2.Source) -> Fetched:
        """Return the encoded source image and its version.

        Raises:
            TransformError: source_not_found, source_forbidden, origin_unavailable,
                image_too_large, invalid_parameter (no source given).
        """
        kind = source.WhichOneof("kind")
        if kind == "origin_path":
            info = await asyncio.to_thread(self.stat_local, source.origin_path)
            data = await asyncio.to_thread(self.read_local, source.origin_path)
            return Fetched(data, info)
        if kind == "url":
            return await self.fetch_url(source.url)
        if kind == "inline_bytes":
            self._check_size(len(source.inline_bytes))
            return Fetched(source.inline_bytes, await self.stat(source))  # type: ignore[arg-type]
        raise TransformError(ErrorCode.ERROR_CODE_INVALID_PARAMETER, "no source image given")

    def stat_local(self, relative: str) -> SourceInfo:
        """Version of a local-origin file: mtime (ns) and size."""
        st = self.resolve_local(relative).stat()
        return SourceInfo(f"{st.st_mtime_ns}-{st.st_size}", int(st.st_mtime))

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

    async def fetch_url(self, url: str) -> Fetched:
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
                data = b"".join(chunks)
                return Fetched(data, _url_info(resp.headers, data))
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


def _url_info(headers: object, data: bytes) -> SourceInfo:
    etag = headers.get("ETag")  # type: ignore[attr-defined]
    modified = headers.get("Last-Modified")  # type: ignore[attr-defined]
    stamp = 0
    if modified:
        try:
            stamp = int(parsedate_to_datetime(modified).timestamp())
        except (TypeError, ValueError):
            stamp = 0
    validator = etag or modified or hashlib.sha256(data).hexdigest()
    return SourceInfo(validator, stamp)
