"""A durable job queue in the asset database, claimed with leases.

A worker claims the oldest due job: a queued one whose ``run_after`` has
passed, or a running one whose lease expired because its worker died. On
PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED``, so
concurrent workers pass each other; on SQLite (no row locks) the claim is a
compare-and-set on the attempt count. A job's handler makes its effect
idempotent by keying it on the job id (``VersionRow.job_id``), and the job is
finished, together with any follow-up jobs, in one transaction: a crash
mid-job re-runs it after the lease and the effect still happens once.

Workers are shared fairly between accounts: a queue can hold at most
``per_account`` running jobs of one account, so one account's backlog or
hanging webhook receiver occupies that many workers and leaves the rest to
the others (a worker skips the jobs of an account at its cap). A queue may
serve only some job ``kinds``, so webhook deliveries and renders run in
separate lanes. A worker renews its job's lease every third of
``lease_s`` while the handler runs, so a long job is neither re-run
concurrently nor dropped from its account's count. Within one replica claims
are serialised by a lock; across replicas on PostgreSQL by a transaction-level
advisory lock per lane, so the cap is exact there too (SQLite serves one
replica).

An account's backlog, its queued and running jobs of every kind, is bounded
where requests add jobs (:class:`BacklogBound`). A finished job's follow-up
(the webhook of a render) replaces it in the same transaction, so it never
grows the count.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asset_svc.db import JobRow
from asset_svc.errors import AssetError

log = logging.getLogger("asset_svc.jobs")

# A job whose lease ran out this many times (its worker died each time) is
# failed instead of claimed again; retries a handler asks for are not counted
# against it (they end at the job's retry window).
MAX_CLAIMS = 5

JOBS = Counter(
    "imgmesh_asset_jobs_total",
    "Job runs, by kind, account and outcome",
    ["kind", "account", "outcome"],
)
JOB_SECONDS = Histogram(
    "imgmesh_asset_job_seconds",
    "Job run time, seconds",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)


class RetryLaterError(Exception):
    """The job failed this time; run it again after ``delay_s`` (unless its
    retry window is over, then it fails for good)."""

    def __init__(self, delay_s: float, error: str) -> None:
        super().__init__(error)
        self.delay_s = delay_s
        self.error = error


@dataclass
class NewJob:
    """A job to enqueue: its kind, payload, how long it may be retried (s),
    and the account it runs for ("" for none)."""

    kind: str
    payload: dict[str, Any]
    retry_window_s: float = 86_400.0
    delay_s: float = 0.0
    account: str = ""


@dataclass
class Outcome:
    """What a handler returns: follow-up jobs to enqueue as this one finishes."""

    follow_up: list[NewJob] = field(default_factory=list)


Handler = Callable[[JobRow], Awaitable[Outcome]]


async def backlog(sessions: async_sessionmaker[AsyncSession], account: str) -> int:
    """How many jobs of ``account`` are queued or running (every kind)."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.status.in_(("queued", "running")), JobRow.account == account)
        )
    return int(count or 0)


class BacklogBound:
    """At most ``limit`` queued and running jobs per account (0 = no bound).

    A request reserves the jobs it may add before it does its work and holds
    the reservation until it has enqueued them, so requests in flight at once
    in this replica cannot each pass the bound; across replicas they can, by
    the jobs of the requests in flight in the others.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], limit: int) -> None:
        self.sessions = sessions
        self.limit = limit
        self._reserved: dict[str, int] = {}
        self._checking = asyncio.Lock()

    @asynccontextmanager
    async def admit(self, account: str, adding: int) -> AsyncIterator[None]:
        """Reserve room for ``adding`` jobs of ``account`` while the block runs.

        Raises:
            AssetError: job_queue_full (429) while the backlog has no room;
                invalid_parameter (``extensions``) when ``adding`` alone is
                over the bound (a retry could never pass).
        """
        if not adding or not self.limit:
            yield
            return
        if adding > self.limit:
            raise AssetError(
                "invalid_parameter",
                f"this request adds {adding} jobs; an account may have at most {self.limit}",
                "extensions",
            )
        async with self._checking:  # count and reserve as one step
            # reservations first: one released while the count runs has its
            # jobs committed before, so the count sees them (counted twice at
            # worst, never missed)
            reserved = self._reserved.get(account, 0)
            queued = await backlog(self.sessions, account) + reserved
            if queued + adding > self.limit:
                raise AssetError(
                    "job_queue_full",
                    f"this account has {queued} jobs queued or running, at most "
                    f"{self.limit}; retry when they have run",
                )
            self._reserved[account] = self._reserved.get(account, 0) + adding
        try:
            yield
        finally:
            left = self._reserved[account] - adding
            if left:
                self._reserved[account] = left
            else:
                del self._reserved[account]


def add_jobs(session: AsyncSession, jobs: list[NewJob]) -> None:
    """Add ``jobs`` to ``session`` (they commit with the caller's transaction)."""
    now = time.time()
    for job in jobs:
        session.add(
            JobRow(
                kind=job.kind,
                account=job.account,
                payload=job.payload,
                status="queued",
                attempts=0,
                run_after=now + job.delay_s,
                give_up_at=now + job.retry_window_s,
                lease_owner="",
                lease_until=0.0,
                created_at=now,
            )
        )


class JobQueue:
    """Claim, finish and retry jobs.

    Args:
        sessions: async session factory of the asset database.
        lease_s: how long a claim lasts without being finished, s.
        per_account: the most running jobs one account may have in this
            queue's kinds at once (0 = no cap).
        kinds: the job kinds this queue claims (None = every kind).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        lease_s: float,
        per_account: int = 0,
        kinds: frozenset[str] | None = None,
    ) -> None:
        self.sessions = sessions
        self.lease_s = lease_s
        self.per_account = per_account
        self.kinds = kinds
        self.owner = secrets.token_hex(8)
        self._claiming = asyncio.Lock()
        # one advisory lock key per lane, the same in every replica
        lane = ",".join(sorted(kinds)) if kinds is not None else "*"
        self._lane_key = zlib.crc32(f"imgmesh.jobs:{lane}".encode())

    async def enqueue(self, jobs: list[NewJob]) -> None:
        """Add jobs in their own transaction."""
        async with self.sessions.begin() as session:
            add_jobs(session, jobs)

    async def claim(self) -> JobRow | None:
        """The oldest due job of an account below its cap, now leased to this
        queue; None when there is none."""
        async with self._claiming:
            return await self._claim()

    async def _claim(self) -> JobRow | None:
        async with self.sessions.begin() as session:
            if self.per_account and session.get_bind().dialect.name == "postgresql":
                # claims of this lane in every replica, one at a time until commit
                await session.execute(select(func.pg_advisory_xact_lock(self._lane_key)))
            job_id = await self._lease_oldest_due(session)
        if job_id is None:
            return None
        async with self.sessions() as session:
            return await session.get(JobRow, job_id)

    async def _lease_oldest_due(self, session: AsyncSession) -> int | None:
        """Lease the oldest due job of an account below its cap in
        ``session``'s transaction (its clock read after any lock was
        granted); the job's id, or None."""
        now = time.time()
        due = or_(
            and_(JobRow.status == "queued", JobRow.run_after <= now),
            and_(JobRow.status == "running", JobRow.lease_until < now),
        )
        candidates = select(JobRow).where(due)
        if self.kinds is not None:
            candidates = candidates.where(JobRow.kind.in_(sorted(self.kinds)))
        if self.per_account:
            busy = (
                select(JobRow.account)
                .where(JobRow.status == "running", JobRow.lease_until >= now)
                .group_by(JobRow.account)
                .having(func.count() >= self.per_account)
            )
            if self.kinds is not None:
                busy = busy.where(JobRow.kind.in_(sorted(self.kinds)))
            candidates = candidates.where(JobRow.account.not_in(busy))
        job = await session.scalar(
            candidates.order_by(JobRow.run_after, JobRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        if job.status == "running" and job.attempts >= MAX_CLAIMS:
            # its lease ran out MAX_CLAIMS times: it keeps killing its worker
            job.status, job.finished_at = "failed", now
            job.last_error = f"gave up after {job.attempts} claims"
            return None
        claimed = await session.execute(
            update(JobRow)
            .where(JobRow.id == job.id, JobRow.attempts == job.attempts, due)
            .values(
                status="running",
                lease_owner=self.owner,
                lease_until=now + self.lease_s,
                attempts=job.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return job.id if claimed.rowcount == 1 else None  # type: ignore[attr-defined]

    async def renew(self, job: JobRow) -> bool:
        """Extend ``job``'s lease by ``lease_s`` from now; False when this
        queue no longer holds it."""
        async with self.sessions.begin() as session:
            renewed = await session.execute(
                update(JobRow)
                .where(JobRow.id == job.id, JobRow.lease_owner == self.owner)
                .where(JobRow.attempts == job.attempts, JobRow.status == "running")
                .values(lease_until=time.time() + self.lease_s)
                .execution_options(synchronize_session=False)
            )
        return renewed.rowcount == 1  # type: ignore[attr-defined]

    async def finish(self, job: JobRow, outcome: Outcome) -> bool:
        """Mark ``job`` done and enqueue its follow-ups, atomically; False when
        this queue no longer holds its lease (another worker re-ran it)."""
        async with self.sessions.begin() as session:
            done = await session.execute(
                update(JobRow)
                .where(JobRow.id == job.id, JobRow.lease_owner == self.owner)
                .where(JobRow.attempts == job.attempts, JobRow.status == "running")
                .values(status="done", finished_at=time.time(), lease_until=0.0)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            add_jobs(session, outcome.follow_up)
        return True

    async def retry(self, job: JobRow, delay_s: float, error: str) -> str:
        """Queue ``job`` again after ``delay_s``, or fail it for good past its
        retry window. Returns the new status."""
        now = time.time()
        status = "queued" if now + delay_s <= job.give_up_at else "failed"
        async with self.sessions.begin() as session:
            await session.execute(
                update(JobRow)
                .where(JobRow.id == job.id, JobRow.lease_owner == self.owner)
                .where(JobRow.attempts == job.attempts, JobRow.status == "running")
                .values(
                    status=status,
                    run_after=now + delay_s,
                    lease_until=0.0,
                    last_error=error[:2000],
                    finished_at=now if status == "failed" else 0.0,
                )
                .execution_options(synchronize_session=False)
            )
        return status


async def run_worker(
    queue: JobQueue,
    handlers: dict[str, Handler],
    stop: asyncio.Event,
    poll_s: float = 0.25,
) -> None:
    """Claim and run jobs until ``stop`` is set. A handler's exception other
    than :class:`RetryLaterError` fails the job for good (logged), never the worker."""
    while not stop.is_set():
        try:
            job = await queue.claim()
        except Exception:  # database briefly unavailable: try again
            log.exception("claiming a job failed")
            job = None
        if job is None:
            try:
                await asyncio.wait_for(stop.wait(), poll_s)
            except TimeoutError:
                pass
            continue
        start = time.perf_counter()
        heartbeat = asyncio.create_task(_keep_leased(queue, job))
        try:
            await _run_one(queue, handlers, job)
        except Exception:  # the database failed us: the job is left to its lease
            log.exception("job %d (%s): its outcome was not recorded", job.id, job.kind)
            JOBS.labels(job.kind, job.account, "lost_lease").inc()
            await asyncio.sleep(poll_s)
        finally:
            heartbeat.cancel()
            JOB_SECONDS.labels(job.kind).observe(time.perf_counter() - start)


async def _keep_leased(queue: JobQueue, job: JobRow) -> None:
    """Renew ``job``'s lease every third of ``queue.lease_s`` until cancelled
    (a failed renewal is retried at the next beat; the lease may then lapse)."""
    while True:
        await asyncio.sleep(queue.lease_s / 3)
        try:
            await queue.renew(job)
        except Exception:
            log.exception("job %d (%s): renewing its lease failed", job.id, job.kind)


async def _run_one(queue: JobQueue, handlers: dict[str, Handler], job: JobRow) -> None:
    """Run ``job`` and record its outcome.

    Raises:
        Exception: from the database only (the handler's own are recorded).
    """
    try:
        outcome = await handlers[job.kind](job)
    except RetryLaterError as exc:
        status = await queue.retry(job, exc.delay_s, exc.error)
        JOBS.labels(job.kind, job.account, "retry" if status == "queued" else "failed").inc()
        return
    except Exception as exc:
        log.exception("job %d (%s) failed", job.id, job.kind)
        await queue.retry(job, job.give_up_at - time.time() + 1, type(exc).__name__)
        JOBS.labels(job.kind, job.account, "failed").inc()
        return
    finished = await queue.finish(job, outcome)
    JOBS.labels(job.kind, job.account, "done" if finished else "lost_lease").inc()


def backoff_s(base_s: float, attempt: int) -> float:
    """Delay before retry ``attempt`` (1-based): ``base_s`` x 2^(attempt-1),
    with full jitter on the upper half (AWS Architecture Blog, "Exponential
    Backoff And Jitter", 2015)."""
    ceiling = base_s * 2 ** min(attempt - 1, 30)
    return ceiling / 2 + random.uniform(0, ceiling / 2)
