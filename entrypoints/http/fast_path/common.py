"""What the layers answering in front of the router share: which requests are plain, how a write
is served (`write_layer`: the caller, the body, the use case, in the route's order), how a body is
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
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from domain.errors import InvalidInput
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


@dataclass(frozen=True, slots=True)
class Call:
    """What a write's use case is given: the request scope of the container, the request, the
    caller (None for a route without one), the decoded body and the path's parameter."""

    requested: AsyncContainer
    request: Request[Any, Any, Any]
    actor: Actor | None
    data: Any
    parameter: Any


def signed_in(_: Actor) -> None:
    """The `signed_in` guard's own check (`guards.USER`): any active user with a live session,
    which the `Actor` provider has already checked; for `Write.caller`."""


@dataclass(frozen=True, slots=True)
class Write:
    """One write route served in front of the router (`write_layer`).

    `match(path)` is the path's parameter, or None for a path that is not this route's (True for
    a route without one); `caller`, the guard's own check of the `Actor` (None: a route nobody
    signs in to); `decode(body)` the use case's input from a non-empty body, raising the
    `InvalidInput` the route's body gate raises for the same bytes (it is answered as the route
    answers it; the decoders are built from the gate's own functions, `bodies.parse_json` and
    `bodies.decode_value`); `run(call)` the JSON answered with `status`; `template` the route's,
    for metrics and the access log.
    """

    template: str
    status: int
    match: Callable[[str], Any]
    caller: Callable[[Actor], None] | None
    decode: Callable[[bytes], Any]
    run: Callable[[Call], Awaitable[bytes]]


def write_layer(
    container: AsyncContainer, exception_handlers: Mapping[type[Exception], Any], max_body: int, write: Write
) -> Callable[[ASGIApp], ASGIApp]:
    """The layer for `wrap_router` serving `write`'s plain POSTs; anything else goes to the router.

    Plain: no query string, no root path, headers `plain_json_post` accepts (a bearer token when
    the route has a caller), then a body `write.decode` takes. Served in the route's order: in a
    request scope of `container`, the `Actor` (the provider the route's guard asks for) judged by
    `write.caller` before any byte of the body is read, as Litestar runs guards before reading a
    body; then the body, at most `max_body` bytes; then `write.run`. A body the route's gate refuses
    is answered with the gate's error, as the route answers it; a body that is not whole or over
    the limit goes to the router with the messages read (the router answers it, its guard first,
    as always); an error of the caller's check or of the use case is answered by
    `exception_handlers`.
    """
    bearer = write.caller is not None

    def layer(router: ASGIApp) -> ASGIApp:
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await router(scope, receive, send)
                return
            parameter = write.match(scope["path"])
            if (
                parameter is None
                or scope["method"] != "POST"
                or scope["query_string"]
                or scope.get("root_path")
                or not plain_json_post(scope["headers"], max_body, bearer=bearer)
            ):
                await router(scope, receive, send)
                return
            scope["path_template"] = write.template
            request: Request[Any, Any, Any] = Request(scope, receive, send)
            read: ReadBody | None = None
            answered = False
            try:
                async with container({Request: request}, scope=DIScope.REQUEST) as requested:
                    actor = None
                    if write.caller is not None:
                        actor = await requested.get(Actor)
                        write.caller(actor)
                    read = await read_body(receive, max_body)
                    data = _plain_data(read, write.decode)
                    if data is not None:
                        body = await write.run(Call(requested, request, actor, data, parameter))
                        # Answered before the request scope closes, as Litestar answers before
                        # its own request scope ends.
                        await send_json(send, write.status, body)
                        answered = True
            except Exception as error:
                if answered:
                    raise  # after the answer started, as Litestar re-raises it
                replay = replaying(read, receive) if read else receive
                await answer_error(exception_handlers, scope, replay, send, error)
                return
            if data is None:
                await router(scope, replaying(read, receive), send)

        return answer

    return layer


def _plain_data(read: ReadBody, decode: Callable[[bytes], Any]) -> Any:
    """`decode`'s input for the use case, or None when the router is to answer the request: a body
    that is not whole, an empty one (the router's own 400), or one `decode` fails on in a way the
    body gate does not name. The gate's `InvalidInput` is raised, to be answered as the route
    answers it without reading the body a second time."""
    if not read.complete or not read.data:
        return None
    try:
        return decode(read.data)
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001 - whatever else is wrong with the body, the router answers it
        return None
