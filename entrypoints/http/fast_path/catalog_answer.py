"""A catalog GET's answer as a bare ASGI app, headers prebuilt.

Measured (docs/performance.md, "Per-request framework work"): building, resolving and
converting a Litestar `Response` was ~5 % of a get-product request's CPU. Litestar's
public low-level `ASGIResponse` does not buy it back: answering with it cost ~15 µs more
per request than this class (in process, 50 000 answers each, same body and headers),
against ~110 µs for the whole request; it rebuilds and re-encodes its header mapping
on every answer.

What it relies on in Litestar (pinned in pyproject.toml, held by
tests/unit/test_library_internals.py): a handler whose return annotation is a class with
an async `__call__` has its returned object sent as an ASGI app, untouched (no headers
added, no body re-encoded). The routes document their 200 body with `responses=`
(`entrypoints.http.caching.conditional`), since the annotation no longer names it.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.types import Receive, Scope, Send

from application.ports import Unchanged, Versioned
from entrypoints.http.caching import CACHE_CONTROL, etag

_encoder = msgspec.json.Encoder()


class CatalogAnswer:
    """200 with the JSON and its validators, or 304 with the validators alone."""

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
