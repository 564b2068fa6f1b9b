"""What the layers answering in front of the router share: which `Host` headers they serve, how
they read a body and hand it on to the router when they do not serve it, and how they answer an
error (as Litestar's exception middleware would)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.types import (
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

_PLAIN_HOST = re.compile(rb"[0-9A-Za-z.\-:\[\]]*")


def plain_host(host: bytes) -> bool:
    """A `Host` of letters, digits, `.`, `-`, `:` and brackets only: one Litestar accepts (it
    answers 400 to a host it finds invalid, so any other goes to the router)."""
    return _PLAIN_HOST.fullmatch(host) is not None


async def answer_error(
    exception_handlers: Mapping[type[Exception], Any],
    scope: Scope,
    receive: Receive,
    send: Send,
    error: Exception,
) -> None:
    """Answer `error` with the handler of the nearest class in its MRO, as Litestar's exception
    middleware does; an error no handler takes is raised again."""
    handler = next(
        (exception_handlers[kind] for kind in type(error).__mro__ if kind in exception_handlers), None
    )
    if handler is None:
        raise error
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    await handler(request, error).to_asgi_response(app=None, request=request)(scope, receive, send)


async def read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and whether the client is still there to answer."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` as the router must see it: the body already read, then the connection's own."""
    pending = True

    async def replay() -> ReceiveMessage:
        nonlocal pending
        if pending:
            pending = False
            whole: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return whole
        return await receive()

    return replay


async def send_json(send: Send, status: int, body: bytes) -> None:
    """A JSON answer with the headers Litestar gives one (its type and length; the edge adds the
    rest)."""
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    whole: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(whole)
