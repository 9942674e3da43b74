"""ImageKit's File object as JSON, from the asset contract's ``File``: the one
rendering both the gateway's Files API and asset_svc's webhooks use.
Reference: https://imagekit.io/docs/api-reference/digital-asset-management-dam/list-and-search-assets
(field names as the ``imagekitio`` SDK's ``File`` model reads them)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from imgmesh.v1 import asset_pb2


def url_endpoint(base_url: str, account: str) -> str:
    """An account's URL endpoint: ``<base>/<account>`` (ImageKit's
    ``https://ik.imagekit.io/<id>``)."""
    return f"{base_url.rstrip('/')}/{account}"


def file_url(base_url: str, file: asset_pb2.File) -> str:
    """``<url endpoint><filePath>``: the file as a source for the URL API."""
    return url_endpoint(base_url, file.account) + quote(file.file_path)


def file_json(file: asset_pb2.File, base_url: str, *, current: bool = True) -> dict[str, Any]:
    """The File object. ``current=False`` (a listed older version) adds
    ``?ik-obj-version=<id>`` to the URLs, as ImageKit does."""
    url = file_url(base_url, file)
    if not current:
        url += f"?ik-obj-version={file.version_id}"
    image = file.file_type == "image"
    thumbnail = f"{url}{'&' if '?' in url else '?'}tr=n-ik_ml_thumbnail" if image else ""
    return {
        "type": "file" if current else "file-version",
        "fileId": file.file_id,
        "name": file.name,
        "filePath": file.file_path,
        "url": url,
        "thumbnail": thumbnail,
        "thumbnailUrl": thumbnail,
        "fileType": file.file_type,
        "mime": file.mime,
        "size": file.size,
        "width": file.width if image else None,
        "height": file.height if image else None,
        "hasAlpha": file.has_alpha,
        "tags": list(file.tags) or None,
        "AITags": [
            {"name": t.name, "confidence": round(t.confidence, 2), "source": t.source}
            for t in file.ai_tags
        ]
        or None,
        "customCoordinates": file.custom_coordinates or None,
        "customMetadata": json.loads(file.custom_metadata_json or "{}"),
        "description": file.description or None,
        "isPrivateFile": file.is_private_file,
        "isPublished": file.is_published,
        "versionInfo": {"id": file.version_id, "name": file.version_name},
        "createdAt": file.created_at,
        "updatedAt": file.updated_at,
    }


def folder_json(folder: asset_pb2.Folder) -> dict[str, Any]:
    """ImageKit's Folder object (``type: "folder"``) as ``assets.list`` lists it."""
    return {
        "type": "folder",
        "folderId": folder.folder_id or None,
        "name": folder.name,
        "folderPath": folder.folder_path,
        "createdAt": folder.created_at or None,
        "updatedAt": folder.updated_at or None,
    }
