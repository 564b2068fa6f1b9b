"""HTTP caching of the catalog: ETags from the catalog version, `If-None-Match` → 304.

The ETag is the catalog version (plus the wire format's own version, so that a
deployment that changes the JSON also changes every tag). A conditional GET is
answered by the use case after a version check that reads no rows.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Receive, Scope, Send

from application.ports import Unchanged, Versioned

FORMAT_VERSION = "1"
_PREFIX = f"catalog-v{FORMAT_VERSION}-"
# Caches may keep catalog answers but must revalidate them each time (cheap: a 304).
CACHE_CONTROL = "public, no-cache"

_encoder = msgspec.json.Encoder()


def etag(version: str) -> str:
    return f'"{_PREFIX}{version}"'


def known_versions(request: Request[Any, Any, Any]) -> frozenset[str]:
    """The catalog versions named in `If-None-Match` (weak or strong; `*` and others ignored)."""
    # Straight from the ASGI scope: cheaper than building the request's header mapping.
    raw = next((value for name, value in request.scope["headers"] if name == b"if-none-match"), None)
    if not raw:
        return frozenset()
    header = raw.decode("latin-1")
    versions = set()
    for entry in header.split(","):
        tag = entry.strip().removeprefix("W/").strip('"')
        if tag.startswith(_PREFIX):
            versions.add(tag[len(_PREFIX) :])
    return frozenset(versions)


class CatalogAnswer:
    """A catalog GET's answer as a bare ASGI app: 200 with the JSON and its ETag, or 304.

    Litestar sends a returned ASGI app as it is, where a `Response` would be built,
    resolved and converted first — a tenth of a catalog read's CPU, for headers this
    class knows in advance. The routes document their 200 body with `responses=`
    (`conditional`), since the return annotation no longer names it.
    """

    __slots__ = ("_body", "_headers", "_status")

    def __init__(self, answer: Versioned[Any] | Unchanged) -> None:
        validators = [(b"etag", etag(answer.version).encode()), (b"cache-control", _CACHE_CONTROL)]
        if isinstance(answer, Unchanged):
            self._status, self._body, self._headers = 304, b"", validators
            return
        self._status, self._body = 200, _encoder.encode(answer.value)
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._body)).encode()),
            *validators,
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self._status, "headers": self._headers})
        await send({"type": "http.response.body", "body": self._body, "more_body": False})


_CACHE_CONTROL = CACHE_CONTROL.encode()


def conditional(body: Any) -> dict[int, ResponseSpec]:
    """The OpenAPI responses of a catalog GET whose 200 carries `body`."""
    return {
        200: ResponseSpec(body, generate_examples=False, description="Request fulfilled, document follows"),
        304: ResponseSpec(None, description="Not modified: the ETag in If-None-Match is current"),
    }
