"""Jobs: work that must happen after a commit and may need retries (the transactional outbox).

A job is written in the same transaction as the change that causes it, so a crash can
neither lose it nor run one whose cause rolled back (docs/payments.md, "Background jobs"). It moves:

    due --claimed by a worker--> running --done--> succeeded
                                 running --failed, attempts left--> due (after a backoff)
                                 running --failed, no attempts left--> dead
                                 running --its worker vanished (lease lapsed)--> claimed again
    dead --revived by an operator--> due (attempts counted afresh)

`succeeded` is final; `dead` is final for the workers (nothing runs it again by itself). The
backoff after the n-th failed attempt is 2^(n-1) seconds (1 s, 2 s, 4 s …), capped at 5 minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

BACKOFF_CAP = timedelta(minutes=5)
ERROR_MAX = 1000
DEFAULT_MAX_ATTEMPTS = 10


class JobStatus(StrEnum):
    DUE = "due"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.DEAD)


class JobKind(StrEnum):
    REFUND = "refund"


JobPayload = Mapping[str, int | str]


@dataclass(frozen=True, slots=True)
class Job:
    """One outbox row. `key` is the job's idempotency key, passed on to whoever carries it out."""

    id: int
    kind: JobKind
    payload: JobPayload
    key: str
    status: JobStatus
    attempts: int
    run_after: datetime
    last_error: str | None
    locked_until: datetime | None
    locked_by: str | None
    created_at: datetime
    updated_at: datetime

    def succeeded(self, now: datetime) -> Job:
        return replace(self, status=JobStatus.SUCCEEDED, locked_until=None, locked_by=None, updated_at=now)

    def failed(self, error: str, now: datetime, max_attempts: int) -> Job:
        """After a failed attempt: due again after the backoff, or dead when none are left."""
        error = error[:ERROR_MAX]
        if self.attempts >= max_attempts:
            return replace(
                self,
                status=JobStatus.DEAD,
                last_error=error,
                locked_until=None,
                locked_by=None,
                updated_at=now,
            )
        return replace(
            self,
            status=JobStatus.DUE,
            last_error=error,
            run_after=now + backoff(self.attempts),
            locked_until=None,
            locked_by=None,
            updated_at=now,
        )

    def revived(self, now: datetime) -> Job:
        """A dead job due again at once, its attempts counted afresh (its last error kept until
        the next attempt). Raises ValueError for a job that is not dead: it is still retried by
        itself, or done."""
        if self.status is not JobStatus.DEAD:
            raise ValueError(f"job {self.id} is {self.status.value}, not dead")
        return replace(self, status=JobStatus.DUE, attempts=0, run_after=now, updated_at=now)

    def released(self, now: datetime, retry_after: timedelta) -> Job:
        """Given back untried (this worker cannot run it): due again after `retry_after`, the
        attempt its claim counted taken back."""
        return replace(
            self,
            status=JobStatus.DUE,
            attempts=max(self.attempts - 1, 0),
            run_after=now + retry_after,
            locked_until=None,
            locked_by=None,
            updated_at=now,
        )


def backoff(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failed attempt: 1 s, 2 s, 4 s … at most 5 minutes."""
    if attempts < 1:
        return timedelta(0)
    if attempts > 20:
        return BACKOFF_CAP
    return min(timedelta(seconds=2 ** (attempts - 1)), BACKOFF_CAP)


def refund_job_key(refund_id: int) -> str:
    """The refund job's idempotency key, also the provider's: `storefront-refund-<id>`."""
    return f"storefront-refund-{refund_id}"
