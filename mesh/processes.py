"""Start and stop the services (Triton, transform_svc, asset_svc, gateway) as
real processes on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import astuple, dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inference.launcher import TritonServer, stop_process_group

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    """True when nothing listens on (or holds) TCP ``port`` of 127.0.0.1."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (a service and its render workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_rss_mb(root: int) -> float:
    """Sum of VmRSS over a process and its descendants, MB."""
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def tree_cpu_s(root: int) -> float:
    """User + system CPU time of a process and its live descendants, seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (proc(5))
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


@dataclass
class Ports:
    """All ports of one mesh."""

    gateway: int = field(default_factory=free_port)
    transform: int = field(default_factory=free_port)
    transform_metrics: int = field(default_factory=free_port)
    triton_grpc: int = field(default_factory=free_port)
    triton_http: int = field(default_factory=free_port)
    triton_metrics: int = field(default_factory=free_port)
    asset: int = field(default_factory=free_port)
    asset_metrics: int = field(default_factory=free_port)

    @classmethod
    def defaults(cls) -> Ports:
        """The ports of ``make run``: the services' settings (``IMGMESH_GATEWAY_PORT``,
        ``IMGMESH_TRANSFORM_PORT``, ``IMGMESH_TRANSFORM_METRICS_PORT``, the port of
        ``IMGMESH_TRITON_URL``, ``IMGMESH_TRITON_HTTP_PORT``,
        ``IMGMESH_TRITON_METRICS_PORT``, ``IMGMESH_ASSET_PORT``,
        ``IMGMESH_ASSET_METRICS_PORT``)."""
        from asset_svc.settings import AssetSettings
        from gateway.settings import GatewaySettings
        from transform_svc.settings import TransformSettings

        transform = TransformSettings()
        asset = AssetSettings()
        triton_grpc = int(transform.triton_url.rsplit(":", 1)[1])
        return cls(
            GatewaySettings().gateway_port,
            transform.transform_port,
            transform.transform_metrics_port,
            triton_grpc,
            transform.triton_http_port,
            transform.triton_metrics_port,
            asset.asset_port,
            asset.asset_metrics_port,
        )


@dataclass
class Mesh:
    """Triton + transform_svc + asset_svc + gateway.

    Args:
        ports: where each listens.
        origin_root: local origin directory for transform_svc (None: its
            setting, ``IMGMESH_ORIGIN_ROOT`` or ``images/``).
        log_dir: each service's stdout/stderr goes to ``<log_dir>/<name>.log``.
        env: extra environment for transform_svc and the gateway.
        cache_dir / result_cache: transform_svc's result cache (None: its
            settings, so ``IMGMESH_RESULT_CACHE`` etc. apply to ``make run``).
        gateway_args: extra gateway flags.
        state_dir: asset_svc's SQLite database and blob directory (None: its
            settings, ``state/assets.db`` and ``state/blobs``).
        asset_args: extra asset_svc flags.
        asset_env: extra environment for asset_svc alone.
    """

    ports: Ports = field(default_factory=Ports)
    origin_root: Path | None = None
    log_dir: Path = REPO_ROOT / "build" / "logs"
    env: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    result_cache: str | None = None
    gateway_args: list[str] = field(default_factory=list)
    state_dir: Path | None = None
    asset_args: list[str] = field(default_factory=list)
    asset_env: dict[str, str] = field(default_factory=dict)
    triton: TritonServer | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def triton_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.triton_metrics}/metrics"

    def start(self, timeout_s: float = 180.0) -> None:
        """Start them all and wait until each is ready.

        Raises:
            RuntimeError / TimeoutError: a service died or was not ready in time
                (its log is in ``log_dir``).
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        taken = [p for p in astuple(self.ports) if not port_free(p)]
        if taken:  # another mesh (or anything) would answer our readiness probes
            raise RuntimeError(
                f"ports already in use: {', '.join(map(str, taken))}; move them with the "
                "IMGMESH_*_PORT settings (README, Configuration)"
            )
        try:
            self.start_triton(timeout_s)
            self.start_transform(timeout_s)
            self.start_asset(timeout_s)
            self.start_gateway(timeout_s)
        except BaseException:
            self.stop()
            raise

    def start_triton(self, timeout_s: float = 180.0) -> None:
        self.triton = TritonServer(
            self.ports.triton_grpc,
            self.ports.triton_http,
            self.ports.triton_metrics,
            log_file=self.log_dir / "triton.log",
        )
        self.triton.start()
        self.triton.wait_ready(timeout_s)

    def _spawn(
        self, name: str, args: list[str], extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        # glibc's per-thread malloc arenas make a libvips worker pool's RSS
        # grow without bound under load; 2 arenas keep it flat (libvips docs,
        # "memory use"; imgproxy sets the same).
        env = {
            "MALLOC_ARENA_MAX": "2",
            **os.environ,
            **self.env,
            **(extra_env or {}),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", name, *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def start_transform(self, timeout_s: float = 60.0) -> None:
        proc = self._spawn(
            "transform_svc",
            [
                f"--transform-port={self.ports.transform}",
                f"--transform-metrics-port={self.ports.transform_metrics}",
                f"--triton-url=127.0.0.1:{self.ports.triton_grpc}",
                f"--asset-address=127.0.0.1:{self.ports.asset}",
                *(
                    f"--{flag}={value}"
                    for flag, value in (
                        ("origin-root", self.origin_root),
                        ("cache-dir", self.cache_dir),
                        ("result-cache", self.result_cache),
                    )
                    if value is not None
                ),
            ],
        )
        wait_serving("transform_svc", proc, self.ports.transform, timeout_s)

    def start_asset(self, timeout_s: float = 60.0) -> None:
        state = []
        if self.state_dir is not None:
            state = [
                f"--database-url=sqlite+aiosqlite:///{self.state_dir / 'assets.db'}",
                f"--blob-store-url={self.state_dir / 'blobs'}",
            ]
        proc = self._spawn(
            "asset_svc",
            [
                f"--asset-port={self.ports.asset}",
                f"--asset-metrics-port={self.ports.asset_metrics}",
                f"--transform-address=127.0.0.1:{self.ports.transform}",
                f"--url-endpoint={self.gateway_url}",
                *state,
                *self.asset_args,
            ],
            self.asset_env,
        )
        wait_serving("asset_svc", proc, self.ports.asset, timeout_s)

    def start_gateway(self, timeout_s: float = 60.0) -> None:
        proc = self._spawn(
            "gateway",
            [
                f"--gateway-port={self.ports.gateway}",
                f"--transform-address=127.0.0.1:{self.ports.transform}",
                f"--asset-address=127.0.0.1:{self.ports.asset}",
                *self.gateway_args,
            ],
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.gateway_url}/readyz", timeout=1.0) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("gateway not ready")

    def stop_process(self, name: str, timeout_s: float = 15.0) -> None:
        """SIGTERM one service (graceful drain), SIGKILL if it lingers."""
        proc = self.procs.pop(name, None)
        if proc is not None:
            stop_process_group(proc, timeout_s)

    def stop(self) -> None:
        """Stop gateway, then asset_svc, transform_svc, Triton."""
        for name in ("gateway", "asset_svc", "transform_svc"):
            self.stop_process(name)
        if self.triton is not None:
            self.triton.stop()
            self.triton = None


def wait_serving(name: str, proc: subprocess.Popen[bytes], port: int, timeout_s: float) -> None:
    """Wait until the gRPC service on ``port`` reports SERVING (grpc.health.v1).

    Raises:
        RuntimeError: the process exited. TimeoutError: not serving in time.
    """
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    finally:
        channel.close()
    raise TimeoutError(f"{name} not ready")
