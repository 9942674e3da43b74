"""Shared test helpers: locating test data, HTTP GETs, decoding images.

Test data comes from two places. The scikit-image sample photos that ``make``
fetches into ``images/photos`` (public domain / CC0) are always there. The
third-party and research sets in ``../shared/data`` (``IMGMESH_SHARED_DATA``:
Wikimedia portraits, DIS5K / DAVIS segmentation, PASCAL VOC faces, decoder edge
cases) are used only when present; a test that needs them is skipped, saying
so, on a plain clone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import pyvips

from mesh.fetch_samples import SAMPLE_PHOTOS
from mesh.processes import Ports

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("IMGMESH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
HAVE_SHARED = SHARED_DATA.is_dir()
SAMPLES = SAMPLE_PHOTOS
# Test-origin folders (and layer-path spellings) filled only from ../shared/data.
SHARED_ONLY = (
    "photos/thumbor/",
    "photos@@thumbor@@",
    "photos/sharp/",
    "segmentation/",
    "faces/",
    "edge/",
    "scene_text/",
)


def skip_without_shared(what: str) -> None:
    """Skip the calling test: ``what`` comes from the absent shared data."""
    pytest.skip(f"needs {what} from the shared third-party/research data, absent at {SHARED_DATA}")


def shared_params(items: list[str], what: str) -> list[object]:
    """Parameters for a test over shared-data files: ``items`` when the shared
    data is there, else one parameter that is skipped saying why (so the
    module still collects and reports the skip)."""
    if items:
        return list(items)
    reason = f"needs {what} from the shared third-party/research data, absent at {SHARED_DATA}"
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]


def source_file(rel: str) -> Path:
    """The file behind an origin path such as ``/photos/skimage/coffee.png``:
    the fetched sample when it is one, else the shared data (skipping the test
    when that is absent)."""
    rel = rel.lstrip("/")
    if rel.startswith("photos/skimage/") and (SAMPLES / Path(rel).name).exists():
        return SAMPLES / Path(rel).name
    path = SHARED_DATA / rel
    if not path.exists():
        skip_without_shared(rel)
    return path


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        import json

        return json.loads(self.body)

    def image(self) -> pyvips.Image:
        return pyvips.Image.new_from_buffer(self.body, "")

    def pixels(self) -> np.ndarray:
        return self.image().numpy()


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 120) -> Reply:
    """GET ``url``; 4xx/5xx come back as a Reply too. A URL naming a file that
    only the shared data provides skips the test when that data is absent."""
    if not HAVE_SHARED:
        for marker in SHARED_ONLY:
            if marker in url:
                skip_without_shared(marker.rstrip("/@"))
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def image_size(url: str) -> tuple[int, int]:
    """(width, height) px of the image ``url`` answers with 200."""
    r = get(url)
    assert r.status == 200, r.body[:300]
    image = r.image()
    return image.width, image.height


def send(
    url: str,
    method: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> Reply:
    """Any method with an optional raw body; 4xx/5xx come back as a Reply."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def post_form(
    url: str,
    fields: dict[str, str],
    files: dict[str, bytes],
    headers: dict[str, str] | None = None,
    timeout: float = 300,
) -> Reply:
    """POST multipart/form-data (text fields and file parts); errors come back as a Reply."""
    import uuid

    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, data in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{name}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@contextmanager
def extra_gateway(
    ports: Ports,
    flags: list[str],
    env: dict[str, str],
    log: Path,
    transform_address: str | None = None,
) -> Iterator[str]:
    """A second gateway process in front of a running mesh's transform_svc (or
    ``transform_address``, any gRPC target) and asset_svc, with its own flags
    and environment; yields its base URL once ``/healthz`` answers."""
    from mesh.processes import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            f"--gateway-port={port}",
            f"--transform-address={transform_address or f'127.0.0.1:{ports.transform}'}",
            f"--asset-address=127.0.0.1:{ports.asset}",
            *flags,
        ],
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(f"{url}/healthz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that writes no access log to stderr."""

    def log_message(self, *args: object) -> None:
        pass


def serve_on_loopback(
    handler: Callable[..., BaseHTTPRequestHandler],
) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``handler`` on 127.0.0.1 at a free port in a daemon thread.

    Returns:
        the server (the caller calls ``shutdown()``) and its base URL,
        ``http://127.0.0.1:<port>``.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
