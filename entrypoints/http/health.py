from __future__ import annotations

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from application.ports import Readiness
from entrypoints.http.schemas import HealthOut


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
    async def ready(self, readiness: FromDishka[Readiness]) -> Response[HealthOut]:
        checks: dict[str, str] = dict(await readiness.checks())
        healthy = all(state in ("ok", "disabled") for state in checks.values())
        body = HealthOut(status="ok" if healthy else "unavailable", checks=checks)
        return Response(body, status_code=200 if healthy else 503)
