"""Applying the Alembic migrations from code (the CLI, the tests, `serve`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Safe to run from several instances at once: PostgreSQL upgrades hold an advisory lock."""
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_in_thread(database_url: str, revision: str = "head") -> None:
    """For callers already inside an event loop (Alembic's env runs its own)."""
    await asyncio.to_thread(upgrade, database_url, revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
