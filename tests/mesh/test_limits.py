"""The reproducers of issue [6] against the default limits: each is a clear
4xx with a stable code, checked by the gateway before anything renders, and
no error body names an internal host, port or library."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from contract.limits import Limits, check_graph
from imgmesh.v1 import edit_pb2
from tests.helpers import get

PHOTO = "/photos/skimage/coffee.png"
DEFAULTS = Limits()


def request(url: str, method: str, body: bytes = b"", headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize(
    ("tr", "status", "code", "limit"),
    [
        (":".join(["bl-5"] * 400), 400, "limit_exceeded", "max_total_steps"),
        (":".join(["e-sharpen"] * 50), 400, "limit_exceeded", "max_steps"),
        ("e-usm-1000-1000-1000-1000", 400, "limit_exceeded", "max_usm_radius"),
        ("e-usm-2-100-1-0", 400, "limit_exceeded", "max_usm_sigma"),
        (
            "l-image,i-photos@@skimage@@astronaut.png,w-16384,h-16383,c-force,l-end",
            413,
            "image_too_large",
            "max_output_pixels",
        ),
        ("w-12000,h-12000", 413, "image_too_large", "max_output_pixels"),
        (
            "l-text,i-" + "imgmesh" * 430 + ",fs-200,l-end",
            413,
            "image_too_large",
            "max_text_pixels",
        ),
        (",".join(["l-text,i-a,l-end"] * 21), 400, "limit_exceeded", "max_layers"),
    ],
    ids=[
        "400-blurs",
        "50-sharpens",
        "usm-radius",
        "usm-sigma",
        "huge-layer",
        "huge-resize",
        "huge-text",
        "21-layers",
    ],
)
def test_over_a_limit_is_refused_before_rendering(base_url, tr, status, code, limit) -> None:
    start = time.monotonic()
    r = get(f"{base_url}{PHOTO}?tr={tr}")
    assert r.status == status, r.body[:300]
    body = r.json()
    assert body["code"] == code and body["limit"] == limit
    assert body["value"] == getattr(DEFAULTS, limit)
    assert time.monotonic() - start < 2


def test_limits_hold_inside_layers() -> None:
    inner = edit_pb2.EditGraph()
    for _ in range(DEFAULTS.max_steps + 1):
        inner.steps.add(grayscale=edit_pb2.Grayscale())
    graph = edit_pb2.EditGraph()
    graph.steps.add(overlay=edit_pb2.Overlay(image=inner))
    with pytest.raises(ValueError, match="max_steps"):
        check_graph(graph, DEFAULTS)


def test_within_the_limits_renders(base_url) -> None:
    r = get(f"{base_url}{PHOTO}?tr=" + ":".join(["e-sharpen"] * 10) + ":w-100,bl-100")
    assert r.status == 200 and r.image().width == 100


@pytest.mark.parametrize("path", ["/v2/edit", "/v1/segment"])
@pytest.mark.parametrize(
    "body",
    [b"--x\r\nnot valid", b"--x\r\nContent-Disposition: form-data; name=a" + b"b" * 10_000],
    ids=["broken-part", "10kb-part-header"],
)
def test_malformed_multipart_is_400_json(base_url, path, body) -> None:
    status, headers, data = request(
        base_url + path,
        "POST",
        body,
        {"Content-Type": "multipart/form-data; boundary=x", "x-api-key": "imgmesh-dev-key"},
    )
    assert status == 400, data[:300]
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(data)["code"] == "invalid_parameter"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", "/v1/segment", "POST"), ("POST", PHOTO, "GET"), ("DELETE", "/v2/account", "GET")],
)
def test_wrong_method_is_405_with_allow(base_url, method, path, allow) -> None:
    status, headers, data = request(base_url + path, method, b"x" if method == "POST" else b"")
    assert status == 405, data[:300]
    assert allow in headers["Allow"]
    assert json.loads(data)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        "/bad/corrupt.jpg?tr=w-100",
        "/bad/notes.txt",
        PHOTO + "?tr=e-usm-1000-1000-1000-1000",
        "/nothing/here.jpg",
    ],
)
def test_error_bodies_name_no_internals(base_url, path) -> None:
    r = get(base_url + path)
    assert 400 <= r.status < 500
    text = r.body.decode().lower()
    for internal in ("127.0.0.1", "vips", "ipv4", "triton", "/tmp", "traceback"):
        assert internal not in text, (internal, text)
