"""Swagger UI served entirely by the app: no CDN, so `/docs` works offline.

The JavaScript, CSS and favicon are the swagger-ui-dist files that the pinned
`swagger-ui-py` package ships inside its wheel (`swagger_ui/static/`): they are
installed with the project, never fetched at run time. They are served under
`/docs/assets/` with a day of public caching; the page links them with the
package's version in the query string, so an upgrade is not hidden by a cache.

Litestar answers an unknown page under the docs path with an HTML 404 of its own;
`docs_router` turns that into the app's usual 404 problem.
"""

from __future__ import annotations

from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

from litestar import Response, Router
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
ASSETS_MAX_AGE_SECONDS = 24 * 60 * 60
_PACKAGE = "swagger-ui-py"


def swagger_ui_static_dir() -> Path:
    """The folder of swagger-ui-dist files inside the installed package (found without importing it)."""
    spec = find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the {_PACKAGE} package is not installed: Swagger UI has no assets to serve")
    static = Path(spec.origin).parent / "static"
    if not (static / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"{static} has no swagger-ui-bundle.js: the {_PACKAGE} package is incomplete")
    return static


def swagger_ui_version() -> str:
    """The version of the package the assets come from (it follows swagger-ui-dist's releases)."""
    return version(_PACKAGE)


def swagger_plugin() -> SwaggerRenderPlugin:
    """Litestar's Swagger UI page, pointed at this app's own copies of its assets."""
    release = swagger_ui_version()

    def asset(name: str) -> str:
        return f"{ASSETS_PATH}/{name}?v={release}"

    return SwaggerRenderPlugin(
        path="/",
        js_url=asset("swagger-ui-bundle.js"),
        css_url=asset("swagger-ui.css"),
        standalone_preset_js_url=asset("swagger-ui-standalone-preset.js"),
        favicon=f'<link rel="icon" type="image/png" href="{asset("favicon-32x32.png")}">',
    )


def docs_router() -> Router:
    """The router Litestar fills with the docs pages and `openapi.json`, holding the assets too."""
    return Router(
        DOCS_PATH,
        route_handlers=[swagger_assets_router()],
        include_in_schema=False,
        after_request=_unknown_page_is_a_problem,
    )


async def _unknown_page_is_a_problem(response: Response) -> Response:  # type: ignore[type-arg]
    if response.status_code == 404:
        raise NotFoundException("no such documentation page")
    return response


def swagger_assets_router() -> Router:
    """GET and HEAD `/docs/assets/{file}`, inside `docs_router`; an unknown file is a 404 problem."""
    return create_static_files_router(
        path=ASSETS_PATH.removeprefix(DOCS_PATH),
        directories=[swagger_ui_static_dir()],
        name="swagger-ui-assets",
        cache_control=CacheControlHeader(public=True, max_age=ASSETS_MAX_AGE_SECONDS),
        include_in_schema=False,
    )
