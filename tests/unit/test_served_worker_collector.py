"""A served worker freezes what its start-up built out of the garbage collector's walks
(`entrypoints/http/fast_path/collector.py`); an app built any other way (the tests) does not."""

from __future__ import annotations

import gc
import textwrap
from pathlib import Path

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import clean_database, make_settings
from tests.unit.test_lazy_imports import last_line


def test_a_served_worker_leaves_start_up_out_of_full_collections(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, gc, os
        from entrypoints.http.app import app_from_env
        from entrypoints.migrations import upgrade

        app = app_from_env()
        upgrade(os.environ["DATABASE_URL"])  # as `serve` does before its workers start

        async def start_and_stop():
            inbox, outbox = asyncio.Queue(), asyncio.Queue()
            await inbox.put({"type": "lifespan.startup"})
            running = asyncio.create_task(app({"type": "lifespan", "state": {}}, inbox.get, outbox.put))
            assert (await outbox.get())["type"] == "lifespan.startup.complete"
            found = gc.get_freeze_count(), len(gc.get_objects(generation=2))
            await inbox.put({"type": "lifespan.shutdown"})
            await running
            return found

        print(*asyncio.run(start_and_stop()))
        """
    )
    frozen, walked = map(int, last_line(script, tmp_path).split())
    # About 140 000 objects at start-up; a full collection now walks a small remainder.
    assert frozen > 50_000, frozen
    assert walked < frozen // 10, (frozen, walked)


async def test_an_app_built_in_process_freezes_nothing(sqlite_url: str) -> None:
    await clean_database(sqlite_url)
    app = create_app(make_settings(sqlite_url))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health/live")).status_code == 200
    assert gc.get_freeze_count() == 0
