from __future__ import annotations

import asyncio

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text

from adapters.redis.client import RedisLink
from adapters.sql.database import Database
from entrypoints.http.schemas import HealthOut

CHECK_TIMEOUT_SECONDS = 2.0


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/live", summary="The process is up")
    async def live(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/ready",
        summary="The database and Redis answer (Redis is `disabled` without REDIS_URL)",
        responses={503: ResponseSpec(HealthOut, description="A dependency is down", generate_examples=False)},
    )
    async def ready(self, db: FromDishka[Database], redis: FromDishka[RedisLink]) -> Response[HealthOut]:
        checks = {
            "database": await _check_database(db),
            "redis": await redis.state() or "disabled",
        }
        healthy = all(state in ("ok", "disabled") for state in checks.values())
        body = HealthOut(status="ok" if healthy else "unavailable", checks=checks)
        return Response(body, status_code=200 if healthy else 503)


async def _check_database(db: Database) -> str:
    async def probe() -> None:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - whatever the failure, the answer is "not ready"
        return "unavailable"
    return "ok"
