"""ImageKit's Folder API as the official SDK (``imagekitio`` 5.x) calls it;
each is one asset_svc call:

- ``POST /v1/folder`` / ``DELETE /v1/folder``: ``folders.create`` / ``folders.delete``
- ``POST /v1/bulkJobs/copyFolder`` / ``moveFolder`` / ``renameFolder``: ``folders.copy`` ...
- ``GET /v1/bulkJobs/{jobId}``: ``folders.job.get``

References: https://imagekit.io/docs/api-reference/digital-asset-management-dam/managing-folders.
The jobs run within the call; their status reads ``Completed`` at once.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.accounts import Account
from gateway.app_state import ASSET_CLIENT
from gateway.authenticated import keyed
from gateway.imagekit.file_ops import json_body, required
from gateway.imagekit.support import HELP
from imgmesh.v1 import asset_pb2


async def create(request: web.Request, account: Account) -> web.StreamResponse:
    body = await json_body(request, {"folderName": str, "parentFolderPath": str})
    required(body, "folderName", "parentFolderPath")
    req = asset_pb2.FolderRequest(
        account=account.id, folder_name=body["folderName"], parent_path=body["parentFolderPath"]
    )
    await request.app[ASSET_CLIENT].stub.CreateFolder(req, timeout=30)
    return web.json_response({}, status=201)


async def delete(request: web.Request, account: Account) -> web.StreamResponse:
    body = await json_body(request, {"folderPath": str})
    required(body, "folderPath")
    req = asset_pb2.FolderRequest(account=account.id, folder_path=body["folderPath"])
    await request.app[ASSET_CLIENT].stub.DeleteFolder(req, timeout=300)
    return web.Response(status=204)


def _job(kind: str) -> Any:
    fields: dict[str, type] = {
        "COPY_FOLDER": {"sourceFolderPath": str, "destinationPath": str, "includeVersions": bool},
        "MOVE_FOLDER": {"sourceFolderPath": str, "destinationPath": str},
        "RENAME_FOLDER": {"folderPath": str, "newFolderName": str, "purgeCache": bool},
    }[kind]

    async def work(request: web.Request, account: Account) -> web.StreamResponse:
        body = await json_body(request, fields)
        names = [n for n in fields if n not in ("includeVersions", "purgeCache")]
        required(body, *names)
        req = asset_pb2.FolderJobRequest(
            account=account.id,
            type=kind,
            source_folder_path=body.get("sourceFolderPath", body.get("folderPath", "")),
            destination_path=body.get("destinationPath", ""),
            new_folder_name=body.get("newFolderName", ""),
            include_versions=bool(body.get("includeVersions", False)),
        )
        reply = await request.app[ASSET_CLIENT].stub.RunFolderJob(req, timeout=600)
        return web.json_response({"jobId": reply.job_id})

    return work


async def get_job(request: web.Request, account: Account) -> web.StreamResponse:
    ref = asset_pb2.JobRef(account=account.id, job_id=request.match_info["job_id"])
    reply = await request.app[ASSET_CLIENT].stub.GetJob(ref, timeout=30)
    return web.json_response({"jobId": reply.job_id, "type": reply.type, "status": reply.status})


def add_routes(app: web.Application) -> None:
    """Register the Folder API routes (before the URL API's catch-all)."""
    for method, path, work, name in (
        ("POST", "/v1/folder", create, "imagekit_folder_create"),
        ("DELETE", "/v1/folder", delete, "imagekit_folder_delete"),
        ("POST", "/v1/bulkJobs/copyFolder", _job("COPY_FOLDER"), "imagekit_folder_copy"),
        ("POST", "/v1/bulkJobs/moveFolder", _job("MOVE_FOLDER"), "imagekit_folder_move"),
        ("POST", "/v1/bulkJobs/renameFolder", _job("RENAME_FOLDER"), "imagekit_folder_rename"),
        ("GET", "/v1/bulkJobs/{job_id}", get_job, "imagekit_job"),
    ):
        app.router.add_route(method, path, keyed(work, help=HELP), name=name)
