"""Swagger UI needs nothing from outside the app: its page links only the app's own assets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.http.docs import ASSETS_PATH, DOCS_PATH, swagger_ui_static_dir, swagger_ui_version
from tests.conftest import make_settings
from tests.e2e.test_errors_and_operations import assert_problem

_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
async def app(sqlite_url: str) -> Litestar:
    return create_app(make_settings(sqlite_url))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app) as client:
        yield client


def _links(html: str) -> list[str]:
    return _LINK.findall(html)


@pytest.mark.parametrize("path", [DOCS_PATH, f"{DOCS_PATH}/"])
async def test_the_docs_page_links_only_assets_of_the_app(client: AsyncTestClient, path: str) -> None:  # type: ignore[type-arg]
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 200
    links = _links(response.text)
    names = {urlsplit(link).path.rsplit("/", 1)[-1] for link in links}
    assert names == {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
        "favicon-32x32.png",
    }
    for link in links:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, link
        assert parts.path.startswith(f"{ASSETS_PATH}/"), link
        assert parts.query == f"v={swagger_ui_version()}", link
    assert "cdn" not in response.text.lower()


async def test_every_asset_the_page_links_is_served_with_caching(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    page = await client.get(DOCS_PATH)
    for link in _links(page.text):
        for url in (link, urlsplit(link).path, f"{urlsplit(link).path}/"):
            response = await client.get(url, follow_redirects=False)
            assert response.status_code == 200, url
            name = urlsplit(link).path.rsplit("/", 1)[-1]
            assert response.content == (swagger_ui_static_dir() / name).read_bytes(), url
            suffix = name[name.rindex(".") :]
            assert response.headers["content-type"].startswith(_CONTENT_TYPES[suffix]), url
            cache = {item.strip() for item in response.headers["cache-control"].split(",")}
            assert cache == {"public", "max-age=86400"}, url
            head = await client.head(url)
            assert head.status_code == 200 and head.headers["content-length"] == str(len(response.content))


@pytest.mark.parametrize(
    "path",
    [
        f"{DOCS_PATH}/nope",
        f"{DOCS_PATH}/nope/",
        f"{DOCS_PATH}/swagger",
        f"{DOCS_PATH}/openapi.yaml",
        f"{DOCS_PATH}/a/b",
        ASSETS_PATH,
        f"{ASSETS_PATH}/",
        f"{ASSETS_PATH}/nope.js",
        f"{ASSETS_PATH}/%2e%2e/core.py",
        f"{ASSETS_PATH}/..%2fcore.py",
        f"{ASSETS_PATH}/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ],
)
async def test_an_unknown_docs_page_or_asset_is_a_404_problem(client: AsyncTestClient, path: str) -> None:  # type: ignore[type-arg]
    body = assert_problem(await client.get(path, follow_redirects=False), 404)
    assert "/" + "site-packages" not in body["detail"]


async def test_every_docs_route_answers_get_and_refuses_a_post_with_a_problem(
    app: Litestar,
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    """Driven from the route table: every route under the docs path that is a page or an asset."""
    concrete = {
        route.path.replace("{file_path:path}", "swagger-ui.css").replace("{path:str}", "nope")
        for route in app.routes
        if route.path == DOCS_PATH or route.path.startswith(f"{DOCS_PATH}/")
    }
    assert f"{ASSETS_PATH}/swagger-ui.css" in concrete and f"{DOCS_PATH}/openapi.json" in concrete
    for path in sorted(concrete):
        expected = 404 if path.endswith("/nope") else 200
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == expected, path
        assert_problem(await client.post(path, content=b"{}"), 405)
