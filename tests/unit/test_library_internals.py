"""The library internals that `entrypoints.http.fast_path` leans on, held to what it assumes.

Each test names the behaviour relied on; one failing after an upgrade means the pin in
pyproject.toml was moved past a version whose internals changed: adapt the fast path
(or drop it) before moving the pin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
from dishka import Provider, Scope, make_async_container, provide
from dishka.exceptions import NoFactoryError
from dishka.integrations.litestar import DishkaRouter, FromDishka, LitestarProvider
from litestar import Litestar, Request, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Message, Receive, Send
from litestar.types import Scope as AsgiScope
from prometheus_client import CollectorRegistry, Histogram

from application.ports import Unchanged, Versioned
from entrypoints.http.fast_path import CatalogAnswer, lazy_request_scope, share_container, wrap_router
from entrypoints.http.fast_path.request_scope import LazyRequestContainer


def test_the_versions_installed_are_the_ones_pinned() -> None:
    """The pins in pyproject.toml are what these tests ran against."""
    assert version("litestar").startswith("2.25.")
    assert version("dishka") == "1.10.1"
    assert version("prometheus-client") == "0.26.0"


# ---- prometheus_client: a histogram's `_sum` and `_buckets` ---------------------------


def test_a_labelled_histogram_keeps_its_sum_and_non_cumulative_buckets_in_private_values() -> None:
    histogram = Histogram("internals", "i", ["route"], buckets=(0.1, 1.0), registry=CollectorRegistry())
    child = histogram.labels("/x")
    child.observe(0.05)
    child.observe(0.5)
    child.observe(0.5)
    child.observe(7.0)

    assert child._sum.get() == pytest.approx(8.05)
    assert [bucket.get() for bucket in child._buckets] == [1, 2, 1]  # per bucket, +Inf last
    child._sum.inc(1.0)
    child._buckets[0].inc(3)
    assert child._sum.get() == pytest.approx(9.05)
    assert child._buckets[0].get() == 4


def test_the_bulk_update_writes_what_observe_writes_in_multi_process_files(tmp_path: Any) -> None:
    """In multi-process mode (`serve` with WORKERS > 1) `_sum` and `_buckets` are the
    memory-mapped values every worker's scrape aggregates."""
    script = textwrap.dedent(
        """
        import json
        from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
        from entrypoints.http.fast_path.http_metrics import observe_many

        buckets = (0.1, 1.0)
        one = Histogram("one_by_one", "o", ["route"], buckets=buckets)
        bulk = Histogram("in_bulk", "b", ["route"], buckets=buckets)
        for value in (0.05, 0.5, 0.5, 7.0):
            one.labels("/x").observe(value)
        observe_many(bulk.labels("/x"), 8.05, [1, 2, 1])
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        samples = {}
        for line in generate_latest(registry).decode().splitlines():
            if not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        print(json.dumps(samples))
        """
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    samples: dict[str, float] = json.loads(done.stdout)
    one_by_one = {k.removeprefix("one_by_one"): v for k, v in samples.items() if k.startswith("one_by_one")}
    in_bulk = {k.removeprefix("in_bulk"): v for k, v in samples.items() if k.startswith("in_bulk")}
    assert one_by_one == pytest.approx(in_bulk)
    assert one_by_one['_count{route="/x"}'] == 4


# ---- dishka: what its Litestar injection asks of `request.state.dishka_container` -------


class Shared:
    pass


class PerRequest:
    def __init__(self, request: Request) -> None:  # type: ignore[type-arg]
        self.path = request.url.path


class Wiring(Provider):
    shared = provide(Shared, scope=Scope.APP)

    @provide(scope=Scope.REQUEST)
    def per_request(self, request: Request) -> Iterator[PerRequest]:  # type: ignore[type-arg]
        yield PerRequest(request)


class Recording:
    """Stands in for the container: fails on anything but `get(type, component)`."""

    def __init__(self, inner: LazyRequestContainer) -> None:
        self.inner = inner
        self.asked: list[tuple[Any, Any]] = []

    async def get(self, dependency_type: Any, component: Any) -> Any:
        self.asked.append((dependency_type, component))
        return await self.inner.get(dependency_type, component)


async def test_dishka_injection_calls_only_get_on_the_container_in_request_state() -> None:
    container = make_async_container(Wiring(), LitestarProvider())
    recordings: list[Recording] = []

    def recording_scope(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: AsgiScope, receive: Receive, send: Send) -> None:
            recording = Recording(LazyRequestContainer(container, {}, scope))
            recordings.append(recording)
            scope.setdefault("state", {})["dishka_container"] = recording
            await app(scope, receive, send)
            await recording.inner.close(None, None, None)

        return middleware

    @get("/probe")
    async def probe(shared: FromDishka[Shared], mine: FromDishka[PerRequest]) -> dict[str, str]:
        return {"shared": type(shared).__name__, "path": mine.path}

    app = Litestar([DishkaRouter("/", route_handlers=[probe])], middleware=[recording_scope])
    async with AsyncTestClient(app) as client:
        response = await client.get("/probe")

    assert response.json() == {"shared": "Shared", "path": "/probe"}
    assert {dependency for dependency, _ in recordings[0].asked} == {Shared, PerRequest}
    await container.close()


async def test_the_app_container_refuses_a_request_scoped_dependency_with_no_factory_error() -> None:
    container = make_async_container(Wiring(), LitestarProvider())
    with pytest.raises(NoFactoryError):
        await container.get(PerRequest)
    await container.close()


async def test_route_middleware_runs_before_guards_so_they_find_the_lazy_container() -> None:
    container = make_async_container(Wiring(), LitestarProvider())
    found: list[Any] = []

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        found.append(await connection.scope["state"]["dishka_container"].get(PerRequest))

    @get("/guarded", guards=[guard])
    async def guarded() -> None:
        return None

    app = Litestar([guarded], middleware=[lazy_request_scope(container)])
    share_container(container, app)
    async with AsyncTestClient(app) as client:
        assert (await client.get("/guarded")).status_code == 200
    assert found[0].path == "/guarded"
    await container.close()


# ---- Litestar: the router inside `asgi_handler`, `path_template`, returned ASGI apps ----


async def test_a_wrapper_of_the_router_sees_routing_errors_and_the_route_template() -> None:
    seen: list[tuple[str, int, str | None]] = []

    def noting(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: AsgiScope, receive: Receive, send: Send) -> None:
            status = 0

            async def noting_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await app(scope, receive, noting_send)
            seen.append((scope["path"], status, scope.get("path_template")))

        return middleware

    @get("/items/{item_id:int}")
    async def item(item_id: int) -> int:
        return item_id

    app = Litestar([item])
    wrap_router(app, [noting])
    async with AsyncTestClient(app) as client:
        await client.get("/items/7")
        await client.get("/nowhere")
        await client.delete("/items/7")
        await client.get("/items/7", headers={"Host": "bad host"})

    assert seen == [
        ("/items/7", 200, "/items/{item_id}"),
        ("/nowhere", 404, None),
        ("/items/7", 405, None),
        ("/items/7", 400, None),
    ]


@pytest.mark.parametrize(
    ("answer", "status"),
    [(Versioned(value=[{"id": 1}], version="9"), 200), (Unchanged(version="9"), 304)],
)
async def test_a_returned_asgi_app_is_sent_untouched(answer: Versioned[Any] | Unchanged, status: int) -> None:
    @get("/answer")
    async def handler() -> CatalogAnswer:
        return CatalogAnswer(answer)

    async with AsyncTestClient(Litestar([handler])) as client:
        response = await client.get("/answer")

    assert response.status_code == status
    expected = {"etag": '"catalog-v1-9"', "cache-control": "public, no-cache"}
    if status == 200:
        expected |= {"content-type": "application/json", "content-length": "10"}
        assert response.json() == [{"id": 1}]
    assert dict(response.headers) == expected


# ---- uvicorn: the supervisor of several workers (entrypoints/supervisor.py) ---------------


def test_uvicorns_supervisor_stops_through_the_methods_our_supervisor_overrides() -> None:
    """`Multiprocess` keeps the listening sockets in `sockets`, turns SIGTERM and SIGINT into
    `handle_term` and `handle_int`, and stops its workers through `terminate_all` once told to
    exit, from `run` (where `Supervisor` closes its copy of the sockets first)."""
    import inspect

    from uvicorn.supervisors import Multiprocess

    assert version("uvicorn") == "0.54.0"
    assert "self.sockets = sockets" in inspect.getsource(Multiprocess.__init__)
    run = inspect.getsource(Multiprocess.run)
    assert run.index("while not self.should_exit.wait") < run.index("self.terminate_all()")
    for handler in ("handle_term", "handle_int"):
        assert "self.should_exit.set()" in inspect.getsource(getattr(Multiprocess, handler))
