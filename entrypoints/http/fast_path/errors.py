"""What the layers answering in front of the router share: which `Host` headers they serve, and
how they answer an error (as Litestar's exception middleware would)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.types import Receive, Scope, Send

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
