"""dishka's request scope for Litestar, entered only by requests that need it.

Measured (docs/performance.md, "Per-request framework work"): entering and closing
dishka's request scope on every request, with the `Request` built for its context, was
~7 % of a get-product request's CPU, and the catalog reads need nothing from that scope
(their use cases are APP-scoped). dishka's own `setup_dishka` has no option to enter the
scope lazily, so this replaces it.

Each HTTP request gets a `LazyRequestContainer` where dishka's `FromDishka` injection
looks for its container (`request.state.dishka_container`): it answers APP-scoped
dependencies from the app container and enters the request scope on the first
dependency that lives there (the current `Actor`, a unit of work…), closing it when the
request ends, exactly as dishka's middleware would.

It is installed as ordinary Litestar route middleware (`middleware=[lazy_request_scope(…)]`):
only handlers and their guards ask for dependencies, and both run inside it.

What it relies on in dishka (pinned in pyproject.toml, held by
tests/unit/test_library_internals.py): the Litestar integration's injected handlers read
`request.state.dishka_container` and call only `await container.get(type, component)`
on it; the app container raises `NoFactoryError` for a dependency of a narrower scope.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from dishka import DEFAULT_COMPONENT, AsyncContainer, Component
from dishka import Scope as DIScope
from dishka.exceptions import NoFactoryError
from litestar import Litestar, Request
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

_UNSEEN = object()
_NARROWER = object()  # a dependency that lives in the request scope (or narrower)


class LazyRequestContainer:
    """The part of `AsyncContainer` that dishka's injected handlers use: `get`.

    `app_scoped` is shared by every request of one app: an APP-scoped dependency is one
    object for the app's life, so it is kept there once resolved, and a narrower one is
    noted so that the app container is asked about it once per process.
    """

    __slots__ = ("_app_container", "_app_scoped", "_asgi_scope", "_request_container", "_scope_manager")

    def __init__(self, app_container: AsyncContainer, app_scoped: dict[Any, Any], asgi_scope: Scope) -> None:
        self._app_container = app_container
        self._app_scoped = app_scoped
        self._asgi_scope = asgi_scope
        self._request_container: AsyncContainer | None = None
        self._scope_manager: Any = None

    async def get(self, dependency_type: Any, component: Component | None = DEFAULT_COMPONENT) -> Any:
        if self._request_container is not None:
            return await self._request_container.get(dependency_type, component)
        key = (dependency_type, component)
        known = self._app_scoped.get(key, _UNSEEN)
        if known is _UNSEEN:
            try:
                known = await self._app_container.get(dependency_type, component)
            except NoFactoryError:
                known = _NARROWER
            self._app_scoped[key] = known
        if known is not _NARROWER:
            return known
        return await (await self._enter()).get(dependency_type, component)

    async def _enter(self) -> AsyncContainer:
        request: Request[Any, Any, Any] = Request(self._asgi_scope)
        self._scope_manager = self._app_container({Request: request}, scope=DIScope.REQUEST)
        self._request_container = await self._scope_manager.__aenter__()
        return self._request_container

    async def close(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._scope_manager is not None:
            manager, self._scope_manager, self._request_container = self._scope_manager, None, None
            await manager.__aexit__(exc_type, exc, tb)


def lazy_request_scope(container: AsyncContainer) -> DefineMiddleware:
    """The route middleware for `Litestar(middleware=[...])`: a lazy request scope per HTTP request.

    Litestar builds route middleware once per route; every route shares one memo of the
    APP-scoped dependencies.
    """
    return DefineMiddleware(_request_scope_middleware, container=container, app_scoped={})


def share_container(container: AsyncContainer, app: Litestar) -> None:
    """What `setup_dishka` does besides its middleware: the app container on `app.state`."""
    app.state.dishka_container = container


def _request_scope_middleware(app: ASGIApp, container: AsyncContainer, app_scoped: dict[Any, Any]) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        lazy = LazyRequestContainer(container, app_scoped, scope)
        scope.setdefault("state", {})["dishka_container"] = lazy
        try:
            await app(scope, receive, send)
        except BaseException as error:
            await lazy.close(type(error), error, error.__traceback__)
            raise
        await lazy.close(None, None, None)

    return middleware
