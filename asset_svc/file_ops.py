"""What ImageKit's Files API does to stored files beyond upload and details:
one version got, restored or deleted; a file copied, moved or renamed; tags
added or removed and files deleted in bulk. Over the library's own tables and
blob store (:class:`asset_svc.library.Library`), per account.

References: https://imagekit.io/docs/api-reference/digital-asset-management-dam/managing-assets
(copy-file, move-file, rename-file, get/restore/delete-file-version,
add-tags-bulk, remove-tags-bulk, remove-ai-tags-bulk, delete-multiple-files).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from asset_svc.db import FileRow, VersionRow
from asset_svc.errors import AssetError, invalid, not_found
from asset_svc.library import MAX_PATH, Library, file_name, new_id, normalise_folder, to_proto
from imgmesh.v1 import asset_pb2

MAX_BULK = 100  # ImageKit's limit on fileIds per bulk call


async def _version(
    session: AsyncSession, lib: Library, account: str, file_id: str, version_id: str
) -> tuple[FileRow, VersionRow]:
    row, _ = await lib._current(session, account, file_id, lock=True)
    version = await session.get(VersionRow, version_id)
    if version is None or version.file_id != row.id:
        raise not_found("file version")
    return row, version


async def get_version(lib: Library, account: str, file_id: str, version_id: str) -> asset_pb2.File:
    """The file as it was at ``version_id``.

    Raises:
        AssetError: not_found.
    """
    async with lib.sessions() as session:
        row, version = await _version(session, lib, account, file_id, version_id)
        return to_proto(row, version)


async def restore_version(
    lib: Library, account: str, file_id: str, version_id: str
) -> asset_pb2.File:
    """Make ``version_id`` the current version again: the file's URL serves
    its bytes (the source's version is part of every result-cache key, so
    nothing rendered from the version it replaces is served).

    Raises:
        AssetError: not_found.
    """
    async with lib.sessions.begin() as session:
        row, version = await _version(session, lib, account, file_id, version_id)
        row.version_id = version.id
        row.updated_at = time.time()
        return to_proto(row, version)


async def delete_version(lib: Library, account: str, file_id: str, version_id: str) -> None:
    """Remove a non-current version and its blob.

    Raises:
        AssetError: not_found; invalid_parameter for the current version
            (ImageKit: "You cannot delete current version of a file").
    """
    async with lib.sessions.begin() as session:
        row, version = await _version(session, lib, account, file_id, version_id)
        if version.id == row.version_id:
            raise invalid("versionId", "You cannot delete current version of a file.")
        key = version.blob_key
        await session.delete(version)
    await lib.blobs.delete(key)


def _file_path(value: str, parameter: str) -> str:
    path = "/" + value.strip().lstrip("/")
    if path == "/" or path.endswith("/") or len(path) > MAX_PATH:
        raise invalid(parameter, f"{parameter} is the path of a file, e.g. /folder/photo.jpg")
    folder, _, name = path.rpartition("/")
    normalise_folder(folder or "/")  # the folder's own rules (no .., no empty parts)
    return path


async def _source(session: AsyncSession, lib: Library, account: str, path: str) -> FileRow:
    row = await lib._by_path(session, account, path)
    if row is None:
        raise AssetError("not_found", "No file found with the provided sourceFilePath.")
    return row


async def _versions(session: AsyncSession, row: FileRow) -> list[VersionRow]:
    rows = await session.scalars(
        select(VersionRow).where(VersionRow.file_id == row.id).order_by(VersionRow.number)
    )
    return list(rows)


async def copy_file(
    lib: Library,
    account: str,
    source_path: str,
    destination_folder: str,
    *,
    include_versions: bool,
    move: bool,
) -> None:
    """Copy (or with ``move``, move) the file at ``source_path`` into
    ``destination_folder``, keeping its name. At a path no file holds it
    becomes a new file (with all its versions when ``include_versions`` or
    ``move``); onto an existing file its versions are appended to that
    file's history, the last becoming current, as ImageKit does. A
    concurrent call that takes the destination path first makes this one
    append to the file it made.

    Raises:
        AssetError: not_found (no such source), invalid_parameter (paths).
    """
    source = _file_path(source_path, "sourceFilePath")
    folder = normalise_folder(destination_folder or "/")
    for _ in range(3):
        try:
            await _copy_once(lib, account, source, folder, include_versions, move)
            return
        except IntegrityError:  # the destination path was taken meanwhile: append to it
            continue
    raise AssetError("name_conflict", "the destination changed during the copy; try again")


async def _copy_once(
    lib: Library, account: str, source: str, folder: str, include_versions: bool, move: bool
) -> None:
    async with lib.sessions() as session:
        row = await _source(session, lib, account, source)
        versions = await _versions(session, row)
        target = await lib._by_path(session, account, folder + row.name)
    if target is not None and target.id == row.id:
        return  # onto itself
    if not (include_versions or move):
        versions = [v for v in versions if v.id == row.version_id]
    if move and target is None:
        async with lib.sessions.begin() as session:
            moved = await session.get(FileRow, row.id, with_for_update=True)
            if moved is None or moved.account != account:
                raise not_found()
            moved.folder, moved.file_path = folder, folder + moved.name
            moved.updated_at = time.time()
        return
    if len(folder + row.name) > MAX_PATH:
        raise invalid("destinationPath", f"folder + name is at most {MAX_PATH} characters")
    copies = [(version, f"files/{new_id()}") for version in versions]
    try:
        for version, key in copies:
            try:
                data = await lib.blobs.get(version.blob_key)
            except FileNotFoundError:  # the source changed meanwhile
                raise not_found() from None
            await lib.blobs.put(key, data)
        async with lib.sessions.begin() as session:
            await _append_copies(session, lib, account, row, target, folder, copies)
    except BaseException:
        for _, key in copies:
            await lib.blobs.delete(key)
        raise
    if move:
        await lib.delete(account, row.id)


async def _append_copies(
    session: AsyncSession,
    lib: Library,
    account: str,
    row: FileRow,
    target: FileRow | None,
    folder: str,
    copies: Sequence[tuple[VersionRow, str]],
) -> None:
    now = time.time()
    if target is None:
        target = FileRow(
            id=new_id(),
            account=account,
            file_path=folder + row.name,
            folder=folder,
            name=row.name,
            file_type=row.file_type,
            tags=list(row.tags),
            ai_tags=list(row.ai_tags),
            custom_coordinates=row.custom_coordinates,
            custom_metadata=dict(row.custom_metadata),
            description=row.description,
            is_private=row.is_private,
            is_published=row.is_published,
            version_id="",
            created_at=now,
            updated_at=now,
        )
        session.add(target)
        await session.flush()
    else:
        target = await session.get(FileRow, target.id, with_for_update=True) or target
    number = await lib._next_number(session, target.id)
    for i, (version, key) in enumerate(copies):
        copy = VersionRow(
            id=new_id(),
            file_id=target.id,
            number=number + i,
            blob_key=key,
            mime=version.mime,
            size=version.size,
            width=version.width,
            height=version.height,
            has_alpha=version.has_alpha,
            created_at=now,
        )
        session.add(copy)
        target.version_id = copy.id
    target.updated_at = now


async def rename_file(lib: Library, account: str, file_path: str, new_name: str) -> asset_pb2.File:
    """Give the file at ``file_path`` the name ``new_name`` in its folder.

    Raises:
        AssetError: not_found; invalid_parameter (a name with "/");
            file_exists (409: a file already has that name there).
    """
    path = _file_path(file_path, "filePath")
    if not new_name.strip() or "/" in new_name or len(new_name) > 255:
        raise invalid("newFileName", "newFileName is a file name without '/'")
    name = file_name(new_name, unique=False)  # unsafe characters become "_", as on upload
    if len(path.rpartition("/")[0] + "/" + name) > MAX_PATH:
        raise invalid("newFileName", f"folder + name is at most {MAX_PATH} characters")
    conflict = AssetError("name_conflict", "File with the same name already exists.", "newFileName")
    try:
        async with lib.sessions.begin() as session:
            row = await lib._by_path(session, account, path)
            if row is None:
                raise AssetError("not_found", "No file found with the provided filePath.")
            if await lib._by_path(session, account, row.folder + name) is not None:
                raise conflict
            row.name, row.file_path = name, row.folder + name
            row.updated_at = time.time()
            version = await session.get(VersionRow, row.version_id)
            if version is None:
                raise not_found()
            return to_proto(row, version)
    except IntegrityError:  # a concurrent rename or upload took the name first
        raise conflict from None


def _changer(action: str, values: Sequence[str]) -> Callable[[FileRow], None]:
    wanted = list(dict.fromkeys(values))

    def add_tags(row: FileRow) -> None:
        row.tags = list(dict.fromkeys([*row.tags, *wanted]))

    def remove_tags(row: FileRow) -> None:
        row.tags = [t for t in row.tags if t not in wanted]

    def remove_ai_tags(row: FileRow) -> None:
        row.ai_tags = [t for t in row.ai_tags if t["name"] not in wanted]

    return {"add_tags": add_tags, "remove_tags": remove_tags, "remove_ai_tags": remove_ai_tags}[
        action
    ]


def _check_ids(file_ids: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(file_ids))
    if not ids or len(ids) > MAX_BULK:
        raise invalid("fileIds", f"fileIds lists 1..{MAX_BULK} file ids")
    return ids


async def _missing(session: AsyncSession, account: str, ids: list[str]) -> list[FileRow]:
    rows = (
        await session.scalars(
            select(FileRow).where(FileRow.account == account, FileRow.id.in_(ids)).with_for_update()
        )
    ).all()
    found = {r.id for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise MissingFilesError(missing)
    return list(rows)


class MissingFilesError(AssetError):
    """Some of a bulk call's file ids name no file of the account (ImageKit
    answers 404 with ``missingFileIds`` and changes nothing)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("not_found", "The requested file(s) does not exist.", "fileIds")
        self.missing = missing


async def bulk_tags(
    lib: Library, account: str, file_ids: Sequence[str], action: str, values: Sequence[str]
) -> list[str]:
    """Add or remove ``values`` as tags (``add_tags``, ``remove_tags``) or
    AI tags (``remove_ai_tags``) on every file of ``file_ids``; the ids updated.

    Raises:
        MissingFilesError: an id names no file of the account (nothing changed).
        AssetError: invalid_parameter.
    """
    ids = _check_ids(file_ids)
    if not values or any(not v.strip() for v in values):
        raise invalid("tags", "tags lists one or more non-empty tags")
    change = _changer(action, values)
    async with lib.sessions.begin() as session:
        for row in await _missing(session, account, ids):
            change(row)
            row.updated_at = time.time()
    return ids


async def bulk_delete(lib: Library, account: str, file_ids: Sequence[str]) -> list[str]:
    """Delete every file of ``file_ids`` with its versions and blobs; the ids deleted.

    Raises:
        MissingFilesError: an id names no file of the account (nothing deleted).
        AssetError: invalid_parameter.
    """
    ids = _check_ids(file_ids)
    async with lib.sessions.begin() as session:
        rows = await _missing(session, account, ids)
        keys = (
            await session.scalars(
                select(VersionRow.blob_key).where(VersionRow.file_id.in_([r.id for r in rows]))
            )
        ).all()
        await session.execute(delete(VersionRow).where(VersionRow.file_id.in_(ids)))
        for row in rows:
            await session.delete(row)
    for key in keys:
        await lib.blobs.delete(key)
    return ids
