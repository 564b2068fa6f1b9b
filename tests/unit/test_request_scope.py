"""dishka's request scope is entered only when a request-scoped dependency is asked for."""

from __future__ import annotations

from collections.abc import Iterator

from dishka import Provider, Scope, make_async_container, provide
from litestar import Request

from entrypoints.http.fast_path.request_scope import LazyRequestContainer


class Shared:
    """APP-scoped: one for the app's life."""


class PerRequest:
    def __init__(self, request: Request) -> None:  # type: ignore[type-arg]
        self.path = request.url.path


class Probe(Provider):
    def __init__(self) -> None:
        super().__init__()
        self.opened = 0
        self.closed = 0

    shared = provide(Shared, scope=Scope.APP)

    @provide(scope=Scope.REQUEST)
    def per_request(self, request: Request) -> Iterator[PerRequest]:  # type: ignore[type-arg]
        self.opened += 1
        yield PerRequest(request)
        self.closed += 1


def _scope(path: str) -> dict[str, object]:
    return {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [], "state": {}}


async def test_app_scoped_dependencies_need_no_request_scope_and_are_resolved_once() -> None:
    probe = Probe()
    container = make_async_container(probe, _request_context())
    known: dict[object, object] = {}
    first = LazyRequestContainer(container, known, _scope("/a"))  # type: ignore[arg-type]
    second = LazyRequestContainer(container, known, _scope("/b"))  # type: ignore[arg-type]

    assert await first.get(Shared) is await second.get(Shared) is await container.get(Shared)
    assert first._request_container is None and second._request_container is None  # never entered
    assert known == {(Shared, ""): await container.get(Shared)}  # asked of the app container once
    await first.close(None, None, None)
    await second.close(None, None, None)

    assert (probe.opened, probe.closed) == (0, 0)
    await container.close()


async def test_a_request_scoped_dependency_enters_the_scope_with_the_request_and_closes_it() -> None:
    probe = Probe()
    container = make_async_container(probe, _request_context())
    lazy = LazyRequestContainer(container, {}, _scope("/orders"))  # type: ignore[arg-type]

    found = await lazy.get(PerRequest)
    assert found.path == "/orders"
    assert await lazy.get(PerRequest) is found  # one scope per request
    assert (probe.opened, probe.closed) == (1, 0)
    await lazy.close(None, None, None)
    assert (probe.opened, probe.closed) == (1, 1)
    await container.close()


def _request_context() -> Provider:
    from dishka.integrations.litestar import LitestarProvider

    return LitestarProvider()
