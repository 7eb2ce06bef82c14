"""Alembic, run from Python: ``upgrade(url)`` brings a database to the latest schema.

The migrations live beside ``alembic.ini`` at the repository root (the project runs from a
checkout, installed in editable mode), so both are found relative to this file.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"


def alembic_config(url: str) -> Config:
    if not ALEMBIC_INI.is_file():
        raise FileNotFoundError(f"{ALEMBIC_INI} not found: run from a checkout of the project")
    config = Config(str(ALEMBIC_INI))
    # migrations/env.py reads the URL from here rather than from the settings, so the
    # caller decides which database is migrated.
    config.attributes["database_url"] = url
    # Leave the caller's logging alone; fileConfig would reset the root logger.
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url``. Call it outside any running event loop: the
    migration environment runs its own with ``asyncio.run``."""
    command.upgrade(alembic_config(url), revision)
