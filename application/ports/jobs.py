"""Ports of the background work: the outbox's storage and the job library that carries it.

The outbox row (`jobs`) is the source of truth. A relay hands due rows to the `JobQueue`
(the job library's queue, which may reach other processes and hosts); whoever receives a
job claims its row with a conditional write, so each job runs in one place at a time,
however often it was handed out.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from domain.jobs import Job, JobKind, JobPayload, JobStatus


@dataclass(frozen=True, slots=True)
class NewJob:
    kind: JobKind
    payload: JobPayload
    key: str  # the job's idempotency key, unique

    def created(self, job_id: int, now: datetime) -> Job:
        """The job as it is once stored under `job_id`: due now, no attempt yet."""
        return Job(
            id=job_id,
            kind=self.kind,
            payload=dict(self.payload),
            key=self.key,
            status=JobStatus.DUE,
            attempts=0,
            run_after=now,
            last_error=None,
            locked_until=None,
            locked_by=None,
            created_at=now,
            updated_at=now,
        )


# Repository ports are alike by shape (add, get, find, save, list): one Protocol per
# resource, each method with its own contract.
class JobRepository(Protocol):
    @abstractmethod
    async def add(self, new: NewJob, now: datetime) -> Job:
        """Insert as `due` now (committed with the change that causes it)."""

    @abstractmethod
    async def get(self, job_id: int) -> Job | None: ...

    @abstractmethod
    async def find_by_key(self, key: str) -> Job | None: ...

    @abstractmethod
    async def hand_out(self, now: datetime, limit: int, lease: timedelta) -> list[int]:
        """Up to `limit` jobs ready to run (due with `run_after` passed, or running with a lapsed
        lease: their worker vanished), oldest first, marked handed out until `now + lease` so that
        no other relay hands them out meanwhile (rows locked by another relay are skipped)."""

    @abstractmethod
    async def claim(self, job_id: int, worker: str, now: datetime, lease: timedelta) -> Job | None:
        """Start an attempt: `running`, one more attempt, held by `worker` until `now + lease`.
        None when the job is not ready (final, not yet due, or held by another worker)."""

    @abstractmethod
    async def save(self, job: Job) -> None:
        """Store status, attempts, run_after, last_error, the lock and `updated_at`."""

    @abstractmethod
    async def oldest_due(self, now: datetime) -> datetime | None:
        """When the oldest job that is due by `now` (not final) became due; None when none is."""

    @abstractmethod
    async def unfinished(self) -> dict[tuple[JobKind, JobStatus], int]:
        """How many jobs are not final, by kind and status (`due`, `running`); pairs with none
        are left out. Reads only the rows the partial index of unfinished jobs covers."""


class JobQueue(Protocol):
    """The job library's queue: hands a job (by id) to some worker, maybe in another process."""

    @abstractmethod
    async def enqueue(self, job_id: int) -> None: ...
