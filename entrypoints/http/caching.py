"""HTTP caching of the catalog: ETags from the catalog version, `If-None-Match` → 304.

The ETag is the catalog version (plus the wire format's own version, so that a
deployment that changes the JSON also changes every tag). A conditional GET is
answered by the use case after a version check that reads no rows. The answer itself is
`entrypoints.http.fast_path.CatalogAnswer`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Scope

FORMAT_VERSION = "1"
_PREFIX = f"catalog-v{FORMAT_VERSION}-"
# Caches may keep catalog answers but must revalidate them each time (cheap: a 304).
CACHE_CONTROL = "public, no-cache"


def etag(version: str) -> str:
    return f'"{_PREFIX}{version}"'


def known_versions(request: Request[Any, Any, Any]) -> frozenset[str]:
    """The catalog versions named in `If-None-Match` (weak or strong; `*` and others ignored)."""
    return versions_in_scope(request.scope)


def versions_in_scope(scope: Scope) -> frozenset[str]:
    """`known_versions` from the ASGI scope itself (the fast path has no `Request`): cheaper than
    building the request's header mapping."""
    raw = next((value for name, value in scope["headers"] if name == b"if-none-match"), None)
    if not raw:
        return frozenset()
    versions = set()
    for entry in raw.decode("latin-1").split(","):
        tag = entry.strip().removeprefix("W/").strip('"')
        if tag.startswith(_PREFIX):
            versions.add(tag[len(_PREFIX) :])
    return frozenset(versions)


def conditional(body: Any) -> dict[int, ResponseSpec]:
    """The OpenAPI responses of a catalog GET whose 200 carries `body`."""
    return {
        200: ResponseSpec(body, generate_examples=False, description="Request fulfilled, document follows"),
        304: ResponseSpec(None, description="Not modified: the ETag in If-None-Match is current"),
    }
