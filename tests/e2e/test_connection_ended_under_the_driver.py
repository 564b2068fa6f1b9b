"""A pooled connection that the server ended while it sat idle (PostgreSQL shutting down, an
administrator's `pg_terminate_backend`) answers 503 with `Retry-After`, never 500, on each pool,
and the pool replaces it: the next requests succeed.

What makes it deterministic: the app reaches PostgreSQL through a relay that holds back the
server's close (`tests.support.held_close_proxy`). The server's FATAL "terminating connection"
reaches the driver at once, its close only when the driver next writes, so each pooled connection
still looks open when a request takes it. During the outage test's fast shutdown this window
lasted a few microseconds and turned up as a 500 now and then: asyncpg cannot take an error
message on an idle connection, marks its protocol failed, and the next query on it raises
asyncpg's `InternalClientError` ("cannot switch to state …").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from entrypoints.http.app import create_app
from tests.conftest import clean_database, make_settings
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.held_close_proxy import HeldCloseProxy

pytestmark = pytest.mark.postgres

WRONG_LOGIN = {"email": ADMIN_EMAIL, "password": "a-wrong-password"}


@pytest.fixture
async def setup(postgres_url: str) -> AsyncIterator[tuple[AsyncTestClient[Any], HeldCloseProxy, str]]:
    await clean_database(postgres_url)
    direct = make_url(postgres_url)
    with HeldCloseProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        relayed = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        # No sweep while the test runs: every connection it takes is one the test chose.
        settings = make_settings(relayed, order_expiry_interval_seconds=3600)
        async with AsyncTestClient(create_app(settings)) as client:
            yield client, proxy, direct.set(drivername="postgresql").render_as_string(hide_password=False)


async def _end_the_apps_backends(proxy: HeldCloseProxy, admin_url: str) -> None:
    """What a fast shutdown does to each of the app's backends, the rest of the server left up."""
    admin = await asyncpg.connect(admin_url)
    try:
        ended = await admin.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND client_port = ANY($1::int[])",
            proxy.upstream_ports(),
        )
    finally:
        await admin.close()
    assert ended >= 2, "the app should hold a connection on each of its two pools"
    await asyncio.to_thread(proxy.server_closed, ended)


def _is_outage_answer(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers.get("retry-after") == "1"
        and response.headers.get("content-type", "").startswith("application/problem+json")
    )


@pytest.mark.parametrize(
    ("pool", "method", "path", "body", "expected"),
    [
        # The catalog fast path on the raw asyncpg read pool.
        ("asyncpg read pool", "GET", "/api/v1/categories/tea", None, 200),
        # A login reads the account through the unit of work: SQLAlchemy's pool.
        ("SQLAlchemy pool", "POST", "/api/v1/auth/login", WRONG_LOGIN, 401),
    ],
)
async def test_a_connection_ended_while_idle_is_a_503_then_replaced(
    setup: tuple[AsyncTestClient[Any], HeldCloseProxy, str],
    pool: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
    expected: int,
) -> None:
    client, proxy, admin_url = setup
    login = await client.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (
        await client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
    ).is_success
    # Both pools warm: a connection on each.
    assert (await client.get("/api/v1/categories/tea")).status_code == 200
    assert (await client.post("/api/v1/auth/login", json=WRONG_LOGIN)).status_code == 401

    await _end_the_apps_backends(proxy, admin_url)

    first = await client.request(method, path, json=body)
    assert _is_outage_answer(first), (pool, first.status_code, first.headers, first.text)
    answers = [first]
    while answers[-1].status_code != expected and len(answers) < 10:  # each pooled connection once
        answers.append(await client.request(method, path, json=body))
        assert answers[-1].status_code == expected or _is_outage_answer(answers[-1]), answers[-1].text
    assert answers[-1].status_code == expected, (pool, [a.status_code for a in answers])
