"""asset_svc's storage on both databases (the embedded SQLite file and a real
PostgreSQL 15 cluster) and on both blob stores (a directory and a real
S3-compatible server): Alembic migrations, the library's round trip, the job
queue's leases under concurrent workers, and effects that happen once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
import pyvips
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asset_svc import file_ops
from asset_svc.blobs import Blobs, open_store
from asset_svc.db import JobRow, open_engine
from asset_svc.errors import AssetError
from asset_svc.jobs import (
    BacklogBound,
    JobQueue,
    NewJob,
    Outcome,
    RetryLaterError,
    backlog,
    run_worker,
)
from asset_svc.library import Library
from asset_svc.migrate import upgrade
from asset_svc.transform import TransformPort
from imgmesh.v1 import asset_pb2
from mesh.processes import Mesh
from mesh.servers import PG_BIN, postgres, s3_server

PNG = (pyvips.Image.black(40, 20, bands=3) + [0, 128, 255]).cast("uchar").pngsave_buffer()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found at {PG_BIN}")
    with postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'assets.db'}"
    url = request.getfixturevalue("pg_url")
    # a fresh schema per test: drop what an earlier test left
    import asyncpg

    async def reset() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await conn.close()

    asyncio.run(reset())
    return url


@asynccontextmanager
async def replicas(
    database_url: str, count: int
) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    """The migrated database opened by ``count`` engines (as ``count``
    replicas would); their session factories, engines disposed on exit."""
    await asyncio.to_thread(upgrade, database_url)
    engines = [open_engine(database_url) for _ in range(count)]
    try:
        yield [sessions for _, sessions in engines]
    finally:
        for engine, _ in engines:
            await engine.dispose()


@pytest_asyncio.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The migrated test database's session factory (one engine)."""
    async with replicas(database_url, 1) as [only]:
        yield only


@pytest_asyncio.fixture
async def library(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path, mesh: Mesh
) -> AsyncIterator[Library]:
    transform = TransformPort(f"127.0.0.1:{mesh.ports.transform}")
    yield Library(sessions, Blobs(open_store(str(tmp_path / "blobs"))), transform, 10_000_000)
    await transform.close()


def upload(name: str, **fields: object) -> asset_pb2.UploadRequest:
    return asset_pb2.UploadRequest(account="acme", file_name=name, folder="/a", **fields)


@pytest.mark.asyncio
async def test_library_round_trip(library: Library) -> None:
    first = await library.upload(upload("x.png", tags=["t"]), PNG)
    assert (first.width, first.height, first.mime, first.version_name) == (
        40,
        20,
        "image/png",
        "Version 1",
    )
    again = await library.upload(upload("x.png", custom_coordinates="1,2,3,4"), PNG)
    assert again.file_id == first.file_id and again.version_name == "Version 2"
    assert list(again.tags) == []  # overwriteTags defaults to true
    with pytest.raises(AssetError) as refused:
        await library.upload(upload("x.png", overwrite_file=False), PNG)
    assert refused.value.code == "file_exists"
    fetched = await library.fetch("acme", "a/x.png", signed=False)
    assert fetched.data == PNG and fetched.custom_coordinates == "1,2,3,4"
    assert len(await library.versions("acme", first.file_id)) == 2
    listed = await library.list(asset_pb2.ListFilesRequest(account="acme", path="/a"))
    assert [f.file_id for f in listed] == [first.file_id]
    assert await library.list(asset_pb2.ListFilesRequest(account="other")) == []
    with pytest.raises(AssetError):
        await library.get("other", first.file_id)
    await library.delete("acme", first.file_id)
    with pytest.raises(AssetError):
        await library.get("acme", first.file_id)


@pytest.mark.asyncio
async def test_file_operations_on_both_databases(library: Library, tmp_path: Path) -> None:
    """Issue [16]'s file operations (asset_svc.file_ops) on SQLite and PostgreSQL:
    versions restored and deleted, a concurrent copy of one name onto one
    folder making one file with two versions, rename conflicts, bulk tags
    with missing ids changing nothing, and no blob left behind."""
    first = await library.upload(upload("x.png"), PNG)
    second = await library.upload(upload("x.png"), PNG)
    restored = await file_ops.restore_version(library, "acme", first.file_id, first.version_id)
    assert restored.version_id == first.version_id
    await file_ops.delete_version(library, "acme", first.file_id, second.version_id)
    with pytest.raises(AssetError) as current:
        await file_ops.delete_version(library, "acme", first.file_id, first.version_id)
    assert current.value.code == "invalid_parameter"
    other_folder = asset_pb2.UploadRequest(account="acme", file_name="x.png", folder="/b")
    await library.upload(other_folder, PNG)
    await asyncio.gather(
        *(
            file_ops.copy_file(
                library, "acme", f"/{f}/x.png", "/c", include_versions=False, move=False
            )
            for f in ("a", "b")
        )
    )
    copied = await library.list(asset_pb2.ListFilesRequest(account="acme", path="/c"))
    assert len(copied) == 1 and len(await library.versions("acme", copied[0].file_id)) == 2
    with pytest.raises(AssetError) as taken:
        await file_ops.rename_file(library, "acme", "/a/x.png", "x.png")
    assert taken.value.code == "name_conflict"
    await library.upload(upload("y.png"), PNG)
    with pytest.raises(AssetError) as conflict:
        await file_ops.rename_file(library, "acme", "/a/x.png", "y.png")
    assert conflict.value.code == "name_conflict"
    with pytest.raises(file_ops.MissingFilesError):
        await file_ops.bulk_tags(library, "acme", [first.file_id, "f" * 24], "add_tags", ["t"])
    assert list((await library.get("acme", first.file_id)).tags) == []
    everything = await library.list(asset_pb2.ListFilesRequest(account="acme"))
    await file_ops.bulk_delete(library, "acme", [f.file_id for f in everything])
    assert await library.list(asset_pb2.ListFilesRequest(account="acme")) == []
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]  # no orphan blob


@pytest.mark.asyncio
async def test_a_jobs_version_is_added_once(library: Library) -> None:
    file = await library.upload(upload("y.png"), PNG)
    described = {"mime": "image/png", "size": len(PNG), "width": 40, "height": 20}
    one = await library.add_version("acme", file.file_id, PNG, described, job_id=7)
    two = await library.add_version("acme", file.file_id, PNG, described, job_id=7)
    assert one.version_id == two.version_id
    assert len(await library.versions("acme", file.file_id)) == 2


@pytest.mark.asyncio
async def test_concurrent_workers_claim_each_job_once(database_url: str) -> None:
    async with replicas(database_url, 3) as factories:
        queues = [JobQueue(sessions, lease_s=30) for sessions in factories]
        await queues[0].enqueue([NewJob("count", {"n": i}) for i in range(30)])
        ran: list[tuple[int, str]] = []

        def handler(owner: str):  # noqa: ANN202
            async def run(job: JobRow) -> Outcome:
                ran.append((job.payload["n"], owner))
                await asyncio.sleep(0.01)
                return Outcome()

            return run

        stop = asyncio.Event()
        workers = [
            asyncio.create_task(run_worker(q, {"count": handler(q.owner)}, stop, poll_s=0.05))
            for q in queues
            for _ in range(2)
        ]
        deadline = asyncio.get_running_loop().time() + 60
        while len(ran) < 30 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*workers)
        assert sorted(n for n, _ in ran) == list(range(30))  # each exactly once
        async with factories[0]() as session:
            statuses = (await session.scalars(select(JobRow.status))).all()
        assert set(statuses) == {"done"}


@pytest.mark.asyncio
async def test_an_expired_lease_is_reclaimed_and_the_stale_worker_cannot_finish(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead, alive = JobQueue(sessions, lease_s=0.2), JobQueue(sessions, lease_s=30)
    await dead.enqueue([NewJob("x", {})])
    job = await dead.claim()
    assert job is not None and await alive.claim() is None  # leased
    await asyncio.sleep(0.3)
    again = await alive.claim()
    assert again is not None and again.id == job.id and again.attempts == 2
    assert await dead.finish(job, Outcome()) is False
    assert await alive.finish(again, Outcome([NewJob("follow", {})])) is True
    follow = await alive.claim()
    assert follow is not None and follow.kind == "follow"
    assert await alive.retry(follow, 0.0, "try again") == "queued"


@pytest.mark.asyncio
async def test_an_account_at_its_cap_is_passed_over(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Fair scheduling: an account holding ``per_account`` running jobs waits
    while another account's younger job is claimed; its cap frees as it finishes."""
    queue = JobQueue(sessions, lease_s=30, per_account=2)
    await queue.enqueue([NewJob("x", {"n": n}, account="noisy") for n in range(3)])
    await queue.enqueue([NewJob("x", {"n": 9}, account="quiet")])
    claims = [await queue.claim() for _ in range(4)]
    assert [c and c.account for c in claims] == ["noisy", "noisy", "quiet", None]
    assert claims[0] is not None and await queue.finish(claims[0], Outcome())
    third = await queue.claim()
    assert third is not None and (third.account, third.payload["n"]) == ("noisy", 2)


@pytest.mark.asyncio
async def test_replicas_claiming_at_once_keep_the_cap(database_url: str) -> None:
    """Six replicas (their own engines and queues) claim one account's jobs at
    the same moment: on PostgreSQL the lane's advisory lock keeps the account
    at its cap of 2 (without it each replica saw 0 running and claimed).
    SQLite serves one replica (README), so it is not run there."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one replica: there is no cross-replica claim to test")
    async with replicas(database_url, 6) as factories:
        queues = [JobQueue(sessions, lease_s=30, per_account=2) for sessions in factories]
        await queues[0].enqueue([NewJob("x", {"n": n}, account="noisy") for n in range(6)])
        for _ in range(3):  # three rounds of six simultaneous claims
            await asyncio.gather(*(q.claim() for q in queues))
        async with factories[0]() as session:
            running = (
                await session.scalars(select(JobRow).where(JobRow.status == "running"))
            ).all()
        assert len(running) == 2, [(j.id, j.lease_owner) for j in running]


@pytest.mark.asyncio
async def test_backlog_counts_an_accounts_queued_and_running_jobs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    queue = JobQueue(sessions, lease_s=30)
    await queue.enqueue([NewJob("x", {}, account="a") for _ in range(3)])
    await queue.enqueue([NewJob("x", {}, account="b"), NewJob("webhook", {}, account="a")])
    assert (await backlog(sessions, "a"), await backlog(sessions, "b")) == (4, 1)
    first = await queue.claim()  # running still counts
    assert first is not None and first.account == "a" and await backlog(sessions, "a") == 4
    assert await queue.finish(first, Outcome())
    assert await backlog(sessions, "a") == 3 and await backlog(sessions, "nobody") == 0


@pytest.mark.asyncio
async def test_concurrent_requests_cannot_each_pass_the_backlog_bound(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Twenty requests of one account at once, each adding a job after some
    work, against a bound of 5: each reserves its job before the work, so
    exactly 5 are admitted (counting alone, all 20 saw room)."""
    queue, bound = JobQueue(sessions, lease_s=30), BacklogBound(sessions, limit=5)

    async def request(n: int) -> str:
        try:
            async with bound.admit("a", 1):
                await asyncio.sleep(0.02)  # the upload's own work
                await queue.enqueue([NewJob("x", {"n": n}, account="a")])
        except AssetError as exc:
            return exc.code
        return "ok"

    outcomes = await asyncio.gather(*(request(n) for n in range(20)))
    assert sorted(outcomes).count("ok") == 5 and set(outcomes) == {"ok", "job_queue_full"}
    assert await backlog(sessions, "a") == 5
    async with bound.admit("b", 5):  # another account's room is its own
        pass
    with pytest.raises(AssetError) as alone:
        async with bound.admit("b", 6):
            pass
    assert alone.value.code == "invalid_parameter"  # no retry could pass


@pytest.mark.asyncio
async def test_a_lane_claims_only_its_kinds(sessions: async_sessionmaker[AsyncSession]) -> None:
    renders = JobQueue(sessions, lease_s=30, per_account=1, kinds=frozenset({"render"}))
    hooks = JobQueue(sessions, lease_s=30, per_account=1, kinds=frozenset({"webhook"}))
    await renders.enqueue([NewJob("webhook", {}, account="a"), NewJob("render", {}, account="a")])
    await renders.enqueue([NewJob("render", {}, account="a")])
    render = await renders.claim()
    assert render is not None and render.kind == "render"
    assert await renders.claim() is None  # account a holds its one render worker
    hook = await hooks.claim()  # ... which does not count against its webhook lane
    assert hook is not None and hook.kind == "webhook" and await hooks.claim() is None


@pytest.mark.asyncio
async def test_a_job_running_past_its_lease_keeps_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The worker renews the lease while the handler runs: a job three
    leases long runs once and still counts against its account's cap."""
    busy, other = (JobQueue(sessions, lease_s=0.3, per_account=1) for _ in range(2))
    await busy.enqueue([NewJob("long", {}, account="a"), NewJob("long", {}, account="a")])
    runs = 0

    async def long(job: JobRow) -> Outcome:
        nonlocal runs
        runs += 1
        await asyncio.sleep(1.0)
        return Outcome()

    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(busy, {"long": long}, stop, poll_s=0.05))
    await asyncio.sleep(0.6)  # two leases in: the first job is still running
    assert runs == 1 and await other.claim() is None  # neither expired nor under the cap
    stop.set()
    await worker
    async with sessions() as session:
        statuses = sorted((await session.scalars(select(JobRow.status))).all())
    assert runs == 1 and statuses == ["done", "queued"]


@pytest.mark.asyncio
async def test_retries_stop_at_the_window(sessions: async_sessionmaker[AsyncSession]) -> None:
    queue = JobQueue(sessions, lease_s=30)
    await queue.enqueue([NewJob("x", {}, retry_window_s=0.5)])
    attempts = 0

    async def always_fails(job: JobRow) -> Outcome:
        nonlocal attempts
        attempts += 1
        raise RetryLaterError(0.2, "nope")

    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(queue, {"x": always_fails}, stop, poll_s=0.05))
    await asyncio.sleep(1.5)
    stop.set()
    await worker
    async with sessions() as session:
        job = (await session.scalars(select(JobRow))).one()
    assert job.status == "failed" and job.last_error == "nope" and 2 <= attempts <= 4


@pytest.mark.asyncio
async def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """Alembic's schema and the SQLAlchemy models do not drift apart."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from asset_svc.db import Base

    await asyncio.to_thread(upgrade, database_url)
    engine, _ = open_engine(database_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await engine.dispose()
    assert diff == []


@pytest.mark.asyncio
async def test_a_stale_retry_cannot_requeue_a_finished_job(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    queue = JobQueue(sessions, lease_s=0.2)
    await queue.enqueue([NewJob("x", {})])
    first = await queue.claim()
    await asyncio.sleep(0.3)
    second = await queue.claim()  # the first one's lease ran out
    assert first is not None and second is not None and second.attempts == 2
    assert await queue.finish(second, Outcome()) is True
    await queue.retry(first, 0.0, "late failure of the first run")
    async with sessions() as session:
        job = (await session.scalars(select(JobRow))).one()
    assert job.status == "done"


@pytest.mark.asyncio
async def test_usage_counts_every_concurrent_call(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from asset_svc.usage import add_usage, read_usage

    async def one() -> None:
        async with sessions.begin() as session:
            await add_usage(session, "fresh-account", 1, 2)

    await asyncio.gather(*(one() for _ in range(25)))
    async with sessions() as session:
        usage = await read_usage(session, "fresh-account")
    assert (usage.images_used, usage.operations) == (25, 50)


def test_blobs_on_an_s3_compatible_server(tmp_path: Path) -> None:
    import boto3

    with s3_server() as endpoint:
        env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ).create_bucket(Bucket="imgmesh")
        os.environ.update(env)
        try:
            store = open_store("s3://imgmesh/prefix", endpoint=endpoint, region="us-east-1")
            blobs = Blobs(store)

            async def round_trip() -> bytes:
                await blobs.put("files/abc", PNG)
                data = await blobs.get("files/abc")
                await blobs.delete("files/abc")
                with pytest.raises(FileNotFoundError):
                    await blobs.get("files/abc")
                return data

            assert asyncio.run(round_trip()) == PNG
        finally:
            for key in env:
                os.environ.pop(key, None)
