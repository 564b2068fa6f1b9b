"""The order-expiry sweeper: a background task in every app instance.

Every `ORDER_EXPIRY_INTERVAL_SECONDS` it cancels the pending orders whose
payment time is up (each exactly once, whichever instance gets there first)
and forgets idempotency records past their retention. It stops cleanly on
shutdown: a sweep in progress finishes its current order's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from dishka import AsyncContainer

from application.orders.expire_orders import ExpireOrders
from application.ports import RETENTION, Clock, IdempotencyStore
from entrypoints.outage_log import OutageLog

log = logging.getLogger("storefront.orders")


async def sweep_once(container: AsyncContainer) -> int:
    """One sweep: expire overdue orders, purge old idempotency records. Returns orders expired."""
    async with container() as scope:
        expired = await (await scope.get(ExpireOrders))()
        store = await scope.get(IdempotencyStore)
        clock = await scope.get(Clock)
        await store.purge(clock.now() - RETENTION)
    if expired:
        log.info("expired %d unpaid orders", expired)
    return expired


class OrderExpirySweeper:
    """Sweeps until stopped. A failing sweep is retried next interval; while a dependency is
    down, one line per kind of failure per `OutageLog` interval says so (with how many were left
    out), and an error nobody recognised gets its traceback at that same rate."""

    def __init__(
        self,
        container: AsyncContainer,
        interval_seconds: float,
        classify: Callable[[BaseException], str | None] = lambda _: None,
    ) -> None:
        self._container = container
        self._interval = interval_seconds
        self._classify = classify
        self._outages = OutageLog(log)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="order-expiry")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            if self._stopping.is_set():
                return
            try:
                await sweep_once(self._container)
            except Exception as error:  # noqa: BLE001 - the sweeper outlives any one failure
                self._report(error)

    def _report(self, error: Exception) -> None:
        kind = self._classify(error)
        if kind is not None:
            message = f"order expiry sweep skipped: {kind} unavailable; retrying every {self._interval:g} s"
            self._outages.report(f"{kind}:{type(error).__name__}", message, error)
            return
        self._outages.report(
            f"error:{type(error).__name__}",
            "order expiry sweep failed; retrying next interval",
            error,
            traceback=True,
        )


# Deliberate twin of `jobs.job_worker_lifespan`: each background loop its own lifespan hook,
# started and stopped with the app.
def order_expiry_lifespan(
    container: AsyncContainer,
    interval_seconds: float,
    classify: Callable[[BaseException], str | None] = lambda _: None,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Litestar lifespan hook running the sweeper while the app serves."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        sweeper = OrderExpirySweeper(container, interval_seconds, classify)
        sweeper.start()
        try:
            yield
        finally:
            await sweeper.stop()

    return lifespan
