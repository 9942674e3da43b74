"""Origins: where source image bytes come from.

* Local origin: a directory root; paths are resolved inside it and anything that
  escapes it (``..``, absolute paths, symlinks pointing out) is "not found", so
  no server path leaks.
* HTTP(S) origin: only hosts on the allow-list; bounded size and time. Like
  imgproxy's ``IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES`` & co., a host that
  resolves to a loopback, private, link-local, multicast or reserved address
  is refused (403) unless it is also listed in ``private_hosts``. The check
  lives in the connector's resolver, so it covers every redirect hop and the
  address actually connected to (one lookup; no window for DNS rebinding).
* Inline bytes from the request itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import aiohttp
import grpc
import obstore
from obstore.exceptions import BaseError as ObjectStoreError
from obstore.store import S3Store

from contract import vocabulary
from contract.errors import public_error
from contract.limits import Limits
from grpcutil import channels
from imgmesh.v1 import asset_pb2, asset_pb2_grpc, edit_pb2
from outbound.ssrf import (
    NonPublicAddressError,
    PublicOnlyResolver,
    check_origin_url,
    http_host,
)
from transform_svc.errors import ErrorCode, TransformError, not_found, too_large


@dataclass
class OriginConfig:
    """Origin settings.

    Attributes:
        root: local origin directory.
        allowed_hosts: host names an http(s) source may name; empty = none.
        private_hosts: allowed hosts that may resolve to non-public addresses.
        max_source_bytes: largest source accepted (bytes).
        fetch_timeout_s: total time for one HTTP fetch, redirects included (seconds).
        connect_timeout_s: time to connect (seconds).
        max_redirects: redirect hops followed.
        asset_address: asset_svc ``host:port`` (media-library sources); empty = none.
        s3_sources: ``s3://bucket/key`` URL sources are fetched (else refused).
        s3_buckets: the buckets they may name (none: every s3:// source is refused).
        s3_endpoint: their S3-compatible server (empty: AWS_ENDPOINT_URL or AWS).
    """

    root: Path
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    private_hosts: frozenset[str] = field(default_factory=frozenset)
    max_source_bytes: int = Limits.model_fields["max_source_bytes"].default
    fetch_timeout_s: float = 10.0
    connect_timeout_s: float = 3.0
    max_redirects: int = 3
    asset_address: str = ""
    s3_sources: bool = False
    s3_buckets: frozenset[str] = field(default_factory=frozenset)
    s3_endpoint: str = ""


@dataclass(frozen=True)
class SourceInfo:
    """What identifies a version of the source.

    Attributes:
        validator: changes whenever the source bytes change (mtime+size for
            files, the origin's ETag/Last-Modified for URLs, sha256 for inline,
            version id and customCoordinates for media-library files).
        last_modified_unix: seconds since the epoch; 0 = unknown.
        custom_coordinates: a media-library file's stored ``x,y,w,h`` px
            (fo-custom), or empty.
    """

    validator: str
    last_modified_unix: int = 0
    custom_coordinates: str = ""


@dataclass(frozen=True)
class Fetched:
    """Source bytes and their version."""

    data: bytes
    info: SourceInfo


# Extensions a public id's stem is tried with (Source.by_stem), in this order.
STEM_EXTENSIONS = vocabulary.READ_EXTENSIONS


class Origin:
    """Fetches the bytes of an ``edit_pb2.Source``."""

    def __init__(self, config: OriginConfig) -> None:
        self.config = config
        self.root = config.root.resolve()
        self._session: aiohttp.ClientSession | None = None
        self._assets: asset_pb2_grpc.AssetsStub | None = None
        self._asset_channel: grpc.aio.Channel | None = None
        self._s3_stores: dict[str, Any] = {}

    async def stat(self, source: edit_pb2.Source) -> SourceInfo | None:
        """The source's version without reading it, where that is cheap
        (local files, inline bytes, media-library files: their metadata only,
        so a cached result never moves the blob); None for URLs.

        Raises:
            TransformError: source_not_found; for library files as
                :meth:`fetch_library`.
        """
        kind = source.WhichOneof("kind")
        if kind == "origin_path":
            name = await asyncio.to_thread(self.local_name, source)
            return await asyncio.to_thread(self.stat_local, name)
        if kind == "inline_bytes":
            return SourceInfo(hashlib.sha256(source.inline_bytes).hexdigest())
        if kind == "library":
            return _library_info(await self._library(source.library, metadata_only=True))
        return None

    async def fetch(self, source: edit_pb2.Source) -> Fetched:
        """Return the encoded source image and its version.

        Raises:
            TransformError: source_not_found, source_forbidden, origin_unavailable,
                image_too_large, invalid_parameter (no source given).
        """
        kind = source.WhichOneof("kind")
        if kind == "origin_path":
            name = await asyncio.to_thread(self.local_name, source)
            info = await asyncio.to_thread(self.stat_local, name)
            data = await asyncio.to_thread(self.read_local, name)
            return Fetched(data, info)
        if kind == "url":
            return await self.fetch_url(source.url)
        if kind == "library":
            return await self.fetch_library(source.library)
        if kind == "inline_bytes":
            self._check_size(len(source.inline_bytes))
            return Fetched(source.inline_bytes, await self.stat(source))  # type: ignore[arg-type]
        raise TransformError(ErrorCode.ERROR_CODE_INVALID_PARAMETER, "no source image given")

    async def fetch_library(self, file: edit_pb2.LibraryFile) -> Fetched:
        """The bytes of a media-library file (its current version, or the one
        the URL names), from asset_svc.

        Raises:
            TransformError: source_not_found, source_forbidden (private file,
                unsigned URL), origin_unavailable (asset_svc down).
        """
        reply = await self._library(file, metadata_only=False)
        self._check_size(len(reply.data))
        return Fetched(reply.data, _library_info(reply))

    async def _library(
        self, file: edit_pb2.LibraryFile, *, metadata_only: bool
    ) -> asset_pb2.FetchReply:
        if not self.config.asset_address:
            raise not_found()
        if self._assets is None:
            self._asset_channel = channels.channel(self.config.asset_address)
            self._assets = asset_pb2_grpc.AssetsStub(self._asset_channel)
        request = asset_pb2.FetchRequest(
            account=file.account,
            path=file.path,
            signed=file.signed,
            version_id=file.version_id,
            metadata_only=metadata_only,
        )
        try:
            # wait_for_ready: a restarting asset_svc is waited for (within the
            # fetch timeout) instead of failing the render at once
            return await self._assets.Fetch(
                request, timeout=self.config.fetch_timeout_s, wait_for_ready=True
            )
        except grpc.aio.AioRpcError as exc:
            code = public_error(exc.trailing_metadata()).code
            if code == "source_forbidden":
                raise TransformError(ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN, exc.details()) from None
            if code in ("source_not_found", "not_found"):
                raise not_found() from None
            raise TransformError(
                ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE, "media library unavailable"
            ) from None

    def local_name(self, source: edit_pb2.Source) -> str:
        """The origin path ``source`` reads: ``origin_path`` itself, or with
        ``by_stem`` (a Cloudinary public id) when that is no file, the first
        file of: its stem, its stem plus each of STEM_EXTENSIONS."""
        name = source.origin_path
        if not source.by_stem or self._is_local_file(name):
            return name
        head, _, last = name.rpartition("/")
        stem = last.rpartition(".")[0] or last
        folder = f"{head}/" if head else ""
        # the stem itself first: a public id with an extension of its own
        # ("photo.png") delivered as another format ("photo.png.jpg")
        for candidate in (stem, *(f"{stem}.{ext}" for ext in STEM_EXTENSIONS)):
            if self._is_local_file(folder + candidate):
                return folder + candidate
        return name

    def _is_local_file(self, relative: str) -> bool:
        try:
            self.resolve_local(relative)
        except TransformError:
            return False
        return True

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
        try:
            candidate = (self.root / rel).resolve()
            inside = candidate.is_relative_to(self.root) and candidate.is_file()
        except OSError:  # a name longer than the file system allows, and the like
            inside = False
        if not inside:
            raise not_found()
        return candidate

    def read_local(self, relative: str) -> bytes:
        """Bytes of a file under the local origin root (see :meth:`resolve_local`)."""
        path = self.resolve_local(relative)
        self._check_size(path.stat().st_size)
        return path.read_bytes()

    def _check_url(self, url: str) -> None:
        """Refuse a URL that may not be fetched at all (resolution is checked
        by the connector's :class:`PublicOnlyResolver`).

        Raises:
            TransformError: invalid_parameter (not http(s)), source_forbidden.
        """
        if http_host(url) is None:
            raise TransformError(
                ErrorCode.ERROR_CODE_INVALID_PARAMETER, "source URL must be http(s)"
            )
        # aiohttp does not resolve IP literals, so the resolver never sees them.
        reason = check_origin_url(url, self.config.allowed_hosts, self.config.private_hosts)
        if reason is not None:
            raise TransformError(ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN, reason)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=PublicOnlyResolver(self.config.private_hosts), limit=64
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=self.config.fetch_timeout_s, connect=self.config.connect_timeout_s
                ),
            )
        return self._session

    async def fetch_url(self, url: str) -> Fetched:
        """GET an allow-listed http(s) URL, following at most ``max_redirects``
        redirects (each hop checked like the first), streaming with a size bound.

        Raises:
            TransformError: source_forbidden, source_not_found, origin_unavailable,
                image_too_large, invalid_parameter.
        """
        if url.startswith("s3://"):
            return await self.fetch_s3(url)
        try:
            for _hop in range(self.config.max_redirects + 1):
                self._check_url(url)
                async with self._client().get(url, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        url = urljoin(url, resp.headers["Location"])
                        continue
                    return await self._read(resp)
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, NonPublicAddressError):
                raise TransformError(
                    ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN, str(exc.os_error)
                ) from exc
            raise TransformError(
                ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE, f"origin fetch failed: {exc}"
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransformError(
                ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE,
                f"origin fetch failed: {type(exc).__name__}",
            ) from exc
        raise TransformError(
            ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE,
            f"more than {self.config.max_redirects} redirects",
        )

    async def fetch_s3(self, url: str) -> Fetched:
        """GET ``s3://bucket/key`` with obstore's S3 client (credentials and
        region from the AWS_* environment), within the size limit.

        Raises:
            TransformError: source_forbidden (S3 sources off, or a bucket not in
                s3_buckets), source_not_found,
                origin_unavailable, image_too_large, invalid_parameter.
        """
        if not self.config.s3_sources:
            raise TransformError(
                ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN, "s3:// sources are not enabled"
            )
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise TransformError(ErrorCode.ERROR_CODE_INVALID_PARAMETER, "s3:// URL needs a key")
        if bucket not in self.config.s3_buckets:
            raise TransformError(
                ErrorCode.ERROR_CODE_SOURCE_FORBIDDEN, f"bucket {bucket} is not allowed"
            )
        try:
            result = await obstore.get_async(self._s3(bucket), key)
            self._check_size(result.meta["size"])
            data = bytes(await result.bytes_async())
        except FileNotFoundError as exc:
            raise not_found() from exc
        except ObjectStoreError as exc:
            raise TransformError(
                ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE, "origin fetch failed: S3"
            ) from exc
        self._check_size(len(data))
        etag = result.meta.get("e_tag") or ""
        return Fetched(data, SourceInfo(etag or hashlib.sha256(data).hexdigest()))

    def _s3(self, bucket: str) -> Any:
        """One obstore S3Store per allowed bucket."""
        if bucket not in self._s3_stores:
            endpoint = self.config.s3_endpoint or os.environ.get("AWS_ENDPOINT_URL", "")
            options: dict[str, Any] = {}
            client: dict[str, Any] = {"timeout": f"{self.config.fetch_timeout_s}s"}
            if endpoint:
                options["endpoint"] = endpoint
                client["allow_http"] = endpoint.startswith("http:")
            options.setdefault("region", os.environ.get("AWS_REGION", "us-east-1"))
            self._s3_stores[bucket] = S3Store(bucket, client_options=client, **options)
        return self._s3_stores[bucket]

    async def _read(self, resp: aiohttp.ClientResponse) -> Fetched:
        if resp.status == 404:
            raise not_found()
        if resp.status != 200:
            raise TransformError(
                ErrorCode.ERROR_CODE_ORIGIN_UNAVAILABLE, f"origin answered HTTP {resp.status}"
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

    def _check_size(self, size: int) -> None:
        if size > self.config.max_source_bytes:
            raise too_large(f"source is {size} bytes; limit {self.config.max_source_bytes}")

    async def close(self) -> None:
        """Close the HTTP client session."""
        if self._session is not None:
            await self._session.close()
        if self._asset_channel is not None:
            await self._asset_channel.close()


def _library_info(reply: asset_pb2.FetchReply) -> SourceInfo:
    return SourceInfo(
        f"asset-{reply.version_id}-{reply.custom_coordinates}",
        reply.modified_unix,
        reply.custom_coordinates,
    )


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
