"""Fetching an upload's ``file`` URL: any public http(s) address (SSRF rules:
loopback and private addresses only for ``IMGMESH_PRIVATE_HOSTS``), at most 3
redirects, size-bounded while streaming."""

from __future__ import annotations

from urllib.parse import urljoin

import aiohttp

from asset_svc.errors import AssetError
from outbound.ssrf import NonPublicAddressError, check_url, public_only_session

MAX_REDIRECTS = 3


async def fetch(
    url: str, private_hosts: frozenset[str], max_bytes: int, timeout_s: float = 30.0
) -> bytes:
    """The body of ``url``.

    Raises:
        AssetError: invalid_parameter (not http(s)), source_forbidden
            (non-public address), source_not_found (404), origin_unavailable,
            image_too_large.
    """
    async with public_only_session(
        private_hosts, aiohttp.ClientTimeout(total=timeout_s), limit=4
    ) as session:
        try:
            for _ in range(MAX_REDIRECTS + 1):
                reason = check_url(url, private_hosts)
                if reason is not None:
                    code = "source_forbidden" if "non-public" in reason else "invalid_parameter"
                    raise AssetError(code, f"file URL: {reason}", "file")
                async with session.get(url, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        url = urljoin(url, resp.headers["Location"])
                        continue
                    if resp.status == 404:
                        raise AssetError("source_not_found", "the file URL answered 404", "file")
                    if resp.status != 200:
                        raise AssetError(
                            "origin_unavailable", f"the file URL answered HTTP {resp.status}"
                        )
                    chunks, size = [], 0
                    async for chunk in resp.content.iter_chunked(1 << 16):
                        size += len(chunk)
                        if size > max_bytes:
                            raise AssetError(
                                "image_too_large", f"the file is over {max_bytes} bytes", "file"
                            )
                        chunks.append(chunk)
                    return b"".join(chunks)
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, NonPublicAddressError):
                raise AssetError(
                    "source_forbidden", "file URL: a non-public address", "file"
                ) from None
            raise AssetError("origin_unavailable", "the file URL could not be reached") from None
        except (TimeoutError, aiohttp.ClientError):
            raise AssetError("origin_unavailable", "the file URL could not be read") from None
    raise AssetError("origin_unavailable", f"more than {MAX_REDIRECTS} redirects")
