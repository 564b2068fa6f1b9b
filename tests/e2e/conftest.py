"""End-to-end fixtures: the real app, in process, over its ASGI interface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import make_settings

ADMIN_EMAIL = "admin@storefront.test"
ADMIN_PASSWORD = "admin-password"


@dataclass
class Api:
    """A test client plus the helpers every scenario needs."""

    client: AsyncTestClient  # type: ignore[type-arg]

    async def register(self, email: str, password: str = "customer-password") -> dict:  # type: ignore[type-arg]
        response = await self.client.post(
            "/api/v1/auth/register", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def login(self, email: str, password: str) -> dict[str, str]:
        response = await self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def customer(
        self, email: str = "ann@example.com", password: str = "customer-password"
    ) -> dict[str, str]:
        """Register (once) and log in; returns the Authorization header."""
        await self.client.post("/api/v1/auth/register", json={"email": email, "password": password})
        return await self.login(email, password)

    async def admin(self) -> dict[str, str]:
        return await self.login(ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def app_database_url(request: pytest.FixtureRequest) -> str:
    from tests.conftest import clean_database

    url: str = request.getfixturevalue(f"{request.param}_url")
    await clean_database(url)
    return url


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
async def api(app_database_url: str, settings_overrides: dict[str, object]) -> AsyncIterator[Api]:
    app = create_app(make_settings(app_database_url, **settings_overrides))
    async with AsyncTestClient(app) as client:
        yield Api(client)
