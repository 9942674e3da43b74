"""Per-account usage counters, added to atomically: one ``INSERT ... ON
CONFLICT (account) DO UPDATE SET n = usage.n + :n`` statement (PostgreSQL and
SQLite both have it), so concurrent calls never lose a count and an account's
first calls never collide on its row."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from asset_svc.db import FileRow, JobRow, UsageRow, VersionRow
from asset_svc.extensions import KIND as EXTENSION
from imgmesh.v1 import asset_pb2


async def add_usage(session: AsyncSession, account: str, images: int, operations: int) -> None:
    """Add ``images`` delivered and ``operations`` done to ``account``'s counters
    (inside the caller's transaction)."""
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(UsageRow).values(account=account, images_used=images, operations=operations)
    statement = statement.on_conflict_do_update(
        index_elements=[UsageRow.account],
        set_={
            "images_used": UsageRow.images_used + images,
            "operations": UsageRow.operations + operations,
        },
    )
    await session.execute(statement)


async def read_usage(session: AsyncSession, account: str) -> asset_pb2.UsageReply:
    """The account's counters (zeros before its first use)."""
    row = await session.get(UsageRow, account)
    if row is None:
        return asset_pb2.UsageReply()
    return asset_pb2.UsageReply(images_used=row.images_used, operations=row.operations)


async def library_usage(
    session: AsyncSession, account: str, start_unix: float, end_unix: float
) -> tuple[int, int]:
    """(bytes of every stored version of the account's files, extension jobs
    queued in [start_unix, end_unix)) for ImageKit's ``accounts.usage``."""
    stored = await session.scalar(
        select(func.coalesce(func.sum(VersionRow.size), 0))
        .join(FileRow, FileRow.id == VersionRow.file_id)
        .where(FileRow.account == account)
    )
    jobs = await session.scalar(
        select(func.count()).where(
            JobRow.kind == EXTENSION,
            JobRow.account == account,
            JobRow.created_at >= start_unix,
            JobRow.created_at < end_unix,
        )
    )
    units = jobs or 0
    return int(stored or 0), units
