"""ImageKit's per-account registries as the official SDK calls them, stored
by asset_svc (one table, one kind each):

- ``/v1/named-transformations[/{id}]``: ``named_transformations.create`` /
  ``list`` / ``get`` / ``update`` / ``delete``; used as ``n-<name>`` in the
  URLs of the account's files (``/<account id>/...``), over the file-based
  IMGMESH_NAMED_TRANSFORMATIONS.
- ``/v1/saved-extensions[/{id}]``: ``saved_extensions.*``; an upload or
  update's ``{"name": "saved-extension", "id": ...}`` runs the saved config.
- ``/v1/customMetadataFields[/{id}]``: ``custom_metadata_fields.*``; asset_svc
  checks every upload's and update's ``customMetadata`` against them.

References: https://imagekit.io/docs/api-reference (named transformations,
saved extensions, custom metadata fields).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from contract import json_text
from gateway.accounts import Account
from gateway.app_state import ASSET_CLIENT, NAMED
from gateway.authenticated import keyed
from gateway.errors import RequestError
from gateway.imagekit.file_ops import json_body, required
from gateway.imagekit.support import HELP
from gateway.imagekit.urlgrammar import ClientHints, build_graph, split_request
from imgmesh.v1 import asset_pb2

NAME = re.compile(r"^[A-Za-z0-9_]{1,100}$")
SAVED_EXTENSION = "saved-extension"


def _named_body(body: dict[str, Any], named: Mapping[str, str]) -> dict[str, Any]:
    """A named transformation's stored fields, its transformation parsed
    by the URL grammar (so a bad one is refused here, not at delivery)."""
    if "name" in body and not NAME.match(body["name"]):
        raise RequestError("invalid_parameter", "name is 1..100 of letters, digits and _", "name")
    if "transformation" in body:
        try:
            chain, source = split_request("/x.jpg", body["transformation"], named)
            build_graph(chain, source, [], ClientHints())
        except RequestError as exc:
            raise RequestError(
                "invalid_parameter", f"transformation: {exc.message}", "transformation"
            ) from None
    return {k: body[k] for k in ("transformation", "enabled", "description") if k in body}


def _field_body(body: dict[str, Any], named: Mapping[str, str]) -> dict[str, Any]:
    if "name" in body and not NAME.match(body["name"]):
        raise RequestError("invalid_parameter", "name is 1..100 of letters, digits and _", "name")
    return {k: body[k] for k in ("label", "schema", "description") if k in body}


def _extension_body(body: dict[str, Any], named: Mapping[str, str]) -> dict[str, Any]:
    if "name" in body and not 1 <= len(body["name"]) <= 200:
        raise RequestError("invalid_parameter", "name is 1..200 characters", "name")
    config = body.get("config")
    if config is not None and (
        not isinstance(config, dict) or not isinstance(config.get("name"), str)
    ):
        raise RequestError("invalid_parameter", 'config is {"name": ..., ...}', "config")
    if config is not None and config["name"] == SAVED_EXTENSION:
        raise RequestError("invalid_parameter", "a saved extension cannot name another", "config")
    return {k: body[k] for k in ("config", "description") if k in body}


# path, kind, the fields create and update take, the required ones, the body checker
RESOURCES: dict[str, tuple[str, dict[str, type], tuple[str, ...], Callable[..., Any]]] = {
    "/v1/named-transformations": (
        "named_transformation",
        {"name": str, "transformation": str, "enabled": bool, "description": str},
        ("name", "transformation"),
        _named_body,
    ),
    "/v1/saved-extensions": (
        "saved_extension",
        {"name": str, "description": str, "config": dict},
        ("name", "description", "config"),
        _extension_body,
    ),
    "/v1/customMetadataFields": (
        "custom_metadata_field",
        {"name": str, "label": str, "schema": dict, "description": str},
        ("name", "label", "schema"),
        _field_body,
    ),
}


def definition_json(definition: asset_pb2.Definition) -> dict[str, Any]:
    """The object the SDK's type for the kind parses."""
    body = json.loads(definition.body_json)
    out: dict[str, Any] = {"id": definition.id, "name": definition.name, **body}
    if definition.kind == "named_transformation":
        out.setdefault("enabled", True)
    out["createdAt"], out["updatedAt"] = definition.created_at, definition.updated_at
    return out


def _handlers(path: str) -> dict[str, Any]:
    kind, fields, needed, check = RESOURCES[path]

    async def create(request: web.Request, account: Account) -> web.StreamResponse:
        body = await json_body(request, fields)
        required(body, *needed)
        stored = check(body, request.app[NAMED])
        req = asset_pb2.DefinitionRequest(
            account=account.id, kind=kind, name=body["name"], body_json=json.dumps(stored)
        )
        made = await request.app[ASSET_CLIENT].stub.PutDefinition(req, timeout=30)
        status = 201 if kind == "custom_metadata_field" else 200
        return web.json_response(definition_json(made), status=status)

    async def update(request: web.Request, account: Account) -> web.StreamResponse:
        body = await json_body(request, fields)
        ref = _ref(request, account)
        current = await request.app[ASSET_CLIENT].stub.GetDefinition(ref, timeout=30)
        stored = {**json.loads(current.body_json), **check(body, request.app[NAMED])}
        req = asset_pb2.DefinitionRequest(
            account=account.id,
            kind=kind,
            id=ref.id,
            name=body.get("name", current.name)
            if kind != "custom_metadata_field"
            else current.name,
            body_json=json.dumps(stored),
        )
        made = await request.app[ASSET_CLIENT].stub.PutDefinition(req, timeout=30)
        return web.json_response(definition_json(made))

    async def listing(request: web.Request, account: Account) -> web.StreamResponse:
        ref = asset_pb2.DefinitionRef(account=account.id, kind=kind)
        found = await request.app[ASSET_CLIENT].stub.ListDefinitions(ref, timeout=30)
        return web.json_response([definition_json(d) for d in found.definitions])

    async def get_one(request: web.Request, account: Account) -> web.StreamResponse:
        found = await request.app[ASSET_CLIENT].stub.GetDefinition(
            _ref(request, account), timeout=30
        )
        return web.json_response(definition_json(found))

    async def delete(request: web.Request, account: Account) -> web.StreamResponse:
        await request.app[ASSET_CLIENT].stub.DeleteDefinition(_ref(request, account), timeout=30)
        return web.Response(status=204)

    def _ref(request: web.Request, account: Account) -> asset_pb2.DefinitionRef:
        return asset_pb2.DefinitionRef(account=account.id, kind=kind, id=request.match_info["id"])

    return {"create": create, "update": update, "list": listing, "get": get_one, "delete": delete}


async def account_named(app: web.Application, account: str) -> dict[str, str]:
    """The file-based named transformations with the account's enabled ones
    over them (``n-<name>`` in the account's file URLs); an account's
    disabled one hides a file-based one of the same name, so its URLs fail
    as ImageKit's do."""
    ref = asset_pb2.DefinitionRef(account=account, kind="named_transformation")
    found = await app[ASSET_CLIENT].stub.ListDefinitions(ref, timeout=10)
    named = dict(app[NAMED])
    for definition in found.definitions:
        body = json.loads(definition.body_json)
        if body.get("enabled", True):
            named[definition.name] = body.get("transformation", "")
        else:
            named.pop(definition.name, None)
    return named


async def expand_saved_extensions(app: web.Application, account: str, raw: Any) -> Any:
    """``extensions`` with each ``{"name": "saved-extension", "id": ...}``
    replaced by that saved extension's config (a JSON string stays one).

    Raises:
        RequestError: invalid_parameter for an unknown saved extension id.
        grpc.aio.AioRpcError: asset_svc unreachable.
    """
    text = isinstance(raw, str)
    try:
        items = json_text.loads(raw) if text else raw
    except json_text.JsonTextError:
        return raw  # parse_extensions names the error
    if not isinstance(items, list) or not any(
        isinstance(e, dict) and e.get("name") == SAVED_EXTENSION for e in items
    ):
        return raw
    ref = asset_pb2.DefinitionRef(account=account, kind="saved_extension")
    found = await app[ASSET_CLIENT].stub.ListDefinitions(ref, timeout=10)
    saved = {d.id: json.loads(d.body_json).get("config", {}) for d in found.definitions}
    out = []
    for item in items:
        if isinstance(item, dict) and item.get("name") == SAVED_EXTENSION:
            ident = item.get("id")
            if not isinstance(ident, str) or ident not in saved:
                raise RequestError(
                    "invalid_parameter", f"no saved extension {str(ident)[:40]!r}", "extensions"
                )
            item = saved[item["id"]]
        out.append(item)
    return json.dumps(out) if text else out


def add_routes(app: web.Application) -> None:
    """Register the three registries' routes."""
    for path in RESOURCES:
        handlers = {k: keyed(v, help=HELP) for k, v in _handlers(path).items()}
        slug = path.rsplit("/", 1)[1].replace("-", "_").lower()
        app.router.add_post(path, handlers["create"], name=f"imagekit_{slug}_create")
        app.router.add_get(path, handlers["list"], name=f"imagekit_{slug}_list")
        one = path + "/{id}"
        app.router.add_get(one, handlers["get"], name=f"imagekit_{slug}_get")
        app.router.add_patch(one, handlers["update"], name=f"imagekit_{slug}_update")
        app.router.add_delete(one, handlers["delete"], name=f"imagekit_{slug}_delete")
