"""Bring a database to the newest schema (Alembic ``upgrade head``).

``python -m asset_svc.migrate [URL]``; the service also runs it on start.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` with this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str) -> None:
    """Apply every migration not yet applied to ``url``.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database is unreachable or refuses.
    """
    command.upgrade(alembic_config(url), "head")


if __name__ == "__main__":
    from asset_svc.settings import AssetSettings

    upgrade(sys.argv[1] if len(sys.argv) > 1 else AssetSettings().database_url)
