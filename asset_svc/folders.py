"""Media-library folders (ImageKit's Folder API): created, listed, deleted
with their contents, and copied, moved or renamed as bulk jobs whose status
can be read back. A folder exists once created (a ``folders`` row, even
empty) or while it holds files. References:
https://imagekit.io/docs/api-reference/digital-asset-management-dam/managing-folders
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from asset_svc import file_ops
from asset_svc.db import FileRow, FolderRow, JobRow
from asset_svc.errors import AssetError, invalid
from asset_svc.library import MAX_PATH, Library, iso, new_id, normalise_folder
from imgmesh.v1 import asset_pb2

KIND = "bulk"  # JobRow.kind of a finished folder job (no worker claims it)
TYPES = ("COPY_FOLDER", "MOVE_FOLDER", "RENAME_FOLDER")


def _folder(value: str, parameter: str) -> str:
    if len(value) > MAX_PATH:
        raise invalid(parameter, f"{parameter} is at most {MAX_PATH} characters")
    try:
        return normalise_folder(value)
    except AssetError:
        raise invalid(parameter, "folder names use letters, digits, space, . - _") from None


async def _ensure(session: AsyncSession, account: str, path: str) -> None:
    """Rows for ``path`` and each folder above it (the root has none)."""
    now = time.time()
    parts = [p for p in path.split("/") if p]
    for i in range(1, len(parts) + 1):
        folder = "/" + "".join(p + "/" for p in parts[:i])
        found = await session.scalar(
            select(FolderRow.id).where(FolderRow.account == account, FolderRow.path == folder)
        )
        if found is None:
            session.add(
                FolderRow(id=new_id(), account=account, path=folder, created_at=now, updated_at=now)
            )
            await session.flush()


async def create(lib: Library, account: str, name: str, parent: str) -> None:
    """Create folder ``name`` in ``parent`` (and ``parent`` itself when missing).

    Raises:
        AssetError: invalid_parameter for a bad name or path.
    """
    name = name.strip().strip("/")
    if not name or "/" in name:
        raise invalid("folderName", "folderName is one folder name, without '/'")
    path = _folder(_folder(parent or "/", "parentFolderPath") + name, "folderName")
    for _ in range(3):
        try:
            async with lib.sessions.begin() as session:
                await _ensure(session, account, path)
            return
        except IntegrityError:  # a concurrent create made one of them: look again
            continue


async def _exists(session: AsyncSession, account: str, path: str) -> bool:
    row = await session.scalar(
        select(FolderRow.id).where(FolderRow.account == account, FolderRow.path == path)
    )
    if row is not None:
        return True
    held = await session.scalar(
        select(FileRow.id)
        .where(FileRow.account == account, FileRow.folder.startswith(path, autoescape=True))
        .limit(1)
    )
    return held is not None


def _missing(path: str) -> AssetError:
    return AssetError("not_found", f"No folder found with folderPath {path}", "folderPath")


async def _files_under(lib: Library, account: str, path: str) -> list[tuple[str, str]]:
    """(file id, file path) of every file in ``path`` and its subfolders."""
    async with lib.sessions() as session:
        rows = await session.execute(
            select(FileRow.id, FileRow.file_path).where(
                FileRow.account == account, FileRow.folder.startswith(path, autoescape=True)
            )
        )
        return [(r[0], r[1]) for r in rows]


async def delete_folder(lib: Library, account: str, folder_path: str) -> None:
    """Delete the folder, its subfolders and every file in them (with their
    versions and blobs).

    Raises:
        AssetError: not_found; invalid_parameter (the root may not be deleted).
    """
    path = _folder(folder_path, "folderPath")
    if path == "/":
        raise invalid("folderPath", "the root folder cannot be deleted")
    async with lib.sessions() as session:
        if not await _exists(session, account, path):
            raise _missing(path)
    ids = [file_id for file_id, _ in await _files_under(lib, account, path)]
    for start in range(0, len(ids), file_ops.MAX_BULK):
        try:
            await file_ops.bulk_delete(lib, account, ids[start : start + file_ops.MAX_BULK])
        except file_ops.MissingFilesError as exc:  # deleted meanwhile: delete the rest
            rest = [i for i in ids[start : start + file_ops.MAX_BULK] if i not in exc.missing]
            if rest:
                await file_ops.bulk_delete(lib, account, rest)
    async with lib.sessions.begin() as session:
        await session.execute(
            delete(FolderRow).where(
                FolderRow.account == account, FolderRow.path.startswith(path, autoescape=True)
            )
        )


async def _relocate(
    lib: Library, account: str, source: str, target: str, *, move: bool, include_versions: bool
) -> None:
    """Every file under ``source`` copied (or moved) to the same place under
    ``target``; the folder rows with them."""
    for _, file_path in await _files_under(lib, account, source):
        folder = file_path.rpartition("/")[0] + "/"
        await file_ops.copy_file(
            lib,
            account,
            file_path,
            target + folder[len(source) :],
            include_versions=include_versions,
            move=move,
        )
    async with lib.sessions.begin() as session:
        rows = (
            await session.scalars(
                select(FolderRow).where(
                    FolderRow.account == account,
                    FolderRow.path.startswith(source, autoescape=True),
                )
            )
        ).all()
        for row in rows:
            await _ensure(session, account, target + row.path[len(source) :])
            if move:
                await session.delete(row)
        await _ensure(session, account, target)


async def run_job(lib: Library, req: asset_pb2.FolderJobRequest) -> asset_pb2.JobReply:
    """Copy, move or rename a folder (ImageKit's bulk jobs), then record the
    job as ``Completed`` (it runs within the call; the job id reads it back).

    * COPY_FOLDER / MOVE_FOLDER: ``source_folder_path`` into
      ``destination_path`` (``/a/b`` into ``/c`` makes ``/c/b``).
    * RENAME_FOLDER: ``source_folder_path`` becomes ``new_folder_name`` in its parent.

    Raises:
        AssetError: not_found (no such source folder), invalid_parameter
            (a bad path, or a folder into itself).
    """
    if req.type not in TYPES:
        raise invalid("type", "type is " + " | ".join(TYPES))
    source = _folder(req.source_folder_path, "sourceFolderPath")
    if source == "/":
        raise invalid("sourceFolderPath", "the root folder cannot be copied, moved or renamed")
    name = source.rstrip("/").rpartition("/")[2]
    if req.type == "RENAME_FOLDER":
        new_name = req.new_folder_name.strip()
        if not new_name or "/" in new_name:
            raise invalid("newFolderName", "newFolderName is one folder name, without '/'")
        parent = source.rstrip("/").rpartition("/")[0] + "/"
        target = _folder(parent + new_name, "newFolderName")
    else:
        target = _folder(_folder(req.destination_path, "destinationPath") + name, "destinationPath")
    if target.startswith(source):
        raise invalid("destinationPath", "a folder cannot go into itself")
    async with lib.sessions() as session:
        if not await _exists(session, req.account, source):
            raise _missing(source)
    await _relocate(
        lib,
        req.account,
        source,
        target,
        move=req.type != "COPY_FOLDER",
        include_versions=req.include_versions or req.type != "COPY_FOLDER",
    )
    now = time.time()
    async with lib.sessions.begin() as session:
        job = JobRow(
            kind=KIND,
            account=req.account,
            payload={"account": req.account, "type": req.type},
            status="done",
            run_after=now,
            give_up_at=now,
            created_at=now,
            finished_at=now,
        )
        session.add(job)
        await session.flush()
        return asset_pb2.JobReply(job_id=str(job.id), type=req.type, status="Completed")


async def get_job(lib: Library, account: str, job_id: str) -> asset_pb2.JobReply:
    """A folder job's type and status.

    Raises:
        AssetError: not_found (also another account's job).
    """
    if not (job_id.isascii() and job_id.isdigit()) or len(job_id) > 18:
        raise AssetError("not_found", "No job found with this jobId")
    async with lib.sessions() as session:
        job = await session.get(JobRow, int(job_id))
    if job is None or job.kind != KIND or job.payload.get("account") != account:
        raise AssetError("not_found", "No job found with this jobId")
    status = "Completed" if job.status == "done" else "Pending"
    return asset_pb2.JobReply(job_id=job_id, type=job.payload["type"], status=status)


async def list_folders(lib: Library, account: str, under: str) -> list[asset_pb2.Folder]:
    """Every folder inside ``under`` (created ones and those holding files),
    by path.

    Raises:
        AssetError: invalid_parameter for a bad path.
    """
    path = _folder(under or "/", "path")
    async with lib.sessions() as session:
        rows = (
            await session.scalars(
                select(FolderRow).where(
                    FolderRow.account == account,
                    FolderRow.path.startswith(path, autoescape=True),
                    FolderRow.path != path,
                )
            )
        ).all()
        held = await session.scalars(
            select(FileRow.folder)
            .where(FileRow.account == account, FileRow.folder.startswith(path, autoescape=True))
            .distinct()
        )
        made = {row.path: row for row in rows}
        paths = set(made)
        for folder in held:
            parts = [p for p in folder[len(path) :].split("/") if p]
            for i in range(1, len(parts) + 1):
                paths.add(path + "".join(p + "/" for p in parts[:i]))
    out = []
    for folder in sorted(paths):
        row = made.get(folder)
        out.append(
            asset_pb2.Folder(
                folder_id=row.id if row else "",
                name=folder.rstrip("/").rpartition("/")[2],
                folder_path=folder.rstrip("/"),
                created_at=iso(row.created_at) if row else "",
                updated_at=iso(row.updated_at) if row else "",
            )
        )
    return out
