"""Issue [16], last part, through ImageKit's official SDK against the real
mesh: cache purge (``cache.invalidation``), upload-time ``transformation``
(``pre`` stored, ``post`` rendered eagerly with its webhook), upload
``checks``, and the v2 upload (``beta.v2.files.upload``) with the private key
or a JWT. Side effects are checked where users see them: the stored file's
size, the variant URL a cache hit, a purged URL rendered again."""

from __future__ import annotations

import json
import time
import uuid

import imagekitio
import jwt
import pytest

from gateway.accounts import DEV_KEY, DEV_PUBLIC_KEY
from mesh.processes import Mesh
from tests.conftest import OTHER_KEY
from tests.helpers import get
from tests.mesh.test_file_operations import png
from tests.mesh.test_media_library import Receiver

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
CACHE = "x-imgmesh-cache"


@pytest.fixture(scope="module")
def ik(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=DEV_KEY, base_url=mesh.gateway_url, max_retries=0)


@pytest.fixture(scope="module")
def other(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=OTHER_KEY, base_url=mesh.gateway_url, max_retries=0)


def folder() -> str:
    return f"/opts-{uuid.uuid4().hex[:10]}"


def upload(ik: imagekitio.ImageKit, name: str = "a.png", **kw):
    kw.setdefault("folder", folder())
    return ik.files.upload(
        file=png((200, 40, 40), 80, 60), file_name=name, use_unique_file_name=False, **kw
    )


def test_a_purged_url_and_its_variants_render_again(ik: imagekitio.ImageKit) -> None:
    uploaded = upload(ik)
    variant = uploaded.url + "?tr=w-30"
    for url in (uploaded.url, variant):
        assert get(url).status == 200
        assert get(url).headers[CACHE] == "hit"
    created = ik.cache.invalidation.create(url=uploaded.url)
    assert created.request_id
    for url in (uploaded.url, variant):  # every render of the file misses once
        first = get(url)
        assert first.status == 200 and first.headers[CACHE] == "miss", url
        assert get(url).headers[CACHE] == "hit"
    assert variant.endswith("w-30") and get(variant).image().width == 30
    assert ik.cache.invalidation.get(created.request_id).status == "Completed"


def test_purge_ids_and_urls_are_per_account(
    ik: imagekitio.ImageKit, other: imagekitio.ImageKit
) -> None:
    uploaded = upload(ik)
    created = ik.cache.invalidation.create(url=uploaded.url)
    with pytest.raises(imagekitio.NotFoundError):
        other.cache.invalidation.get(created.request_id)
    with pytest.raises(imagekitio.NotFoundError):
        other.cache.invalidation.create(url=uploaded.url)  # not theirs to purge
    with pytest.raises(imagekitio.NotFoundError):
        ik.cache.invalidation.get("0" * 40)
    with pytest.raises(imagekitio.BadRequestError):
        ik.cache.invalidation.create(url="not a url")


def test_an_origin_url_can_be_purged(ik: imagekitio.ImageKit, base_url: str) -> None:
    url = f"{base_url}/tr:w-41/photos/skimage/coffee.png"
    assert get(url).status == 200
    assert get(url).headers[CACHE] == "hit"
    ik.cache.invalidation.create(url=f"{base_url}/photos/skimage/coffee.png")
    assert get(url).headers[CACHE] == "miss"


def test_pre_transformation_is_what_is_stored(ik: imagekitio.ImageKit) -> None:
    uploaded = upload(ik, transformation={"pre": "w-20"})
    assert (uploaded.width, uploaded.height) == (20, 15)
    served = get(uploaded.url)
    assert served.status == 200 and served.image().width == 20


def test_post_transformations_are_rendered_eagerly_with_a_webhook(
    ik: imagekitio.ImageKit,
) -> None:
    hook = Receiver([])
    try:
        uploaded = upload(
            ik,
            transformation={"post": [{"type": "transformation", "value": "w-25,h-25"}]},
            webhook_url=hook.url,
        )
        hook.wait(1)
        event = json.loads(hook.deliveries[0][1])
        assert event["type"] == "upload.post-transform.success", event
        assert event["data"]["fileId"] == uploaded.file_id
        assert event["request"]["transformation"] == {
            "type": "transformation",
            "value": "w-25,h-25",
        }
        variant = get(event["data"]["url"])
        assert variant.status == 200 and variant.headers[CACHE] == "hit"  # made before asked
        assert variant.image().width == 25
    finally:
        hook.close()


@pytest.mark.parametrize(
    "transformation",
    [
        {"pre": ""},
        {"pre": "w-abc"},
        {"post": [{"type": "gif-to-video"}]},
        {"post": [{"type": "transformation", "value": "w-10"}] * 11},
        {"middle": "w-10"},
    ],
)
def test_a_bad_transformation_is_refused_before_anything_is_stored(
    ik: imagekitio.ImageKit, transformation: dict
) -> None:
    where = folder()
    with pytest.raises(imagekitio.BadRequestError):
        upload(ik, folder=where, transformation=transformation)
    assert ik.assets.list(path=where) == []


def test_checks_refuse_a_failing_file_and_accept_a_passing_one(ik: imagekitio.ImageKit) -> None:
    where = folder()
    with pytest.raises(imagekitio.BadRequestError) as refused:
        upload(ik, folder=where, checks='"file.size" < "10b"')
    assert refused.value.body["code"] == "checks_failed"
    with pytest.raises(imagekitio.BadRequestError) as malformed:
        upload(ik, folder=where, checks='"file.size" <')
    assert malformed.value.body["parameter"] == "checks"
    assert ik.assets.list(path=where) == []
    ok = upload(ik, folder=where, checks='"file.size" < "1mb" AND "file.mime" : "image/png"')
    assert ok.width == 80
    # checks see the stored (pre-transformed) file
    small = upload(
        ik, folder=where, name="b.png", transformation={"pre": "w-10"}, checks='"file.width" <= 10'
    )
    assert small.width == 10


def v2_token(fields: dict[str, str], key: str = DEV_KEY, life: int = 600) -> str:
    now = int(time.time())
    return jwt.encode(
        {**fields, "iat": now, "exp": now + life},
        key,
        algorithm="HS256",
        headers={"kid": DEV_PUBLIC_KEY},
    )


def test_v2_upload_with_the_private_key(ik: imagekitio.ImageKit) -> None:
    done = ik.beta.v2.files.upload(file=png((0, 0, 200)), file_name="v2.png", folder=folder())
    assert done.file_id and get(done.url).status == 200


def test_v2_upload_with_a_jwt_once(mesh: Mesh) -> None:
    keyless = imagekitio.ImageKit(private_key="unused", base_url=mesh.gateway_url, max_retries=0)
    where = folder()
    fields = {"fileName": "jwt.png", "folder": where, "useUniqueFileName": "false"}
    token = v2_token(fields)

    def send(token: str, **changed: str):
        return keyless.beta.v2.files.upload(
            file=png((0, 120, 0)),
            file_name=changed.get("fileName", "jwt.png"),
            folder=changed.get("folder", where),
            use_unique_file_name=False,
            token=token,
        )

    done = send(token)
    assert done.name == "jwt.png" and done.file_path == f"{where}/jwt.png"
    with pytest.raises(imagekitio.AuthenticationError) as replayed:
        send(token)
    assert replayed.value.body["code"] == "upload_token_used"
    with pytest.raises(imagekitio.AuthenticationError):
        send(v2_token(fields), folder="/elsewhere")  # a field changed after signing
    with pytest.raises(imagekitio.AuthenticationError):
        send(v2_token(fields, key="a guess"))
    with pytest.raises(imagekitio.AuthenticationError):
        send(v2_token(fields, life=7200))
