"""``s3://bucket/key`` sources (imgproxy's S3 sources) fetched by
transform_svc's origin from a real S3-compatible server (moto), and refused
where IMGMESH_S3_SOURCES is off."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgmesh.v1 import edit_pb2
from mesh.servers import s3_server
from tests.helpers import get
from transform_svc.errors import TransformError
from transform_svc.origin import Origin, OriginConfig

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@pytest.fixture(scope="module")
def bucket(origin_root: Path) -> Iterator[str]:
    """A moto S3 server whose bucket ``photos`` holds ``logo.png``; its endpoint."""
    import boto3

    with s3_server() as endpoint:
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", **_boto(CREDENTIALS)
        )
        client.create_bucket(Bucket="photos")
        data = (origin_root / "synthetic" / "logo.png").read_bytes()
        client.put_object(Bucket="photos", Key="brand/logo.png", Body=data)
        saved = {k: os.environ.get(k) for k in CREDENTIALS}
        os.environ.update(CREDENTIALS)
        try:
            yield endpoint
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _boto(env: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }


def _fetch(config: OriginConfig, url: str) -> bytes | str:
    async def run() -> bytes | str:
        origin = Origin(config)
        try:
            return (await origin.fetch(edit_pb2.Source(url=url))).data
        except TransformError as exc:
            return exc.kind.public_code
        finally:
            await origin.close()

    return asyncio.run(run())


def test_s3_sources_are_fetched_with_the_aws_environment(bucket: str, origin_root: Path) -> None:
    allowed = frozenset({"photos"})
    config = OriginConfig(root=origin_root, s3_sources=True, s3_buckets=allowed, s3_endpoint=bucket)
    logo = (origin_root / "synthetic" / "logo.png").read_bytes()
    assert _fetch(config, "s3://photos/brand/logo.png") == logo
    assert _fetch(config, "s3://photos/brand/missing.png") == "source_not_found"
    assert _fetch(config, "s3://photos") == "invalid_parameter"
    small = OriginConfig(
        root=origin_root,
        s3_sources=True,
        s3_buckets=allowed,
        s3_endpoint=bucket,
        max_source_bytes=10,
    )
    assert _fetch(small, "s3://photos/brand/logo.png") == "image_too_large"
    assert _fetch(config, "s3://other/brand/logo.png") == "source_forbidden"  # not allowed
    off = OriginConfig(root=origin_root, s3_buckets=allowed, s3_endpoint=bucket)
    assert _fetch(off, "s3://photos/brand/logo.png") == "source_forbidden"


def test_the_imgproxy_dialect_passes_s3_sources_on(base_url: str) -> None:
    """The mesh's transform_svc runs without IMGMESH_S3_SOURCES: refused, not 404."""
    r = get(f"{base_url}/imgproxy/insecure/rs:fit:10:10/plain/s3://photos/brand/logo.png")
    assert r.status == 403 and r.json()["code"] == "source_forbidden"
