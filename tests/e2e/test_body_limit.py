"""Request bodies over 1 MiB are refused before they are parsed."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api

MIB = 1024 * 1024


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh"])
async def test_a_body_over_one_mebibyte_is_413(api: Api, path: str) -> None:
    body = b'{"email": "' + b"a" * MIB + b'"}'
    response = await api.client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 413


async def test_a_body_of_exactly_one_mebibyte_is_read(api: Api) -> None:
    padding = MIB - len(b'{"email": "", "password": "x"}')
    body = b'{"email": "' + b"a" * padding + b'", "password": "x"}'
    assert len(body) == MIB
    response = await api.client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
