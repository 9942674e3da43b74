"""CLI: ``python -m transform_svc`` (settings: transform_svc/settings.py; ``--help`` lists them)."""

from __future__ import annotations

import os
import tempfile

# Render workers are separate processes: their metrics reach /metrics through
# prometheus_client's multiprocess mode, which must be chosen before it is imported.
OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="imgmesh-metrics-")

import asyncio  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402

from pydantic_settings import CliApp  # noqa: E402

from transform_svc.server import serve  # noqa: E402
from transform_svc.settings import TransformSettings  # noqa: E402


async def main() -> None:
    settings = CliApp.run(TransformSettings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve(settings, stop=stop)
    finally:
        if OWN_METRICS_DIR:
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("pyvips").setLevel(logging.WARNING)  # libvips INFO is per-op chatter
    asyncio.run(main())
