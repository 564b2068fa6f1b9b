"""Alembic on both databases: every revision up, down and up again; head matches tables.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import metadata
from entrypoints.migrations import alembic_config, downgrade, upgrade
from tests.conftest import off_loop, service_missing
from tests.support.isolation import create_database, drop_database, new_database_name


def revisions() -> list[str]:
    """Every revision in the script directory, oldest first (new ones are picked up by themselves)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, "the migration chain must stay linear"
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
        return
    name = new_database_name("migrations_")
    try:
        url = off_loop(create_database, name)
    except Exception as error:
        service_missing("PostgreSQL", error)
        raise
    yield url
    off_loop(drop_database, name)


def _inspect(url: str, fn: Any) -> Any:
    async def run() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def table_names(url: str) -> set[str]:
    return set(off_loop(_inspect, url, lambda conn: inspect(conn).get_table_names())) - {"alembic_version"}


def schema_diff(url: str) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return off_loop(_inspect, url, compare)


def test_the_chain_starts_with_the_foundation_revision() -> None:
    assert revisions()[0] == "0001"


def test_every_revision_goes_up_down_and_up_again(empty_database_url: str) -> None:
    chain = revisions()
    for position, revision in enumerate(chain):
        below = chain[position - 1] if position else "base"
        off_loop(upgrade, empty_database_url, revision)
        off_loop(downgrade, empty_database_url, below)
        off_loop(upgrade, empty_database_url, revision)


def test_upgrade_head_from_empty_then_downgrade_base_leaves_nothing(empty_database_url: str) -> None:
    off_loop(upgrade, empty_database_url, "head")
    assert table_names(empty_database_url) == set(metadata.tables)
    off_loop(downgrade, empty_database_url, "base")
    assert table_names(empty_database_url) == set()


def test_the_migrated_schema_matches_the_tables_module(empty_database_url: str) -> None:
    off_loop(upgrade, empty_database_url, "head")
    assert schema_diff(empty_database_url) == []


def test_the_schema_comparison_notices_a_difference(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'partial.db'}"
    off_loop(upgrade, url, "0001")
    if len(revisions()) > 1:
        assert schema_diff(url) != []
    off_loop(downgrade, url, "base")
    assert any(change[0] == "add_table" for change in schema_diff(url))
