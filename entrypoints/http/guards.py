"""Who may call a route, judged before anything reads its body.

Litestar runs a route's guards before it parses the request (body, query, path), so a
route that needs a user declares one of these next to its `security=BEARER`: without
a valid token the answer is 401, with the wrong role 403, whatever the body holds.

A guard asks the request's container for the `Actor`; it lives in dishka's request
scope, so the handler's own `FromDishka[Actor]` receives that same object: the token,
the account and the session are checked once per request. The use cases still check
the role themselves (defence in depth).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from domain.users import Actor

Connection = ASGIConnection[Any, Any, Any, Any]


async def current_actor(connection: Connection) -> Actor:
    """The caller, authenticated once per request (401/403 problems otherwise)."""
    actor: Actor = await connection.scope["state"]["dishka_container"].get(Actor)
    return actor


async def signed_in(connection: Connection, _: BaseRouteHandler) -> None:
    """Any active user with a live session."""
    await current_actor(connection)


async def admin_only(connection: Connection, _: BaseRouteHandler) -> None:
    """An administrator."""
    (await current_actor(connection)).ensure_admin()


USER: list[Guard] = [signed_in]
ADMIN: list[Guard] = [admin_only]
