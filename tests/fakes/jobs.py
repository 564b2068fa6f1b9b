"""The fake jobs outbox: the SQL adapter's hand-out and claim rules over a dict."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from adapters.sql.errors import UNIQUE_VIOLATIONS
from application.ports import JobRepository, NewJob
from domain.errors import AlreadyExists
from domain.jobs import Job, JobKind, JobStatus
from tests.fakes.state import MemoryState


def _free(job: Job, now: datetime) -> bool:
    return job.locked_until is None or job.locked_until < now


class MemoryJobRepository(JobRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, new: NewJob, now: datetime) -> Job:
        if any(job.key == new.key for job in self._s.jobs.values()):
            raise AlreadyExists(UNIQUE_VIOLATIONS["uq_jobs_key"])
        job = new.created(self._s.next_id("jobs"), now)
        self._s.jobs[job.id] = job
        return job

    async def get(self, job_id: int) -> Job | None:
        return self._s.jobs.get(job_id)

    async def find_by_key(self, key: str) -> Job | None:
        return next((job for job in self._s.jobs.values() if job.key == key), None)

    async def hand_out(self, now: datetime, limit: int, lease: timedelta) -> list[int]:
        ready = sorted(
            (
                job
                for job in self._s.jobs.values()
                if not job.status.is_final and job.run_after <= now and _free(job, now)
            ),
            key=lambda job: (job.run_after, job.id),
        )[:limit]
        for job in ready:
            self._s.jobs[job.id] = replace(
                job, status=JobStatus.DUE, locked_until=now + lease, locked_by=None
            )
        return [job.id for job in ready]

    async def claim(self, job_id: int, worker: str, now: datetime, lease: timedelta) -> Job | None:
        job = self._s.jobs.get(job_id)
        if job is None or job.run_after > now:
            return None
        due = job.status is JobStatus.DUE and job.locked_by is None
        lapsed = job.status is JobStatus.RUNNING and job.locked_until is not None and job.locked_until < now
        if not (due or lapsed):
            return None
        claimed = replace(
            job,
            status=JobStatus.RUNNING,
            attempts=job.attempts + 1,
            locked_until=now + lease,
            locked_by=worker,
            updated_at=now,
        )
        self._s.jobs[job_id] = claimed
        return claimed

    async def save(self, job: Job) -> None:
        stored = self._s.jobs.get(job.id)
        if stored is not None:
            self._s.jobs[job.id] = replace(
                stored,
                status=job.status,
                attempts=job.attempts,
                run_after=job.run_after,
                last_error=job.last_error,
                locked_until=job.locked_until,
                locked_by=job.locked_by,
                updated_at=job.updated_at,
            )

    async def unfinished(self) -> dict[tuple[JobKind, JobStatus], int]:
        counts: dict[tuple[JobKind, JobStatus], int] = {}
        for job in self._s.jobs.values():
            if not job.status.is_final:
                counts[(job.kind, job.status)] = counts.get((job.kind, job.status), 0) + 1
        return counts

    async def oldest_due(self, now: datetime) -> datetime | None:
        return min(
            (
                job.run_after
                for job in self._s.jobs.values()
                if not job.status.is_final and job.run_after <= now
            ),
            default=None,
        )
