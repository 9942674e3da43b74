"""ImageKit's upload ``transformation.post`` items of type ``transformation``:
each is rendered once, eagerly, by a job after the upload, through the same
edit graph the file's URL with ``?tr=<value>`` compiles to, so that URL is a
result-cache hit from then on. Its outcome goes to the upload's
``webhookUrl`` as ImageKit's ``upload.post-transform.success`` /
``upload.post-transform.error`` events. Reference:
https://imagekit.io/docs/api-reference/upload-file/upload-file#transformation
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from asset_svc.db import JobRow
from asset_svc.errors import AssetError
from asset_svc.jobs import JobQueue, NewJob, Outcome, RetryLaterError, backoff_s
from asset_svc.library import Library
from asset_svc.transform import TransformPort
from asset_svc.webhooks import webhook_job
from contract.file_object import file_json
from imgmesh.v1 import asset_pb2, edit_pb2

KIND = "post_transformation"
MAX_POST = 10  # transformation.post items per upload
TRANSIENT = frozenset({"transform_unavailable", "overloaded", "render_failed", "timeout"})
MAX_ATTEMPTS = 5


def variant_url(file: asset_pb2.File, url_endpoint: str, value: str) -> str:
    """The file's URL with ``?tr=<value>``."""
    return file_json(file, url_endpoint)["url"] + "?tr=" + quote(value, safe="-,:_.")


class PostTransformations:
    """Queues and runs post-transformation jobs.

    Args:
        library: the files.
        transform: transform_svc.
        queue: the job queue.
        url_endpoint: the gateway's base URL (variant URLs in webhook bodies).
        retry_window_s: how long a job (and its webhook) is retried, s.
    """

    def __init__(
        self,
        library: Library,
        transform: TransformPort,
        queue: JobQueue,
        url_endpoint: str,
        retry_window_s: float,
    ) -> None:
        self.library = library
        self.transform = transform
        self.queue = queue
        self.url_endpoint = url_endpoint
        self.retry_window_s = retry_window_s

    async def start(
        self,
        file: asset_pb2.File,
        post: Sequence[asset_pb2.PostTransformation],
        webhook_url: str,
        request_id: str,
    ) -> None:
        """Queue one job per item (its graph's source is set to ``file``)."""
        jobs = [
            NewJob(
                KIND,
                {
                    "account": file.account,
                    "file_id": file.file_id,
                    "value": item.value,
                    "graph": base64.b64encode(item.graph.SerializeToString()).decode(),
                    "webhook_url": webhook_url,
                    "request_id": request_id,
                },
                self.retry_window_s,
                account=file.account,
            )
            for item in post
        ]
        if jobs:
            await self.queue.enqueue(jobs)

    async def run(self, job: JobRow) -> Outcome:
        """Render one variant of the file's current version; its webhook (if
        any) is the follow-up.

        Raises:
            RetryLaterError: a transient failure, fewer than MAX_ATTEMPTS so far.
        """
        p = job.payload
        transformation = {"type": "transformation", "value": p["value"]}
        event: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "created_at": datetime.now(UTC).isoformat(),
            "request": {"transformation": transformation, "x_request_id": p["request_id"]},
        }
        try:
            file = await self.library.get(p["account"], p["file_id"])
        except AssetError as exc:  # deleted since: nothing to render
            event["type"] = "upload.post-transform.error"
            event["data"] = {
                "fileId": p["file_id"],
                "name": "",
                "path": "",
                "url": "",
                "transformation": {"error": {"reason": exc.message}},
            }
            return self._outcome(p, event)
        url = variant_url(file, self.url_endpoint, p["value"])
        graph = edit_pb2.EditGraph.FromString(base64.b64decode(p["graph"]))
        graph.source.library.CopyFrom(  # as the URL handler sets it: other Source fields kept
            edit_pb2.LibraryFile(
                account=file.account,
                path=file.file_path.lstrip("/"),
                signed=file.is_private_file,
            )
        )
        try:
            await self.transform.render(graph)
        except AssetError as exc:
            if exc.code in TRANSIENT and job.attempts < MAX_ATTEMPTS:
                raise RetryLaterError(backoff_s(5.0, job.attempts), exc.code) from exc
            event["type"] = "upload.post-transform.error"
            event["data"] = {
                "fileId": file.file_id,
                "name": file.name,
                "path": file.file_path,
                "url": url,
                "transformation": {"error": {"reason": exc.message}},
            }
            return self._outcome(p, event)
        event["type"] = "upload.post-transform.success"
        event["data"] = {"fileId": file.file_id, "name": file.name, "url": url}
        return self._outcome(p, event)

    def _outcome(self, payload: dict[str, Any], event: dict[str, Any]) -> Outcome:
        url = payload["webhook_url"]
        job = webhook_job(payload["account"], url, event, self.retry_window_s)
        return Outcome([job] if url else [])
