"""Lookups by key made in the same turn of the event loop, sent as one round trip.

Every authenticated request reads two things before anything else: its caller's row
(PostgreSQL) and its session (Redis). Each read alone is one round trip, and on a loaded
machine a round trip's cost is mostly the kernel's (the `write` that sends it runs the
receiving side's network stack and wakes its process): a sampling profile of an API worker
under the place-order benchmark put 30 % of its CPU in `write` (docs/performance.md, "Lookups
batched per turn of the event loop"). A `BatchedLookup` lets the requests that ask in the same
turn share one round trip: the first `get` of a turn schedules the batch with `call_soon`, the
`get`s that come before it runs join it, and one call (`WHERE id = ANY($1)`, one pipeline)
answers them all. The batch is sent after each of them asked, so every answer is as fresh as
one read of its own would have been. The price is a short wait: the batch goes out from a
task started by that callback, two turns of the loop after the first `get` (on a saturated
worker, turns are long: docs/performance.md notes the tail latency).

This is the project's own code on purpose (its concurrency and its speed); the pattern is
Facebook's DataLoader.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class KeyFailed:
    """What a fetch answers for one key whose value it could not read or convert: that key's
    callers alone raise `error`; the rest of the batch gets its answers."""

    error: Exception


Fetch = Callable[[Sequence[K]], Awaitable[Mapping[K, "V | KeyFailed"]]]


class BatchedLookup(Generic[K, V]):
    """`get(key)` → `fetch([keys…])[key]`, or None for a key the mapping leaves out.

    - `fetch` gets each distinct key of a batch once, in the order first asked, and at most
      `max_batch` of them (a longer turn is split into several calls, sent at once);
    - what `fetch` raises is raised to every `get` of its batch (the same exception object: a
      failure of the whole round trip, such as a lost connection); a `KeyFailed` it answers for
      one key is raised to that key's `get`s alone;
    - a `get` whose task is cancelled leaves the others' batch alone;
    - one instance serves one event loop at a time (an app's worker); instances are cheap.
    """

    def __init__(self, fetch: Fetch[K, V], max_batch: int = 100) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._fetch = fetch
        self._max_batch = max_batch
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        if self._waiting and self._loop is not loop:
            # A batch left on a loop that stopped before its turn ended (never in a server; in
            # tests, a loop closed under a request): cancelled, should that loop ever run again.
            stale, self._waiting = self._waiting, {}
            if self._loop is not None and not self._loop.is_closed():
                for left in stale.values():
                    for orphan in left:
                        orphan.cancel()
        if not self._waiting:
            self._loop = loop
            # A context of its own: the batch belongs to no one request (its logs, its ids).
            loop.call_soon(self._dispatch, loop, context=contextvars.Context())
        future: asyncio.Future[V | None] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        return await future

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop or not self._waiting:
            return  # that batch was dropped (see `get`)
        waiting, self._waiting = self._waiting, {}
        keys = list(waiting)
        for start in range(0, len(keys), self._max_batch):
            part = {key: waiting[key] for key in keys[start : start + self._max_batch]}
            task = loop.create_task(self._answer(part))
            self._running.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._running.discard)

    async def _answer(self, waiting: dict[K, list[asyncio.Future[V | None]]]) -> None:
        try:
            found = await self._fetch(list(waiting))
        except Exception as error:  # noqa: BLE001 - whatever it is, it is each caller's to raise
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        except BaseException:  # cancelled (the loop shuts down), or the process is leaving
            for futures in waiting.values():
                for future in futures:
                    future.cancel()
            raise
        for key, futures in waiting.items():
            value = found.get(key)
            for future in futures:
                if future.done():
                    continue
                if isinstance(value, KeyFailed):
                    future.set_exception(value.error)
                else:
                    future.set_result(value)
