"""The media library: ImageKit's files, their versions and their metadata.

A file lives at ``/<folder>/<name>`` inside one account's library; its bytes
are its current version's blob. Uploading to an existing path (with
``overwriteFile``, the default) adds a version; an extension that changes the
pixels (remove-bg) adds one too. Reference:
https://imagekit.io/docs/api-reference/upload-file/upload-file and
https://imagekit.io/docs/api-reference/digital-asset-management-dam/managing-assets/update-file-details
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import random
import re
import secrets
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asset_svc import upload_checks
from asset_svc.blobs import Blobs
from asset_svc.db import FileRow, VersionRow
from asset_svc.errors import AssetError, invalid, not_found
from asset_svc.transform import TransformPort
from asset_svc.upload_checks import Check
from contract import json_text
from imgmesh.v1 import asset_pb2

# ImageKit: names keep letters, digits, "-", "_" and "."; anything else becomes "_".
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_FOLDER_PART = re.compile(r"^[A-Za-z0-9._ -]{1,255}$")
_COORDINATES = re.compile(r"^\d{1,6},\d{1,6},\d{1,6},\d{1,6}$")
_UNIQUE_ALPHABET = string.ascii_letters + string.digits
SORTS = {
    "ASC_CREATED": FileRow.created_at.asc(),
    "DESC_CREATED": FileRow.created_at.desc(),
    "ASC_NAME": FileRow.name.asc(),
    "DESC_NAME": FileRow.name.desc(),
    "ASC_UPDATED": FileRow.updated_at.asc(),
    "DESC_UPDATED": FileRow.updated_at.desc(),
    "ASC_SIZE": VersionRow.size.asc(),
    "DESC_SIZE": VersionRow.size.desc(),
}
STORE_ATTEMPTS = 16  # tries of an upload's transaction against concurrent writers
MAX_LIST = 1000  # ImageKit's limit maximum
MAX_PATH = 1024  # characters of folder + name (FileRow.file_path)
# Per-file bounds (ImageKit documents none; these keep one file's details, and
# so a page of MAX_LIST files, small): tags, characters per tag, description
# characters, bytes of customMetadata JSON.
MAX_TAGS = 100
MAX_TAG = 128
MAX_DESCRIPTION = 1024
MAX_METADATA = 10 * 1024


def new_id() -> str:
    """A 24-hex-digit id, ImageKit's fileId / versionId shape."""
    return secrets.token_hex(12)


def iso(ts: float) -> str:
    """Unix seconds -> ISO 8601 UTC with milliseconds (``2026-12-05T11:40:20.123Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


def normalise_folder(folder: str) -> str:
    """``"a/b"`` -> ``"/a/b/"``.

    Raises:
        AssetError: invalid_parameter for ``..``, empty or odd segments.
    """
    parts = [p for p in folder.strip().split("/") if p]
    for part in parts:
        if part in (".", "..") or not _FOLDER_PART.match(part):
            raise invalid("folder", "folder names use letters, digits, space, . - _")
    return "/" + "".join(p + "/" for p in parts)


def file_name(name: str, unique: bool) -> str:
    """A safe file name; with ``unique``, ``_`` + 9 random characters before
    the extension (ImageKit's ``useUniqueFileName``).

    Raises:
        AssetError: invalid_parameter for an empty name.
    """
    cleaned = _UNSAFE_NAME.sub("_", name.strip())[:255].lstrip(".")
    if not cleaned:
        raise invalid("fileName", "fileName is required")
    if unique:
        stem, dot, ext = cleaned.rpartition(".")
        suffix = "_" + "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(9))
        cleaned = f"{stem}{suffix}.{ext}" if dot and stem else cleaned + suffix
    return cleaned


def check_coordinates(value: str) -> str:
    """``x,y,width,height`` px or empty.

    Raises:
        AssetError: invalid_parameter.
    """
    if value and not _COORDINATES.match(value):
        raise invalid("customCoordinates", "customCoordinates is x,y,width,height in px")
    return value


def check_details(tags: Sequence[str], description: str, metadata_json: str) -> None:
    """Refuse details over the per-file bounds.

    Raises:
        AssetError: invalid_parameter naming tags, description or customMetadata.
    """
    if len(tags) > MAX_TAGS:
        raise invalid("tags", f"a file has at most {MAX_TAGS} tags")
    if any(len(t) > MAX_TAG for t in tags):
        raise invalid("tags", f"a tag is at most {MAX_TAG} characters")
    if len(description) > MAX_DESCRIPTION:
        raise invalid("description", f"description is at most {MAX_DESCRIPTION} characters")
    if len(metadata_json.encode()) > MAX_METADATA:
        raise invalid("customMetadata", f"customMetadata is at most {MAX_METADATA} bytes of JSON")


def parse_metadata(value: str) -> dict[str, Any]:
    """``customMetadata``: a JSON object (empty text = ``{}``).

    Raises:
        AssetError: invalid_parameter.
    """
    if not value:
        return {}
    try:
        parsed = json_text.loads(value)
    except json_text.JsonTextError as exc:
        raise invalid(
            "customMetadata", f"customMetadata must be a JSON object ({exc.reason})"
        ) from None
    if not isinstance(parsed, dict):
        raise invalid("customMetadata", "customMetadata must be a JSON object")
    return parsed


def to_proto(row: FileRow, version: VersionRow) -> asset_pb2.File:
    """The File message of ``row`` at ``version``."""
    return asset_pb2.File(
        file_id=row.id,
        name=row.name,
        file_path=row.file_path,
        file_type=row.file_type,
        mime=version.mime,
        size=version.size,
        width=version.width,
        height=version.height,
        has_alpha=version.has_alpha,
        tags=row.tags,
        ai_tags=[asset_pb2.AITag(**tag) for tag in row.ai_tags],
        custom_coordinates=row.custom_coordinates,
        custom_metadata_json=json.dumps(row.custom_metadata),
        description=row.description,
        is_private_file=row.is_private,
        is_published=row.is_published,
        version_id=version.id,
        version_name=f"Version {version.number}",
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
        account=row.account,
    )


@dataclass
class Store:
    """What every asset collection works on: rows in one database, bytes in
    one blob store, decodes through transform_svc.

    Attributes:
        sessions: async session factory.
        blobs: the blob store.
        transform: transform_svc (decode checks, renders).
        max_upload_bytes: largest source accepted, bytes.
    """

    sessions: async_sessionmaker[AsyncSession]
    blobs: Blobs
    transform: TransformPort
    max_upload_bytes: int


class Library(Store):
    """Files (ImageKit Upload/Files API) of every account."""

    async def describe(self, data: bytes, name: str) -> dict[str, Any]:
        """Version columns for ``data``: an image's type, size and alpha as
        transform_svc decodes them; anything else is a ``non-image`` typed
        by its name's extension.

        Raises:
            AssetError: image_too_large; transform_unavailable.
        """
        if len(data) > self.max_upload_bytes:
            raise AssetError(
                "image_too_large", f"the file is over {self.max_upload_bytes} bytes", "file"
            )
        if not data:
            raise invalid("file", "the file is empty")
        try:
            probe = await self.transform.probe(data)
        except AssetError as exc:
            if exc.code not in ("unsupported_image", "invalid_parameter"):
                raise
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return {"mime": mime, "size": len(data), "file_type": "non-image"}
        return {
            "mime": probe.content_type,
            "size": len(data),
            "width": probe.width,
            "height": probe.height,
            "has_alpha": probe.has_alpha,
            "file_type": "image",
        }

    async def upload(
        self, req: asset_pb2.UploadRequest, data: bytes, check: Check | None = None
    ) -> asset_pb2.File:
        """Store ``data`` as a new file or a new version of the file at the same
        path; ``check`` (the upload's checks) first, on what would be stored.

        Raises:
            AssetError: invalid_parameter, file_exists, image_too_large, checks_failed.
        """
        folder = normalise_folder(req.folder or "/")
        name = file_name(req.file_name, req.use_unique_file_name)
        if len(folder + name) > MAX_PATH:
            raise invalid("folder", f"folder + fileName is at most {MAX_PATH} characters")
        check_coordinates(req.custom_coordinates)
        check_details(req.tags, req.description, req.custom_metadata_json)
        parse_metadata(req.custom_metadata_json)
        described = await self.describe(data, name)
        if check is not None:
            upload_checks.enforce(check, upload_checks.facts(folder, name, described))
        blob_key = f"files/{new_id()}"
        await self.blobs.put(blob_key, data)
        try:
            for attempt in range(STORE_ATTEMPTS):
                try:
                    return await self._store(req, folder, name, described, blob_key)
                except (IntegrityError, OperationalError):
                    # A concurrent upload to the same path took the path or the
                    # version number (or held SQLite's write lock): read again.
                    if attempt == STORE_ATTEMPTS - 1:
                        raise AssetError(
                            "overloaded", "the file is being written by others; retry"
                        ) from None
                    await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))
            raise AssertionError("unreachable")
        except BaseException:
            await self.blobs.delete(blob_key)
            raise

    async def _store(
        self,
        req: asset_pb2.UploadRequest,
        folder: str,
        name: str,
        described: dict[str, Any],
        blob_key: str,
    ) -> asset_pb2.File:
        now = time.time()
        path = folder + name
        async with self.sessions.begin() as session:
            row = await session.scalar(
                select(FileRow)
                .where(FileRow.account == req.account, FileRow.file_path == path)
                .with_for_update()
            )
            new = row is None
            if not new and req.HasField("overwrite_file") and not req.overwrite_file:
                raise AssetError("file_exists", f"a file named {name!r} exists in {folder}")
            if row is None:
                row = FileRow(
                    id=new_id(),
                    account=req.account,
                    file_path=path,
                    folder=folder,
                    name=name,
                    tags=[],
                    ai_tags=[],
                    custom_metadata={},
                    custom_coordinates="",
                    description="",
                    is_private=False,
                    created_at=now,
                    version_id="",
                )
                session.add(row)
            version = VersionRow(
                id=new_id(),
                file_id=row.id,
                number=1 if new else await self._next_number(session, row.id),
                blob_key=blob_key,
                created_at=now,
                **{k: v for k, v in described.items() if k != "file_type"},
            )
            session.add(version)
            row.file_type = described["file_type"]
            row.version_id = version.id
            row.updated_at = now
            # Fields given replace the stored ones; fields left out keep them
            # (a re-upload that does not repeat isPrivateFile stays private).
            if req.HasField("is_private_file"):
                row.is_private = req.is_private_file
            if req.HasField("is_published") or new:
                row.is_published = req.is_published if req.HasField("is_published") else True
            if req.HasField("custom_coordinates"):
                row.custom_coordinates = req.custom_coordinates
            if req.HasField("description"):
                row.description = req.description
            # overwriteTags / overwriteAITags / overwriteCustomMetadata default to true
            if not req.HasField("overwrite_tags") or req.overwrite_tags:
                row.tags = list(req.tags)
            if not req.HasField("overwrite_ai_tags") or req.overwrite_ai_tags:
                row.ai_tags = []
            if not req.HasField("overwrite_custom_metadata") or req.overwrite_custom_metadata:
                row.custom_metadata = parse_metadata(req.custom_metadata_json)
            return to_proto(row, version)

    async def get(self, account: str, file_id: str) -> asset_pb2.File:
        """The file's details.

        Raises:
            AssetError: not_found (also for another account's file).
        """
        async with self.sessions() as session:
            row, version = await self._current(session, account, file_id)
            return to_proto(row, version)

    async def update(self, req: asset_pb2.UpdateFileRequest) -> asset_pb2.File:
        """Change the file's details (not its bytes).

        Raises:
            AssetError: not_found, invalid_parameter.
        """
        check_details(req.tags, req.description, req.custom_metadata_json)
        async with self.sessions.begin() as session:
            row, version = await self._current(session, req.account, req.file_id)
            if req.replace_tags:
                row.tags = list(req.tags)
            if req.remove_ai_tags:
                drop = set(req.remove_ai_tags)
                row.ai_tags = [
                    t for t in row.ai_tags if "all" not in drop and t["name"] not in drop
                ]
            if req.HasField("custom_coordinates"):
                row.custom_coordinates = check_coordinates(req.custom_coordinates)
            if req.HasField("custom_metadata_json"):
                row.custom_metadata = parse_metadata(req.custom_metadata_json)
            if req.HasField("description"):
                row.description = req.description
            if req.HasField("is_published"):
                row.is_published = req.is_published
            row.updated_at = time.time()
            return to_proto(row, version)

    async def set_ai_tags(self, account: str, file_id: str, tags: Sequence[dict[str, Any]]) -> None:
        """Replace the tags from the extensions named in ``tags`` (other sources kept).

        Raises:
            AssetError: not_found.
        """
        sources = {t["source"] for t in tags}
        async with self.sessions.begin() as session:
            row, _ = await self._current(session, account, file_id)
            row.ai_tags = [t for t in row.ai_tags if t["source"] not in sources] + list(tags)
            row.updated_at = time.time()

    async def list(self, req: asset_pb2.ListFilesRequest) -> list[asset_pb2.File]:
        """Files of the account, filtered, sorted and paged.

        Raises:
            AssetError: invalid_parameter (sort, fileType, limit).
        """
        if req.sort and req.sort not in SORTS:
            raise invalid("sort", "sort is one of " + ", ".join(SORTS))
        if req.file_type not in ("", "all", "image", "non-image"):
            raise invalid("fileType", "fileType is all, image or non-image")
        if req.limit > MAX_LIST:
            raise invalid("limit", f"limit is 1..{MAX_LIST}")
        query = select(FileRow, VersionRow).join(VersionRow, VersionRow.id == FileRow.version_id)
        query = query.where(FileRow.account == req.account)
        if req.path:
            folder = normalise_folder(req.path)
            query = query.where(FileRow.folder.startswith(folder, autoescape=True))
        if req.file_type in ("image", "non-image"):
            query = query.where(FileRow.file_type == req.file_type)
        if req.name_contains:
            query = query.where(
                func.lower(FileRow.name).contains(req.name_contains.lower(), autoescape=True)
            )
        query = query.order_by(SORTS[req.sort or "DESC_CREATED"], FileRow.id)
        limit = req.limit or MAX_LIST
        text = req.search_query.strip().lower()
        tags = {t.lower() for t in req.tags_any}
        if not text and not tags:  # paged by the database
            rows = (await self._all(query.offset(req.skip).limit(limit))).all()
            return [to_proto(row, version) for row, version in rows]
        # Tags are a JSON list: matched here, and only the page is converted.
        rows = (await self._all(query)).all()
        matching = [
            (row, version)
            for row, version in rows
            if (not tags or tags & {t.lower() for t in row.tags})
            and (not text or text in row.name.lower() or text in {t.lower() for t in row.tags})
        ]
        return [to_proto(row, version) for row, version in matching[req.skip : req.skip + limit]]

    async def _all(self, query: Any) -> Any:
        async with self.sessions() as session:
            return await session.execute(query)

    async def delete(self, account: str, file_id: str) -> None:
        """Remove the file, its versions and their blobs.

        Raises:
            AssetError: not_found.
        """
        async with self.sessions.begin() as session:
            row, _ = await self._current(session, account, file_id)
            keys = (
                await session.scalars(
                    select(VersionRow.blob_key).where(VersionRow.file_id == row.id)
                )
            ).all()
            await session.execute(delete(VersionRow).where(VersionRow.file_id == row.id))
            await session.delete(row)
        for key in keys:
            await self.blobs.delete(key)

    async def versions(self, account: str, file_id: str) -> list[asset_pb2.File]:
        """Every version of the file, oldest first.

        Raises:
            AssetError: not_found.
        """
        async with self.sessions() as session:
            row, _ = await self._current(session, account, file_id)
            rows = await session.scalars(
                select(VersionRow).where(VersionRow.file_id == row.id).order_by(VersionRow.number)
            )
            return [to_proto(row, version) for version in rows]

    async def fetch(
        self,
        account: str,
        path: str,
        signed: bool,
        version_id: str = "",
        metadata_only: bool = False,
    ) -> asset_pb2.FetchReply:
        """The bytes of the file at URL path ``path``: its current version, or
        ``version_id`` (one of its own versions); with ``metadata_only``,
        everything but the bytes.

        Raises:
            AssetError: source_not_found (also unpublished files, and a private
                file without a signed URL: the answer of a missing path, so
                unsigned requests cannot tell which private paths exist).
        """
        async with self.sessions() as session:
            row = await self._by_path(session, account, "/" + path.lstrip("/"))
            if row is None or not row.is_published or (row.is_private and not signed):
                raise AssetError("source_not_found", "source image not found")
            version = await session.get(VersionRow, version_id or row.version_id)
            if version is None or version.file_id != row.id:
                raise AssetError("source_not_found", "no such version of this file")
        data = b""
        if not metadata_only:
            try:
                data = await self.blobs.get(version.blob_key)
            except FileNotFoundError:
                raise AssetError("source_not_found", "source image not found") from None
        return asset_pb2.FetchReply(
            data=data,
            mime=version.mime,
            version_id=version.id,
            modified_unix=int(version.created_at),
            custom_coordinates=row.custom_coordinates,
        )

    async def add_version(
        self, account: str, file_id: str, data: bytes, described: dict[str, Any], job_id: int
    ) -> asset_pb2.File:
        """A new current version holding ``data``, made by job ``job_id``; run
        again for the same job, it returns the version made the first time.

        Raises:
            AssetError: not_found (the file was deleted meanwhile).
        """
        async with self.sessions() as session:
            done = await session.scalar(select(VersionRow).where(VersionRow.job_id == job_id))
            if done is not None:
                row, _ = await self._current(session, account, file_id)
                return to_proto(row, done)
        blob_key = f"files/{new_id()}"
        await self.blobs.put(blob_key, data)
        described = {k: v for k, v in described.items() if k != "file_type"}
        try:
            for attempt in range(STORE_ATTEMPTS):
                try:
                    async with self.sessions.begin() as session:
                        row, _ = await self._current(session, account, file_id, lock=True)
                        version = VersionRow(
                            id=new_id(),
                            file_id=row.id,
                            number=await self._next_number(session, row.id),
                            blob_key=blob_key,
                            job_id=job_id,
                            created_at=time.time(),
                            **described,
                        )
                        session.add(version)
                        row.version_id = version.id
                        row.updated_at = version.created_at
                        return to_proto(row, version)
                except (IntegrityError, OperationalError):
                    # Either a second run of the same job got there first (its
                    # version is the answer) or an upload took the number.
                    async with self.sessions() as session:
                        done = await session.scalar(
                            select(VersionRow).where(VersionRow.job_id == job_id)
                        )
                        if done is not None:
                            await self.blobs.delete(blob_key)
                            row, _ = await self._current(session, account, file_id)
                            return to_proto(row, done)
                    await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))
            raise AssetError("overloaded", "the file is being written by others; retry")
        except BaseException:
            await self.blobs.delete(blob_key)
            raise

    async def current_bytes(self, account: str, file_id: str) -> bytes:
        """The current version's bytes.

        Raises:
            AssetError: not_found.
        """
        async with self.sessions() as session:
            _, version = await self._current(session, account, file_id)
        return await self.blobs.get(version.blob_key)

    @staticmethod
    async def _by_path(session: AsyncSession, account: str, path: str) -> FileRow | None:
        return await session.scalar(
            select(FileRow).where(FileRow.account == account, FileRow.file_path == path)
        )

    @staticmethod
    async def _next_number(session: AsyncSession, file_id: str) -> int:
        top = await session.scalar(
            select(func.max(VersionRow.number)).where(VersionRow.file_id == file_id)
        )
        return (top or 0) + 1

    @staticmethod
    async def _current(
        session: AsyncSession, account: str, file_id: str, *, lock: bool = False
    ) -> tuple[FileRow, VersionRow]:
        row = await session.get(FileRow, file_id, with_for_update=lock)
        if row is None or row.account != account:
            raise not_found()
        version = await session.get(VersionRow, row.version_id)
        if version is None:
            raise not_found()
        return row, version
