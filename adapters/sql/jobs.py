"""The jobs outbox over SQLAlchemy Core.

Handing out and claiming are conditional writes: on PostgreSQL the relay's scan takes its
rows `FOR UPDATE SKIP LOCKED` (another relay scanning at the same time takes the next ones);
on SQLite, transactions already take turns (`BEGIN IMMEDIATE`). A claim is one UPDATE whose
WHERE says the job is ready, so of two workers handed the same job only one gets it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.repositories import execute_write
from adapters.sql.tables import jobs
from application.ports import JobRepository, NewJob
from domain.jobs import Job, JobKind, JobStatus

_READY = (JobStatus.DUE.value, JobStatus.RUNNING.value)


def _job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=JobKind(row.kind),
        payload=json.loads(row.payload),
        key=row.key,
        status=JobStatus(row.status),
        attempts=row.attempts,
        run_after=row.run_after,
        last_error=row.last_error,
        locked_until=row.locked_until,
        locked_by=row.locked_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _free(now: datetime) -> Any:
    """Nobody holds the row: never locked, or its lock (a hand-out or an attempt) lapsed."""
    return or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < now)


class SqlJobRepository(JobRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, new: NewJob, now: datetime) -> Job:
        values = {
            "kind": new.kind.value,
            "payload": json.dumps(dict(new.payload), sort_keys=True),
            "key": new.key,
            "status": JobStatus.DUE.value,
            "attempts": 0,
            "run_after": now,
            "last_error": None,
            "locked_until": None,
            "locked_by": None,
            "created_at": now,
            "updated_at": now,
        }
        result = await execute_write(self._conn, insert(jobs).values(**values).returning(jobs.c.id))
        return new.created(int(result.scalar_one()), now)

    async def get(self, job_id: int) -> Job | None:
        row = (await self._conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return _job(row) if row else None

    async def find_by_key(self, key: str) -> Job | None:
        row = (await self._conn.execute(select(jobs).where(jobs.c.key == key))).first()
        return _job(row) if row else None

    async def hand_out(self, now: datetime, limit: int, lease: timedelta) -> list[int]:
        ready = (
            select(jobs.c.id)
            .where(jobs.c.status.in_(_READY), jobs.c.run_after <= now, _free(now))
            .order_by(jobs.c.run_after, jobs.c.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            ready = ready.with_for_update(skip_locked=True)
        ids = [int(job_id) for job_id in (await self._conn.execute(ready)).scalars()]
        if ids:
            # A running job handed out again lost its worker: it is due once more.
            await self._conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(ids))
                .values(status=JobStatus.DUE.value, locked_until=now + lease, locked_by=None)
            )
        return ids

    async def claim(self, job_id: int, worker: str, now: datetime, lease: timedelta) -> Job | None:
        ready = or_(
            # due: handed out (its hand-out lock is the relay's, not a worker's) or not yet
            and_(jobs.c.status == JobStatus.DUE.value, jobs.c.locked_by.is_(None)),
            # running, but its worker's lease lapsed
            and_(jobs.c.status == JobStatus.RUNNING.value, jobs.c.locked_until < now),
        )
        result = await self._conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.run_after <= now, ready)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=jobs.c.attempts + 1,
                locked_until=now + lease,
                locked_by=worker,
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        row = result.first()
        return _job(row) if row else None

    # Not on EntityRows: a job's `payload` is a dict stored as JSON text, a conversion the
    # mapping does not declare; the columns a job's run changes are listed here.
    async def save(self, job: Job) -> None:
        await self._conn.execute(
            update(jobs)
            .where(jobs.c.id == job.id)
            .values(
                status=job.status.value,
                attempts=job.attempts,
                run_after=job.run_after,
                last_error=job.last_error,
                locked_until=job.locked_until,
                locked_by=job.locked_by,
                updated_at=job.updated_at,
            )
        )

    async def unfinished(self) -> dict[tuple[JobKind, JobStatus], int]:
        query = (
            select(jobs.c.kind, jobs.c.status, func.count())
            .where(jobs.c.status.in_(_READY))
            .group_by(jobs.c.kind, jobs.c.status)
        )
        counts: dict[tuple[JobKind, JobStatus], int] = {}
        for kind, status, count in (await self._conn.execute(query)).all():
            if kind in JobKind.__members__.values():
                counts[(JobKind(kind), JobStatus(status))] = int(count)
        return counts

    async def oldest_due(self, now: datetime) -> datetime | None:
        query = (
            select(jobs.c.run_after)
            .where(jobs.c.status.in_(_READY), jobs.c.run_after <= now)
            .order_by(jobs.c.run_after)
            .limit(1)
        )
        oldest: datetime | None = (await self._conn.execute(query)).scalar_one_or_none()
        return oldest
