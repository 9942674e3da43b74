"""Webhook delivery, signed the Standard Webhooks way
(https://www.standardwebhooks.com: ``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``).

The HMAC key is the secret's UTF-8 bytes, as ImageKit's SDK verifies it
(``ImageKit(webhook_secret=S).webhooks.unwrap``); with the ``standardwebhooks``
library, verify with ``Webhook(S.encode())``. Only a 200 within the timeout
counts as delivered; anything else is retried with exponential backoff and
jitter until the retry window closes (ImageKit: "a maximum of 24 hours",
https://imagekit.io/docs/extensions-overview). Every attempt is recorded.
Webhook URLs obey the same SSRF rules as origin fetches.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from asset_svc.db import JobRow, WebhookAttemptRow
from asset_svc.jobs import NewJob, Outcome, RetryLaterError, backoff_s
from outbound.ssrf import NonPublicAddressError, check_url, public_only_session

KIND = "webhook"
# a receiver that does not accept the connection within this is down, s
CONNECT_TIMEOUT_S = 5.0


def webhook_job(account: str, url: str, body: dict[str, Any], retry_window_s: float) -> NewJob:
    """The job that delivers ``body`` to ``url`` for ``account`` (message id
    fixed now, so every retry carries the same ``webhook-id`` and receivers can
    deduplicate)."""
    payload = {"url": url, "body": body, "msg_id": "msg_" + secrets.token_hex(12)}
    return NewJob(KIND, payload, retry_window_s, account=account)


class WebhookSender:
    """Delivers webhook jobs.

    Args:
        sessions: where attempts are recorded.
        secret: the signing secret (its UTF-8 bytes are the key).
        private_hosts: hosts that may resolve to non-public addresses.
        timeout_s: an answer must come within this, s (connecting: at most
            ``CONNECT_TIMEOUT_S`` of it).
        retry_base_s: first retry delay, s (doubles per attempt).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        secret: str,
        private_hosts: frozenset[str],
        timeout_s: float,
        retry_base_s: float,
    ) -> None:
        self.sessions = sessions
        self.signer = Webhook(secret.encode())
        self.private_hosts = private_hosts
        self.timeout_s = timeout_s
        self.retry_base_s = retry_base_s
        self._session: aiohttp.ClientSession | None = None

    def check(self, url: str) -> str | None:
        """Why ``url`` cannot be a webhook URL, or None."""
        return check_url(url, self.private_hosts)

    def headers(self, msg_id: str, body: bytes) -> dict[str, str]:
        """The Standard Webhooks headers for ``body``, signed now."""
        now = datetime.now(tz=UTC)
        return {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(msg_id, now, body),
        }

    async def deliver(self, job: JobRow) -> Outcome:
        """One delivery attempt of a webhook job.

        Raises:
            RetryLaterError: no 200 within the timeout (the attempt is recorded).
        """
        url, msg_id = job.payload["url"], job.payload["msg_id"]
        body = json.dumps(job.payload["body"], separators=(",", ":")).encode()
        status, error = 0, ""
        reason = self.check(url)
        if reason is not None:
            error = reason
        else:
            if self._session is None:
                self._session = public_only_session(
                    self.private_hosts,
                    aiohttp.ClientTimeout(
                        total=self.timeout_s, sock_connect=min(CONNECT_TIMEOUT_S, self.timeout_s)
                    ),
                    limit=64,
                )
            try:
                async with self._session.post(
                    url, data=body, headers=self.headers(msg_id, body), allow_redirects=False
                ) as resp:
                    status = resp.status
            except aiohttp.ClientConnectorError as exc:
                forbidden = isinstance(exc.os_error, NonPublicAddressError)
                error = "non-public address" if forbidden else "connection failed"
            except (TimeoutError, aiohttp.ClientError) as exc:
                error = type(exc).__name__
        async with self.sessions.begin() as session:
            session.add(
                WebhookAttemptRow(
                    job_id=job.id,
                    attempt=job.attempts,
                    at=time.time(),
                    status_code=status,
                    error=error,
                )
            )
        if status != 200:
            raise RetryLaterError(
                backoff_s(self.retry_base_s, job.attempts), error or f"HTTP {status}"
            )
        return Outcome()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
