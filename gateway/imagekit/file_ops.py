"""ImageKit's Files API operations on stored files, as the official SDK
(``imagekitio`` 5.x) calls them; each is one asset_svc call:

- ``GET|DELETE /v1/files/{fileId}/versions/{versionId}``: ``files.versions.get`` / ``.delete``
- ``PUT /v1/files/{fileId}/versions/{versionId}/restore``: ``files.versions.restore``
- ``POST /v1/files/copy`` / ``move``, ``PUT /v1/files/rename``: ``files.copy`` ...
- ``POST /v1/files/addTags`` / ``removeTags`` / ``removeAITags``: ``files.bulk.add_tags`` ...
- ``POST /v1/files/batch/deleteByFileIds``: ``files.bulk.delete``

References: https://imagekit.io/docs/api-reference/digital-asset-management-dam/managing-assets.
A bulk call naming a file id the account does not hold answers 404 with
``missingFileIds`` and changes nothing, as ImageKit does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contract import json_text
from contract.file_object import file_json
from gateway.accounts import Account
from gateway.app_state import ASSET_CLIENT
from gateway.authenticated import keyed, public_base
from gateway.errors import RequestError
from gateway.imagekit.support import HELP
from imgmesh.v1 import asset_pb2

MAX_BODY = 1 << 20  # bytes of a JSON body


async def json_body(request: web.Request, fields: dict[str, type]) -> dict[str, Any]:
    """The JSON object body, each of ``fields`` (name -> type) checked when
    present; names outside ``fields`` are refused.

    Raises:
        RequestError: invalid_request (no JSON object), unknown_parameter,
            invalid_parameter (a field of the wrong type).
    """
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise RequestError("invalid_request", f"the body is at most {MAX_BODY} bytes", "body")
    try:
        body = json_text.loads(raw or b"{}")
    except json_text.JsonTextError as exc:
        raise RequestError(
            "invalid_request", f"the body must be a JSON object ({exc.reason})", "body"
        ) from None
    if not isinstance(body, dict):
        raise RequestError("invalid_request", "the body must be a JSON object", "body")
    for name, value in body.items():
        if name not in fields:
            raise RequestError("unknown_parameter", f"unknown parameter {name!r}", name)
        kind = fields[name]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is list:
            ok = ok and all(isinstance(v, str) for v in value)
        if not ok:
            expected = "a list of strings" if kind is list else kind.__name__
            raise RequestError("invalid_parameter", f"{name} must be {expected}", name)
    return body


def required(body: dict[str, Any], *names: str) -> None:
    """Each of ``names`` present and not empty in ``body``.

    Raises:
        RequestError: invalid_parameter naming the first one missing.
    """
    for name in names:
        if not body.get(name):
            raise RequestError("invalid_parameter", f"{name} is required", name)


def _version_ref(request: web.Request, account: Account) -> asset_pb2.VersionRef:
    return asset_pb2.VersionRef(
        account=account.id,
        file_id=request.match_info["file_id"],
        version_id=request.match_info["version_id"],
    )


async def get_version(request: web.Request, account: Account) -> web.StreamResponse:
    ref = _version_ref(request, account)
    reply = await request.app[ASSET_CLIENT].stub.GetVersion(ref, timeout=30)
    current = await request.app[ASSET_CLIENT].stub.GetFile(
        asset_pb2.FileRef(account=account.id, file_id=ref.file_id), timeout=30
    )
    is_current = current.file.version_id == reply.file.version_id
    return web.json_response(file_json(reply.file, public_base(request), current=is_current))


async def restore_version(request: web.Request, account: Account) -> web.StreamResponse:
    reply = await request.app[ASSET_CLIENT].stub.RestoreVersion(
        _version_ref(request, account), timeout=30
    )
    return web.json_response(file_json(reply.file, public_base(request)))


async def delete_version(request: web.Request, account: Account) -> web.StreamResponse:
    await request.app[ASSET_CLIENT].stub.DeleteVersion(_version_ref(request, account), timeout=30)
    return web.Response(status=204)


def _copier(move: bool) -> Any:
    async def work(request: web.Request, account: Account) -> web.StreamResponse:
        fields: dict[str, type] = {"sourceFilePath": str, "destinationPath": str}
        if not move:
            fields["includeFileVersions"] = bool
        body = await json_body(request, fields)
        required(body, "sourceFilePath", "destinationPath")
        req = asset_pb2.CopyFileRequest(
            account=account.id,
            source_file_path=body["sourceFilePath"],
            destination_path=body["destinationPath"],
            include_file_versions=bool(body.get("includeFileVersions", False)),
            move=move,
        )
        await request.app[ASSET_CLIENT].stub.CopyFile(req, timeout=120)
        return web.Response(status=204)

    return work


async def rename(request: web.Request, account: Account) -> web.StreamResponse:
    body = await json_body(request, {"filePath": str, "newFileName": str, "purgeCache": bool})
    required(body, "filePath", "newFileName")
    req = asset_pb2.RenameFileRequest(
        account=account.id, file_path=body["filePath"], new_file_name=body["newFileName"]
    )
    await request.app[ASSET_CLIENT].stub.RenameFile(req, timeout=30)
    # The result cache is keyed by the file's path and version: the old URL
    # answers 404 at once and the new one renders, so there is nothing to purge.
    return web.json_response({})


def _bulk(action: str, values_field: str | None, reply_field: str) -> Any:
    async def work(request: web.Request, account: Account) -> web.StreamResponse:
        fields: dict[str, type] = {"fileIds": list}
        if values_field:
            fields[values_field] = list
        body = await json_body(request, fields)
        required(body, "fileIds", *([values_field] if values_field else []))
        req = asset_pb2.BulkRequest(
            account=account.id,
            file_ids=body["fileIds"],
            action=action,
            values=body.get(values_field, []) if values_field else [],
        )
        reply = await request.app[ASSET_CLIENT].stub.Bulk(req, timeout=120)
        if reply.missing_file_ids:
            return web.json_response(
                {
                    "code": "not_found",
                    "message": "The requested file(s) does not exist.",
                    "help": HELP,
                    "missingFileIds": list(reply.missing_file_ids),
                },
                status=404,
            )
        return web.json_response({reply_field: list(reply.file_ids)})

    return work


def add_routes(app: web.Application) -> None:
    """Register the file operation routes (before the URL API's catch-all)."""
    routes = app.router
    version = "/v1/files/{file_id}/versions/{version_id}"
    for method, path, work, name in (
        ("GET", version, get_version, "imagekit_version"),
        ("DELETE", version, delete_version, "imagekit_version_delete"),
        ("PUT", version + "/restore", restore_version, "imagekit_version_restore"),
        ("POST", "/v1/files/copy", _copier(move=False), "imagekit_copy"),
        ("POST", "/v1/files/move", _copier(move=True), "imagekit_move"),
        ("PUT", "/v1/files/rename", rename, "imagekit_rename"),
        (
            "POST",
            "/v1/files/addTags",
            _bulk("add_tags", "tags", "successfullyUpdatedFileIds"),
            "imagekit_add_tags",
        ),
        (
            "POST",
            "/v1/files/removeTags",
            _bulk("remove_tags", "tags", "successfullyUpdatedFileIds"),
            "imagekit_remove_tags",
        ),
        (
            "POST",
            "/v1/files/removeAITags",
            _bulk("remove_ai_tags", "AITags", "successfullyUpdatedFileIds"),
            "imagekit_remove_ai_tags",
        ),
        (
            "POST",
            "/v1/files/batch/deleteByFileIds",
            _bulk("delete", None, "successfullyDeletedFileIds"),
            "imagekit_bulk_delete",
        ),
    ):
        routes.add_route(method, path, keyed(work, help=HELP), name=name)
