"""The media library through ImageKit's official SDK (``imagekitio``, pointed
at the gateway) and through raw HTTP: upload with extensions, signed webhooks
with retries, the file as a URL-API source (fo-custom, private files), the
Files API round trip, isolation between keys, restarts and a job worker
killed mid-job."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import imagekitio
import numpy as np
import pytest
import pyvips
from standardwebhooks import Webhook

from gateway.accounts import DEV_KEY
from gateway.imagekit.signing import sign
from mesh.processes import Mesh
from tests.conftest import OTHER_KEY
from tests.helpers import (
    SAMPLES,
    SHARED_DATA,
    QuietHandler,
    get,
    iou,
    post_form,
    send,
    serve_on_loopback,
    shared_params,
)

WEBHOOK_SECRET = "whsec_imgmesh-dev-secret"  # asset_svc's default (IMGMESH_WEBHOOK_SECRET)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:do_not_set".encode()).decode()}


def restart_asset_svc(mesh: Mesh) -> None:
    """Stop and start asset_svc, then wait until the gateway sees it again (its
    channel reconnects within grpcutil's reconnect backoff, <= 1 s)."""
    mesh.stop_process("asset_svc")
    mesh.start_asset()
    wait_gateway_ready(mesh)


def wait_gateway_ready(mesh: Mesh) -> None:
    deadline = time.monotonic() + 10
    while get(f"{mesh.gateway_url}/readyz").status != 200:
        assert time.monotonic() < deadline, "the gateway did not reconnect to asset_svc"
        time.sleep(0.1)


def halves_png() -> bytes:
    """200 x 100: left half red, right half blue."""
    red = (pyvips.Image.black(100, 100, bands=3) + [255, 0, 0]).cast("uchar")
    blue = (pyvips.Image.black(100, 100, bands=3) + [0, 0, 255]).cast("uchar")
    return red.join(blue, "horizontal").pngsave_buffer()


@pytest.fixture(scope="module")
def ik(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(
        private_key=DEV_KEY, base_url=mesh.gateway_url, webhook_secret=WEBHOOK_SECRET
    )


@pytest.fixture(scope="module")
def other(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=OTHER_KEY, base_url=mesh.gateway_url, max_retries=0)


class Receiver:
    """A webhook endpoint on 127.0.0.1 answering the statuses in ``script``
    (then 200), recording every delivery."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)
        self.deliveries: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.script.pop(0) if receiver.script else 200
                receiver.deliveries.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

        self.server, base = serve_on_loopback(Handler)
        self.url = base + "/hook"

    def wait(self, count: int, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.deliveries) >= count, self.deliveries

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([])
    yield r
    r.close()


def wait_versions(ik: imagekitio.ImageKit, file_id: str, count: int, timeout_s: float = 90) -> list:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        versions = ik.files.versions.list(file_id)
        if len(versions) >= count:
            return versions
        time.sleep(0.2)
    raise AssertionError(f"{file_id} has fewer than {count} versions")


def test_upload_with_extensions_and_a_retried_signed_webhook(ik: imagekitio.ImageKit) -> None:
    """remove-bg is pending, tagging succeeds synchronously with what the
    detector sees (a cup); the webhook answering 500 twice gets exactly three
    attempts, each verifiable with the SDK and with standardwebhooks."""
    hook = Receiver([500, 500])
    try:
        uploaded = ik.files.upload(
            file=(SAMPLES / "coffee.png").read_bytes(),
            file_name="coffee.png",
            tags=["drink", "mug"],
            folder="/kitchen",
            custom_metadata={"shelf": 3},
            extensions=[
                {"name": "remove-bg", "options": {"add_shadow": False}},
                {"name": "google-auto-tagging", "max_tags": 5, "min_confidence": 30},
            ],
            webhook_url=hook.url,
        )
        assert uploaded.extension_status.remove_bg == "pending"
        assert uploaded.extension_status.google_auto_tagging == "success"
        assert [t.name for t in uploaded.ai_tags] == ["cup"]
        assert uploaded.ai_tags[0].source == "google-auto-tagging"
        assert 30 <= uploaded.ai_tags[0].confidence <= 100
        assert uploaded.file_path.startswith("/kitchen/coffee_") and uploaded.width == 600
        assert uploaded.version_info.name == "Version 1" and uploaded.tags == ["drink", "mug"]
        hook.wait(3)
        time.sleep(2)  # retries at 0.5 s and 1 s; nothing more may follow the 200
        assert [status for _, _, status in hook.deliveries] == [500, 500, 200]
        ids = {headers["webhook-id"] for headers, _, _ in hook.deliveries}
        assert len(ids) == 1  # one message, retried
        headers, body, _ = hook.deliveries[-1]
        event = json.loads(body)
        assert event["service"] == "remove-bg" and event["status"] == "SUCCESS"
        assert event["fileObject"]["versionInfo"]["name"] == "Version 2"
        assert event["fileObject"]["hasAlpha"] is True
        ik.webhooks.unwrap(body.decode(), headers=headers)  # raises when the signature is wrong
        assert Webhook(WEBHOOK_SECRET.encode()).verify(body, headers)["fileObject"]
        with pytest.raises(Exception, match="signature"):
            Webhook(b"another secret").verify(body, headers)
    finally:
        hook.close()
    versions = ik.files.versions.list(uploaded.file_id)
    assert [v.version_info.name for v in versions] == ["Version 1", "Version 2"]
    assert (versions[0].has_alpha, versions[1].has_alpha) == (False, True)
    cutout = get(event["fileObject"]["url"] + "?tr=orig-true")
    alpha = cutout.pixels()[..., 3]
    assert cutout.headers["content-type"] == "image/png"
    assert 0.05 < (alpha > 127).mean() < 0.9  # a subject kept, a background removed


CUTOUT_PAIRS = (
    ["davis16_parkour_00050", "humanseg_011"] if (SHARED_DATA / "segmentation").is_dir() else []
)


@pytest.mark.parametrize("name", shared_params(CUTOUT_PAIRS, "segmentation pairs"))
def test_remove_bg_extension_matches_ground_truth(ik: imagekitio.ImageKit, name: str) -> None:
    """The new version's alpha against the pair's mask: IoU >= 0.9."""
    folder = SHARED_DATA / "segmentation"
    image = next((folder / "images").glob(f"{name}.*"))
    uploaded = ik.files.upload(
        file=image.read_bytes(), file_name=image.name, extensions=[{"name": "remove-bg"}]
    )
    version = wait_versions(ik, uploaded.file_id, 2)[-1]
    cut = get(version.url.split("?")[0] + "?tr=orig-true").image()
    mask = pyvips.Image.new_from_file(str(folder / "masks" / f"{name}.png"))
    truth = mask.numpy()
    truth = (truth[..., 0] if truth.ndim == 3 else truth) > 127
    assert (cut.width, cut.height) == (mask.width, mask.height)
    assert iou(cut.numpy()[..., 3] > 127, truth) >= 0.9


def test_file_url_renders_with_custom_focus_and_versions(ik: imagekitio.ImageKit) -> None:
    """``url?tr=`` renders the stored file; fo-custom crops around the stored
    customCoordinates; a new version at the same path is a new ETag."""
    first = ik.files.upload(
        file=halves_png(),
        file_name="halves.png",
        folder="/focus",
        use_unique_file_name=False,
        custom_coordinates="100,0,100,100",
    )
    assert first.url.endswith("/dev/focus/halves.png")
    crop = get(first.url + "?tr=w-50,h-50,fo-custom")
    assert crop.status == 200 and crop.pixels()[25, 25].tolist() == [0, 0, 255]
    centre = get(first.url + "?tr=w-50,h-50")
    assert centre.pixels()[25, 5].tolist() == [255, 0, 0]  # centre crop: red on the left
    path_form = get(first.url.replace("/dev/", "/dev/tr:w-40/"))
    assert (path_form.image().width, path_form.image().height) == (40, 20)
    ik.files.update(first.file_id, custom_coordinates="0,0,100,100")
    assert get(first.url + "?tr=w-50,h-50,fo-custom").pixels()[25, 25].tolist() == [255, 0, 0]
    second = ik.files.upload(
        file=(pyvips.Image.black(30, 10, bands=3) + 255).cast("uchar").pngsave_buffer(),
        file_name="halves.png",
        folder="/focus",
        use_unique_file_name=False,
    )
    assert second.file_id == first.file_id and second.version_info.name == "Version 2"
    assert get(first.url + "?tr=w-60").image().height == 20  # the new 30 x 10 version
    older = get(f"{first.url}?tr=w-60&ik-obj-version={first.version_info.id}")
    assert older.image().height == 30  # the 200 x 100 first version
    assert get(f"{first.url}?ik-obj-version={'f' * 24}").status == 404
    assert get(first.url + "?tr=w-50,h-50").headers["etag"] != centre.headers["etag"]


def test_files_api_round_trip(ik: imagekitio.ImageKit) -> None:
    uploaded = ik.files.upload(
        file=(SAMPLES / "chelsea.png").read_bytes(), file_name="cat.png", folder="/pets"
    )
    got = ik.files.get(uploaded.file_id)
    assert (got.name, got.width, got.height, got.mime) == (uploaded.name, 451, 300, "image/png")
    thumbnail = get(got.thumbnail).image()
    assert (thumbnail.width, thumbnail.height) == (100, 67)  # n-ik_ml_thumbnail
    updated = ik.files.update(
        uploaded.file_id,
        tags=["cat", "tabby"],
        custom_metadata={"owner": "sam"},
        description="a cat",
    )
    assert updated.tags == ["cat", "tabby"] and updated.custom_metadata == {"owner": "sam"}
    listed = ik.assets.list(path="/pets", search_query='tags IN ["dog", "tabby"]')
    assert [f.file_id for f in listed] == [uploaded.file_id]
    named = ik.assets.list(path="/pets", search_query=f'name = "{uploaded.name[:5]}"')
    assert uploaded.file_id in [f.file_id for f in named]
    assert ik.assets.list(path="/pets", search_query="nothing-like-this") == []
    with pytest.raises(imagekitio.BadRequestError):
        ik.assets.list(search_query='createdAt > "7d"')
    by_size = ik.assets.list(sort="DESC_SIZE", limit=2)
    assert by_size[0].size >= by_size[1].size
    assert any(f.file_id == uploaded.file_id for f in ik.assets.list(file_type="image", limit=100))
    cleared = ik.files.update(uploaded.file_id, tags=["a,b"])
    assert cleared.tags == ["a,b"]  # a comma inside a tag stays in it
    ik.files.delete(uploaded.file_id)
    with pytest.raises(imagekitio.NotFoundError):
        ik.files.get(uploaded.file_id)
    assert get(uploaded.url).status == 404


def test_one_key_never_sees_another_keys_files(
    ik: imagekitio.ImageKit, other: imagekitio.ImageKit, base_url: str
) -> None:
    mine = ik.files.upload(file=halves_png(), file_name="secret.png", folder="/private-stuff")
    with pytest.raises(imagekitio.NotFoundError):
        other.files.get(mine.file_id)
    with pytest.raises(imagekitio.NotFoundError):
        other.files.delete(mine.file_id)
    with pytest.raises(imagekitio.NotFoundError):
        other.files.update(mine.file_id, tags=["mine-now"])
    assert other.assets.list(path="/private-stuff") == []
    assert ik.files.get(mine.file_id).tags is None
    # the other account's URL endpoint does not serve it either
    assert get(mine.url.replace("/dev/", "/other/")).status == 404


def test_private_file_needs_a_url_signed_with_its_key(ik: imagekitio.ImageKit) -> None:
    uploaded = ik.files.upload(file=halves_png(), file_name="private.png", is_private_file=True)
    assert uploaded.is_private_file is True
    # unsigned, it answers what a missing path answers: private paths cannot be probed
    unsigned = get(uploaded.url + "?tr=w-20")
    missing = get(uploaded.url.replace("private", "no-such-file") + "?tr=w-20")
    assert unsigned.status == missing.status == 404
    assert unsigned.json() == missing.json() and unsigned.json()["code"] == "source_not_found"
    after_endpoint = uploaded.url.split("/dev/", 1)[1]
    good = sign(DEV_KEY, after_endpoint, "tr=w-20")
    assert get(f"{uploaded.url}?tr=w-20&ik-s={good}").status == 200
    bad = sign(OTHER_KEY, after_endpoint, "tr=w-20")
    assert get(f"{uploaded.url}?tr=w-20&ik-s={bad}").status == 401
    # the account segment spelled with percent-encoding is not the library
    encoded = uploaded.url.replace("/dev/", "/%64ev/")
    assert get(f"{encoded}?tr=w-20&ik-s={good}").status in (401, 404)
    # a re-upload that does not repeat isPrivateFile keeps the file private
    again = ik.files.upload(file=halves_png(), file_name=uploaded.name, use_unique_file_name=False)
    assert again.file_id == uploaded.file_id and again.is_private_file is True
    assert get(uploaded.url + "?tr=w-20").status == 404
    assert get(f"{uploaded.url}?tr=w-20&ik-s={good}").status == 200


def test_upload_from_url_and_base64(
    ik: imagekitio.ImageKit, http_origin: str, base_url: str
) -> None:
    by_url = post_form(
        f"{base_url}/api/v1/files/upload",
        {"file": f"{http_origin}/photos/skimage/coffee.png", "fileName": "fromurl.png"},
        {},
        basic(DEV_KEY),
    )
    assert by_url.status == 200 and by_url.json()["width"] == 600
    encoded = base64.b64encode(halves_png()).decode()
    by_b64 = post_form(
        f"{base_url}/api/v1/files/upload",
        {"file": encoded, "fileName": "b64.png"},
        {},
        basic(DEV_KEY),
    )
    assert by_b64.status == 200 and by_b64.json()["width"] == 200
    # the SDK's way of sending a URL: a text field through extra_body
    sdk = ik.files.upload(
        file=imagekitio.omit,
        file_name="u.png",
        extra_body={"file": f"{http_origin}/photos/skimage/coffee.png"},
    )
    assert sdk.height == 400
    # a file part is stored as it is, even when it holds URL text
    note = ik.files.upload(
        file=("link.txt", b"https://example.com/x.png", "text/plain"), file_name="link.txt"
    )
    assert note.file_type == "non-image" and note.size == 25


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ({"customMetadata": "not json"}, "customMetadata"),
        ({"customMetadata": "[1, 2]"}, "customMetadata"),
        ({"extensions": "[1]"}, "extensions"),
        ({"extensions": '[{"name": "google-auto-tagging", "maxTags": 0}]'}, "extensions.maxTags"),
        ({"isPrivateFile": "maybe"}, "isPrivateFile"),
        ({"useUniqueFileName": "1"}, "useUniqueFileName"),
        ({"customCoordinates": "1,2,3"}, "customCoordinates"),
        ({"folder": "/a/../b"}, "folder"),
        ({"colour": "red"}, "colour"),
        ({"fileName": ""}, "fileName"),
        ({"webhookUrl": "http://10.1.2.3/hook"}, "webhookUrl"),
        ({"webhookUrl": "ftp://example.com/hook"}, "webhookUrl"),
    ],
)
def test_malformed_upload_fields_are_400(
    base_url: str, fields: dict[str, str], parameter: str
) -> None:
    form = {"fileName": "x.png", **fields}
    reply = post_form(
        f"{base_url}/api/v1/files/upload", form, {"file": halves_png()}, basic(DEV_KEY)
    )
    assert reply.status == 400, reply.body
    body = reply.json()
    assert body["parameter"] == parameter and body["message"] and body["help"] and body["code"]


def test_keys_sizes_and_ssrf(ik: imagekitio.ImageKit, base_url: str) -> None:
    url = f"{base_url}/api/v1/files/upload"
    files = {"file": halves_png()}
    assert post_form(url, {"fileName": "a.png"}, files).status == 401
    assert post_form(url, {"fileName": "a.png"}, files, basic("no-such-key")).status == 403
    with pytest.raises(imagekitio.PermissionDeniedError):
        imagekitio.ImageKit(private_key="no-such-key", base_url=base_url).files.get("x" * 24)
    big = post_form(
        url, {"fileName": "big.bin"}, {"file": os.urandom(26 * 1024 * 1024)}, basic(DEV_KEY)
    )
    assert big.status == 413 and big.json()["code"] == "image_too_large"
    metadata = post_form(
        url,
        {"fileName": "a.png", "file": "http://169.254.169.254/latest/meta-data"},
        {},
        basic(DEV_KEY),
    )
    assert metadata.status == 403 and metadata.json()["code"] == "source_forbidden"
    details = send(f"{base_url}/v1/files/{'0' * 24}/details", "GET", headers=basic(DEV_KEY))
    assert details.status == 404 and details.json()["code"] == "not_found"


def test_non_image_files_are_stored_as_non_image(ik: imagekitio.ImageKit) -> None:
    uploaded = ik.files.upload(
        file=("notes.txt", b"just some notes\n" * 10, "text/plain"), file_name="notes.txt"
    )
    assert uploaded.file_type == "non-image" and uploaded.width is None
    assert ik.files.get(uploaded.file_id).mime == "text/plain"


def test_state_survives_an_asset_svc_restart(ik: imagekitio.ImageKit, mesh: Mesh) -> None:
    uploaded = ik.files.upload(file=halves_png(), file_name="durable.png", tags=["keep"])
    restart_asset_svc(mesh)
    assert ik.files.get(uploaded.file_id).tags == ["keep"]
    assert get(uploaded.url + "?tr=w-20").status == 200


def _job(state: Path, kind: str = "extension") -> tuple[int, str, int] | None:
    with sqlite3.connect(state / "assets.db") as db:
        return db.execute(
            "SELECT id, status, attempts FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT 1",
            (kind,),
        ).fetchone()


def test_killed_worker_mid_job_completes_once(ik: imagekitio.ImageKit, mesh: Mesh) -> None:
    """SIGKILL asset_svc while its remove-bg job runs; after a restart the job
    is re-run once its lease (3 s here) expires: one new version, one webhook."""
    assert mesh.state_dir is not None
    hook = Receiver([])
    try:
        big = pyvips.Image.new_from_file(str(SAMPLES / "rocket.jpg")).resize(4.0)
        uploaded = ik.files.upload(
            file=big.jpegsave_buffer(Q=90),
            file_name="rocket.jpg",
            extensions=[{"name": "remove-bg"}],
            webhook_url=hook.url,
        )
        deadline = time.monotonic() + 30
        while (job := _job(mesh.state_dir)) is None or job[1] != "running":
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
        os.killpg(mesh.procs["asset_svc"].pid, signal.SIGKILL)
        mesh.procs["asset_svc"].wait()
        mesh.procs.pop("asset_svc")
        mesh.start_asset()
        wait_gateway_ready(mesh)
        versions = wait_versions(ik, uploaded.file_id, 2)
        hook.wait(1)
        time.sleep(2)
    finally:
        hook.close()
    assert len(versions) == 2 and len(hook.deliveries) == 1
    job = _job(mesh.state_dir)
    assert job is not None and job[1] == "done" and job[2] == 2  # claimed twice, done once


def test_images_api(base_url: str) -> None:
    """img-processing's Images API: upload, remove-background (a new PNG with
    alpha, the original untouched), convert, resize, crop, publish, isolation."""
    key = {"x-api-key": DEV_KEY}
    created = post_form(
        f"{base_url}/v1/images",
        {"name": "coffee"},
        {"image": (SAMPLES / "coffee.png").read_bytes()},
        key,
    )
    assert created.status == 201, created.body
    image = created.json()
    assert image["id"].startswith("image_") and len(image["id"]) == 30 and image["url"] is None
    assert (image["width"], image["height"], image["format"]) == (600, 400, "png")
    json_key = {**key, "Content-Type": "application/json"}
    empty = send(f"{base_url}/v1/images/{image['id']}/remove-background", "POST", b"", json_key)
    assert empty.status == 400 and empty.json()["code"] == "invalid_request"
    long_name = json.dumps({"name": "x" * 31}).encode()
    assert (
        send(
            f"{base_url}/v1/images/{image['id']}/remove-background", "POST", long_name, json_key
        ).status
        == 400
    )
    before = send(f"{base_url}/v2/account", "GET", headers=key).json()["operations"]
    cut = send(
        f"{base_url}/v1/images/{image['id']}/remove-background",
        "POST",
        json.dumps({"name": "cut-out"}).encode(),
        json_key,
    )
    assert cut.status == 201
    cutout = cut.json()
    assert cutout["id"] != image["id"] and cutout["format"] == "png" and cutout["name"] == "cut-out"
    assert send(f"{base_url}/v2/account", "GET", headers=key).json()["operations"] == before + 2
    pixels = get(f"{base_url}/v1/images/{cutout['id']}/download", key).pixels()
    assert pixels.shape == (400, 600, 4) and 0.05 < (pixels[..., 3] > 127).mean() < 0.9
    original = send(f"{base_url}/v1/images/{image['id']}", "GET", headers=key).json()
    assert original == image
    for op, body, expect in [
        ("convert", {"format": "webp"}, ("webp", 600, 400)),
        ("resize", {"width": 300}, ("png", 300, 200)),
        ("crop", {"x": 10, "y": 20, "width": 50, "height": 40}, ("png", 50, 40)),
    ]:
        made = send(
            f"{base_url}/v1/images/{image['id']}/{op}", "POST", json.dumps(body).encode(), json_key
        )
        assert made.status == 201, made.body
        m = made.json()
        assert (m["format"], m["width"], m["height"]) == expect
    bad = send(
        f"{base_url}/v1/images/{image['id']}/convert",
        "POST",
        json.dumps({"format": "bmp"}).encode(),
        json_key,
    )
    assert bad.status == 400 and bad.json()["parameter"] == "format"
    download = f"{base_url}/v1/images/{image['id']}/download"
    assert get(download).status == 404  # unpublished: not without the key
    published = send(f"{base_url}/v1/images/{image['id']}/publish", "POST", headers=key).json()
    assert published["url"] == download and get(download).status == 200
    send(f"{base_url}/v1/images/{image['id']}/unpublish", "POST", headers=key)
    assert get(download).status == 404
    other = {"x-api-key": OTHER_KEY}
    assert send(f"{base_url}/v1/images/{image['id']}", "GET", headers=other).status == 404
    assert send(f"{base_url}/v1/images/{image['id']}", "DELETE", headers=other).status == 404
    listed = send(f"{base_url}/v1/images?limit=100", "GET", headers=key).json()
    assert image["id"] in [i["id"] for i in listed["data"]]
    assert send(f"{base_url}/v1/images", "GET", headers=other).json()["total"] == 0
    assert send(f"{base_url}/v1/images/{image['id']}", "DELETE", headers=key).status == 204
    assert send(f"{base_url}/v1/images/{image['id']}", "GET", headers=key).status == 404
    assert send(f"{base_url}/v1/images/{cutout['id']}", "GET", headers=key).status == 200
    undecodable = post_form(f"{base_url}/v1/images", {}, {"image": b"not an image"}, key)
    assert undecodable.status == 415


def test_rest_api_usage_is_durable(base_url: str, mesh: Mesh) -> None:
    """``/v2/account``'s images used come from asset_svc's database and survive its restart."""
    key = {"x-api-key": OTHER_KEY}
    before = send(f"{base_url}/v2/account", "GET", headers=key).json()["images"]["used"]
    edit = get(f"{base_url}/v2/edit?imageUrl=none&background.color=FF0000", key)
    assert edit.status == 400  # refused requests are not counted
    photo = (SAMPLES / "coffee.png").read_bytes()
    ok = post_form(f"{base_url}/v2/edit", {"background.color": "FF0000"}, {"imageFile": photo}, key)
    assert ok.status == 200
    restart_asset_svc(mesh)
    after = send(f"{base_url}/v2/account", "GET", headers=key).json()["images"]
    assert after["used"] == before + 1 and after["available"] == 100 - after["used"]


def test_asset_svc_down_is_503(base_url: str, mesh: Mesh) -> None:
    mesh.stop_process("asset_svc")
    try:
        reply = send(f"{base_url}/v1/files/{'0' * 24}/details", "GET", headers=basic(DEV_KEY))
        assert reply.status == 503 and "retry-after" in reply.headers
        assert reply.json()["code"] == "asset_unavailable"
        assert get(f"{base_url}/photos/skimage/coffee.png?tr=w-10").status == 200
    finally:
        mesh.start_asset()
        wait_gateway_ready(mesh)


def test_pixels_match(ik: imagekitio.ImageKit) -> None:
    """The stored original comes back byte for byte (orig-true)."""
    data = (SAMPLES / "rocket.jpg").read_bytes()
    uploaded = ik.files.upload(file=data, file_name="rocket.jpg")
    assert get(uploaded.url + "?tr=orig-true").body == data
    assert np.array_equal(
        get(uploaded.url + "?tr=orig-true").pixels(), pyvips.Image.new_from_buffer(data, "").numpy()
    )


def test_one_trace_follows_an_upload_through_gateway_asset_svc_and_transform(
    base_url: str, mesh: Mesh
) -> None:
    trace_id = "5cf92f3577b34da6a3ce929d0e0e4799"
    headers = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01", **basic(DEV_KEY)}
    reply = post_form(
        f"{base_url}/api/v1/files/upload",
        {"fileName": "traced.png"},
        {"file": halves_png()},
        headers,
    )
    assert reply.status == 200
    for service in ("gateway", "asset_svc", "transform_svc"):
        log = (mesh.log_dir / f"{service}.log").read_text()
        assert f"0x{trace_id}" in log, service


def test_metrics_of_asset_svc(base_url: str, mesh: Mesh, ik: imagekitio.ImageKit) -> None:
    def uploads() -> float:
        text = get(f"http://127.0.0.1:{mesh.ports.asset_metrics}/metrics").body.decode()
        prefix = 'imgmesh_asset_calls_total{code="ok",method="Upload"}'
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = uploads()
    ik.files.upload(file=halves_png(), file_name="counted.png")
    assert uploads() == before + 1
