"""The asset service's tables (SQLAlchemy 2 declarative, async engine).

The schema itself is created by Alembic (``asset_svc/migrations``); these
classes are what the code reads and writes. One database holds everything
durable except blob bytes: library files and their versions, img-processing
Images, per-account usage, the job queue and every webhook attempt.
Works on SQLite (``sqlite+aiosqlite:///...``, the embedded default) and
PostgreSQL (``postgresql+asyncpg://...``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every asset table."""


class FileRow(Base):
    """A media-library file (ImageKit's File); its bytes are its current version's."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("account", "file_path"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    file_path: Mapped[str] = mapped_column(String(1024))  # "/folder/name.jpg"
    folder: Mapped[str] = mapped_column(String(1024))  # "/folder/"
    name: Mapped[str] = mapped_column(String(512))
    file_type: Mapped[str] = mapped_column(String(16))  # image | non-image
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    ai_tags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    custom_coordinates: Mapped[str] = mapped_column(String(64), default="")
    custom_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    version_id: Mapped[str] = mapped_column(String(24))  # the current version
    created_at: Mapped[float] = mapped_column(Float)  # unix seconds
    updated_at: Mapped[float] = mapped_column(Float)


class VersionRow(Base):
    """One stored version of a file (an upload, an overwrite, an extension's result)."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("file_id", "number"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    file_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("files.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ...: "Version N"
    blob_key: Mapped[str] = mapped_column(String(256))
    mime: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    has_alpha: Mapped[bool] = mapped_column(Boolean, default=False)
    # The job whose effect this version is: a job re-run after a crash finds
    # its version already there instead of adding a second one.
    job_id: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class FolderRow(Base):
    """A media-library folder (ImageKit's Folder): it exists once created,
    even empty; a file's folder is one too (made on upload, copy or move)."""

    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("account", "path"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(1024))  # "/a/b/"
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class DefinitionRow(Base):
    """An account's named definition: a named transformation, a saved
    extension or a custom metadata field (ImageKit's three per-account
    registries), its fields as the API shows them in ``body``."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("account", "kind", "name"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class UploadTokenRow(Base):
    """A client-side upload's ``token``, accepted once until its ``expire``
    (ImageKit's upload authentication parameters)."""

    __tablename__ = "upload_tokens"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    expire: Mapped[float] = mapped_column(Float, index=True)  # unix seconds


class ImageRow(Base):
    """An img-processing Image (immutable; derivations are new rows)."""

    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # image_ + 24
    account: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(256))
    blob_key: Mapped[str] = mapped_column(String(256))
    format: Mapped[str] = mapped_column(String(16))  # jpeg | png | webp
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class UsageRow(Base):
    """Per-account counters: images delivered by the REST API, Images API operations."""

    __tablename__ = "usage"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    images_used: Mapped[int] = mapped_column(BigInteger, default=0)
    operations: Mapped[int] = mapped_column(BigInteger, default=0)


class JobRow(Base):
    """A durable job: an extension to run or a webhook to deliver.

    A worker claims a queued job whose ``run_after`` has passed, or a running
    one whose lease expired (its worker died), by setting ``lease_owner`` and
    ``lease_until``; it finishes the job in the transaction that records the
    job's effect.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "run_after"),
        Index("ix_jobs_status_account", "status", "account"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # extension | webhook | post-transformation
    # whose job it is: each account gets at most a fixed number of workers at once
    account: Mapped[str] = mapped_column(String(64), default="", server_default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)
    give_up_at: Mapped[float] = mapped_column(Float)  # retries stop after this
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    finished_at: Mapped[float] = mapped_column(Float, default=0.0)


class WebhookAttemptRow(Base):
    """One POST to a webhook URL and what came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("jobs.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int] = mapped_column(Integer, default=0)  # 0 = no response
    error: Mapped[str] = mapped_column(Text, default="")


def open_engine(url: str) -> tuple[AsyncEngine, async_sessionmaker[Any]]:
    """An async engine and session factory for ``url``.

    SQLite (its directory created) gets a busy timeout (several writers: the service and its job
    workers) and foreign keys on.
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        from sqlalchemy import event

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # LIKE (SQLAlchemy's startswith: folder prefixes) as PostgreSQL
            # matches it: "/PHOTOS/" is no prefix of "/photos/"
            cursor.execute("PRAGMA case_sensitive_like=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
    else:
        engine = create_async_engine(url, pool_pre_ping=True)
    return engine, async_sessionmaker(engine, expire_on_commit=False)
