"""grpc.aio server: the Assets service, grpc.health.v1 Health, the job
workers, and Prometheus metrics."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc
from prometheus_client import Counter, Histogram, start_http_server

from asset_svc import (
    definitions,
    file_ops,
    folders,
    metadata_schema,
    remote,
    upload_checks,
    upload_tokens,
)
from asset_svc.blobs import Blobs, open_store
from asset_svc.db import open_engine
from asset_svc.errors import AssetError, invalid
from asset_svc.extensions import KIND as EXTENSION
from asset_svc.extensions import Extensions, jobs_needed
from asset_svc.images import Images
from asset_svc.jobs import BacklogBound, JobQueue, run_worker
from asset_svc.library import Library, parse_metadata
from asset_svc.migrate import upgrade
from asset_svc.post_transformations import KIND as POST
from asset_svc.post_transformations import MAX_POST, PostTransformations
from asset_svc.settings import AssetSettings
from asset_svc.transform import TransformPort
from asset_svc.usage import add_usage, library_usage, read_usage
from asset_svc.webhooks import KIND as WEBHOOK
from asset_svc.webhooks import WebhookSender
from contract.errors import (
    ERROR_CODE_METADATA_KEY,
    HTTP_STATUS_METADATA_KEY,
    PARAMETER_METADATA_KEY,
)
from grpcutil import channels, serving
from imgmesh.v1 import asset_pb2, asset_pb2_grpc, edit_pb2, transform_pb2
from outbound.ssrf import check_origin_url
from telemetry.tracing import instrument_grpc_aio_client, instrument_grpc_aio_server, setup_tracing

log = logging.getLogger("asset_svc")

SERVICE_NAME = "imgmesh.v1.Assets"
CALLS = Counter("imgmesh_asset_calls_total", "Asset calls by method and code", ["method", "code"])
CALL_SECONDS = Histogram(
    "imgmesh_asset_call_seconds",
    "Asset call latency, seconds",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)

R = TypeVar("R")


def rpc(
    method: Callable[[Any, Any], Awaitable[R]],
) -> Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[R]]:
    """A servicer method ``(self, request) -> reply`` as a gRPC handler: timed
    and counted by method and code; an AssetError ends the call with its gRPC
    status and the public code, HTTP status and parameter as trailing
    metadata; anything else is logged and answered ``internal``."""
    name = method.__name__

    @functools.wraps(method)
    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext) -> R:
        start = time.perf_counter()
        code = "ok"
        try:
            return await method(self, request)
        except AssetError as exc:
            code = exc.code
            parameter = ((PARAMETER_METADATA_KEY, exc.parameter),) if exc.parameter else ()
            context.set_trailing_metadata(
                (
                    (ERROR_CODE_METADATA_KEY, exc.code),
                    (HTTP_STATUS_METADATA_KEY, str(exc.http_status)),
                    *parameter,
                )
            )
            await context.abort(exc.grpc_status, exc.message)
        except Exception:
            code = "internal"
            log.exception("%s failed", name)
            context.set_trailing_metadata(
                ((ERROR_CODE_METADATA_KEY, "internal"), (HTTP_STATUS_METADATA_KEY, "500"))
            )
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        finally:
            CALLS.labels(name, code).inc()
            CALL_SECONDS.labels(name).observe(time.perf_counter() - start)
        raise AssertionError("unreachable: abort raises")

    return handler


# gRPC method names are CamelCase.
# ruff: noqa: N802


class AssetsServicer(asset_pb2_grpc.AssetsServicer):
    """Each RPC = one Library / Images / Extensions call (errors: :func:`rpc`).

    Args:
        job_queue_per_account: the most queued and running jobs one account
            may have before a request adding jobs is refused (0 = no bound).
        allowed_hosts: origin hosts an extension's ``bg_image_url`` may name
            (transform_svc fetches it under the same rule).
    """

    def __init__(
        self,
        library: Library,
        images: Images,
        extensions: Extensions,
        webhooks: WebhookSender,
        post: PostTransformations,
        job_queue_per_account: int = 0,
        allowed_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self.library = library
        self.images = images
        self.extensions = extensions
        self.webhooks = webhooks
        self.post = post
        self.backlog = BacklogBound(library.sessions, job_queue_per_account)
        self.allowed_hosts = allowed_hosts

    def _check_jobs(
        self,
        webhook_url: str,
        extensions: Sequence[asset_pb2.Extension],
        post_transformations: int = 0,
    ) -> int:
        """Refuse, before anything is stored, a request whose jobs could not
        run (a bad ``webhookUrl`` or ``bg_image_url``); how many jobs it may
        add (for :class:`BacklogBound`).

        Raises:
            AssetError: invalid_parameter naming the field.
        """
        if webhook_url and (reason := self.webhooks.check(webhook_url)) is not None:
            raise AssetError("invalid_parameter", f"webhookUrl: {reason}", "webhookUrl")
        for ext in extensions:
            if ext.bg_image_url and (
                reason := check_origin_url(
                    ext.bg_image_url, self.allowed_hosts, self.webhooks.private_hosts
                )
            ):
                field = "extensions.options.bg_image_url"
                raise AssetError("invalid_parameter", f"{field}: {reason}", field)
        return jobs_needed(extensions, webhook_url) + post_transformations

    async def _fetch_url(self, url: str) -> bytes:
        return await remote.fetch(url, self.webhooks.private_hosts, self.library.max_upload_bytes)

    @rpc
    async def Upload(self, request: asset_pb2.UploadRequest) -> asset_pb2.FileReply:
        if len(request.post_transformations) > MAX_POST:
            raise invalid("transformation", f"transformation.post has at most {MAX_POST} items")
        adding = self._check_jobs(
            request.webhook_url, request.extensions, len(request.post_transformations)
        )
        async with self.backlog.admit(request.account, adding):
            return await self._upload(request)

    async def _upload(self, request: asset_pb2.UploadRequest) -> asset_pb2.FileReply:
        request.custom_metadata_json = await self._checked_metadata(
            request.account, request.custom_metadata_json
        )
        if request.client_token:
            await upload_tokens.claim(
                self.library.sessions,
                request.account,
                request.client_token,
                request.client_token_expire,
            )
        check = upload_checks.parse(request.checks) if request.checks else None
        data = await self._fetch_url(request.url) if request.url else request.data
        if request.HasField("pre_transformation"):  # what is stored is the transformed file
            graph = request.pre_transformation
            graph.source.inline_bytes = data
            data = (await self.transform_pre(graph)).image
        file = await self.library.upload(request, data, check)
        await self.post.start(
            file, request.post_transformations, request.webhook_url, file.version_id
        )
        return await self._with_extensions(file, request)

    async def transform_pre(self, graph: edit_pb2.EditGraph) -> transform_pb2.RenderReply:
        """Render the upload's pre-transformation.

        Raises:
            AssetError: transform_svc's code, named ``transformation``.
        """
        try:
            return await self.library.transform.render(graph)
        except AssetError as exc:
            raise AssetError(
                exc.code, f"transformation.pre: {exc.message}", "transformation"
            ) from exc

    async def _with_extensions(
        self,
        file: asset_pb2.File,
        request: asset_pb2.UploadRequest | asset_pb2.UpdateFileRequest,
    ) -> asset_pb2.FileReply:
        """Start the request's extensions on ``file``; the reply carries their
        status and the file as they left it (synchronous ones already ran)."""
        status = await self.extensions.start(file, request.extensions, request.webhook_url)
        if status:
            file = await self.library.get(request.account, file.file_id)
        return asset_pb2.FileReply(file=file, extension_status=status)

    @rpc
    async def GetFile(self, request: asset_pb2.FileRef) -> asset_pb2.FileReply:
        return asset_pb2.FileReply(file=await self.library.get(request.account, request.file_id))

    @rpc
    async def UpdateFile(self, request: asset_pb2.UpdateFileRequest) -> asset_pb2.FileReply:
        adding = self._check_jobs(request.webhook_url, request.extensions)
        async with self.backlog.admit(request.account, adding):
            if request.HasField("custom_metadata_json"):
                request.custom_metadata_json = await self._checked_metadata(
                    request.account, request.custom_metadata_json
                )
            return await self._with_extensions(await self.library.update(request), request)

    async def _checked_metadata(self, account: str, metadata_json: str) -> str:
        """``customMetadata`` checked against the account's custom metadata
        fields, defaults filled in (it replaces the file's whole set)."""
        fields = await definitions.metadata_fields(self.library.sessions, account)
        if not fields:
            return metadata_json
        values = parse_metadata(metadata_json)
        return json.dumps(metadata_schema.apply(values, fields, creating=True))

    @rpc
    async def ListFiles(self, request: asset_pb2.ListFilesRequest) -> asset_pb2.ListFilesReply:
        return asset_pb2.ListFilesReply(files=await self.library.list(request))

    @rpc
    async def DeleteFile(self, request: asset_pb2.FileRef) -> asset_pb2.DeleteReply:
        await self.library.delete(request.account, request.file_id)
        return asset_pb2.DeleteReply()

    @rpc
    async def ListVersions(self, request: asset_pb2.FileRef) -> asset_pb2.ListFilesReply:
        files = await self.library.versions(request.account, request.file_id)
        return asset_pb2.ListFilesReply(files=files)

    @rpc
    async def GetVersion(self, request: asset_pb2.VersionRef) -> asset_pb2.FileReply:
        file = await file_ops.get_version(
            self.library, request.account, request.file_id, request.version_id
        )
        return asset_pb2.FileReply(file=file)

    @rpc
    async def RestoreVersion(self, request: asset_pb2.VersionRef) -> asset_pb2.FileReply:
        file = await file_ops.restore_version(
            self.library, request.account, request.file_id, request.version_id
        )
        return asset_pb2.FileReply(file=file)

    @rpc
    async def DeleteVersion(self, request: asset_pb2.VersionRef) -> asset_pb2.DeleteReply:
        await file_ops.delete_version(
            self.library, request.account, request.file_id, request.version_id
        )
        return asset_pb2.DeleteReply()

    @rpc
    async def CopyFile(self, request: asset_pb2.CopyFileRequest) -> asset_pb2.DeleteReply:
        await file_ops.copy_file(
            self.library,
            request.account,
            request.source_file_path,
            request.destination_path,
            include_versions=request.include_file_versions,
            move=request.move,
        )
        return asset_pb2.DeleteReply()

    @rpc
    async def RenameFile(self, request: asset_pb2.RenameFileRequest) -> asset_pb2.FileReply:
        file = await file_ops.rename_file(
            self.library, request.account, request.file_path, request.new_file_name
        )
        return asset_pb2.FileReply(file=file)

    @rpc
    async def Bulk(self, request: asset_pb2.BulkRequest) -> asset_pb2.BulkReply:
        try:
            if request.action == "delete":
                ids = await file_ops.bulk_delete(self.library, request.account, request.file_ids)
            elif request.action in ("add_tags", "remove_tags", "remove_ai_tags"):
                ids = await file_ops.bulk_tags(
                    self.library, request.account, request.file_ids, request.action, request.values
                )
            else:
                raise AssetError("invalid_parameter", f"no bulk action {request.action!r}")
        except file_ops.MissingFilesError as exc:
            return asset_pb2.BulkReply(missing_file_ids=exc.missing)
        return asset_pb2.BulkReply(file_ids=ids)

    @rpc
    async def CreateFolder(self, request: asset_pb2.FolderRequest) -> asset_pb2.DeleteReply:
        await folders.create(
            self.library, request.account, request.folder_name, request.parent_path
        )
        return asset_pb2.DeleteReply()

    @rpc
    async def DeleteFolder(self, request: asset_pb2.FolderRequest) -> asset_pb2.DeleteReply:
        await folders.delete_folder(self.library, request.account, request.folder_path)
        return asset_pb2.DeleteReply()

    @rpc
    async def ListFolders(self, request: asset_pb2.FolderRequest) -> asset_pb2.ListFoldersReply:
        found = await folders.list_folders(self.library, request.account, request.folder_path)
        return asset_pb2.ListFoldersReply(folders=found)

    @rpc
    async def RunFolderJob(self, request: asset_pb2.FolderJobRequest) -> asset_pb2.JobReply:
        return await folders.run_job(self.library, request)

    @rpc
    async def GetJob(self, request: asset_pb2.JobRef) -> asset_pb2.JobReply:
        return await folders.get_job(self.library, request.account, request.job_id)

    @rpc
    async def PutDefinition(self, request: asset_pb2.DefinitionRequest) -> asset_pb2.Definition:
        if request.kind == "custom_metadata_field":
            metadata_schema.check_schema(json.loads(request.body_json or "{}").get("schema"))
        return await definitions.put(self.library.sessions, request)

    @rpc
    async def GetDefinition(self, request: asset_pb2.DefinitionRef) -> asset_pb2.Definition:
        return await definitions.get(
            self.library.sessions, request.account, request.kind, request.id
        )

    @rpc
    async def ListDefinitions(
        self, request: asset_pb2.DefinitionRef
    ) -> asset_pb2.ListDefinitionsReply:
        found = await definitions.list_kind(self.library.sessions, request.account, request.kind)
        return asset_pb2.ListDefinitionsReply(definitions=found)

    @rpc
    async def DeleteDefinition(self, request: asset_pb2.DefinitionRef) -> asset_pb2.DeleteReply:
        await definitions.delete(self.library.sessions, request.account, request.kind, request.id)
        return asset_pb2.DeleteReply()

    @rpc
    async def Fetch(self, request: asset_pb2.FetchRequest) -> asset_pb2.FetchReply:
        return await self.library.fetch(
            request.account,
            request.path,
            request.signed,
            request.version_id,
            request.metadata_only,
        )

    @rpc
    async def CreateImage(self, request: asset_pb2.CreateImageRequest) -> asset_pb2.ImageReply:
        data = await self._fetch_url(request.url) if request.url else request.data
        image = await self.images.create(request.account, request.name, data)
        return asset_pb2.ImageReply(image=image)

    @rpc
    async def GetImage(self, request: asset_pb2.ImageRef) -> asset_pb2.ImageReply:
        return asset_pb2.ImageReply(image=await self.images.get(request.account, request.image_id))

    @rpc
    async def ListImages(self, request: asset_pb2.ListImagesRequest) -> asset_pb2.ListImagesReply:
        return await self.images.list(request.account, request.page, request.limit)

    @rpc
    async def DeleteImage(self, request: asset_pb2.ImageRef) -> asset_pb2.DeleteReply:
        await self.images.delete(request.account, request.image_id)
        return asset_pb2.DeleteReply()

    @rpc
    async def DownloadImage(self, request: asset_pb2.ImageRef) -> asset_pb2.FetchReply:
        return await self.images.download(request.account, request.image_id)

    @rpc
    async def DeriveImage(self, request: asset_pb2.DeriveImageRequest) -> asset_pb2.ImageReply:
        return asset_pb2.ImageReply(image=await self.images.derive(request))

    @rpc
    async def SetPublished(self, request: asset_pb2.SetPublishedRequest) -> asset_pb2.ImageReply:
        image = await self.images.set_published(
            request.account, request.image_id, request.published
        )
        return asset_pb2.ImageReply(image=image)

    @rpc
    async def RecordUsage(self, request: asset_pb2.UsageRequest) -> asset_pb2.UsageReply:
        async with self.library.sessions.begin() as session:
            await add_usage(session, request.account, request.images, 0)
        return await self._usage(request.account)

    @rpc
    async def GetUsage(self, request: asset_pb2.UsageRequest) -> asset_pb2.UsageReply:
        reply = await self._usage(request.account)
        if request.end_unix:
            async with self.library.sessions() as session:
                reply.storage_bytes, reply.extension_units = await library_usage(
                    session, request.account, request.start_unix, request.end_unix
                )
        return reply

    async def _usage(self, account: str) -> asset_pb2.UsageReply:
        async with self.library.sessions() as session:
            return await read_usage(session, account)


async def serve(
    settings: AssetSettings,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Migrate the database, then serve until ``stop`` is set (SIGTERM-safe:
    in-flight calls get 10 s, job workers finish their current job or leave it
    to its lease)."""
    setup_tracing("asset_svc")
    instrument_grpc_aio_server()
    instrument_grpc_aio_client()
    if settings.asset_metrics_port:
        start_http_server(settings.asset_metrics_port, addr=settings.asset_host)
    await asyncio.to_thread(upgrade, settings.database_url)
    engine, sessions = open_engine(settings.database_url)
    blobs = Blobs(open_store(settings.blob_store_url))
    transform = TransformPort(settings.transform_address)
    library = Library(sessions, blobs, transform, settings.max_upload_bytes)
    images = Images(sessions, blobs, transform, settings.max_upload_bytes)
    # two lanes, so a hanging webhook receiver never holds a render worker
    queue = JobQueue(
        sessions,
        settings.job_lease_s,
        settings.job_workers_per_account,
        frozenset({EXTENSION, POST}),
    )
    webhook_lane = JobQueue(
        sessions, settings.job_lease_s, settings.job_workers_per_account, frozenset({WEBHOOK})
    )
    webhooks = WebhookSender(
        sessions,
        settings.webhook_secret,
        settings.private_hosts,
        settings.webhook_timeout_s,
        settings.webhook_retry_base_s,
    )
    extensions = Extensions(
        library,
        transform,
        queue,
        settings.url_endpoint,
        settings.tagging_budget_ms / 1000,
        settings.webhook_retry_window_s,
    )
    post = PostTransformations(
        library, transform, queue, settings.url_endpoint, settings.webhook_retry_window_s
    )
    server = channels.new_server()
    asset_pb2_grpc.add_AssetsServicer_to_server(
        AssetsServicer(
            library,
            images,
            extensions,
            webhooks,
            post,
            settings.job_queue_per_account,
            settings.allowed_hosts,
        ),
        server,
    )
    workers_stop = asyncio.Event()
    handlers = {EXTENSION: extensions.run, WEBHOOK: webhooks.deliver, POST: post.run}
    address = f"{settings.asset_host}:{settings.asset_port}"
    try:
        async with serving.serving(server, address, SERVICE_NAME, log, ready):
            lanes = [(queue, settings.job_workers), (webhook_lane, settings.webhook_workers)]
            workers = [
                asyncio.create_task(run_worker(lane, handlers, workers_stop))
                for lane, count in lanes
                for _ in range(count)
            ]
            await serving.until_stopped(server, stop)
        workers_stop.set()  # a job in progress finishes, or its lease runs out
        await asyncio.gather(*workers, return_exceptions=True)
    finally:
        await webhooks.close()
        await transform.close()
        await engine.dispose()
