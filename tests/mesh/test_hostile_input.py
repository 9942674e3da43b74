"""Issue [18], the rows about hostile and careless input, at the HTTP level
against the real mesh: JSON that nests 100,000 deep or holds NaN is a 400
naming the field (not a 500 or invalid JSON echoed back), every response
carries ``nosniff``, a 9,000-character query gets the API's JSON answer,
fields and extension lists are bounded (repeats merged), and 8 concurrent
uploads to one path all land as versions; one account's hanging webhook
receiver holds only its share of the job workers, and its backlog is bounded
(429 before anything is stored); ``bg_image_url`` obeys the origin allow-list
at upload."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imagekitio
import numpy as np
import pytest
import pyvips

from gateway.accounts import DEV_KEY
from mesh.processes import Mesh, Ports
from tests.conftest import OTHER_KEY, api_keys_file
from tests.helpers import SAMPLES, QuietHandler, get, post_form, send, serve_on_loopback
from tests.mesh.test_file_operations import png
from tests.mesh.test_media_library import Receiver, wait_versions
from tests.mesh.test_upload_options import folder

KEY = {"x-api-key": DEV_KEY}
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def ik(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=DEV_KEY, base_url=mesh.gateway_url, max_retries=0)


def upload(base: str, **fields: str):
    form = {"fileName": "h.png", "folder": folder(), "useUniqueFileName": "false", **fields}
    return post_form(f"{base}/api/v1/files/upload", form, {"file": png((9, 9, 9))}, KEY)


def assert_json_error(reply, status: int, parameter: str | None = None) -> dict:
    assert reply.status == status, reply.body[:300]
    assert reply.headers["content-type"].startswith("application/json"), reply.headers
    body = reply.json()
    assert body["code"] and "Traceback" not in body["message"]
    if parameter is not None:
        assert body.get("parameter") == parameter, body
    return body


@pytest.mark.parametrize(
    "path",
    ["/photos/skimage/coffee.png?tr=w-20", "/photos/nothing.png", "/v1/files", "/console"],
)
def test_every_response_carries_nosniff(base_url: str, path: str) -> None:
    assert get(base_url + path).headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customMetadata", DEEP),
        ("customMetadata", '{"a": NaN}'),
        ("customMetadata", '{"a": Infinity}'),
        ("extensions", DEEP),
        ("transformation", DEEP),
    ],
)
def test_hostile_json_in_an_upload_field_is_a_400(base_url: str, field: str, value: str) -> None:
    assert_json_error(upload(base_url, **{field: value}), 400, field)


@pytest.mark.parametrize("body", [DEEP, '{"customMetadata": {"a": NaN}}', "[1, NaN]"])
def test_hostile_json_bodies_are_a_400(base_url: str, ik: imagekitio.ImageKit, body: str) -> None:
    file_id = upload(base_url).json()["fileId"]
    headers = {**KEY, "Content-Type": "application/json"}
    for method, path in (
        ("PATCH", f"/v1/files/{file_id}/details"),
        ("POST", "/v1/files/addTags"),
        ("POST", "/v1/images"),
    ):
        reply = send(base_url + path, method, body.encode(), headers)
        assert_json_error(reply, 400)
    details = ik.files.get(file_id)  # still valid JSON, unchanged
    assert details.custom_metadata == {}


def test_a_9000_character_query_gets_the_apis_json_answer(base_url: str) -> None:
    reply = get(f"{base_url}/photos/skimage/coffee.png?tr=w-20&x={'a' * 9000}")
    assert reply.status < 500
    assert reply.headers["content-type"].startswith(("application/json", "image/"))


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ({"description": "d" * 3_000_000}, None),  # over the form's limits: 413 or 400
        ({"description": "d" * 1025}, "description"),
        ({"tags": ",".join(f"t{i}" for i in range(101))}, "tags"),
        ({"tags": "x" * 129}, "tags"),
        ({"customMetadata": json.dumps({"k": "v" * 11_000})}, "customMetadata"),
        (
            {"extensions": json.dumps([{"name": f"ext-{i}"} for i in range(11)])},
            "extensions",
        ),
        (
            {
                "extensions": json.dumps(
                    [{"name": "remove-bg", "options": {"bg_image_url": "file:///etc/passwd"}}]
                )
            },
            "extensions.options.bg_image_url",
        ),
        *(  # fetched later under transform_svc's allow-list (127.0.0.1 in the tests)
            (
                {"extensions": json.dumps([{"name": "remove-bg", "options": {"bg_image_url": u}}])},
                "extensions.options.bg_image_url",
            )
            for u in ("https://example.com/bg.png", "http://10.0.0.1/bg.png")
        ),
    ],
)
def test_fields_over_their_bounds_are_refused(
    base_url: str, fields: dict[str, str], parameter: str | None
) -> None:
    reply = upload(base_url, **fields)
    assert reply.status in (400, 413), reply.body[:300]
    assert_json_error(reply, reply.status, parameter)


def test_an_allowed_bg_image_url_is_composited_under_the_cut_out(
    ik: imagekitio.ImageKit, http_origin: str
) -> None:
    """The other side of the upload check: a ``bg_image_url`` on an allowed
    host (the test origin on 127.0.0.1) is fetched by the job and fills the
    removed background, so the cut-out version is opaque everywhere."""
    uploaded = ik.files.upload(
        file=(SAMPLES / "coffee.png").read_bytes(),
        file_name="bg.png",
        folder=folder(),
        extensions=[
            {
                "name": "remove-bg",
                "options": {"bg_image_url": f"{http_origin}/photos/skimage/astronaut.png"},
            }
        ],
    )
    assert uploaded.extension_status.remove_bg == "pending"
    wait_versions(ik, uploaded.file_id, 2)
    pixels = get(ik.files.get(uploaded.file_id).url + "?tr=orig-true").pixels()
    assert pixels.shape == (400, 600, 4)
    assert pixels[..., 3].min() == 255  # the background image fills every hole


@pytest.mark.parametrize(
    "body",
    [
        {"description": {"a": 1}},
        {"removeAITags": [{"name": "x"}]},
        {"customCoordinates": 5},
        {"tags": ["x"] * 101},
    ],
)
def test_update_fields_of_the_wrong_type_or_size_are_refused(base_url: str, body: dict) -> None:
    file_id = upload(base_url).json()["fileId"]
    headers = {**KEY, "Content-Type": "application/json"}
    reply = send(
        f"{base_url}/v1/files/{file_id}/details", "PATCH", json.dumps(body).encode(), headers
    )
    assert_json_error(reply, 400, next(iter(body)))


def test_repeated_extensions_are_merged(base_url: str) -> None:
    extensions = json.dumps([{"name": "google-auto-tagging", "maxTags": 3}] * 10)
    reply = upload(base_url, extensions=extensions)
    assert reply.status == 200, reply.body[:300]
    assert list(reply.json()["extensionStatus"]) == ["google-auto-tagging"]


def test_concurrent_uploads_to_one_path_all_become_versions(
    base_url: str, ik: imagekitio.ImageKit
) -> None:
    where = folder()

    def one(i: int):
        form = {"fileName": "same.png", "folder": where, "useUniqueFileName": "false"}
        return post_form(f"{base_url}/api/v1/files/upload", form, {"file": png((i, 0, 0))}, KEY)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(one, range(8)))
    assert [r.status for r in replies] == [200] * 8, [r.body[:200] for r in replies]
    ids = {r.json()["fileId"] for r in replies}
    assert len(ids) == 1
    versions = ik.files.versions.list(ids.pop())
    assert len(versions) == 8
    assert len({v.version_info.id for v in versions}) == 8


SVG_BODY = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" onload="alert(1)">'
    b'<script>alert(2)</script><rect width="40" height="30" fill="red"/></svg>'
)
# Each prolog a browser or librsvg accepts in front of an SVG; a new trick is one line.
SVG_PROLOGS = {
    "plain": b"",
    "xml": b'<?xml version="1.0"?>',
    "doctype-html": b"<!DOCTYPE html>",
    "doctype-foo": b"<!DOCTYPE foo>",
    "processing-instruction": b"<?foo bar?>",
    "whitespace": b" " * 5000,
    "comment": b"<!-- hi -->",
}
ENTITY_PROLOGS = {
    "lolz": b'<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
    "xxe": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    "external-dtd": b'<!DOCTYPE svg SYSTEM "http://127.0.0.1:9/x.dtd">',
}


def upload_svg(base: str, data: bytes) -> dict:
    form = {"fileName": "x.svg", "folder": folder(), "useUniqueFileName": "false"}
    reply = post_form(f"{base}/api/v1/files/upload", form, {"file": data}, KEY)
    assert reply.status == 200, reply.body[:300]
    return reply.json()


@pytest.mark.parametrize("prolog", SVG_PROLOGS.values(), ids=SVG_PROLOGS.keys())
def test_svg_scripts_are_never_served_whatever_the_prolog(base_url: str, prolog: bytes) -> None:
    file = upload_svg(base_url, prolog + SVG_BODY)
    for url in (file["url"], file["url"] + "?tr=orig-true", file["url"] + "?tr=w-20,f-png"):
        reply = get(url)
        assert reply.status in (200, 415), (url, reply.body[:200])
        assert b"<script" not in reply.body and b"onload" not in reply.body, url
        assert reply.headers["x-content-type-options"] == "nosniff"
    rendered = get(file["url"] + "?tr=w-20,f-png")
    assert rendered.status == 200 and rendered.pixels()[5, 5, :3].tolist() == [255, 0, 0]


@pytest.mark.parametrize("prolog", ENTITY_PROLOGS.values(), ids=ENTITY_PROLOGS.keys())
def test_svg_with_entities_or_a_dtd_is_refused(base_url: str, prolog: bytes) -> None:
    file = upload_svg(base_url, prolog + SVG_BODY.replace(b"</svg>", b"<text>&b;</text></svg>"))
    assert file["fileType"] == "non-image"  # never decoded as an image
    for url in (file["url"] + "?tr=w-20", file["url"] + "?tr=orig-true"):
        reply = get(url)
        body = assert_json_error(reply, 415)
        assert not any(
            word in body["message"].lower() for word in ("glib", "libxml", "rsvg", "vips")
        )


def test_a_remove_bg_job_racing_uploads_ends_in_one_reported_outcome(
    base_url: str, ik: imagekitio.ImageKit
) -> None:
    hook = Receiver([])
    try:
        where = folder()
        form = {
            "fileName": "race.png",
            "folder": where,
            "useUniqueFileName": "false",
            "extensions": json.dumps([{"name": "remove-bg"}]),
            "webhookUrl": hook.url,
        }
        first = post_form(
            f"{base_url}/api/v1/files/upload", form, {"file": png((200, 10, 10), 64, 48)}, KEY
        )
        assert first.status == 200 and first.json()["extensionStatus"] == {"remove-bg": "pending"}

        def again(i: int):
            plain = {"fileName": "race.png", "folder": where, "useUniqueFileName": "false"}
            return post_form(
                f"{base_url}/api/v1/files/upload", plain, {"file": png((i, 9, 9))}, KEY
            )

        with ThreadPoolExecutor(8) as pool:
            assert [r.status for r in pool.map(again, range(8))] == [200] * 8
        hook.wait(1, timeout_s=120)
        time.sleep(1)  # a duplicate delivery would arrive by now
        events = [json.loads(body) for _, body, _ in hook.deliveries]
        assert len(events) == 1 and events[0]["status"] in ("SUCCESS", "FAILURE"), events
        versions = ik.files.versions.list(first.json()["fileId"])
        assert len(versions) == 9 + (events[0]["status"] == "SUCCESS")
    finally:
        hook.close()


class HangingReceiver:
    """A webhook endpoint that accepts every POST and answers nothing until
    :meth:`release` (then 200), counting the requests it holds open."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.open_now = self.most_open = self.received = 0
        lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    receiver.received += 1
                    receiver.open_now += 1
                    receiver.most_open = max(receiver.most_open, receiver.open_now)
                receiver.released.wait(120)
                with lock:
                    receiver.open_now -= 1
                self.send_response(200)
                self.end_headers()

        self.server, base = serve_on_loopback(Handler)
        self.url = base + "/hook"

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()


def test_a_hanging_receiver_delays_only_its_own_account(base_url: str) -> None:
    """Row 1: the noisy account queues more webhooks to a receiver that hangs
    than there are webhook workers (8); it holds its cap (2) of them, and the
    other account's webhook, queued after, arrives at once instead of after
    the 30 s webhook timeout."""
    hanging, quiet = HangingReceiver(), Receiver([])
    # ai-auto-description fails at once (no captioning model), so each upload
    # queues exactly one FAILURE webhook and no render
    unsupported = json.dumps([{"name": "ai-auto-description"}])
    try:
        for _ in range(10):
            noisy = {"fileName": "n.png", "folder": folder(), "webhookUrl": hanging.url}
            reply = post_form(
                f"{base_url}/api/v1/files/upload",
                {**noisy, "extensions": unsupported},
                {"file": png((1, 2, 3))},
                {"x-api-key": OTHER_KEY},
            )
            assert reply.status == 200, reply.body[:300]
        deadline = time.monotonic() + 20
        while hanging.open_now < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        start = time.monotonic()
        reply = upload(base_url, extensions=unsupported, webhookUrl=quiet.url)
        assert reply.status == 200, reply.body[:300]
        quiet.wait(1, timeout_s=20)
        waited = time.monotonic() - start
        assert waited < 10, f"the quiet account's webhook took {waited:.1f} s"
        assert json.loads(quiet.deliveries[0][1])["status"] == "FAILURE"
        assert (hanging.open_now, hanging.most_open) == (2, 2)
        hanging.release()  # the held and the queued deliveries now succeed
        deadline = time.monotonic() + 60
        while hanging.received < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert hanging.received == 10 and hanging.most_open == 2
    finally:
        hanging.close()
        quiet.close()


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/v1/files/0123456789abcdef01234567/unknown", 404, None),
        ("GET", "/v1/folder/anything", 404, None),
        ("PATCH", "/v1/images/img_1", 405, "DELETE,GET,HEAD"),
        ("DELETE", "/v1/files", 405, "GET,HEAD"),
        ("GET", "/api/v1/files/upload", 405, "POST"),
        ("PUT", "/v2/edit", 405, "GET,HEAD,POST"),
    ],
)
def test_unknown_api_routes_get_the_apis_own_answer(
    base_url: str, method: str, path: str, status: int, allow: str | None
) -> None:
    """Not the image route's 404 ``source_not_found``: the API's JSON 404 or a
    405 naming the methods the path has."""
    reply = send(base_url + path, method, headers=KEY)
    body = assert_json_error(reply, status)
    assert body["code"] == ("not_found" if status == 404 else "method_not_allowed")
    assert reply.headers.get("allow") == allow


def test_image_urls_beside_an_api_family_still_render(base_url: str, origin_root: Path) -> None:
    """``/v1/<name>`` outside every API family stays an image URL."""
    (origin_root / "v1").mkdir(exist_ok=True)
    (origin_root / "v1" / "pic.png").write_bytes(png((9, 9, 9), 40, 30))
    reply = get(base_url + "/v1/pic.png?tr=w-10")
    assert reply.status == 200 and reply.image().width == 10


def noise_jpeg(side: int) -> bytes:
    """A ``side`` x ``side`` px JPEG of random noise: small as a JPEG, yet its
    RGBA cut-out as a PNG is about 4 bytes per pixel (noise does not compress)."""
    pixels = np.random.default_rng(18).integers(0, 256, (side, side, 3), dtype=np.uint8)
    image = pyvips.Image.new_from_array(pixels).copy(interpretation="srgb")
    return image.jpegsave_buffer(Q=85)


def test_a_cut_out_over_the_upload_limit_is_a_failure_and_the_original_stays(
    base_url: str, ik: imagekitio.ImageKit
) -> None:
    """Row 8: the 3000 x 3000 px cut-out (about 36 MB as PNG) would be over the
    25 MB limit and unservable: FAILURE, and the JPEG stays current."""
    data = noise_jpeg(3000)
    assert len(data) < 25 * 1024 * 1024
    hook = Receiver([])
    try:
        form = {
            "fileName": "noise.jpg",
            "folder": folder(),
            "extensions": json.dumps([{"name": "remove-bg"}]),
            "webhookUrl": hook.url,
        }
        reply = post_form(f"{base_url}/api/v1/files/upload", form, {"file": data}, KEY)
        assert reply.status == 200, reply.body[:300]
        uploaded = reply.json()
        hook.wait(1, timeout_s=180)
        event = json.loads(hook.deliveries[0][1])
        assert event["status"] == "FAILURE" and event["error"]["code"] == "image_too_large"
        assert len(ik.files.versions.list(uploaded["fileId"])) == 1
        current = get(uploaded["url"] + "?tr=w-30")
        assert current.status == 200 and current.headers["content-type"] == "image/jpeg"
    finally:
        hook.close()


@pytest.fixture(scope="module")
def small_queue(mesh: Mesh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second asset_svc and gateway on the session's transform_svc, with a
    backlog bound of 3 jobs per account and no job workers (jobs stay queued)."""
    state = tmp_path_factory.mktemp("small-queue")
    m = Mesh(
        ports=Ports(transform=mesh.ports.transform),
        log_dir=state / "logs",
        state_dir=state,
        env={"IMGMESH_PRIVATE_HOSTS": "127.0.0.1"},
        gateway_args=[f"--api-keys={api_keys_file(tmp_path_factory)}"],
        asset_args=["--job-queue-per-account=3", "--job-workers=0", "--webhook-workers=0"],
    )
    try:
        m.start_asset()
        m.start_gateway()
        yield m.gateway_url
    finally:
        m.stop()


def test_an_account_over_its_job_backlog_gets_429_and_nothing_is_stored(
    small_queue: str,
) -> None:
    """The backlog bound: three remove-bg jobs queued fill the account's 3; a
    fourth upload with an extension (or an update adding one) is 429
    ``job_queue_full`` with ``Retry-After`` and stores nothing, while uploads
    without jobs and the other account's jobs still go through."""
    where = folder()
    ext = json.dumps([{"name": "remove-bg"}])

    def up(name: str, key: dict[str, str] = KEY, **fields: str):
        form = {"fileName": name, "folder": where, "useUniqueFileName": "false", **fields}
        return post_form(f"{small_queue}/api/v1/files/upload", form, {"file": png((1, 2, 3))}, key)

    first = up("a.png", extensions=ext)
    assert first.status == 200 and first.json()["extensionStatus"] == {"remove-bg": "pending"}
    assert [up(f"{n}.png", extensions=ext).status for n in "bc"] == [200, 200]
    full = up("d.png", extensions=ext)
    body = assert_json_error(full, 429)
    assert body["code"] == "job_queue_full" and full.headers["retry-after"] == "30"
    listed = get(f"{small_queue}/v1/files?path={where}", KEY).json()
    assert sorted(f["name"] for f in listed) == ["a.png", "b.png", "c.png"]
    update = send(
        f"{small_queue}/v1/files/{first.json()['fileId']}/details",
        "PATCH",
        json.dumps({"tags": ["late"], "extensions": [{"name": "remove-bg"}]}).encode(),
        {**KEY, "Content-Type": "application/json"},
    )
    assert assert_json_error(update, 429)["code"] == "job_queue_full"
    details = get(f"{small_queue}/v1/files/{first.json()['fileId']}/details", KEY).json()
    assert details["tags"] in (None, [])  # the refused update changed nothing
    assert up("plain.png").status == 200  # no jobs: not bounded
    unserved = up("u.png", extensions=json.dumps([{"name": "ai-auto-description"}]))
    assert unserved.status == 200  # no model, no webhook: it adds no job
    assert unserved.json()["extensionStatus"] == {"ai-auto-description": "failed"}
    assert up("o.png", {"x-api-key": OTHER_KEY}, extensions=ext).status == 200
