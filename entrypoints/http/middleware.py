"""ASGI middleware that every response passes through."""

from __future__ import annotations

import re

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.fast_path import new_request_id
from entrypoints.ioc.security import request_arrived

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# On every response: browsers must take the declared content type at its word.
NOSNIFF = (b"x-content-type-options", b"nosniff")
# On every HTML page: never shown inside another site's frame (clickjacking). A page that
# sets either header itself keeps its own (its policy must say `frame-ancestors 'none'` too).
_FRAMING = ((b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'"))


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Echo the caller's `X-Request-ID` (or a new one) on every response, errors included,
    with the security headers every response carries (`NOSNIFF`, and on HTML the framing ban)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"),
            None,
        )
        request_id = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER.encode(), request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), header, NOSNIFF]
                if _is_html(headers):
                    present = {name.lower() for name, _ in headers}
                    headers += [pair for pair in _FRAMING if pair[0] not in present]
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers)


def arrival_clock_middleware(app: ASGIApp) -> ASGIApp:
    """Start each request's hashing-admission second as it arrives (`request_arrived`), so
    that a login or registration that cannot start hashing within it gets 503 at once."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with request_arrived():
            await app(scope, receive, send)

    return middleware
