"""CLI: ``python -m transform_svc`` (flags default to IMGMESH_* environment variables)."""

from __future__ import annotations

import os
import tempfile

# Render workers are separate processes: their metrics reach /metrics through
# prometheus_client's multiprocess mode, which must be chosen before it is imported.
OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="imgmesh-metrics-")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

from contract.limits import GraphLimits  # noqa: E402
from transform_svc.limits import Limits  # noqa: E402
from transform_svc.server import TransformConfig, serve  # noqa: E402


def parse_args() -> TransformConfig:
    env = os.environ.get
    p = argparse.ArgumentParser(description="imgmesh transform service (gRPC, libvips)")
    p.add_argument("--port", type=int, default=int(env("IMGMESH_TRANSFORM_PORT", "50051")))
    p.add_argument(
        "--metrics-port", type=int, default=int(env("IMGMESH_TRANSFORM_METRICS_PORT", "9101"))
    )
    p.add_argument("--origin-root", type=Path, default=Path(env("IMGMESH_ORIGIN_ROOT", "images")))
    p.add_argument(
        "--allowed-hosts",
        default=env("IMGMESH_ALLOWED_HOSTS", ""),
        help="comma-separated http(s) origin hosts",
    )
    p.add_argument(
        "--private-hosts",
        default=env("IMGMESH_PRIVATE_HOSTS", ""),
        help="comma-separated allowed hosts that may resolve to loopback/private addresses",
    )
    defaults = Limits()
    for name in ("max_source_bytes", "max_pixels", "max_side", "max_frames", "max_output_pixels"):
        flag = "--" + name.replace("_", "-")
        variable = "IMGMESH_" + name.upper()
        p.add_argument(flag, type=int, default=int(env(variable, str(getattr(defaults, name)))))
    p.add_argument(
        "--max-inflight", type=int, default=int(env("IMGMESH_TRANSFORM_MAX_INFLIGHT", "64"))
    )
    p.add_argument("--triton-url", default=env("IMGMESH_TRITON_URL", "127.0.0.1:8001"))
    p.add_argument(
        "--workers",
        type=int,
        default=int(env("IMGMESH_WORKERS", str(2 * (os.cpu_count() or 1)))),
        help="render worker processes",
    )
    p.add_argument(
        "--worker-memory-mb",
        type=int,
        default=int(env("IMGMESH_WORKER_MEMORY_MB", "4096")),
        help="address space a render worker may add to its startup size (0 = unlimited)",
    )
    p.add_argument(
        "--worker-max-renders",
        type=int,
        default=int(env("IMGMESH_WORKER_MAX_RENDERS", "200")),
        help="renders after which a render worker is replaced",
    )
    p.add_argument(
        "--render-timeout", type=float, default=float(env("IMGMESH_RENDER_TIMEOUT_S", "60"))
    )
    p.add_argument(
        "--vips-concurrency", type=int, default=int(env("IMGMESH_VIPS_CONCURRENCY", "1"))
    )
    p.add_argument("--segmentation-model", default=env("IMGMESH_SEGMENTATION_MODEL", "isnet"))
    p.add_argument(
        "--result-cache",
        default=env("IMGMESH_RESULT_CACHE", "disk"),
        help="disk | disk:/path | redis://host:port/db | none",
    )
    p.add_argument("--cache-dir", type=Path, default=Path(env("IMGMESH_CACHE_DIR", "build/cache")))
    p.add_argument("--cache-size-mb", type=int, default=int(env("IMGMESH_CACHE_SIZE_MB", "1024")))
    p.add_argument("--failure-ttl", type=float, default=float(env("IMGMESH_FAILURE_TTL_S", "10")))
    a = p.parse_args()
    hosts = frozenset(h.strip().lower() for h in a.allowed_hosts.split(",") if h.strip())
    return TransformConfig(
        port=a.port,
        metrics_port=a.metrics_port,
        origin_root=a.origin_root,
        allowed_hosts=hosts,
        triton_url=a.triton_url,
        workers=a.workers,
        vips_concurrency=a.vips_concurrency,
        segmentation_model=a.segmentation_model,
        result_cache=a.result_cache,
        cache_dir=a.cache_dir,
        cache_size_bytes=a.cache_size_mb * 1024 * 1024,
        failure_ttl_s=a.failure_ttl,
        private_hosts=frozenset(h.strip().lower() for h in a.private_hosts.split(",") if h.strip()),
        limits=Limits(
            max_source_bytes=a.max_source_bytes,
            max_pixels=a.max_pixels,
            max_side=a.max_side,
            max_frames=a.max_frames,
            max_output_pixels=a.max_output_pixels,
        ),
        max_inflight=a.max_inflight,
        worker_memory_bytes=a.worker_memory_mb * 1024 * 1024,
        worker_max_renders=a.worker_max_renders,
        render_timeout_s=a.render_timeout,
        graph_limits=GraphLimits.from_env(),
    )


async def main() -> None:
    config = parse_args()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve(config, stop=stop)
    finally:
        if OWN_METRICS_DIR:
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("pyvips").setLevel(logging.WARNING)  # libvips INFO is per-op chatter
    asyncio.run(main())
