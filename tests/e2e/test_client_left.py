"""A client that leaves in the middle of its body is counted and logged with status 499
("client closed request"), never as a server error: swept over every route of the app's OpenAPI
document that takes a body, through the layers in front of the router and through the router.

The body is sent in two pieces and the client disconnects instead of sending the second; the
caller is an admin, so that what is judged is the body's end, not the caller.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from tests.e2e import fast_path_calls
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.fast_path_calls import JSON, ORIGIN, bearer_of
from tests.e2e.openapi_sweep import operations
from tests.e2e.test_webhook_fast_path import mock_shop

BODY = b'{"items": [{"product_id": 1, "quantity": 1}], "name": "half a body", "amount": "1.00"}'


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    async with mock_shop(app_database_url) as app:
        yield app


async def routes_with_bodies(app: Litestar) -> list[tuple[str, str]]:
    answer = await fast_path_calls.call(app, b"", [], path="/docs/openapi.json", method="GET")
    assert answer["status"] == 200
    ops = [op for op in operations(json.loads(answer["body"])) if op.body_schemas()]
    assert len(ops) >= 9, [op.label for op in ops]
    return [(op.method.upper(), op.concrete_path(provider="mock", ref="1")) for op in ops]


@pytest.mark.parametrize("extra", [[], [ORIGIN]], ids=["as-sent", "through-the-router"])
async def test_a_client_that_leaves_mid_body_is_499_on_every_route_that_takes_a_body(
    app: Litestar, caplog: pytest.LogCaptureFixture, extra: list[tuple[bytes, bytes]]
) -> None:
    admin = await bearer_of(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    logged: dict[str, Any] = {}
    for method, path in await routes_with_bodies(app):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="storefront.access"):
            await fast_path_calls.call(
                app, BODY, [*admin, JSON, *extra], path=path, method=method, chunks=2, leaves=True
            )
        statuses = [r.status for r in caplog.records if r.name == "storefront.access"]  # type: ignore[attr-defined]
        assert len(statuses) == 1, (method, path, statuses)
        logged[f"{method} {path}"] = statuses[0]
    assert set(logged.values()) == {499}, logged
