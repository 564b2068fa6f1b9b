"""The middleware that must run around Litestar's router, installed in one place.

Litestar's own middleware (`Litestar(middleware=[...])`) is built into each route: a
request that matches no route (404), a method a route lacks (405) or a bad `Host` header
never reaches it, since the router raises those before any route's stack runs. The
request id and security headers, the access log, the HTTP metrics and the per-IP limit
must see those requests too (a scan of unknown paths is logged, counted and limited like
any other). Litestar has no public hook around its router; `Litestar.asgi_handler` is the
callable its `__call__` hands every HTTP request to, with routing and the app's
exception handlers inside it, and it is where Litestar installs its own CORS middleware
and where dishka's `setup_dishka` installs its own. So `wrap_router` wraps that one
attribute, and nothing else in the app touches it.

Every other middleware goes through `Litestar(middleware=[...])`.

What it relies on in Litestar (pinned in pyproject.toml, held by
tests/unit/test_library_internals.py): `Litestar.__call__` passes HTTP requests to
`app.asgi_handler`, inside which routing errors become responses; `scope["path_template"]`
is set on a matched request before its handler runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from litestar import Litestar
from litestar.types import ASGIApp

Layer = Callable[[ASGIApp], ASGIApp]


def wrap_router(app: Litestar, layers: Sequence[Layer]) -> None:
    """Wrap Litestar's router in `layers`, the first outermost."""
    handler = app.asgi_handler
    for layer in reversed(layers):
        handler = layer(handler)
    app.asgi_handler = handler
