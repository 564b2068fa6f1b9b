"""Idempotency keys: the port behind the `Idempotency-Key` header.

A client that retries a POST with the same key gets the first answer again
instead of a second order or payment. A key belongs to one user and one
concrete path; it is kept for `RETENTION`. A claim that is still running is
`IN_PROGRESS` for others; one older than `LEASE` is taken to be the remains of
a crashed process and may be claimed afresh, so a dead request never blocks
its key for good.

The work's effect is recorded atomically with the work: a use case running
under a `Lease` notes the resource it created (`IdempotencyRecords.record`, a
repository of the unit of work) in the same transaction that creates it. A
retry that finds the claim lapsed with a resource recorded gets `RESUME`: the
answer is rebuilt from that resource, the work never runs twice.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
LEASE_LOST = "the idempotency key of this request was taken over by a retry; nothing was done"


@dataclass(frozen=True, slots=True)
class IdempotencyScope:
    user_id: int
    path: str
    key: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to answer under a key: the scope plus the token of this one claim.
    A retry that takes a lapsed claim over gets a new token, so the old holder's
    late writes (record, complete, abandon) change nothing."""

    scope: IdempotencyScope
    token: str


class ClaimOutcome(StrEnum):
    STARTED = "started"  # the caller owns the key now: run the request, then complete or abandon
    # the work was done (`resource_id`) but never answered: the caller owns the key, answers from it
    RESUME = "resume"
    REPLAY = "replay"  # finished before: answer with `response`
    MISMATCH = "mismatch"  # the key was used with a different request
    IN_PROGRESS = "in_progress"  # another request with this key is still running


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    response: StoredResponse | None = None
    lease: Lease | None = None  # with STARTED and RESUME
    resource_id: int | None = None  # with RESUME


class IdempotencyStore(Protocol):
    @abstractmethod
    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        """Atomically start a request under a key, or say why not. Committed at once,
        so concurrent requests with the same key see it."""

    @abstractmethod
    async def complete(self, lease: Lease, response: StoredResponse) -> None:
        """Record the answer to replay for the rest of the retention period (if `lease` still holds)."""

    @abstractmethod
    async def abandon(self, lease: Lease) -> None:
        """Give a running claim up (the request failed on the server's side). Without a recorded
        resource it is forgotten, so a retry runs afresh; with one, the work is done, so it
        is only released: the next retry resumes at once."""

    @abstractmethod
    async def purge(self, before: datetime) -> int:
        """Delete records created before `before`; returns how many."""


class IdempotencyRecords(Protocol):
    """The key's row as seen from inside a unit of work: writes share its transaction."""

    @abstractmethod
    async def record(self, lease: Lease, resource_id: int) -> bool:
        """Note that the work under `lease` created `resource_id`; committed with the work.
        False when the lease was lost (the claim lapsed and a retry took it over): the
        work must then not commit."""

    @abstractmethod
    async def forget(self, lease: Lease) -> None:
        """Undo `record` (the work's effect turned out void, e.g. a payment that failed to open)."""
