"""In-memory idempotency records: the twin of the SQL store for use-case tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.idempotency import (
    LEASE,
    RETENTION,
    Claim,
    ClaimOutcome,
    IdempotencyScope,
    IdempotencyStore,
    StoredResponse,
)


@dataclass
class _Record:
    fingerprint: str
    created_at: datetime
    started_at: datetime
    response: StoredResponse | None = None


class MemoryIdempotencyStore(IdempotencyStore):
    def __init__(self) -> None:
        self._records: dict[IdempotencyScope, _Record] = {}

    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        record = self._records.get(scope)
        if record is None or record.created_at <= now - RETENTION:
            self._records[scope] = _Record(fingerprint, now, now)
            return Claim(ClaimOutcome.STARTED)
        if record.fingerprint != fingerprint:
            return Claim(ClaimOutcome.MISMATCH)
        if record.response is not None:
            return Claim(ClaimOutcome.REPLAY, record.response)
        if record.started_at <= now - LEASE:
            record.started_at = now
            return Claim(ClaimOutcome.STARTED)
        return Claim(ClaimOutcome.IN_PROGRESS)

    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None:
        record = self._records.get(scope)
        if record is not None and record.response is None:
            record.response = response

    async def abandon(self, scope: IdempotencyScope) -> None:
        record = self._records.get(scope)
        if record is not None and record.response is None:
            del self._records[scope]

    async def purge(self, before: datetime) -> int:
        old = [scope for scope, record in self._records.items() if record.created_at < before]
        for scope in old:
            del self._records[scope]
        return len(old)
