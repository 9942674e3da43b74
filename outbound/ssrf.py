"""Server-side request forgery guard: outbound requests reach only public
addresses, except hosts an operator lists as private (``IMGMESH_PRIVATE_HOSTS``).

The check runs where the connection is made (an aiohttp resolver that drops
non-public answers), so a DNS answer cannot change between the check and the
connection (https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated, Any
from urllib.parse import urlsplit

import aiohttp
import aiohttp.abc
from pydantic import BeforeValidator
from pydantic_settings import NoDecode

# IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052
# NAT64, RFC 4291's deprecated IPv4-compatible form): judged by that address.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _host_list(value: Any) -> Any:
    if isinstance(value, str):
        return frozenset(h.strip().lower() for h in value.split(",") if h.strip())
    return value


# A settings field holding host names: comma-separated in the environment
# (``IMGMESH_PRIVATE_HOSTS=a.example,b.example``), lower-cased.
HostList = Annotated[frozenset[str], NoDecode, BeforeValidator(_host_list)]


def is_ip(host: str) -> bool:
    """True when ``host`` is an IP literal (aiohttp does not resolve those)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private,
    link-local, multicast, reserved or unspecified; IPv4-mapped IPv6 unwrapped)."""
    ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour  # ::ffff:a.b.c.d, 2002:aabb:ccdd::
        if embedded is None and (ip in NAT64 or ip in IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # 64:ff9b::a.b.c.d, ::a.b.c.d
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


class NonPublicAddressError(OSError):
    """A host resolved only to addresses an origin fetch must not reach."""


class PublicOnlyResolver(aiohttp.abc.AbstractResolver):
    """aiohttp resolver that drops non-public answers for hosts not in
    ``private_hosts``, so the connection goes only where the check said."""

    def __init__(self, private_hosts: frozenset[str]) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._private_hosts = private_hosts

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if host.lower() in self._private_hosts:
            return results
        public = [r for r in results if is_public(r["host"])]
        if not public:
            raise NonPublicAddressError(f"host {host!r} resolves to a non-public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, private_hosts: frozenset[str]) -> str | None:
    """Why ``url`` may not be requested (not http(s), no host, a non-public IP
    literal not listed in ``private_hosts``), or None. Names resolved later are
    checked by :class:`PublicOnlyResolver`."""
    host = http_host(url)
    if host is None:
        return "the URL must be http(s) with a host"
    if is_ip(host) and not is_public(host) and host not in private_hosts:
        return f"{host} is a non-public address"
    return None


def check_origin_url(
    url: str, allowed_hosts: frozenset[str], private_hosts: frozenset[str]
) -> str | None:
    """Why ``url`` may not be fetched as an edit graph's http(s) source: its
    host is not in ``allowed_hosts`` (``IMGMESH_ALLOWED_HOSTS``; empty = none),
    or a reason of :func:`check_url`; None when it may."""
    host = http_host(url)
    if host is not None and host not in allowed_hosts:
        return f"host {host!r} is not an allowed origin"
    return check_url(url, private_hosts)


def http_host(url: str) -> str | None:
    """The lower-case host of an http(s) URL; None for another scheme, no
    host, or a URL ``urlsplit`` cannot parse (an unclosed ``[`` IPv6 host)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return host.lower() if parts.scheme in ("http", "https") and host else None


def public_only_session(
    private_hosts: frozenset[str], timeout: aiohttp.ClientTimeout, limit: int = 64
) -> aiohttp.ClientSession:
    """An aiohttp session whose connections go only to public addresses
    (or to ``private_hosts``)."""
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(private_hosts), limit=limit)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)
