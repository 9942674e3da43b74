"""API keys and the accounts they open, for every API that takes a key: the
Photoroom-style REST API (``x-api-key``), the Images API (``x-api-key``) and
ImageKit's Upload/Files API (HTTP Basic, the key as user name; the password the
SDK sends is ignored).

Keys come from a JSON file (``--api-keys`` / ``IMGMESH_API_KEYS``):
``{"<key>": {"plan": "plus", "images": 1000, "id": "acme", "public_key": "..."}}``; without one, a
single development key (:data:`DEV_KEY`, printed by ``make run``). ``id`` is the
account's media-library URL endpoint (``<base>/<id>/<filePath>``), by default
the first 12 hex digits of the key's SHA-256. Usage is counted by asset_svc, in
its database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

DEV_KEY = "imgmesh-dev-key"
DEV_PLAN = "dev"
DEV_IMAGES = 100_000
DEV_ID = "dev"
DEV_PUBLIC_KEY = "imgmesh-dev-public-key"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# first path segments of the APIs (gateway.route_fallbacks): an account's URL
# endpoint named so would be shadowed by them
RESERVED_IDS = frozenset({"v1", "v2", "api", "console", "thumbor", "imgproxy", "cloudinary"})


@dataclass(frozen=True)
class Account:
    """One key's plan, monthly image allowance (REST API), library id and
    public key (ImageKit's pair: client-side uploads name the public key and
    are signed with the private one; "" = none)."""

    plan: str
    images: int
    id: str
    public_key: str = ""


class AuthError(Exception):
    """Missing key (401), unknown key (403) or no images left (402).

    Attributes:
        status: HTTP status. code: stable machine-readable code.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def default_id(key: str) -> str:
    """The library id of a key without one: 12 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def key_of(request: web.Request) -> str | None:
    """The API key of a request: ``x-api-key``, else the user name of HTTP
    Basic auth (ImageKit's SDKs send ``Basic base64(key:password)``)."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or None


class ApiKeys:
    """Key -> :class:`Account`."""

    def __init__(self, accounts: dict[str, Account]) -> None:
        self._accounts = accounts
        self.ids = frozenset(a.id for a in accounts.values())

    @classmethod
    def load(cls, path: Path | None) -> ApiKeys:
        """From a JSON file, or the development key when ``path`` is None.

        Raises:
            OSError / ValueError: unreadable or malformed file (an ``id`` that is
                not 1..64 of a-z 0-9 _ -, used twice, or in RESERVED_IDS).
        """
        if path is None:
            return cls({DEV_KEY: Account(DEV_PLAN, DEV_IMAGES, DEV_ID, DEV_PUBLIC_KEY)})
        raw = json.loads(path.read_text())
        accounts = {
            key: Account(
                str(v.get("plan", "basic")),
                int(v["images"]),
                str(v.get("id", default_id(key))),
                str(v.get("public_key", "")),
            )
            for key, v in raw.items()
        }
        ids = [a.id for a in accounts.values()]
        if len(set(ids)) != len(ids) or not all(_ID.match(i) for i in ids):
            raise ValueError("account ids must be unique, 1..64 of a-z 0-9 _ -")
        if reserved := sorted(set(ids) & RESERVED_IDS):
            raise ValueError(f"account ids {reserved} are reserved for the APIs' paths")
        public = [a.public_key for a in accounts.values() if a.public_key]
        if len(set(public)) != len(public) or set(public) & set(accounts):
            raise ValueError("public keys must be unique and differ from every private key")
        return cls(accounts)

    def by_public_key(self, public_key: str) -> tuple[str, Account] | None:
        """(private key, account) of the pair whose public key is ``public_key``."""
        if not public_key:
            return None
        return next(((k, a) for k, a in self._accounts.items() if a.public_key == public_key), None)

    def key_for_id(self, account_id: str) -> str | None:
        """The key of the account with library id ``account_id`` (it signs that
        library's private URLs, as an ImageKit private key does)."""
        return next((k for k, a in self._accounts.items() if a.id == account_id), None)

    def known(self, key: str | None) -> bool:
        """True when ``key`` is one of the private keys."""
        return key is not None and key in self._accounts

    def check(self, key: str | None) -> Account:
        """The caller's account.

        Raises:
            AuthError: 401 no key, 403 unknown key.
        """
        if not key:
            raise AuthError(401, "missing_api_key", "an API key is required (x-api-key)")
        account = self._accounts.get(key)
        if account is None:
            raise AuthError(403, "invalid_api_key", "this API key is not valid")
        return account
