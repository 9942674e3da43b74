"""The peers `make bench` measures imgmesh against, as real servers on
127.0.0.1: thumbor 7.8 (2 processes, file loader, its face and feature
detectors, no storage or result storage) and `rembg s` 2.0.86 (its FastAPI
server), each in its own venv under ``build/peers/`` installed from PyPI on
first use. rembg is pointed at the same ONNX files imgmesh serves
(``U2NET_HOME``, checksums off), so it never downloads and both run the same
weights.

``python -m bench.peers`` prints the peer table alone (needs ../shared/data for
the 12 MP and 1 MP photos, as ``make bench`` does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.inputs import ONE_MP_SOURCES, SHARED, TWELVE_MP
from bench.load import FormPost, Result, http_load
from bench.rss import RssSampler
from gateway.accounts import DEV_KEY
from mesh.processes import REPO_ROOT, Mesh, Ports, free_port, tree_rss_mb

PEERS = REPO_ROOT / "build" / "peers"
THUMBOR = "thumbor[opencv]==7.8.0"  # opencv: its face and feature detectors
REMBG = "rembg[cpu,cli]==2.0.86"
# rembg's model names for the files imgmesh serves
REMBG_MODELS = {"u2netp": "u2netp", "isnet": "isnet-general-use"}


def venv(name: str, requirement: str) -> Path:
    """``build/peers/<name>`` with ``requirement`` installed (once)."""
    folder = PEERS / name
    marker = folder / ".installed"
    if not marker.exists() or marker.read_text() != requirement:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run(
            [str(folder / "bin" / "pip"), "install", "-q", requirement],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        marker.write_text(requirement)
    return folder / "bin"


def _wait(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # answering
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


@dataclass
class Server:
    """A running peer: its base URL and process (for RSS)."""

    url: str
    proc: subprocess.Popen[bytes]

    def rss_mb(self) -> float:
        return tree_rss_mb(self.proc.pid)


@contextmanager
def thumbor(
    origin: Path, processes: int = 2, security_key: str = "MY_SECURE_KEY"
) -> Iterator[Server]:
    """thumbor with ``processes`` forks serving ``origin`` through the file
    loader; unsafe URLs allowed, signed ones checked with ``security_key``."""
    bin_dir = venv("thumbor", THUMBOR)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "thumbor.conf"
        conf.write_text(
            "LOADER = 'thumbor.loaders.file_loader'\n"
            f"FILE_LOADER_ROOT_PATH = '{origin}'\n"
            "STORAGE = 'thumbor.storages.no_storage'\n"
            "RESULT_STORAGE = None\n"
            "QUALITY = 80\n"
            "ALLOW_UNSAFE_URL = True\n"
            f"SECURITY_KEY = {security_key!r}\n"
            "MAX_AGE = 0\n"
            "AUTO_WEBP = False\n"
            # what a site that uses smart/ configures (thumbor's docs, "Detection")
            "DETECTORS = ['thumbor.detectors.face_detector', "
            "'thumbor.detectors.feature_detector']\n"
        )
        with _serve(
            [
                str(bin_dir / "thumbor"),
                *("-p", str(port), "-i", "127.0.0.1", "-c", str(conf)),
                *("--processes", str(processes), "-l", "error"),
            ],
            port,
            "/healthcheck",
        ) as server:
            yield server


@contextmanager
def rembg() -> Iterator[Server]:
    """``rembg s`` over imgmesh's own u2netp and ISNet ONNX files."""
    bin_dir = venv("rembg", REMBG)
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        for ours, theirs in REMBG_MODELS.items():
            os.symlink(
                REPO_ROOT / "model_repository" / ours / "1" / "model.onnx",
                Path(home) / f"{theirs}.onnx",
            )
        env = {**os.environ, "U2NET_HOME": home, "MODEL_CHECKSUM_DISABLED": "1"}
        with _serve(
            [
                str(bin_dir / "rembg"),
                *("s", "--host", "127.0.0.1", "--port", str(port)),
                *("--no-ui", "--log_level", "error"),
            ],
            port,
            "/docs",
            env,
        ) as server:
            yield server


@contextmanager
def _serve(
    command: list[str], port: int, ready_path: str, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Run a peer server on 127.0.0.1:``port`` until ``ready_path`` answers;
    stop its whole process group afterwards."""
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", proc)
    try:
        _wait(f"{server.url}{ready_path}", proc)
        yield server
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Pair:
    """One row pair of the table: the peer's run and imgmesh's, same work."""

    work: str
    peer: Result
    ours: Result

    @property
    def ratio(self) -> float:
        return self.ours.rps / self.peer.rps


def run(
    origin: Path, twelve_mp: list[str], one_mp: list[str], concurrency: int = 8
) -> tuple[list[Pair], dict[str, float]]:
    """Measure every pair; ``twelve_mp`` / ``one_mp`` are origin-relative paths.

    Returns:
        (pairs, peak RSS per system in MB).
    """
    pairs: list[Pair] = []
    mesh = Mesh(
        ports=Ports(),
        origin_root=origin,
        log_dir=origin.parent / "peer-logs",
        result_cache="none",
        state_dir=origin.parent / "peer-state",
    )
    mesh.start()
    try:
        with thumbor(origin) as thumb, rembg() as rem:
            pids = {"thumbor": thumb.proc.pid, "rembg s": rem.proc.pid}
            services = {name: proc.pid for name, proc in mesh.procs.items()}
            triton = mesh.triton.process.pid if mesh.triton and mesh.triton.process else 0
            with (
                RssSampler(pids) as peers_rss,
                RssSampler({**services, "triton": triton}) as ours_rss,
            ):
                pairs += _image_pairs(mesh.gateway_url, thumb.url, twelve_mp, concurrency)
                pairs += _cutout_pairs(mesh.gateway_url, rem.url, origin, one_mp, concurrency)
            rss = dict(peers_rss.peak)
            rss["imgmesh (all services + Triton)"] = sum(ours_rss.peak.values())
    finally:
        mesh.stop()
    return pairs, rss


def _image_pairs(ours: str, theirs: str, files: list[str], concurrency: int) -> list[Pair]:
    works = [
        ("12 MP JPEG -> fit-in 300x300", 80, "fit-in/300x300"),
        ("12 MP JPEG -> 300x300 centre crop", 40, "300x300"),
        ("12 MP JPEG -> 300x300 smart crop", 24, "300x300/smart"),
    ]
    pairs = []
    for work, n, thumbor_op in works:
        # the same thumbor URL to both (imgmesh's thumbor dialect under /thumbor/)
        peer_urls = [f"{theirs}/unsafe/{thumbor_op}/{files[i % len(files)]}" for i in range(n)]
        our_urls = [f"{ours}/thumbor/unsafe/{thumbor_op}/{files[i % len(files)]}" for i in range(n)]
        peer = http_load(f"thumbor {work}", peer_urls, concurrency, warmup=concurrency)
        mine = http_load(f"imgmesh {work}", our_urls, concurrency, warmup=concurrency)
        pairs.append(Pair(work, peer, mine))
    return pairs


def _cutout_pairs(
    ours: str, theirs: str, origin: Path, files: list[str], concurrency: int
) -> list[Pair]:
    photos = [(origin / f).read_bytes() for f in files]
    pairs = []
    for model, n1, n8 in (("u2netp", 8, 24), ("isnet", 4, 8)):
        for c, n in ((1, n1), (concurrency, n8)):
            # distinct bodies: a field that changes nothing keeps every request apart
            peer_forms = [
                FormPost(
                    f"{theirs}/api/remove",
                    {"model": REMBG_MODELS[model]},
                    {"file": photos[i % len(photos)] + b"\0" * i},
                    {},
                )
                for i in range(n)
            ]
            our_forms = [
                FormPost(
                    f"{ours}/v1/segment",
                    {"format": "png", "size": "full"},
                    {"image_file": photos[i % len(photos)] + b"\0" * i},
                    {"x-api-key": DEV_KEY, "x-imgmesh-segmentation-model": model},
                )
                for i in range(n)
            ]
            work = f"1 MP JPEG cut-out, {model}, concurrency {c}"
            peer = http_load(f"rembg s {work}", peer_forms, c, warmup=min(c, 2))
            mine = http_load(f"imgmesh {work}", our_forms, c, warmup=min(c, 2))
            pairs.append(Pair(work, peer, mine))
    return pairs


def report(pairs: list[Pair], rss: dict[str, float]) -> str:
    """The peer table (markdown)."""
    lines = [
        "\n(m) imgmesh vs the peers as servers, same inputs, side by side",
        "| work | peer | peer req/s | peer p50 / p99 ms | imgmesh req/s | imgmesh p50 / p99 ms "
        "| imgmesh / peer |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for p in pairs:
        peer = "thumbor" if "JPEG ->" in p.work else "rembg s"
        lines.append(
            f"| {p.work} | {peer} | {p.peer.rps:.2f} | {p.peer.pct(50):.0f} / {p.peer.pct(99):.0f} "
            f"| {p.ours.rps:.2f} | {p.ours.pct(50):.0f} / {p.ours.pct(99):.0f} | {p.ratio:.2f}x |"
        )
    lines.append(
        "\npeak RSS during these runs: "
        + ", ".join(f"{name} {mb:.0f} MB" for name, mb in rss.items())
    )
    return "\n".join(lines)


def main() -> None:
    import pyvips

    with tempfile.TemporaryDirectory() as tmp:
        origin = Path(tmp) / "origin"
        (origin / "bench").mkdir(parents=True)
        twelve = []
        for i in range(16):
            shutil.copy(TWELVE_MP, origin / "bench" / f"12mp_{i}.jpg")
            twelve.append(f"bench/12mp_{i}.jpg")
        one = []
        for i, rel in enumerate(ONE_MP_SOURCES):
            image = pyvips.Image.thumbnail(str(SHARED / rel), 1155, height=866, size="force")
            image.write_to_file(str(origin / "bench" / f"1mp_{i}.jpg"), Q=90)
            one.append(f"bench/1mp_{i}.jpg")
        print(report(*run(origin, twelve, one)))


if __name__ == "__main__":
    main()
