"""A TCP relay in front of PostgreSQL that holds back the server's closing of a connection.

    with HeldCloseProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/{name}"
        ...  # the server ends a backend (pg_terminate_backend, a shutdown)
        proxy.server_closed(count)

Bytes go through both ways untouched (the real wire protocol). When the server ends a
connection it sends its FATAL ErrorResponse and closes; the client gets the ErrorResponse at
once, but the close only when it next sends something. That stretches, for as long as a test
needs, the window in which a real client has read the server's last words and not yet seen the
connection close: the window in which a pooled connection still looks open but is not.

The relay runs its own event loop on a thread of its own, since Litestar's test client runs the
app on another thread and blocks the test's loop while the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
_TERMINATE = b"X\x00\x00\x00\x04"  # the frontend's Terminate message


class HeldCloseProxy:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="held-close-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = threading.Condition()
        self._closed_by_server = 0
        self._upstream_ports: set[int] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def __enter__(self) -> HeldCloseProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._relay, "127.0.0.1", 0))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def upstream_ports(self) -> list[int]:
        """The local ports of the relay's open connections to the server (`client_port` there)."""
        with self._changed:
            return sorted(self._upstream_ports)

    def server_closed(self, count: int, timeout: float = 10.0) -> None:
        """Block until the server has closed `count` connections in all (their closes held)."""
        with self._changed:
            done = self._changed.wait_for(lambda: self._closed_by_server >= count, timeout)
        assert done, f"the server closed {self._closed_by_server} connections, not {count}"

    def _call(self, step: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(step, self._loop).result(30)

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _relay(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            server_in, server_out = await asyncio.open_connection(*self._target)
        except (OSError, asyncio.CancelledError):
            client_out.close()
            self._tasks.discard(task)
            return
        upstream_port = int(server_out.get_extra_info("sockname")[1])
        with self._changed:
            self._upstream_ports.add(upstream_port)
        server_gone = asyncio.Event()
        client_gone = False
        said_goodbye = False  # the client sent Terminate: the close that follows is its own

        async def upstream() -> None:
            nonlocal client_gone, said_goodbye
            # The client speaks again after the server left: only now does it see the close.
            while (data := await client_in.read(65536)) and not server_gone.is_set():
                said_goodbye = data.endswith(_TERMINATE)
                server_out.write(data)
                await server_out.drain()
            if not server_gone.is_set():  # the client left first: pass its close on
                client_gone = True
                server_out.close()

        async def downstream() -> None:
            while data := await server_in.read(65536):
                client_out.write(data)
                await client_out.drain()
            server_gone.set()
            if said_goodbye:
                client_out.close()  # ends `upstream` too
            elif not client_gone:
                with self._changed:
                    self._closed_by_server += 1
                    self._changed.notify_all()

        try:
            await asyncio.gather(upstream(), downstream())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            for writer in (client_out, server_out):
                writer.close()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await writer.wait_closed()
            with self._changed:
                self._upstream_ports.discard(upstream_port)
            self._tasks.discard(task)
