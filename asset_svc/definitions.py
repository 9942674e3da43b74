"""An account's named definitions: ImageKit's named transformations
(``named_transformation``), saved extensions (``saved_extension``) and
custom metadata fields (``custom_metadata_field``), each a JSON ``body``
under a name unique in its kind and account. The gateway checks each kind's
shape; this store keeps them per account and durable.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asset_svc.db import DefinitionRow
from asset_svc.errors import AssetError, invalid
from asset_svc.library import iso, new_id
from imgmesh.v1 import asset_pb2

KINDS = ("named_transformation", "saved_extension", "custom_metadata_field")
MAX_PER_KIND = 1000  # definitions of one kind per account
MAX_BODY = 64 * 1024  # bytes of one definition's JSON


def _proto(row: DefinitionRow) -> asset_pb2.Definition:
    return asset_pb2.Definition(
        id=row.id,
        kind=row.kind,
        name=row.name,
        body_json=json.dumps(row.body),
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
    )


def _check(kind: str, body_json: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise invalid("kind", "kind is " + " | ".join(KINDS))
    if len(body_json) > MAX_BODY:
        raise invalid("body", f"a definition is at most {MAX_BODY} bytes of JSON")
    try:
        body = json.loads(body_json or "{}")
    except ValueError:
        raise invalid("body", "the definition is a JSON object") from None
    if not isinstance(body, dict):
        raise invalid("body", "the definition is a JSON object")
    return body


async def _row(session: AsyncSession, account: str, kind: str, ident: str) -> DefinitionRow:
    row = await session.get(DefinitionRow, ident)
    if row is None or row.account != account or row.kind != kind:
        raise AssetError("not_found", f"no {kind.replace('_', ' ')} with id {ident}")
    return row


async def put(
    sessions: async_sessionmaker[AsyncSession], req: asset_pb2.DefinitionRequest
) -> asset_pb2.Definition:
    """Create (no ``id``) or replace (``id``) a definition.

    Raises:
        AssetError: not_found (``id`` of no such definition), invalid_parameter,
            name_conflict (409: the name is taken in this kind).
    """
    body = _check(req.kind, req.body_json)
    now = time.time()
    try:
        async with sessions.begin() as session:
            if req.id:
                row = await _row(session, req.account, req.kind, req.id)
                row.name, row.body, row.updated_at = req.name, body, now
            else:
                count = len(
                    (
                        await session.scalars(
                            select(DefinitionRow.id).where(
                                DefinitionRow.account == req.account,
                                DefinitionRow.kind == req.kind,
                            )
                        )
                    ).all()
                )
                if count >= MAX_PER_KIND:
                    raise invalid("name", f"at most {MAX_PER_KIND} of these per account")
                row = DefinitionRow(
                    id=new_id(),
                    account=req.account,
                    kind=req.kind,
                    name=req.name,
                    body=body,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
            await session.flush()
            return _proto(row)
    except IntegrityError:
        raise AssetError(
            "name_conflict", f"the name {req.name!r} is already used", "name"
        ) from None


async def get(
    sessions: async_sessionmaker[AsyncSession], account: str, kind: str, ident: str
) -> asset_pb2.Definition:
    """One definition by id.

    Raises:
        AssetError: not_found (also another account's).
    """
    async with sessions() as session:
        return _proto(await _row(session, account, kind, ident))


async def list_kind(
    sessions: async_sessionmaker[AsyncSession], account: str, kind: str
) -> list[asset_pb2.Definition]:
    """Every definition of ``kind`` of the account, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(DefinitionRow)
            .where(DefinitionRow.account == account, DefinitionRow.kind == kind)
            .order_by(DefinitionRow.created_at, DefinitionRow.id)
        )
        return [_proto(r) for r in rows]


async def delete(
    sessions: async_sessionmaker[AsyncSession], account: str, kind: str, ident: str
) -> None:
    """Remove one definition.

    Raises:
        AssetError: not_found.
    """
    async with sessions.begin() as session:
        await session.delete(await _row(session, account, kind, ident))


async def metadata_fields(
    sessions: async_sessionmaker[AsyncSession], account: str
) -> dict[str, dict[str, Any]]:
    """The account's custom metadata fields: name -> its ``schema``."""
    return {
        d.name: json.loads(d.body_json).get("schema", {})
        for d in await list_kind(sessions, account, "custom_metadata_field")
    }
