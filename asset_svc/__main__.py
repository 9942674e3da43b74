"""CLI: ``python -m asset_svc`` (settings: asset_svc/settings.py; ``--help`` lists them)."""

from __future__ import annotations

import asyncio
import logging
import signal

from pydantic_settings import CliApp

from asset_svc.server import serve
from asset_svc.settings import AssetSettings


async def main() -> None:
    settings = CliApp.run(AssetSettings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop=stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main())
