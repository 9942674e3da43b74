"""img-processing's Images API (seed 003): immutable Image objects; every
processing call (remove-background, convert, resize, crop) renders the source
through transform_svc and stores the result as a new Image, the original
untouched. Usage counts operations per account (remove-background counts two,
as the reference says)."""

from __future__ import annotations

import secrets
import string
import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asset_svc.db import ImageRow
from asset_svc.errors import AssetError, invalid, not_found
from asset_svc.library import Store, iso, new_id
from asset_svc.usage import add_usage
from contract import vocabulary
from imgmesh.v1 import asset_pb2, edit_pb2

ID_ALPHABET = string.ascii_lowercase + string.digits
# The formats an Image is stored in (the reference's JPEG, PNG and WebP).
STORED_FORMATS = (edit_pb2.FORMAT_JPEG, edit_pb2.FORMAT_PNG, edit_pb2.FORMAT_WEBP)
MAX_NAME = 30  # characters, per the reference
MAX_PAGE = 100


def new_image_id() -> str:
    """``image_`` + 24 lower-case alphanumerics (the reference's id shape)."""
    return "image_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(24))


def to_proto(row: ImageRow) -> asset_pb2.Image:
    return asset_pb2.Image(
        id=row.id,
        name=row.name,
        published=row.published,
        width=row.width,
        height=row.height,
        format=row.format,
        size=row.size,
        created_at=iso(row.created_at),
    )


def check_name(name: str) -> str:
    """1..30 characters.

    Raises:
        AssetError: invalid_parameter.
    """
    if not 1 <= len(name) <= MAX_NAME:
        raise invalid("name", f"name is 1..{MAX_NAME} characters")
    return name


class Images(Store):
    """Images (img-processing Images API) of every account."""

    async def _store(
        self,
        account: str,
        name: str,
        data: bytes,
        reply_type: str,
        width: int,
        height: int,
        operations: int,
    ) -> asset_pb2.Image:
        stored = vocabulary.FORMAT_BY_MEDIA_TYPE.get(reply_type)
        if stored not in STORED_FORMATS:
            raise AssetError("unsupported_image", "images are JPEG, PNG or WebP")
        fmt = vocabulary.format_name(stored)
        key = f"images/{new_id()}"
        await self.blobs.put(key, data)
        row = ImageRow(
            id=new_image_id(),
            account=account,
            name=name,
            blob_key=key,
            format=fmt,
            size=len(data),
            width=width,
            height=height,
            published=False,
            created_at=time.time(),
        )
        async with self.sessions.begin() as session:
            session.add(row)
            await add_usage(session, account, 0, operations)
        return to_proto(row)

    async def create(self, account: str, name: str, data: bytes) -> asset_pb2.Image:
        """A new Image from uploaded bytes (decoded in transform_svc).

        Raises:
            AssetError: invalid_parameter, image_too_large, unsupported_image.
        """
        check_name(name)
        if len(data) > self.max_upload_bytes:
            raise AssetError("image_too_large", f"the image is over {self.max_upload_bytes} bytes")
        probe = await self.transform.probe(data)
        return await self._store(
            account, name, data, probe.content_type, probe.width, probe.height, 1
        )

    async def get(self, account: str, image_id: str) -> asset_pb2.Image:
        """Raises AssetError not_found (also another account's image)."""
        async with self.sessions() as session:
            return to_proto(await self._row(session, account, image_id))

    async def download(self, account: str, image_id: str) -> asset_pb2.FetchReply:
        """The image's bytes: the account's own image, or any published one
        (``account`` "" when the caller gave no key).

        Raises:
            AssetError: not_found.
        """
        async with self.sessions() as session:
            found = await session.get(ImageRow, image_id)
            if found is None or not (found.published or found.account == account):
                raise not_found("image")
            row = found
        data = await self.blobs.get(row.blob_key)
        return asset_pb2.FetchReply(
            data=data,
            mime=f"image/{row.format}",
            version_id=row.id,
            modified_unix=int(row.created_at),
        )

    async def list(self, account: str, page: int, limit: int) -> asset_pb2.ListImagesReply:
        """One page, newest first. Raises AssetError invalid_parameter."""
        if limit > MAX_PAGE:
            raise invalid("limit", f"limit is 1..{MAX_PAGE}")
        limit, page = limit or 20, max(page, 1)
        async with self.sessions() as session:
            total = await session.scalar(
                select(func.count()).select_from(ImageRow).where(ImageRow.account == account)
            )
            rows = await session.scalars(
                select(ImageRow)
                .where(ImageRow.account == account)
                .order_by(ImageRow.created_at.desc(), ImageRow.id)
                .offset((page - 1) * limit)
                .limit(limit)
            )
            return asset_pb2.ListImagesReply(images=[to_proto(r) for r in rows], total=total or 0)

    async def delete(self, account: str, image_id: str) -> None:
        """Raises AssetError not_found."""
        async with self.sessions.begin() as session:
            row = await self._row(session, account, image_id)
            await session.delete(row)
        await self.blobs.delete(row.blob_key)

    async def derive(self, req: asset_pb2.DeriveImageRequest) -> asset_pb2.Image:
        """A new Image: the source rendered by ``req.steps`` / ``req.encode``.

        Raises:
            AssetError: not_found, invalid_parameter, and the render's errors.
        """
        async with self.sessions() as session:
            row = await self._row(session, req.account, req.image_id)
        name = check_name(req.name) if req.name else row.name
        data = await self.blobs.get(row.blob_key)
        graph = edit_pb2.EditGraph(
            source=edit_pb2.Source(inline_bytes=data), steps=req.steps, encode=req.encode
        )
        reply = await self.transform.render(graph)
        return await self._store(
            req.account,
            name,
            reply.image,
            reply.content_type,
            reply.width,
            reply.height,
            req.operations or 1,
        )

    async def set_published(self, account: str, image_id: str, published: bool) -> asset_pb2.Image:
        """Raises AssetError not_found."""
        async with self.sessions.begin() as session:
            row = await self._row(session, account, image_id)
            row.published = published
            return to_proto(row)

    @staticmethod
    async def _row(session: AsyncSession, account: str, image_id: str) -> ImageRow:
        row = await session.get(ImageRow, image_id)
        if row is None or row.account != account:
            raise not_found("image")
        return row
