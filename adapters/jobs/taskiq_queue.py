"""The job library, taskiq, behind the `JobQueue` port.

Without Redis (the embedded default) the broker is taskiq's in-memory one: a job handed
out runs as a task of the same process. With `REDIS_URL` it is taskiq-redis's list queue
(`<REDIS_KEY_PREFIX>jobs`): every worker process, on any host, takes jobs from it. Either
way the message is only a job id: the outbox row says what to do, and the worker claims it
before running it (see `application.jobs.run_jobs`). taskiq-redis is imported only when a
Redis broker is built.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, InMemoryBroker

from application.ports import JobQueue

RUN_JOB_TASK = "storefront.run_job"


def create_broker(redis_url: str | None, key_prefix: str) -> AsyncBroker:
    """The in-memory broker without Redis; the Redis list queue `<key_prefix>jobs` with it."""
    if redis_url is None:
        return InMemoryBroker(max_async_tasks=50)
    from taskiq_redis import ListQueueBroker  # here: an in-memory broker needs none of it

    # BRPOP waits for the next job as long as it takes: no socket timeout (redis-py's default
    # would break every idle wait after a few seconds), TCP keepalive to notice a dead peer.
    return ListQueueBroker(
        redis_url,
        queue_name=f"{key_prefix}jobs",
        max_connection_pool_size=20,
        socket_timeout=None,
        socket_keepalive=True,
    )


def is_in_process(broker: AsyncBroker) -> bool:
    """True when the broker runs its tasks itself (no receiver to start)."""
    return isinstance(broker, InMemoryBroker)


async def check_broker(broker: AsyncBroker) -> None:
    """Raises what the broker's connection raises when its queue cannot be reached now (a
    Redis PING); the in-memory broker is always there."""
    if is_in_process(broker):
        return
    pool = getattr(broker, "connection_pool", None)  # taskiq-redis's brokers keep theirs here
    if pool is not None:
        async with Redis(connection_pool=pool) as redis:
            await redis.ping()


class TaskiqJobQueue(JobQueue):
    """Hands a job id to the `storefront.run_job` task of the broker."""

    def __init__(self, task: AsyncTaskiqDecoratedTask[Any, Any]) -> None:
        self._task = task

    async def enqueue(self, job_id: int) -> None:
        await self._task.kiq(job_id)
