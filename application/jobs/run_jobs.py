"""Running the outbox's jobs: the relay that hands due jobs to the job library's queue, and
the attempt a worker makes when the library hands one to it (docs/payments.md, "Background jobs").

A job whose payment provider is not enabled in this worker is given back untried (no attempt
counted, one WARNING per provider) for the workers that have its settings.

Each job runs in one place at a time: a worker claims the row with a conditional write
before it runs it (a job handed out twice is claimed once), holding it for `lease`; a worker
that dies leaves its claim to lapse, and the relay hands the job out again. A failed attempt
is retried after 1 s, 2 s, 4 s … (at most 5 min) up to `max_attempts`; then the job is dead.
A dead refund job leaves its refund `pending` (its amount held): no attempt got the provider's
answer, so whether the provider made the refund is unknown; it is logged at ERROR with the
command that sends it again under the same reference (`RetryRefund`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from application.payments.refunds import ExecuteRefund, ProviderNotEnabled
from application.ports import NO_METRICS, Clock, JobOutcome, JobQueue, Metrics, UnitOfWork
from domain.errors import DomainError
from domain.jobs import DEFAULT_MAX_ATTEMPTS, Job, JobKind, JobStatus

log = logging.getLogger("storefront.jobs")


@dataclass(frozen=True, slots=True)
class JobSettings:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # JOB_MAX_ATTEMPTS
    lease: timedelta = timedelta(seconds=60)  # JOB_LEASE_SECONDS: how long an attempt may run
    batch: int = 100  # jobs one relay pass hands out at most
    # A job this worker cannot run (its provider is not enabled here) waits this long before it
    # is handed out again, to some other worker; no attempt is counted.
    release_delay: timedelta = timedelta(seconds=5)


# Providers this process has warned about (one WARNING each per process, not one per job).
_MISSING_PROVIDERS: set[str] = set()


class HandOutJobs:
    """One relay pass: hand the jobs that are due (and not held) to the queue. Returns how
    many were handed out.

    A handed-out job is marked so that no relay hands it out again for `lease`; if the queue
    loses it meanwhile, it is handed out again after that."""

    # Stores its collaborators, as every use case's constructor does (alike by shape only).
    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        queue: JobQueue,
        settings: JobSettings,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._queue = queue
        self._settings = settings

    async def __call__(self) -> int:
        now = self._clock.now()
        async with self._uow as uow:
            ids = await uow.jobs.hand_out(now, self._settings.batch, self._settings.lease)
            await uow.commit()
        for job_id in ids:
            await self._queue.enqueue(job_id)
        return len(ids)


@dataclass(frozen=True, slots=True)
class JobBacklog:
    """What waits in the outbox now: `oldest_due_age_seconds` (how long the oldest job that
    is due has waited, 0 when none is) and `unfinished`, the jobs not final by (kind, status)
    for every kind and for `due` and `running` (0 included)."""

    oldest_due_age_seconds: float
    unfinished: dict[tuple[str, str], int]


class ReadJobBacklog:
    """The outbox's backlog as the table says it, for `/metrics` in any process (an API process
    without a worker of its own included): one query of the oldest due job and one count of
    the unfinished ones, both over the partial index of unfinished jobs."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self) -> JobBacklog:
        now = self._clock.now()
        async with self._uow as uow:
            oldest = await uow.jobs.oldest_due(now)
            counts = await uow.jobs.unfinished()
        unfinished = {
            (kind.value, status.value): counts.get((kind, status), 0)
            for kind in JobKind
            for status in (JobStatus.DUE, JobStatus.RUNNING)
        }
        age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        return JobBacklog(age, unfinished)


class RunJob:
    """One attempt at a job the queue handed to `worker`: claim it (None when it is not ready:
    run elsewhere, already done, or backing off), run it, record how it ended. Returns the
    job's status after the attempt."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        execute_refund: ExecuteRefund,
        settings: JobSettings,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._execute_refund = execute_refund
        self._settings = settings
        self._metrics = metrics

    async def __call__(self, job_id: int, worker: str) -> JobStatus | None:
        async with self._uow as uow:
            job = await uow.jobs.claim(job_id, worker, self._clock.now(), self._settings.lease)
            await uow.commit()
        if job is None:
            return None
        try:
            await self._run(job)
        except ProviderNotEnabled as missing:
            return await self._release(job, missing.provider)
        except Exception as error:  # noqa: BLE001 - any failure of an attempt is retried or buried
            return await self._failed(job, _describe(error))
        async with self._uow as uow:
            await uow.jobs.save(job.succeeded(self._clock.now()))
            await uow.commit()
        self._metrics.job_finished(job.kind.value, "succeeded")
        return JobStatus.SUCCEEDED

    async def _run(self, job: Job) -> None:
        if job.kind is JobKind.REFUND:
            await self._execute_refund(int(job.payload["refund_id"]))
            return
        raise ValueError(f"no handler for jobs of kind {job.kind.value!r}")  # pragma: no cover

    async def _release(self, job: Job, provider: str) -> JobStatus:
        """This worker has not the provider's settings: the job goes back untried (no attempt
        counted), due again after `release_delay` for a worker that has them."""
        async with self._uow as uow:
            await uow.jobs.save(job.released(self._clock.now(), self._settings.release_delay))
            await uow.commit()
        if provider not in _MISSING_PROVIDERS:
            _MISSING_PROVIDERS.add(provider)
            log.warning(
                "job %s (%s) needs the payment provider %r, which is not enabled in this worker "
                "(PAYMENT_PROVIDERS and its settings): left to the workers that have it, no attempt "
                "counted; said once per provider",
                job.id,
                job.kind.value,
                provider,
            )
        return JobStatus.DUE

    async def _failed(self, job: Job, error: str) -> JobStatus:
        now = self._clock.now()
        failed = job.failed(error, now, self._settings.max_attempts)
        async with self._uow as uow:
            await uow.jobs.save(failed)
            await uow.commit()
        outcome: JobOutcome = "dead" if failed.status is JobStatus.DEAD else "retried"
        self._metrics.job_finished(job.kind.value, outcome)
        log.warning(
            "job %s (%s) attempt %d failed: %s; %s",
            job.id,
            job.kind.value,
            job.attempts,
            error,
            "dead" if outcome == "dead" else f"retrying after {failed.run_after.isoformat()}",
        )
        if outcome == "dead" and job.kind is JobKind.REFUND:
            log.error(
                "refund %s is left pending, its amount held: no attempt got the provider's answer, "
                "so whether the provider made it is unknown; check the provider, then send it again "
                "under the same reference with `storefront retry-refund %s` (exactly once only while "
                "the provider keeps the key: 24 hours at Stripe and YooKassa)",
                job.payload["refund_id"],
                job.payload["refund_id"],
            )
        return failed.status


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.message
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
