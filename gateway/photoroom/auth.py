"""API keys for the Photoroom-style endpoints (``x-api-key`` header) and
per-key usage, reported by ``GET /v2/account``.

Keys come from a JSON file (``--api-keys`` / ``IMGMESH_API_KEYS``):
``{"<key>": {"plan": "plus", "images": 1000}}``; without one, a single
development key (:data:`DEV_KEY`, printed by ``make run``). Usage is counted
in the gateway process (one image per successful edit or segment call); it
starts at zero on restart.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

DEV_KEY = "imgmesh-dev-key"
DEV_PLAN = "dev"
DEV_IMAGES = 100_000


@dataclass
class Account:
    """One key's plan, monthly image allowance and images used."""

    plan: str
    images: int
    used: int = 0

    @property
    def available(self) -> int:
        return max(0, self.images - self.used)


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


class ApiKeys:
    """Key -> :class:`Account`, thread-safe usage counting."""

    def __init__(self, accounts: dict[str, Account]) -> None:
        self._accounts = accounts
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | None) -> ApiKeys:
        """From a JSON file, or the development key when ``path`` is None.

        Raises:
            OSError / ValueError: unreadable or malformed file.
        """
        if path is None:
            return cls({DEV_KEY: Account(DEV_PLAN, DEV_IMAGES)})
        raw = json.loads(path.read_text())
        return cls(
            {key: Account(str(v.get("plan", "basic")), int(v["images"])) for key, v in raw.items()}
        )

    def check(self, key: str | None, *, needs_image: bool) -> Account:
        """The caller's account.

        Raises:
            AuthError: 401 no key, 403 unknown key, 402 no images left.
        """
        if not key:
            raise AuthError(401, "missing_api_key", "the x-api-key header is required")
        account = self._accounts.get(key)
        if account is None:
            raise AuthError(403, "invalid_api_key", "this API key is not valid")
        if needs_image and account.available <= 0:
            raise AuthError(402, "quota_exceeded", "no images left on this plan")
        return account

    def count_image(self, account: Account) -> None:
        """One image delivered."""
        with self._lock:
            account.used += 1
