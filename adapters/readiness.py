"""The readiness probe: the database answers `SELECT 1`, Redis answers PING, each within a bound."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from adapters.redis.client import RedisLink
from adapters.sql.database import Database
from application.ports import DependencyState, Readiness

CHECK_TIMEOUT_SECONDS = 2.0


class ServiceReadiness(Readiness):
    def __init__(self, db: Database, redis: RedisLink) -> None:
        self._db = db
        self._redis = redis

    async def checks(self) -> dict[str, DependencyState]:
        redis = await self._redis.state()
        return {
            "database": await self._database(),
            "redis": "disabled" if redis is None else "ok" if redis == "ok" else "unavailable",
        }

    async def _database(self) -> DependencyState:
        async def probe() -> None:
            async with self._db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - whatever the failure, the answer is "not ready"
            return "unavailable"
        return "ok"
