"""The job worker: the outbox relay plus the job library's receiver, in any process.

`storefront worker` runs one on its own; with `RUN_WORKER` (default true) every API process
started by `serve` runs one beside the HTTP server, so the embedded default needs nothing
else. Each worker:

- relays: every `JOB_POLL_INTERVAL_MS` (at once again while there is more) it hands the due
  jobs of the outbox to taskiq (`HandOutJobs`);
- receives: taskiq gives it job ids (its own, in memory, without Redis; anyone's through the
  Redis list queue with `REDIS_URL`), and it makes one attempt at each (`RunJob`): claim,
  run, record — the use cases get their dependencies from dishka (`dishka.integrations.taskiq`).

taskiq's receiver gives up when its broker's connection fails (Redis restarted, a network
blip): the worker supervises it, starting it again after 1 s, 2 s, 4 s … (at most
`RECEIVER_RESTART_MAX_SECONDS`) while the queue cannot be reached, with one WARNING line when the
receiver stops and one INFO line when it listens again; jobs resume by themselves.

It stops cleanly: the relay finishes its pass, jobs running in this process get up to
`SHUTDOWN_TIMEOUT_SECONDS`; one cut off is claimed again by another worker after its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from dishka import AsyncContainer
from dishka.integrations.taskiq import FromDishka, inject, setup_dishka
from taskiq import AsyncBroker
from taskiq.receiver import Receiver

from adapters.jobs.taskiq_queue import check_broker, is_in_process
from application.jobs.run_jobs import HandOutJobs, RunJob
from entrypoints.outage_log import OutageLog
from entrypoints.settings import Settings

log = logging.getLogger("storefront.jobs")

# Who holds a claimed job: host, process and a random part (a restarted process is another worker).
WORKER_ID = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# How long the supervisor waits before it tries the queue again: 1 s, doubled each try, capped.
RECEIVER_RESTART_FIRST_SECONDS = 1.0
RECEIVER_RESTART_MAX_SECONDS = 30.0


@inject(patch_module=True)
async def run_job(job_id: int, run: FromDishka[RunJob]) -> None:
    """The taskiq task: one attempt at the outbox job `job_id`."""
    await run(job_id, WORKER_ID)


class JobWorker:
    def __init__(
        self,
        container: AsyncContainer,
        settings: Settings,
        classify: Callable[[BaseException], str | None] = lambda _: None,
    ) -> None:
        self._container = container
        self._interval = settings.job_poll_interval_ms / 1000
        self._grace = settings.shutdown_timeout_seconds
        self._classify = classify
        self._outages = OutageLog(log)
        self._stopping = asyncio.Event()
        self._finish = asyncio.Event()  # tells taskiq's receiver to stop taking jobs
        self._tasks: list[asyncio.Task[None]] = []
        self._broker: AsyncBroker | None = None

    async def start(self) -> None:
        broker: AsyncBroker = await self._container.get(AsyncBroker)
        self._broker = broker
        setup_dishka(self._container, broker)
        await broker.startup()
        self._stopping.clear()
        self._finish.clear()
        self._tasks = [asyncio.create_task(self._relay(), name="job-relay")]
        if not is_in_process(broker):
            # taskiq's receiver, run in this event loop; on `_finish` it stops taking jobs and
            # waits up to the grace period for the ones it runs.
            broker.is_worker_process = True
            self._tasks.append(asyncio.create_task(self._receive(broker), name="job-receiver"))
        log.info("job worker %s started", WORKER_ID)

    async def stop(self) -> None:
        self._stopping.set()
        relays, receivers = self._tasks[:1], self._tasks[1:]
        for task in relays:
            await task
        self._finish.set()
        for task in receivers:
            try:
                await asyncio.wait_for(task, self._grace + 5)
            except TimeoutError:
                log.warning("job receiver did not stop in time; its running jobs are left to their leases")
            except Exception as error:  # noqa: BLE001 - stopping anyway
                log.warning("job receiver stopped with an error: %s", error)
        broker = self._broker
        if broker is not None:
            wait_all = getattr(broker, "wait_all", None)
            if wait_all is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wait_all(), self._grace)
            await broker.shutdown()
        self._tasks = []

    async def _receive(self, broker: AsyncBroker) -> None:
        """taskiq's receiver until `_finish`, started again whenever it stops on its own (its
        broker's connection failed): after a pause of 1 s, 2 s, 4 s … (capped) and once the
        queue answers again."""
        delay = RECEIVER_RESTART_FIRST_SECONDS
        loop = asyncio.get_running_loop()
        while True:
            receiver = Receiver(broker, run_startup=False, max_async_tasks=50, wait_tasks_timeout=self._grace)
            started = loop.time()
            failure: Exception | None = None
            try:
                await receiver.listen(self._finish)
            except Exception as error:  # noqa: BLE001 - whatever stopped it, it is started again
                failure = error
            if self._finish.is_set():
                if failure is not None:
                    raise failure
                return
            if loop.time() - started > RECEIVER_RESTART_MAX_SECONDS:
                delay = RECEIVER_RESTART_FIRST_SECONDS  # it had been listening: a new outage
            cause = _innermost(failure) if failure is not None else None
            self._outages.report(
                f"receiver:{type(cause).__name__}",
                "job receiver stopped: "
                + (f"{self._classify(cause) or 'the queue'} unavailable" if cause else "it ended by itself")
                + f"; starting it again every {RECEIVER_RESTART_FIRST_SECONDS:g} s to "
                f"{RECEIVER_RESTART_MAX_SECONDS:g} s until the queue answers",
                cause,
            )
            down_since = loop.time()
            while not await self._paused(delay):
                delay = min(delay * 2, RECEIVER_RESTART_MAX_SECONDS)
                try:
                    await check_broker(broker)
                except Exception as error:  # noqa: BLE001 - still down: wait longer
                    log.debug("the job queue is still unavailable: %s", error)
                    continue
                log.info("job receiver listening again after %.1f s", loop.time() - down_since)
                break
            else:
                return  # stopping

    async def _paused(self, seconds: float) -> bool:
        """Waits `seconds` or until the worker stops; True when it stops."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._finish.wait(), seconds)
        return self._finish.is_set()

    async def relay_once(self) -> int:
        async with self._container() as scope:
            return await (await scope.get(HandOutJobs))()

    async def _relay(self) -> None:
        while not self._stopping.is_set():
            handed = 0
            try:
                handed = await self.relay_once()
            except Exception as error:  # noqa: BLE001 - the relay outlives any one failure
                self._report(error)
            if handed:
                continue  # more may be due: no pause while there is a backlog
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    def _report(self, error: Exception) -> None:
        kind = self._classify(error)
        if kind is not None:
            self._outages.report(
                f"{kind}:{type(error).__name__}",
                f"job relay skipped: {kind} unavailable; retrying every {self._interval:g} s",
                error,
            )
            return
        self._outages.report(
            f"error:{type(error).__name__}", "job relay failed; retrying", error, traceback=True
        )


def _innermost(error: BaseException) -> BaseException:
    """The first error inside (nested) exception groups: taskiq's receiver raises its task
    group's."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


# Deliberate twin of `order_expiry.order_expiry_lifespan` (see there).
def job_worker_lifespan(
    container: AsyncContainer,
    settings: Settings,
    classify: Callable[[BaseException], str | None] = lambda _: None,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Litestar lifespan hook running a job worker while the app serves (`RUN_WORKER`)."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if not settings.run_worker:
            yield
            return
        worker = JobWorker(container, settings, classify)
        await worker.start()
        try:
            yield
        finally:
            await worker.stop()

    return lifespan


async def run_worker(settings: Settings) -> int:
    """`storefront worker`: a job worker until SIGTERM or SIGINT; with WORKER_METRICS_PORT, its
    Prometheus metrics at `http://HOST:WORKER_METRICS_PORT/metrics` too."""
    import signal

    from adapters.outages import unavailable_dependency
    from entrypoints.ioc import create_cli_container

    container = create_cli_container(settings, worker=True)
    worker = JobWorker(container, settings, unavailable_dependency)
    if settings.worker_metrics_port:
        # This process's counters (job attempts by kind and outcome), for Prometheus to scrape;
        # the backlog's gauges come from any API process's /metrics.
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, addr=settings.host)
        log.info("job worker metrics at http://%s:%d/metrics", settings.host, settings.worker_metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await worker.start()
        await stop.wait()
        log.info("job worker %s stopping", WORKER_ID)
        await worker.stop()
    finally:
        await container.close()
    return 0
