"""Client-side upload tokens, each accepted once: ImageKit's upload
authentication parameters (``token``, ``expire``, ``signature``;
https://imagekit.io/docs/api-reference/upload-file/upload-file#how-to-implement-client-side-file-upload).
The gateway checks the signature; this store makes a replayed token fail
on every gateway replica, since they share the database."""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asset_svc.db import UploadTokenRow
from asset_svc.errors import AssetError


async def claim(
    sessions: async_sessionmaker[AsyncSession], account: str, token: str, expire: float
) -> None:
    """Record ``token`` of ``account`` as used until ``expire`` (unix s);
    tokens past their expiry are forgotten on the way.

    Raises:
        AssetError: upload_token_used (401) when the token was used before.
    """
    try:
        async with sessions.begin() as session:
            await session.execute(delete(UploadTokenRow).where(UploadTokenRow.expire < time.time()))
            session.add(UploadTokenRow(account=account, token=token, expire=expire))
    except IntegrityError:
        raise AssetError(
            "upload_token_used", "The token has been used before; get new authentication parameters"
        ) from None
