"""Calling the app's ASGI callable directly, as the tests of the layers in front of the router
(`entrypoints.http.fast_path`) do: the scope is read afterwards, since Litestar's router puts the
matched handler in `scope["route_handler"]` and those layers do not."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dishka import Provider
from litestar import Litestar

from entrypoints.http.app import create_app
from entrypoints.settings import Settings

ORIGIN = (b"origin", b"https://shop.example")
JSON = (b"content-type", b"application/json")


async def call(
    app: Litestar,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    query: bytes = b"",
    path: str,
    method: str = "POST",
    chunks: int = 1,
    length: bool = True,
    stated_length: int | None = None,
    leaves: bool = False,
    root_path: str = "",
    sent: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`body` sent in `chunks` ASGI messages, with its `Content-Length` (or `stated_length`, or
    none); with `leaves`, the client disconnects before the last piece. The answer: status,
    headers, body, whether the router handled it, the route label, the user the access log
    names, and how many of the body's messages were never read (`unread`). `sent` collects the
    messages the app sent, also when it raises."""
    stated = len(body) if stated_length is None else stated_length
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        "headers": [
            (b"host", b"test"),
            *headers,
            *([(b"content-length", b"%d" % stated)] if length else []),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    if leaves:
        messages[-1] = {"type": "http.disconnect"}
    out: list[dict[str, Any]] = [] if sent is None else sent

    async def receive() -> dict[str, Any]:
        if not messages:
            await asyncio.Event().wait()
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    unread = len(messages)
    if not out:  # nothing answered (a client that left)
        out.append({"status": None, "headers": [(b"x-request-id", b"")]})
    body_sent = b"".join(m.get("body", b"") for m in out[1:])
    headers_sent = dict(out[0]["headers"])
    assert headers_sent.pop(b"content-length", str(len(body_sent)).encode()) == str(len(body_sent)).encode()
    headers_sent.pop(b"x-request-id")
    return {
        "status": out[0]["status"],
        "headers": headers_sent,
        "body": body_sent,
        "routed": "route_handler" in scope,
        "route": scope.get("path_template"),
        "user": scope["state"].get("user_id"),
        "unread": unread,
    }


async def created_call(
    app: Litestar,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    blanked: tuple[str, ...],
    named: str,
    **options: Any,
) -> dict[str, Any]:
    """`call`, with the answer's JSON as `document`: a 201's `blanked` fields set to None (ids
    and times differ between two resources made alike), and `<named> <digits>` in a problem's
    detail read as `<named> N`."""
    answer = await call(app, body, headers, **options)
    try:
        document = json.loads(answer["body"])
    except ValueError:
        document = answer["body"]
    if isinstance(document, dict) and answer["status"] == 201:
        document.update({name: None for name in blanked if name in document})
    elif isinstance(document, dict) and isinstance(document.get("detail"), str):
        document["detail"] = re.sub(rf"{named} \d+", f"{named} N", document["detail"])
    answer["document"] = document
    return answer


@asynccontextmanager
async def running(settings: Settings, *overrides: Provider) -> AsyncIterator[Litestar]:
    """The app (with `overrides` of its providers) started in the caller's event loop (its pools
    belong to it), stopped afterwards."""
    app = create_app(settings, *overrides)
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(lifespan, inbox.get, outbox.put))  # type: ignore[arg-type]
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task


async def bearer_of(app: Litestar, email: str, password: str) -> list[tuple[bytes, bytes]]:
    """The `Authorization` header of a login to `app` (its own session store)."""
    login = json.dumps({"email": email, "password": password}).encode()
    answer = await call(app, login, [JSON], path="/api/v1/auth/login")
    assert answer["status"] == 200, answer["body"]
    return [(b"authorization", f"Bearer {json.loads(answer['body'])['access_token']}".encode())]
