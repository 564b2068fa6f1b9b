"""The installation id: made by the migration, kept, and made afresh in a database emptied since."""

from __future__ import annotations

from pathlib import Path

from adapters.sql.database import Database, create_engine
from adapters.sql.installation import SqlInstallationStore
from entrypoints.migrations import upgrade
from tests.conftest import clean_database, off_loop


async def test_the_migration_makes_one_random_id_per_database(tmp_path: Path) -> None:
    ids = []
    for name in ("one.db", "two.db"):
        url = f"sqlite+aiosqlite:///{tmp_path / name}"
        off_loop(upgrade, url)
        db = Database(create_engine(url))
        try:
            first = await SqlInstallationStore(db).installation()
            again = await SqlInstallationStore(db).installation()
        finally:
            await db.dispose()
        assert first == again
        ids.append(first.id)
    assert ids[0] != ids[1]


async def test_a_database_emptied_since_gets_a_new_id_once(database_url: str) -> None:
    db = Database(create_engine(database_url, pool_size=3))
    try:
        before = await SqlInstallationStore(db).installation()
        await clean_database(database_url)
        after = await SqlInstallationStore(db).installation()
        assert after != before
        assert await SqlInstallationStore(db).installation() == after
    finally:
        await db.dispose()
