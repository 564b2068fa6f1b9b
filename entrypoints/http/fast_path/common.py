"""What the layers answering in front of the router share: which requests are plain, how a write
is served (`serve_write`: the caller, the body, the use case, in the route's order), how a body is
read and handed on to the router when it is not served, and how an error is answered (as
Litestar's exception middleware would)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dishka import AsyncContainer
from dishka import Scope as DIScope
from litestar import Request
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from domain.users import Actor

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


@dataclass(slots=True)
class ReadBody:
    """What a layer read of a request's body: `data`, whole when `complete` (every byte arrived,
    within the limit, the client still there), and the ASGI messages as they came."""

    data: bytes
    complete: bool
    messages: list[ReceiveMessage]


async def read_body(receive: Receive, limit: int) -> ReadBody:
    """The body, read until its last message, the client's disconnect or `limit` bytes passed
    (then incomplete: the router, given the messages, reads on and answers 413 as always)."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return ReadBody(b"", False, messages)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return ReadBody(b"", False, messages)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return ReadBody(b"".join(chunks), True, messages)


def replaying(read: ReadBody, receive: Receive) -> Receive:
    """`receive` as the router must see it: the messages already read, as they came, then the
    connection's own."""
    pending = deque(read.messages)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.popleft()
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


async def serve_write(
    router: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    container: AsyncContainer,
    exception_handlers: Mapping[type[Exception], Any],
    max_body: int,
    template: str,
    status: int,
    caller: Callable[[Actor], None] | None,
    decode: Callable[[bytes], Any],
    run: Callable[[AsyncContainer, Request[Any, Any, Any], Actor | None, Any], Awaitable[bytes]],
) -> None:
    """Serve one plain write as its route would, in the route's order.

    In a request scope of `container`: with `caller`, the `Actor` (the provider the route's guard
    asks for) is judged by `caller` (the guard's own check) before any byte of the body is read,
    as Litestar runs guards before reading a body; then the body, at most `max_body` bytes;
    `decode(body)` gives the use case's input, or None or an error for a body that is not plain;
    `run(scope, request, actor, data)` the JSON answered with `status`. A body that is not plain,
    not whole or over the limit goes to `router` with the messages read (the router answers it,
    its guard first, as always); an error of the caller's check or of the use case is answered by
    `exception_handlers`. `template` is the route's, for metrics and the access log.
    """
    scope["path_template"] = template
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    read: ReadBody | None = None
    answer = b""
    try:
        async with container({Request: request}, scope=DIScope.REQUEST) as requested:
            actor = None
            if caller is not None:
                actor = await requested.get(Actor)
                caller(actor)
            read = await read_body(receive, max_body)
            data = _plain_data(read, decode)
            if data is not None:
                answer = await run(requested, request, actor, data)
    except Exception as error:  # noqa: BLE001 - answered by the app's own exception handlers
        await answer_error(
            exception_handlers, scope, replaying(read, receive) if read else receive, send, error
        )
        return
    if data is None:
        await router(scope, replaying(read, receive), send)
        return
    await send_json(send, status, answer)


def _plain_data(read: ReadBody, decode: Callable[[bytes], Any]) -> Any:
    """`decode`'s input for the use case, or None when the router is to answer the body."""
    if not read.complete:
        return None
    try:
        return decode(read.data)
    except Exception:  # noqa: BLE001 - whatever is wrong with the body, the router answers it
        return None
