"""Idempotency keys: the port behind the `Idempotency-Key` header.

A client that retries a POST with the same key gets the first answer again
instead of a second order or payment. A key belongs to one user and one
concrete path; it is kept for `RETENTION`. A claim that is still running is
`IN_PROGRESS` for others; one older than `LEASE` is taken to be the remains of
a crashed process and may be claimed afresh, so a dead request never blocks
its key for good.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)


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


class ClaimOutcome(StrEnum):
    STARTED = "started"  # the caller owns the key now: run the request, then complete or abandon
    REPLAY = "replay"  # finished before: answer with `response`
    MISMATCH = "mismatch"  # the key was used with a different request
    IN_PROGRESS = "in_progress"  # another request with this key is still running


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    @abstractmethod
    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        """Atomically start a request under a key, or say why not. Committed at once,
        so concurrent requests with the same key see it."""

    @abstractmethod
    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None:
        """Record the answer to replay for the rest of the retention period."""

    @abstractmethod
    async def abandon(self, scope: IdempotencyScope) -> None:
        """Forget a running claim (the request failed on the server's side): a retry runs afresh."""

    @abstractmethod
    async def purge(self, before: datetime) -> int:
        """Delete records created before `before`; returns how many."""
