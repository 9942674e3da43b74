"""Run a real Triton Inference Server from the ``nvidia-pytriton`` wheel.

The wheel bundles the ``tritonserver`` binary, the python backend
(``libtriton_python.so`` + ``triton_python_backend_utils.py``) and one
``triton_python_backend_stub`` per Python version. What makes it work here:

* a backend directory of our own holding *symlinks* to those three files, the
  stub being the one for the running Python (``sys.version_info``);
* ``LD_LIBRARY_PATH`` including this Python's ``sysconfig LIBDIR`` (the stub
  embeds ``libpython3.X.so``);
* this venv's ``bin/`` first on ``PATH``: the stub's embedded interpreter
  ignores ``PYTHONPATH`` and derives ``sys.prefix`` from the ``python3`` it
  finds on ``PATH``, so only then does model.py see the venv's numpy<2 and
  OpenVINO;
* every address bound to 127.0.0.1 (``--address 0.0.0.0`` in a container), and
  a per-run shared-memory prefix for the python backend, removed from
  ``/dev/shm`` on stop.

CLI (used by ``make run`` through ``mesh``): ``python -m inference.launcher``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import tritonclient.http as triton_http

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_REPOSITORY = REPO_ROOT / "model_repository"
BACKEND_DIR = REPO_ROOT / "build" / "triton" / "backends"


def pytriton_root() -> Path:
    """Directory ``pytriton/tritonserver`` inside the installed nvidia-pytriton wheel.

    Raises:
        FileNotFoundError: nvidia-pytriton is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nvidia-pytriton is not installed (make setup installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / "tritonserver"


def prepare_backend_dir(dst: Path = BACKEND_DIR) -> Path:
    """Create ``dst/python/`` with symlinks to the wheel's python backend files.

    Returns:
        ``dst``, to pass as ``--backend-directory``.
    """
    root = pytriton_root()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    sources = {
        "libtriton_python.so": root / "backends" / "python" / "libtriton_python.so",
        "triton_python_backend_utils.py": root
        / "backends"
        / "python"
        / "triton_python_backend_utils.py",
        "triton_python_backend_stub": root
        / "python_backend_stubs"
        / version
        / "triton_python_backend_stub",
    }
    python_dir = dst / "python"
    python_dir.mkdir(parents=True, exist_ok=True)
    for name, src in sources.items():
        if not src.exists():
            raise FileNotFoundError(f"{src} missing from nvidia-pytriton")
        link = python_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(src)
    return dst


def triton_env() -> dict[str, str]:
    """Environment for tritonserver and its python-backend stubs."""
    env = dict(os.environ)
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (libdir, env.get("LD_LIBRARY_PATH", "")) if p
    )
    env["PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.executable).parent), env.get("PATH", "")) if p
    )
    env["VIRTUAL_ENV"] = sys.prefix
    # model threads are set per model in config.pbtxt; keep OpenMP quiet.
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def stop_process_group(proc: subprocess.Popen, timeout_s: float) -> None:
    """SIGTERM ``proc``'s process group (it started with ``start_new_session``)
    so it drains, then SIGKILL if it still runs after ``timeout_s`` s. A
    process that already ended is left alone."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class TritonServer:
    """One tritonserver process bound to 127.0.0.1.

    Ports: ``grpc_port`` (inference), ``http_port`` (health/model API),
    ``metrics_port`` (Prometheus ``/metrics``, e.g. ``nv_inference_exec_count``).
    """

    grpc_port: int = 8001
    http_port: int = 8000
    metrics_port: int = 8002
    model_repository: Path = DEFAULT_MODEL_REPOSITORY
    log_file: Path | None = None
    address: str = "127.0.0.1"  # 0.0.0.0 in a container
    backend_dir: Path = BACKEND_DIR
    shm_prefix: str = field(default_factory=lambda: f"imgmesh{uuid.uuid4().hex[:8]}_")
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The tritonserver command line."""
        binary = pytriton_root() / "bin" / "tritonserver"
        return [
            str(binary),
            f"--model-repository={self.model_repository}",
            f"--backend-directory={prepare_backend_dir(self.backend_dir)}",
            f"--grpc-address={self.address}",
            f"--grpc-port={self.grpc_port}",
            f"--http-address={self.address}",
            f"--http-port={self.http_port}",
            f"--metrics-address={self.address}",
            f"--metrics-port={self.metrics_port}",
            "--allow-gpu-metrics=false",
            f"--backend-config=python,shm-region-prefix-name={self.shm_prefix}",
            "--exit-on-error=true",
            "--log-verbose=0",
        ]

    def start(self) -> None:
        """Spawn tritonserver (returns at once; see :meth:`wait_ready`)."""
        out = self.log_file.open("ab") if self.log_file else None
        self.process = subprocess.Popen(
            self.command(),
            env=triton_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Block until the server and all its models are ready.

        Raises:
            RuntimeError: the process exited first.
            TimeoutError: not ready within ``timeout_s`` seconds.
        """
        client = triton_http.InferenceServerClient(f"127.0.0.1:{self.http_port}")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"tritonserver exited with {self.process.returncode}")
            try:
                if client.is_server_ready():
                    return
            except Exception:  # noqa: BLE001 - not listening yet
                pass
            time.sleep(0.25)
        raise TimeoutError(f"tritonserver not ready after {timeout_s} s")

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM (Triton drains in-flight requests), then SIGKILL; clean /dev/shm."""
        if self.process is not None:
            stop_process_group(self.process, timeout_s)
        self.clean_shm()

    def clean_shm(self) -> None:
        """Remove this run's python-backend shared-memory regions."""
        for path in Path("/dev/shm").glob(f"{self.shm_prefix}*"):
            path.unlink(missing_ok=True)


def main() -> None:
    """CLI: run Triton in the foreground until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description="Run Triton with the imgmesh model repository")
    parser.add_argument("--grpc-port", type=int, default=8001)
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--metrics-port", type=int, default=8002)
    parser.add_argument("--model-repository", type=Path, default=DEFAULT_MODEL_REPOSITORY)
    parser.add_argument("--address", default="127.0.0.1", help="address every port binds")
    parser.add_argument(
        "--backend-dir", type=Path, default=BACKEND_DIR, help="writable dir for backend links"
    )
    args = parser.parse_args()
    server = TritonServer(
        args.grpc_port,
        args.http_port,
        args.metrics_port,
        args.model_repository,
        address=args.address,
        backend_dir=args.backend_dir,
    )
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    try:
        while not stopping and server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
