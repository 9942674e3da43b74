"""Security guards: SSRF-safe HTTP origin, SVG sanitising, header-checked
limits, path traversal, load shedding."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
import pyvips

from gateway.errors import error_response
from imgmesh.v1 import edit_pb2, transform_pb2, transform_pb2_grpc
from mesh.processes import free_port
from outbound.ssrf import is_public
from tests.helpers import QuietHandler, get, serve_on_loopback, source_file
from transform_svc import svg
from transform_svc.errors import TransformError
from transform_svc.origin import Origin, OriginConfig

PNG = (pyvips.Image.black(8, 8, bands=3) + [0, 128, 255]).cast("uchar").pngsave_buffer()


class Handler(QuietHandler):
    """/img -> a PNG; /to?u=<url> -> 302 to url."""

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/to?u="):
            self.send_response(302)
            self.send_header("Location", self.path[len("/to?u=") :])
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd, _ = serve_on_loopback(Handler)
    yield httpd.server_address[1]
    httpd.shutdown()


def origin(tmp_path: Path, allowed: set[str], private: set[str]) -> Origin:
    return Origin(
        OriginConfig(
            root=tmp_path, allowed_hosts=frozenset(allowed), private_hosts=frozenset(private)
        )
    )


async def code_of(o: Origin, url: str) -> str:
    try:
        await o.fetch_url(url)
    except TransformError as exc:
        return exc.kind.public_code
    finally:
        await o.close()
    return "ok"


# --- SSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2606:4700::1111", True),
    ],
)
def test_address_classes(address, public):
    assert is_public(address) is public


async def test_an_unparseable_url_is_a_bad_parameter(tmp_path):
    o = origin(tmp_path, {"127.0.0.1"}, {"127.0.0.1"})
    assert await code_of(o, "http://[::1/img") == "invalid_parameter"  # urlsplit: ValueError


async def test_allowed_host_resolving_to_loopback_is_refused(server, tmp_path):
    o = origin(tmp_path, {"localhost"}, set())
    assert await code_of(o, f"http://localhost:{server}/img") == "source_forbidden"


async def test_allowed_private_ip_literal_is_refused(server, tmp_path):
    o = origin(tmp_path, {"127.0.0.1"}, set())  # on the allow-list, not trusted as private
    assert await code_of(o, f"http://127.0.0.1:{server}/img") == "source_forbidden"


async def test_explicitly_private_host_is_fetched(server, tmp_path):
    o = origin(tmp_path, {"127.0.0.1"}, {"127.0.0.1"})
    assert await code_of(o, f"http://127.0.0.1:{server}/img") == "ok"


async def test_redirect_to_a_private_address_is_refused(server, tmp_path):
    # 127.0.0.1 is trusted, localhost is allowed but must not be private
    o = origin(tmp_path, {"127.0.0.1", "localhost"}, {"127.0.0.1"})
    url = f"http://127.0.0.1:{server}/to?u=http://localhost:{server}/img"
    assert await code_of(o, url) == "source_forbidden"


async def test_redirect_to_a_host_off_the_allow_list_is_refused(server, tmp_path):
    o = origin(tmp_path, {"127.0.0.1"}, {"127.0.0.1"})
    url = f"http://127.0.0.1:{server}/to?u=http://example.invalid/img"
    assert await code_of(o, url) == "source_forbidden"


async def test_redirect_loops_stop(server, tmp_path):
    o = origin(tmp_path, {"127.0.0.1"}, {"127.0.0.1"})
    url = f"http://127.0.0.1:{server}/img"
    for _ in range(5):
        url = f"http://127.0.0.1:{server}/to?u={url}"
    assert await code_of(o, url) == "origin_unavailable"


def test_ssrf_through_the_gateway_is_a_403(base_url):
    r = get(
        f"{base_url}/v2/edit?imageUrl=http://169.254.169.254/latest/meta-data",
        headers={"x-api-key": "imgmesh-dev-key"},
    )
    assert r.status == 403 and r.json()["code"] == "source_forbidden"


# --- SVG ---------------------------------------------------------------------------------------

EVIL_SVG = (
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'width="40" height="20" onload="alert(1)"><script>alert(2)</script>'
    b'<image xlink:href="file:///etc/passwd" width="5" height="5"/>'
    b'<rect style="fill:url(http://evil.invalid/x)" width="3" height="3"/>'
    b'<rect fill="#00ff00" width="40" height="20"/></svg>'
)


def test_svg_scripts_handlers_and_external_references_are_removed():
    clean = svg.sanitise(EVIL_SVG)
    for needle in (b"script", b"onload", b"passwd", b"evil.invalid", b"DOCTYPE"):
        assert needle not in clean
    assert b"#00ff00" in clean


def test_svg_entity_bomb_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    )
    with pytest.raises(TransformError) as info:
        svg.sanitise(bomb)
    assert info.value.kind.public_code == "unsupported_image"


def test_sanitised_svg_renders_through_the_mesh(base_url, origin_root):
    (origin_root / "svg").mkdir(exist_ok=True)
    (origin_root / "svg" / "evil.svg").write_bytes(EVIL_SVG)
    r = get(f"{base_url}/svg/evil.svg?tr=f-png")
    assert r.status == 200
    px = r.pixels()
    assert px.shape[:2] == (20, 40) and tuple(px[10, 20, :3]) == (0, 255, 0)
    orig = get(f"{base_url}/svg/evil.svg?tr=orig-true")
    assert orig.status == 200 and b"script" not in orig.body


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["sharp/65536-uint32-limit.png", "sharp/giant-image.jpg", "libvips/17000x17000.avif"]
)
def test_decompression_bombs_are_refused_from_the_header(base_url, origin_root, name):
    src = source_file(f"edge_cases/{name}")
    (origin_root / "bombs").mkdir(exist_ok=True)
    (origin_root / "bombs" / src.name).write_bytes(src.read_bytes())
    start = time.perf_counter()
    r = get(f"{base_url}/bombs/{src.name}?tr=w-100")
    assert r.status in (413, 415), r.body[:200]
    assert r.json()["code"] in ("image_too_large", "unsupported_image")
    assert time.perf_counter() - start < 5  # refused without decoding


def test_output_over_the_pixel_limit_is_413(base_url):
    r = get(f"{base_url}/photos/skimage/coffee.png?tr=w-16000,h-16000,c-force")
    assert r.status == 413 and r.json()["code"] == "image_too_large"


# --- path traversal ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/../../../../etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/photos/..%252f..%252fetc/passwd",
        "//etc/passwd",
        "/escape/passwd",
    ],
)
def test_paths_escaping_the_origin_are_404_without_leaking(base_url, origin_root, path):
    link = origin_root / "escape"
    if not link.exists():
        link.symlink_to("/etc")
    r = get(f"{base_url}{path}?tr=w-10")
    assert r.status in (400, 404), (path, r.status)
    assert str(origin_root) not in r.body.decode(errors="replace")
    assert b"root:" not in r.body


# --- load shedding -----------------------------------------------------------------------------


def test_transform_sheds_load_with_503_and_retry_after(mesh):
    """A transform_svc limited to one render in flight: concurrent renders get
    RESOURCE_EXHAUSTED with the public code ``overloaded``."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "transform_svc",
            f"--transform-port={port}",
            f"--origin-root={mesh.origin_root}",
            f"--triton-url=127.0.0.1:{mesh.ports.triton_grpc}",
            "--result-cache=none",
            "--transform-max-inflight=1",
            "--transform-metrics-port=0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = transform_pb2_grpc.TransformStub(channel)

        def render(i: int) -> str:
            graph = edit_pb2.EditGraph(
                source=edit_pb2.Source(origin_path="photos/skimage/astronaut.png")
            )
            graph.steps.add(remove_background=edit_pb2.RemoveBackground())
            graph.encode.quality = 1 + i
            try:
                stub.Render(transform_pb2.RenderRequest(graph=graph), timeout=60)
            except grpc.RpcError as exc:
                meta = dict(exc.trailing_metadata() or ())
                return meta.get("imgmesh-error-code", str(exc.code()))
            return "ok"

        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(render, range(4)))
        assert "ok" in codes and "overloaded" in codes, codes
        channel.close()
    finally:
        proc.terminate()
        proc.wait(15)


def test_overloaded_maps_to_503_with_retry_after():
    response = error_response("overloaded", "busy")
    assert response.status == 503 and response.headers["Retry-After"]
