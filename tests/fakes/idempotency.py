"""The fake idempotency store and records.

The records live in the memory database's state, so a unit of work's
`idempotency.record` is kept or rolled back with the rest of its work, as in SQL;
the store's calls take the database's lock, so a claim waits for a unit of work
in progress as it waits for a row lock in SQL.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from application.ports import (
    LEASE,
    RETENTION,
    Claim,
    ClaimOutcome,
    IdempotencyRecords,
    IdempotencyScope,
    IdempotencyStore,
    Lease,
    StoredResponse,
)
from tests.fakes.state import IdempotencyRecord, MemoryDatabase, MemoryState


def _held(state: MemoryState, lease: Lease) -> IdempotencyRecord | None:
    """The record while `lease` still holds it: unanswered, under this very claim."""
    record = state.idempotency.get(lease.scope)
    if record is None or record.response is not None or record.token != lease.token:
        return None
    return record


class MemoryIdempotencyStore(IdempotencyStore):
    def __init__(self, db: MemoryDatabase | None = None) -> None:
        self._db = db if db is not None else MemoryDatabase()

    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        async with self._db.lock:
            records = self._db.state.idempotency
            record = records.get(scope)
            token = secrets.token_hex(16)
            lease = Lease(scope, token)
            if record is None or record.created_at <= now - RETENTION:
                records[scope] = IdempotencyRecord(fingerprint, now, now, token)
                return Claim(ClaimOutcome.STARTED, lease=lease)
            if record.fingerprint != fingerprint:
                return Claim(ClaimOutcome.MISMATCH)
            if record.response is not None:
                return Claim(ClaimOutcome.REPLAY, record.response)
            released = record.token is None and record.resource_id is not None
            if record.started_at <= now - LEASE or released:
                record.started_at, record.token = now, token
                if record.resource_id is not None:
                    return Claim(ClaimOutcome.RESUME, lease=lease, resource_id=record.resource_id)
                return Claim(ClaimOutcome.STARTED, lease=lease)
            return Claim(ClaimOutcome.IN_PROGRESS)

    async def complete(self, lease: Lease, response: StoredResponse) -> None:
        async with self._db.lock:
            record = _held(self._db.state, lease)
            if record is not None:
                record.response, record.token = response, None

    async def abandon(self, lease: Lease) -> None:
        async with self._db.lock:
            record = _held(self._db.state, lease)
            if record is None:
                return
            if record.resource_id is None:
                del self._db.state.idempotency[lease.scope]
            else:
                record.token = None

    async def purge(self, before: datetime) -> int:
        async with self._db.lock:
            records = self._db.state.idempotency
            old = [scope for scope, record in records.items() if record.created_at < before]
            for scope in old:
                del records[scope]
            return len(old)


class MemoryIdempotencyRecords(IdempotencyRecords):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def record(self, lease: Lease, resource_id: int) -> bool:
        record = _held(self._s, lease)
        if record is None:
            return False
        record.resource_id = resource_id
        return True

    async def forget(self, lease: Lease) -> None:
        record = _held(self._s, lease)
        if record is not None:
            record.resource_id = None
