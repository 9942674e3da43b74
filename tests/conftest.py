"""Fixtures: one real mesh (Triton + transform_svc + gateway on free 127.0.0.1
ports) per test session, serving an origin directory built in a temp dir."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import pyvips

from gateway.accounts import DEV_KEY, DEV_PUBLIC_KEY
from mesh.fetch_samples import SAMPLE_PHOTOS
from mesh.processes import Mesh, Ports
from tests.helpers import HAVE_SHARED, SAMPLES, SHARED_DATA, extra_gateway, serve_on_loopback


def build_origin(root: Path) -> None:
    """Populate the test origin (copies, since the local origin refuses
    symlinks leaving its root): the fetched sample photos as
    ``photos/skimage/``, the shared data's photos, segmentation images, faces
    and edge cases when present, and generated files."""
    shutil.copytree(SAMPLES, root / "photos" / "skimage", ignore=shutil.ignore_patterns(".*"))
    if HAVE_SHARED:
        shutil.copytree(SHARED_DATA / "photos", root / "photos", dirs_exist_ok=True)
        shutil.copytree(SHARED_DATA / "segmentation" / "images", root / "segmentation")
        shutil.copytree(SHARED_DATA / "faces", root / "faces")
        shutil.copytree(SHARED_DATA / "edge_cases" / "sharp", root / "edge")
    bad = root / "bad"
    bad.mkdir()
    (bad / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    (bad / "notes.txt").write_bytes(b"plain text, not an image\n")
    build_synthetic(root / "synthetic")
    build_camera(root / "camera")


# What users send: a 12 MP camera JPEG (and the same photo as the other formats
# people upload; the 3 MP ones as in issue [6]'s probe).
CAMERA_FILES = {
    "camera/12mp.jpg": (4032, 3024),
    "camera/12mp.tif": (4032, 3024),
    "camera/3mp.png": (2000, 1500),
    "camera/3mp.webp": (2000, 1500),
    "camera/3mp.avif": (2000, 1500),
    "camera/3mp.gif": (2000, 1500),
}


def build_camera(folder: Path) -> None:
    """The rocket sample (fetched by ``make``) at camera sizes in each format."""
    folder.mkdir()
    photo = pyvips.Image.new_from_file(str(SAMPLE_PHOTOS / "rocket.jpg"))
    for rel, (w, h) in CAMERA_FILES.items():
        image = photo.resize(w / photo.width, vscale=h / photo.height)
        options: dict[str, object] = {".jpg": {"Q": 90}, ".avif": {"effort": 0}}.get(
            Path(rel).suffix, {}
        )
        image.write_to_file(str(folder.parent / rel), **options)


def build_synthetic(folder: Path) -> None:
    """Images whose correct crops are known exactly.

    * halves.png: 200x100, left half pure red, right half pure blue.
    * salient.png: 1200x400 flat grey with a 400x400 crop of a real photo
      (coffee.png) at x=800..1199: the salient region is on the right.
    * logo.png: 60x40 RGBA, opaque red left half, half-transparent green right.
    * frame.9.png: a 9-patch frame (:func:`nine_patch`).
    * geometry.png: 200x100, red = x and green = 2 y of each pixel.
    """
    folder.mkdir()
    red = pyvips.Image.black(100, 100, bands=3) + [255, 0, 0]
    blue = pyvips.Image.black(100, 100, bands=3) + [0, 0, 255]
    red.join(blue, "horizontal").cast("uchar").write_to_file(str(folder / "halves.png"))
    patch = pyvips.Image.new_from_file(str(SAMPLES / "coffee.png"))
    patch = patch.extract_area(100, 0, 400, 400)
    canvas = (pyvips.Image.black(1200, 400, bands=3) + 128).cast("uchar")
    canvas.insert(patch, 800, 0).write_to_file(str(folder / "salient.png"))
    # low contrast: coffee squeezed into grey levels 100..150
    coffee = pyvips.Image.new_from_file(str(SAMPLES / "coffee.png"))
    # the coffee cup photo at the right end of a wide grey canvas (for fo-cup)
    wide = (pyvips.Image.black(1800, 400, bands=3) + 128).cast("uchar")
    wide.insert(coffee, 1200, 0).write_to_file(str(folder / "cup_right.png"))
    (coffee * (50 / 255) + 100).cast("uchar").write_to_file(str(folder / "flat.png"))
    # a photo inside a uniform 20 px white border (for trim)
    patch.embed(20, 20, 440, 440, extend="white").write_to_file(str(folder / "framed.png"))
    # a 60x40 watermark: opaque red with a half-transparent green right half
    red = (pyvips.Image.black(30, 40, bands=3) + [255, 0, 0]).bandjoin(255)
    green = (pyvips.Image.black(30, 40, bands=3) + [0, 255, 0]).bandjoin(128)
    logo = red.join(green, "horizontal").cast("uchar").copy(interpretation="srgb")
    logo.write_to_file(str(folder / "logo.png"))
    nine_patch(folder / "frame.9.png")
    # imgproxy's testdata/geometry.png size, each pixel telling where it is:
    # red = x (0..199), green = 2 y (0..198), blue 128
    x = pyvips.Image.xyz(200, 100)
    (x[0].bandjoin([x[1] * 2, x[0] * 0 + 128])).cast("uchar").copy(
        interpretation="srgb"
    ).write_to_file(str(folder / "geometry.png"))


def nine_patch(path: Path) -> None:
    """A 32 x 32 9-patch frame: a 6 px red ring (half transparent on its
    outer 3 px) around a transparent middle; columns and rows 12..19 stretch
    (black marks on the top row / left column) and the content is padded 4 px
    (marks from 5 to 26 on the bottom row / right column)."""
    import numpy as np

    patch = np.zeros((32, 32, 4), dtype=np.uint8)
    patch[1:31, 1:31] = (255, 0, 0, 255)
    patch[7:25, 7:25] = (0, 0, 0, 0)  # the middle
    patch[1:4, 1:31, 3] = patch[28:31, 1:31, 3] = 128
    patch[1:31, 1:4, 3] = patch[1:31, 28:31, 3] = 128
    mark = (0, 0, 0, 255)
    patch[0, 13:21] = patch[13:21, 0] = mark  # stretch
    patch[31, 5:27] = patch[5:27, 31] = mark  # padding 4 px
    pyvips.Image.new_from_array(patch).copy(interpretation="srgb").write_to_file(str(path))


def pytest_report_header() -> str:
    """Say up front whether the shared third-party/research data is used."""
    if HAVE_SHARED:
        return f"shared test data: {SHARED_DATA}"
    return (
        f"shared test data: absent at {SHARED_DATA}; tests that need it are skipped "
        "(set IMGMESH_SHARED_DATA to run them)"
    )


@pytest.fixture(scope="session")
def origin_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("origin")
    build_origin(root)
    return root


SIGNING_KEY = "test-private-key"
THUMBOR_SECURITY_KEY = "ACME-SEC"  # thumbor's own test key (tests/handlers/test_base_handler.py)
NAMED = {"thumb": "w-120,h-80", "gray_thumb": "n-thumb,e-grayscale:rt-90"}


@pytest.fixture(scope="session")
def mesh(origin_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    logs = tmp_path_factory.mktemp("logs")
    # Console span export lets a test follow one trace through the service logs.
    m = Mesh(
        ports=Ports(),
        origin_root=origin_root,
        log_dir=logs,
        env={
            "IMGMESH_TRACES_EXPORTER": "console",
            "IMGMESH_SIGNING_KEY": SIGNING_KEY,
            "IMGMESH_THUMBOR_SECURITY_KEY": THUMBOR_SECURITY_KEY,
            "IMGMESH_ALLOWED_HOSTS": "127.0.0.1",  # the http_origin fixture
            "IMGMESH_PRIVATE_HOSTS": "127.0.0.1",  # ... which is a loopback address
            # u2netp keeps the suite fast (1.0 s vs 3.6 s per 1024 px cut-out, make quality);
            # ISNet, the service default, is tested through the model header.
            "IMGMESH_SEGMENTATION_MODEL": "u2netp",
        },
        cache_dir=tmp_path_factory.mktemp("cache"),
        gateway_args=[
            f"--named-transformations={named_file(tmp_path_factory)}",
            f"--api-keys={api_keys_file(tmp_path_factory)}",
        ],
        state_dir=tmp_path_factory.mktemp("state"),
        # Webhook retries within seconds; a job whose worker died re-runs after 3 s.
        asset_args=["--webhook-retry-base-s=0.5", "--job-lease-s=3"],
    )
    try:
        m.start()
    except Exception:
        for log in sorted(logs.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        raise
    yield m
    m.stop()


@pytest.fixture(scope="session")
def http_origin(origin_root: Path) -> Iterator[str]:
    """The test origin served over HTTP on 127.0.0.1 (for imageUrl sources)."""
    import functools
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server, url = serve_on_loopback(functools.partial(Quiet, directory=str(origin_root)))
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(mesh: Mesh) -> str:
    return mesh.gateway_url


# Two accounts: the development key (library "dev") and a second one, to show
# that one key never sees the other's files and images.
OTHER_KEY = "imgmesh-other-key"
# A third account whose registries (custom metadata fields, named
# transformations) no other test's uploads depend on.
REGISTRY_KEY = "imgmesh-registry-key"
API_KEYS = {
    DEV_KEY: {"plan": "dev", "images": 100_000, "id": "dev", "public_key": DEV_PUBLIC_KEY},
    OTHER_KEY: {"plan": "basic", "images": 100, "id": "other"},
    REGISTRY_KEY: {"plan": "basic", "images": 100, "id": "registry"},
}


def api_keys_file(factory: pytest.TempPathFactory) -> Path:
    path = factory.mktemp("keys") / "api_keys.json"
    path.write_text(json.dumps(API_KEYS))
    return path


def named_file(factory: pytest.TempPathFactory) -> Path:
    path = factory.mktemp("config") / "named.json"
    path.write_text(json.dumps(NAMED))
    return path


@pytest.fixture(scope="session")
def strict_gateway(mesh: Mesh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second gateway on the same transform_svc that requires signed URLs
    and answers AI renders slower than 1 ms with an intermediate response."""
    log = tmp_path_factory.mktemp("strict") / "gateway.log"
    with extra_gateway(
        mesh.ports,
        ["--require-signed=all", "--ai-budget-ms=1"],
        {"IMGMESH_SIGNING_KEY": SIGNING_KEY},
        log,
    ) as url:
        yield url
