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

from application.idempotency import RETENTION, IdempotencyStore
from application.orders.expire_orders import ExpireOrders
from application.ports import Clock

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
    def __init__(self, container: AsyncContainer, interval_seconds: float) -> None:
        self._container = container
        self._interval = interval_seconds
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
            except Exception:
                log.warning("order expiry sweep failed; retrying next interval", exc_info=True)


def order_expiry_lifespan(
    container: AsyncContainer, interval_seconds: float
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Litestar lifespan hook running the sweeper while the app serves."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        sweeper = OrderExpirySweeper(container, interval_seconds)
        sweeper.start()
        try:
            yield
        finally:
            await sweeper.stop()

    return lifespan
