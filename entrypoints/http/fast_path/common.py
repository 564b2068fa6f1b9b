"""What the layers answering in front of the router share: which `Host` headers they serve, how
they read a body and hand it on to the router when they do not serve it, and how they answer an
error (as Litestar's exception middleware would)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


_JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8"})


def plain_host(host: bytes) -> bool:
    """A `Host` of letters, digits, `.`, `-`, `:` and brackets only: one Litestar accepts (it
    answers 400 to a host it finds invalid, so any other goes to the router)."""
    return _PLAIN_HOST.fullmatch(host) is not None


def plain_json_post(headers: Iterable[tuple[bytes, bytes]], max_body: int, *, bearer: bool) -> bool:
    """Whether a POST's headers are ones a layer in front of the router may serve: one
    `Content-Type` of JSON (`application/json`, with or without `; charset=utf-8`), one
    `Content-Length` of at most `max_body` bytes and no `Transfer-Encoding`, no `Origin` (an
    answer CORS would decorate), no `Idempotency-Key` (a keyed request is recorded on its key
    by the route), a plain `Host` or none, and, with `bearer`, one `Authorization: Bearer …`."""
    host = content_type = length = authorization = None
    for name, value in headers:
        if name == b"origin" or name == b"idempotency-key" or name == b"transfer-encoding":
            return False
        if name == b"host":
            if host is None:
                host = value
        elif name == b"content-type":
            if content_type is not None:
                return False
            content_type = value
        elif name == b"content-length":
            if length is not None:
                return False
            length = value
        elif name == b"authorization":
            if authorization is not None:
                return False
            authorization = value
    return (
        content_type is not None
        and content_type.lower() in _JSON_TYPES
        and length is not None
        and length.isdigit()
        and len(length) <= 8
        and int(length) <= max_body
        and (host is None or plain_host(host))
        and (not bearer or (authorization is not None and authorization[:7].lower() == b"bearer "))
    )


def plain_number(text: bytes, low: int, high: int) -> int | None:
    """`text` as an int when written plainly (ASCII digits, no leading zero) within [low, high]."""
    if not text.isdigit() or len(text) > len(str(high)) or (text[:1] == b"0" and len(text) > 1):
        return None  # bytes.isdigit() is ASCII-only
    value = int(text)
    return value if low <= value <= high else None


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
