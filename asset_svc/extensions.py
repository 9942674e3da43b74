"""ImageKit extensions on upload and update
(https://imagekit.io/docs/extensions-overview, seed 002):

- ``remove-bg``: always asynchronous; a job renders the cut-out through the
  same edit graph as ``e-bgremove`` (PNG with alpha; ``bg_color`` flattens it,
  ``add_shadow`` adds a drop shadow, ``bg_image_url`` composites it over an
  image) and stores it as a new version of the file.
- ``google-auto-tagging`` / ``aws-auto-tagging``: ``AITags`` from the object
  detector in Triton (YOLOv3-tiny, COCO classes; ``source`` = the extension
  name), tried synchronously within ``tagging_budget_ms``, else a job.
- anything else (``ai-auto-description``, ``ai-tasks``, ...): ``failed`` with a
  reason, since imgmesh serves no model for it.

A pending extension's final status goes to ``webhookUrl`` when one was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asset_svc.db import JobRow
from asset_svc.errors import AssetError
from asset_svc.jobs import JobQueue, NewJob, Outcome, RetryLaterError, backoff_s
from asset_svc.library import Library
from asset_svc.transform import TransformPort
from asset_svc.webhooks import webhook_job
from contract.file_object import file_json
from imgmesh.v1 import asset_pb2, edit_pb2

KIND = "extension"
REMOVE_BG = "remove-bg"
TAGGING = ("google-auto-tagging", "aws-auto-tagging")
SUPPORTED = (REMOVE_BG, *TAGGING)
DEFAULT_MAX_TAGS = 10
# Failures worth another try: a dependency was down or busy.
TRANSIENT = frozenset(
    {"transform_unavailable", "model_unavailable", "overloaded", "render_failed", "timeout"}
)
MAX_ATTEMPTS = 5


def extension_to_dict(ext: asset_pb2.Extension) -> dict[str, Any]:
    """The job payload form of an Extension."""
    return {
        "name": ext.name,
        "max_tags": ext.max_tags,
        "min_confidence": ext.min_confidence,
        "add_shadow": ext.add_shadow,
        "bg_color": [ext.bg_color.r, ext.bg_color.g, ext.bg_color.b, ext.bg_color.a]
        if ext.HasField("bg_color")
        else None,
        "bg_image_url": ext.bg_image_url,
    }


def jobs_needed(extensions: Sequence[asset_pb2.Extension], webhook_url: str) -> int:
    """The most jobs :meth:`Extensions.start` enqueues for ``extensions``:
    one per supported extension (auto-tagging may finish synchronously and
    add none) and, with a ``webhook_url``, one FAILURE webhook per unsupported one."""
    return sum(1 for ext in extensions if ext.name in SUPPORTED or webhook_url)


def cutout_graph(data: bytes, ext: dict[str, Any]) -> edit_pb2.EditGraph:
    """The edit graph of ``remove-bg`` with its options."""
    steps = [edit_pb2.Step(remove_background=edit_pb2.RemoveBackground())]
    if ext.get("add_shadow"):
        steps.append(edit_pb2.Step(drop_shadow=edit_pb2.DropShadow()))
    if ext.get("bg_image_url"):
        layer = edit_pb2.EditGraph(source=edit_pb2.Source(url=ext["bg_image_url"]))
        steps.append(
            edit_pb2.Step(
                overlay=edit_pb2.Overlay(image=layer, fit=edit_pb2.Overlay.FIT_FILL, under=True)
            )
        )
    if ext.get("bg_color"):
        r, g, b, a = ext["bg_color"]
        steps.append(
            edit_pb2.Step(
                background_color=edit_pb2.BackgroundColor(color=edit_pb2.Color(r=r, g=g, b=b, a=a))
            )
        )
    return edit_pb2.EditGraph(
        source=edit_pb2.Source(inline_bytes=data),
        steps=steps,
        encode=edit_pb2.Encode(format=edit_pb2.FORMAT_PNG),
    )


class Extensions:
    """Starts extensions and runs their jobs.

    Args:
        library: the files.
        transform: transform_svc.
        queue: the job queue.
        url_endpoint: the gateway's base URL (File URLs in webhook bodies).
        tagging_budget_s: how long auto-tagging may take synchronously.
        retry_window_s: how long a webhook is retried.
    """

    def __init__(
        self,
        library: Library,
        transform: TransformPort,
        queue: JobQueue,
        url_endpoint: str,
        tagging_budget_s: float,
        retry_window_s: float,
    ) -> None:
        self.library = library
        self.transform = transform
        self.queue = queue
        self.url_endpoint = url_endpoint
        self.tagging_budget_s = tagging_budget_s
        self.retry_window_s = retry_window_s

    async def start(
        self,
        file: asset_pb2.File,
        extensions: Sequence[asset_pb2.Extension],
        webhook_url: str,
    ) -> dict[str, str]:
        """Run what can run now, queue the rest; ``extensionStatus``."""
        status: dict[str, str] = {}
        jobs: list[NewJob] = []
        for ext in extensions:
            payload = {
                "account": file.account,
                "file_id": file.file_id,
                "extension": extension_to_dict(ext),
                "webhook_url": webhook_url,
            }
            if ext.name not in SUPPORTED:
                status[ext.name] = "failed"
                if webhook_url:  # the reason reaches whoever listens
                    body = {
                        "service": ext.name,
                        "status": "FAILURE",
                        "fileId": file.file_id,
                        "error": {
                            "code": "model_unavailable",
                            "message": f"imgmesh serves no model for the {ext.name} extension",
                        },
                    }
                    jobs.append(webhook_job(file.account, webhook_url, body, self.retry_window_s))
            elif ext.name in TAGGING and self.tagging_budget_s > 0:
                try:
                    await self.tag(
                        file.account, file.file_id, payload["extension"], self.tagging_budget_s
                    )
                    status[ext.name] = "success"
                except AssetError as exc:
                    if exc.code not in TRANSIENT:
                        status[ext.name] = "failed"
                        continue
                    jobs.append(NewJob(KIND, payload, self.retry_window_s, account=file.account))
                    status[ext.name] = "pending"
            else:
                jobs.append(NewJob(KIND, payload, self.retry_window_s, account=file.account))
                status[ext.name] = "pending"
        if jobs:
            await self.queue.enqueue(jobs)
        return status

    async def tag(
        self, account: str, file_id: str, ext: dict[str, Any], timeout_s: float
    ) -> asset_pb2.File:
        """Detect objects and store them as AITags from ``ext["name"]``.

        Raises:
            AssetError: not_found; the transform error (timeout past ``timeout_s``).
        """
        data = await self.library.current_bytes(account, file_id)
        labels = await self.transform.analyze(
            data,
            min_confidence=(ext.get("min_confidence") or 0) / 100,
            max_labels=ext.get("max_tags") or DEFAULT_MAX_TAGS,
            timeout_s=timeout_s,
        )
        tags = [
            {
                "name": label.name,
                "confidence": round(label.confidence * 100, 2),
                "source": ext["name"],
            }
            for label in labels
        ]
        await self.library.set_ai_tags(account, file_id, tags)
        return await self.library.get(account, file_id)

    async def run(self, job: JobRow) -> Outcome:
        """One extension job; its webhook (if any) is the follow-up.

        Raises:
            RetryLaterError: a transient failure, fewer than MAX_ATTEMPTS so far.
        """
        p = job.payload
        ext = p["extension"]
        try:
            if ext["name"] == REMOVE_BG:
                data = await self.library.current_bytes(p["account"], p["file_id"])
                reply = await self.transform.render(cutout_graph(data, ext))
                if len(reply.image) > self.library.max_upload_bytes:  # would be unservable
                    raise AssetError(
                        "image_too_large",
                        f"the cut-out is over {self.library.max_upload_bytes} bytes;"
                        " the file keeps its current version",
                    )
                described = {
                    "mime": reply.content_type,
                    "size": len(reply.image),
                    "width": reply.width,
                    "height": reply.height,
                    "has_alpha": reply.has_alpha,
                }
                file = await self.library.add_version(
                    p["account"], p["file_id"], reply.image, described, job.id
                )
            else:
                file = await self.tag(p["account"], p["file_id"], ext, 120.0)
            body: dict[str, Any] = {
                "service": ext["name"],
                "status": "SUCCESS",
                "fileObject": file_json(file, self.url_endpoint),
            }
        except AssetError as exc:
            if exc.code in TRANSIENT and job.attempts < MAX_ATTEMPTS:
                raise RetryLaterError(backoff_s(5.0, job.attempts), exc.code) from exc
            body = {
                "service": ext["name"],
                "status": "FAILURE",
                "fileId": p["file_id"],
                "error": {"code": exc.code, "message": exc.message},
            }
        url = p["webhook_url"]
        follow = [webhook_job(p["account"], url, body, self.retry_window_s)] if url else []
        return Outcome(follow)
