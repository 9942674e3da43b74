"""ImageKit's Upload and Files API, as the official SDK (``imagekitio`` 5.x,
constructed with ``base_url`` = the gateway) calls it:

- ``POST /api/v1/files/upload`` (multipart): ``files.upload``
- ``GET|PATCH /v1/files/{fileId}/details``: ``files.get`` / ``files.update``
- ``GET /v1/files``: ``assets.list`` (a bare JSON array)
- ``DELETE /v1/files/{fileId}``: ``files.delete``
- ``GET /v1/files/{fileId}/versions``: ``files.versions.list``

References: https://imagekit.io/docs/api-reference/upload-file/upload-file and
the Files API pages under https://imagekit.io/docs/api-reference. Auth is HTTP
Basic with the key as user name (``x-api-key`` works too). Errors carry
ImageKit's ``message`` and ``help`` next to imgmesh's ``code``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aiohttp import web

from contract import json_text
from contract.file_object import file_json, folder_json
from gateway import value_parsers
from gateway.accounts import Account, key_of
from gateway.app_state import API_KEYS, ASSET_CLIENT, NAMED
from gateway.authenticated import Handler, Work, guarded, keyed, public_base
from gateway.errors import RequestError
from gateway.forms import read_form
from gateway.imagekit import client_upload, definitions, upload_jwt, upload_transformation
from gateway.imagekit.support import HELP
from imgmesh.v1 import asset_pb2

UPLOAD_FIELDS = frozenset(
    {
        "file",
        "fileName",
        "useUniqueFileName",
        "tags",
        "folder",
        "isPrivateFile",
        "isPublished",
        "customCoordinates",
        "customMetadata",
        "description",
        "extensions",
        "webhookUrl",
        "overwriteFile",
        "overwriteAITags",
        "overwriteTags",
        "overwriteCustomMetadata",
        "responseFields",
        "transformation",
        "checks",
    }
)
UPLOAD_BOOLEANS = {
    "useUniqueFileName": "use_unique_file_name",
    "isPrivateFile": "is_private_file",
    "isPublished": "is_published",
    "overwriteFile": "overwrite_file",
    "overwriteAITags": "overwrite_ai_tags",
    "overwriteTags": "overwrite_tags",
    "overwriteCustomMetadata": "overwrite_custom_metadata",
}
UPDATE_FIELDS = frozenset(
    {
        "tags",
        "removeAITags",
        "customCoordinates",
        "customMetadata",
        "description",
        "extensions",
        "webhookUrl",
        "publish",
    }
)
MAX_EXTENSIONS = 10  # per upload or update; repeats of one name are merged first
MAX_EXTENSION_NAME = 64
MAX_URL = 2048  # characters of bg_image_url
LIST_QUERY = frozenset({"path", "searchQuery", "skip", "limit", "sort", "fileType", "type"})


def parse_extensions(raw: Any) -> list[asset_pb2.Extension]:
    """ImageKit's ``extensions`` array (a JSON string on upload, a list on
    update). Auto-tagging limits arrive as ``maxTags``/``minConfidence`` or, from
    the SDK's upload, ``max_tags``/``min_confidence``: both are accepted.

    Raises:
        RequestError: invalid_parameter naming ``extensions``.
    """
    if isinstance(raw, str):
        try:
            raw = json_text.loads(raw)
        except json_text.JsonTextError:
            raw = None
    allowed = 'a JSON array of {"name": ..., ...} objects'
    if not isinstance(raw, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) for e in raw
    ):
        raise RequestError(
            "invalid_parameter", "extensions must be " + allowed, "extensions", allowed
        )
    if len(raw) > MAX_EXTENSIONS:
        raise RequestError(
            "invalid_parameter", f"extensions holds at most {MAX_EXTENSIONS} items", "extensions"
        )
    out = []
    seen: set[str] = set()
    for item in raw:
        if item["name"] in seen:  # one run per extension: a repeat is merged into the first
            continue
        seen.add(item["name"])
        ext = asset_pb2.Extension(name=item["name"][:MAX_EXTENSION_NAME])
        max_tags = item.get("maxTags", item.get("max_tags"))
        min_conf = item.get("minConfidence", item.get("min_confidence"))
        if max_tags is not None:
            ext.max_tags = value_parsers.integer("extensions.maxTags", str(max_tags), 1, 100)
        if min_conf is not None:
            ext.min_confidence = value_parsers.decimal(
                "extensions.minConfidence", str(min_conf), 0, 100
            )
        options = item.get("options") or {}
        if not isinstance(options, dict):
            raise RequestError(
                "invalid_parameter", "extension options must be an object", "extensions"
            )
        ext.add_shadow = bool(options.get("add_shadow", False))
        ext.semitransparency = bool(options.get("semitransparency", False))
        if options.get("bg_color"):
            ext.bg_color.CopyFrom(
                value_parsers.css_color("extensions.options.bg_color", str(options["bg_color"]))
            )
        if options.get("bg_image_url"):
            url = str(options["bg_image_url"])
            if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL:
                raise RequestError(
                    "invalid_parameter",
                    f"bg_image_url is an http(s) URL of at most {MAX_URL} characters",
                    "extensions.options.bg_image_url",
                )
            ext.bg_image_url = url
        out.append(ext)
    return out


def _file_bytes(texts: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    """(bytes, url): the ``file`` field: a file part (binary), or a text field
    holding an http(s) URL or base64 (the SDK sends text fields through
    ``extra_body={"file": ...}``).

    Raises:
        RequestError: missing or undecodable ``file``.
    """
    if "file" in files:  # a file part is the file, whatever it holds
        return files["file"], ""
    text = texts.get("file", "").strip()
    if not text:
        raise RequestError("missing_source", "the file field is required", "file")
    if text.lower().startswith(("http://", "https://")):
        return b"", text
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True), ""
    except (binascii.Error, ValueError):
        raise RequestError(
            "invalid_parameter",
            "file must be binary, an http(s) URL or base64",
            "file",
            "binary, http(s) URL or base64",
        ) from None


def upload_request(
    account: Account, texts: dict[str, str], files: dict[str, bytes]
) -> asset_pb2.UploadRequest:
    """The multipart upload -> UploadRequest.

    Raises:
        RequestError: unknown or malformed fields.
    """
    for name in [*texts, *files]:
        if name not in UPLOAD_FIELDS:
            raise RequestError("unknown_parameter", f"unknown parameter {name!r}", name)
    data, url = _file_bytes(texts, files)
    if not texts.get("fileName", "").strip():
        raise RequestError("invalid_parameter", "fileName is required", "fileName", "a file name")
    req = asset_pb2.UploadRequest(
        account=account.id,
        data=data,
        url=url,
        file_name=texts["fileName"],
        use_unique_file_name=True,
        folder=texts.get("folder", "/"),
        tags=[t.strip() for t in texts.get("tags", "").split(",") if t.strip()],
        custom_metadata_json=texts.get("customMetadata", ""),
        webhook_url=texts.get("webhookUrl", ""),
    )
    if "customCoordinates" in texts:
        req.custom_coordinates = texts["customCoordinates"]
    if "description" in texts:
        req.description = texts["description"]
    for field, attr in UPLOAD_BOOLEANS.items():
        if field in texts:
            setattr(req, attr, value_parsers.boolean(field, texts[field]))
    if texts.get("extensions"):
        req.extensions.extend(parse_extensions(texts["extensions"]))
    req.checks = texts.get("checks", "")
    return req


def update_request(account: Account, file_id: str, body: Any) -> asset_pb2.UpdateFileRequest:
    """The JSON update body -> UpdateFileRequest.

    Raises:
        RequestError: unknown or malformed fields.
    """
    if not isinstance(body, dict):
        raise RequestError("invalid_request", "the body must be a JSON object", "body")
    for name in body:
        if name not in UPDATE_FIELDS:
            raise RequestError("unknown_parameter", f"unknown parameter {name!r}", name)
    req = asset_pb2.UpdateFileRequest(account=account.id, file_id=file_id)
    if "tags" in body:
        tags = body["tags"] or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise RequestError("invalid_parameter", "tags must be a list of strings", "tags")
        req.tags.extend(tags)
        req.replace_tags = True
    if "removeAITags" in body:
        remove = body["removeAITags"]
        remove = ["all"] if remove == "all" else remove
        if not isinstance(remove, list):
            raise RequestError(
                "invalid_parameter", 'removeAITags is a list of names or "all"', "removeAITags"
            )
        if not all(isinstance(t, str) for t in remove):
            raise RequestError(
                "invalid_parameter", 'removeAITags is a list of names or "all"', "removeAITags"
            )
        req.remove_ai_tags.extend(remove)
    for field in ("customCoordinates", "description", "webhookUrl"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise RequestError("invalid_parameter", f"{field} must be a string", field)
    if "customCoordinates" in body:
        req.custom_coordinates = str(body["customCoordinates"] or "")
    if "customMetadata" in body:
        if not isinstance(body["customMetadata"], dict):
            raise RequestError(
                "invalid_parameter", "customMetadata must be an object", "customMetadata"
            )
        req.custom_metadata_json = json.dumps(body["customMetadata"])
    if "description" in body:
        req.description = str(body["description"] or "")
    if "extensions" in body:
        req.extensions.extend(parse_extensions(body["extensions"]))
    if body.get("webhookUrl"):
        req.webhook_url = str(body["webhookUrl"])
    if "publish" in body:
        publish = body["publish"]
        if not isinstance(publish, dict) or not isinstance(publish.get("isPublished"), bool):
            raise RequestError(
                "invalid_parameter", "publish is {isPublished: true|false}", "publish"
            )
        req.is_published = publish["isPublished"]
    return req


def list_request(account: Account, query: dict[str, str]) -> asset_pb2.ListFilesRequest:
    """``assets.list``'s query -> ListFilesRequest.

    Raises:
        RequestError: unknown or malformed parameters.
    """
    for name in query:
        if name not in LIST_QUERY:
            raise RequestError("unknown_parameter", f"unknown parameter {name!r}", name)
    if query.get("type", "file") not in ("file", "folder", "all"):
        raise RequestError(
            "invalid_parameter",
            "type is file, folder or all (versions: GET /v1/files/{fileId}/versions)",
            "type",
        )
    req = asset_pb2.ListFilesRequest(
        account=account.id,
        path=query.get("path", ""),
        skip=value_parsers.integer("skip", query.get("skip", "0"), 0, 1_000_000, negative=""),
        limit=value_parsers.integer("limit", query.get("limit", "1000"), 1, 1000, negative=""),
        sort=query.get("sort", ""),
        file_type=query.get("fileType", "all"),
    )
    parse_search(req, query.get("searchQuery", ""))
    return req


_NAME_QUERY = re.compile(r'^name\s*(=|:)\s*"([^"]*)"$')
_TAGS_IN = re.compile(r"^tags\s+IN\s+\[(.*)\]$", re.IGNORECASE)
_TAG_EQ = re.compile(r'^tags\s*(=|:)\s*"([^"]*)"$')
SEARCH_FORMS = 'plain text, name = "x", name : "x", tags = "x" or tags IN ["x", "y"]'


def parse_search(req: asset_pb2.ListFilesRequest, query: str) -> None:
    """ImageKit's ``searchQuery``, the forms imgmesh supports, into ``req``.

    Raises:
        RequestError: invalid_parameter for any other form.
    """
    query = query.strip()
    if not query:
        return
    if m := _NAME_QUERY.match(query):
        req.name_contains = m.group(2)
    elif m := _TAG_EQ.match(query):
        req.tags_any.append(m.group(2))
    elif m := _TAGS_IN.match(query):
        try:
            tags = json.loads(f"[{m.group(1)}]")
        except ValueError:
            tags = None
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise RequestError(
                "invalid_parameter", "tags IN takes a list of strings", "searchQuery", SEARCH_FORMS
            )
        req.tags_any.extend(tags)
    elif any(op in query for op in ('"', "=", ">", "<", " IN ", " AND ", " OR ")):
        raise RequestError(
            "invalid_parameter",
            f"unsupported searchQuery; use {SEARCH_FORMS}",
            "searchQuery",
            SEARCH_FORMS,
        )
    else:
        req.search_query = query


def _file_reply(request: web.Request, reply: asset_pb2.FileReply) -> web.Response:
    body = file_json(reply.file, public_base(request))
    if reply.extension_status:
        body["extensionStatus"] = dict(reply.extension_status)
    return web.json_response(body)


async def upload(request: web.Request, account: Account) -> web.StreamResponse:
    texts, files = await read_form(request)
    await _expand_saved(request, account, texts)
    req = upload_request(account, texts, files)
    await _compile_transformation(request, account, texts, req)
    reply = await request.app[ASSET_CLIENT].stub.Upload(req, timeout=120)
    return _file_reply(request, reply)


async def _compile_transformation(
    request: web.Request, account: Account, texts: dict[str, str], req: asset_pb2.UploadRequest
) -> None:
    """``transformation`` -> ``req.pre_transformation`` and ``post_transformations``."""
    raw = texts.get("transformation", "")
    if not raw.strip():
        return
    named = request.app[NAMED]
    if "n-" in raw:  # the account's own named transformations too
        named = await definitions.account_named(request.app, account.id)
    pre, post = upload_transformation.parse(raw, named)
    if pre is not None:
        req.pre_transformation.CopyFrom(pre)
    req.post_transformations.extend(post)


async def _expand_saved(request: web.Request, account: Account, texts: dict[str, str]) -> None:
    if texts.get("extensions"):
        texts["extensions"] = await definitions.expand_saved_extensions(
            request.app, account.id, texts["extensions"]
        )


async def client_side_upload(request: web.Request) -> web.StreamResponse:
    """An upload authenticated by :mod:`gateway.imagekit.client_upload`'s
    parameters instead of the private key."""
    texts, files = await read_form(request)
    if "publicKey" not in texts:  # neither a key nor client-side parameters: 401 / 403
        request.app[API_KEYS].check(key_of(request))
    account, token, expire = client_upload.authenticate(request.app[API_KEYS], texts)
    return await _token_upload(request, account, texts, files, token, expire)


async def _token_upload(
    request: web.Request,
    account: Account,
    texts: dict[str, str],
    files: dict[str, bytes],
    token: str,
    expire: float,
) -> web.StreamResponse:
    """The upload of an authenticated client-side form; ``token`` is claimed
    by asset_svc (single use)."""
    await _expand_saved(request, account, texts)
    req = upload_request(account, texts, files)
    await _compile_transformation(request, account, texts, req)
    req.client_token, req.client_token_expire = token, expire
    reply = await request.app[ASSET_CLIENT].stub.Upload(req, timeout=120)
    return _file_reply(request, reply)


async def upload_route(request: web.Request) -> web.StreamResponse:
    """``POST /api/v1/files/upload``: with a private key (HTTP Basic or
    ``x-api-key``), else with client-side upload parameters (an SDK built
    with a placeholder key sends that key too: an unknown key then counts
    as none)."""
    if request.app[API_KEYS].known(key_of(request)):
        return await _keyed(upload)(request)
    return await guarded(client_side_upload, help=HELP)(request)


async def jwt_upload(request: web.Request) -> web.StreamResponse:
    """A v2 upload authenticated by its JWT (:mod:`gateway.imagekit.upload_jwt`)."""
    texts, files = await read_form(request)
    if "token" not in texts:  # neither a key nor a token: 401 / 403
        request.app[API_KEYS].check(key_of(request))
    account, token, expire = upload_jwt.authenticate(request.app[API_KEYS], texts)
    return await _token_upload(request, account, texts, files, token, expire)


async def upload_v2_route(request: web.Request) -> web.StreamResponse:
    """``POST /api/v2/files/upload`` (``beta.v2.files.upload``): with a private
    key as v1, else with the form's JWT ``token``."""
    if request.app[API_KEYS].known(key_of(request)):
        return await _keyed(upload)(request)
    return await guarded(jwt_upload, help=HELP)(request)


async def get_details(request: web.Request, account: Account) -> web.StreamResponse:
    ref = asset_pb2.FileRef(account=account.id, file_id=request.match_info["file_id"])
    return _file_reply(request, await request.app[ASSET_CLIENT].stub.GetFile(ref, timeout=30))


async def update_details(request: web.Request, account: Account) -> web.StreamResponse:
    try:
        body = json_text.loads(await request.read())
    except json_text.JsonTextError as exc:
        raise RequestError(
            "invalid_request", f"the body must be JSON ({exc.reason})", "body"
        ) from None
    if isinstance(body, dict) and "extensions" in body:
        body["extensions"] = await definitions.expand_saved_extensions(
            request.app, account.id, body["extensions"]
        )
    req = update_request(account, request.match_info["file_id"], body)
    return _file_reply(request, await request.app[ASSET_CLIENT].stub.UpdateFile(req, timeout=120))


async def list_files(request: web.Request, account: Account) -> web.StreamResponse:
    """``assets.list``: files, or with ``type=folder`` / ``all`` the folders
    inside ``path`` (first) too."""
    req = list_request(account, dict(request.query))
    kind = request.query.get("type", "file")
    listed: list[dict[str, Any]] = []
    if kind in ("folder", "all"):
        ref = asset_pb2.FolderRequest(account=account.id, folder_path=req.path or "/")
        found = await request.app[ASSET_CLIENT].stub.ListFolders(ref, timeout=30)
        listed = [folder_json(f) for f in found.folders]
    if kind != "folder":
        reply = await request.app[ASSET_CLIENT].stub.ListFiles(req, timeout=30)
        base = public_base(request)
        listed += [file_json(f, base) for f in reply.files]
    return web.json_response(listed)


async def delete_file(request: web.Request, account: Account) -> web.StreamResponse:
    ref = asset_pb2.FileRef(account=account.id, file_id=request.match_info["file_id"])
    await request.app[ASSET_CLIENT].stub.DeleteFile(ref, timeout=30)
    return web.Response(status=204)


async def list_versions(request: web.Request, account: Account) -> web.StreamResponse:
    ref = asset_pb2.FileRef(account=account.id, file_id=request.match_info["file_id"])
    reply = await request.app[ASSET_CLIENT].stub.ListVersions(ref, timeout=30)
    base = public_base(request)
    last = len(reply.files) - 1
    return web.json_response(
        [file_json(f, base, current=i == last) for i, f in enumerate(reply.files)]
    )


def _keyed(work: Work) -> Handler:
    return keyed(work, help=HELP)


def add_routes(app: web.Application) -> None:
    """Register the Upload and Files routes (before the URL API's catch-all)."""
    app.router.add_post("/api/v1/files/upload", upload_route, name="imagekit_upload")
    app.router.add_post("/api/v2/files/upload", upload_v2_route, name="imagekit_upload_v2")
    app.router.add_get("/v1/files", _keyed(list_files), name="imagekit_list")
    details = "/v1/files/{file_id}/details"
    app.router.add_get(details, _keyed(get_details), name="imagekit_details")
    app.router.add_patch(details, _keyed(update_details), name="imagekit_update")
    app.router.add_delete("/v1/files/{file_id}", _keyed(delete_file), name="imagekit_delete")
    app.router.add_get(
        "/v1/files/{file_id}/versions", _keyed(list_versions), name="imagekit_versions"
    )
