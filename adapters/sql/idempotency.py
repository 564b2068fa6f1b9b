"""Idempotency records in the database, shared by every app instance."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.database import Database
from adapters.sql.tables import idempotency_keys
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

_RUNNING = "running"
_DONE = "done"


def _match(scope: IdempotencyScope) -> ColumnElement[bool]:
    return and_(
        idempotency_keys.c.user_id == scope.user_id,
        idempotency_keys.c.path == scope.path,
        idempotency_keys.c.key == scope.key,
    )


def _held(lease: Lease) -> ColumnElement[bool]:
    """The row while `lease` still holds it: running, under this very claim."""
    return and_(
        _match(lease.scope),
        idempotency_keys.c.state == _RUNNING,
        idempotency_keys.c.claim_token == lease.token,
    )


class SqlIdempotencyStore(IdempotencyStore):
    """Each call is its own short transaction, never the request's own.

    The unique constraint on (user, path, key) decides which of two concurrent
    first requests wins; a stale or expired record is taken over with a
    conditional update on its claim token, so only one taker succeeds. The
    work's resource is written by `SqlIdempotencyRecords` in the work's own
    transaction; a takeover of a claim without one requires it still absent,
    so on PostgreSQL a takeover racing the work's commit waits for it and then
    sees the resource (and resumes instead).
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        for _ in range(5):
            lease = Lease(scope, secrets.token_hex(16))
            try:
                async with self._db.transaction() as conn:
                    row = (await conn.execute(select(idempotency_keys).where(_match(scope)))).first()
                    if row is None:
                        new = {"user_id": scope.user_id, "path": scope.path, "key": scope.key}
                        new |= {"fingerprint": fingerprint, "state": _RUNNING, "claim_token": lease.token}
                        await conn.execute(
                            insert(idempotency_keys).values(created_at=now, started_at=now, **new)
                        )
                        await conn.commit()
                        return Claim(ClaimOutcome.STARTED, lease=lease)
                    claim = await self._existing(conn, row, fingerprint, now, lease)
            except IntegrityError:
                continue  # a concurrent first request inserted it: read it again
            if claim is not None:
                return claim
        return Claim(ClaimOutcome.IN_PROGRESS)

    @staticmethod
    async def _existing(
        conn: AsyncConnection, row: Row[Any], fingerprint: str, now: datetime, lease: Lease
    ) -> Claim | None:
        """The outcome for a key someone holds; None when it changed under us (try again)."""
        expired = row.created_at <= now - RETENTION
        if not expired:
            if row.fingerprint != fingerprint:
                return Claim(ClaimOutcome.MISMATCH)
            if row.state == _DONE:
                stored = StoredResponse(row.response_status, bytes(row.response_body), row.media_type)
                return Claim(ClaimOutcome.REPLAY, stored)
            released = row.claim_token is None and row.resource_id is not None
            if row.started_at > now - LEASE and not released:
                return Claim(ClaimOutcome.IN_PROGRESS)
        # A takeover of the very row read, resource included: the lapsed holder may be
        # committing its work right now (on PostgreSQL this waits for it, then misses).
        afresh = {"fingerprint": fingerprint, "state": _RUNNING, "created_at": now, "resource_id": None}
        afresh |= {"response_status": None, "response_body": None, "media_type": None}
        c = idempotency_keys.c
        taken = await conn.execute(
            update(idempotency_keys)
            .where(
                c.id == row.id,
                c.state == row.state,
                c.created_at == row.created_at,
                c.started_at == row.started_at,
                c.claim_token.is_not_distinct_from(row.claim_token),
                c.resource_id.is_not_distinct_from(row.resource_id),
            )
            .values(started_at=now, claim_token=lease.token, **(afresh if expired else {}))
        )
        await conn.commit()
        if taken.rowcount != 1:
            return None
        if not expired and row.resource_id is not None:
            return Claim(ClaimOutcome.RESUME, lease=lease, resource_id=int(row.resource_id))
        return Claim(ClaimOutcome.STARTED, lease=lease)

    async def complete(self, lease: Lease, response: StoredResponse) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(_held(lease))
                .values(
                    state=_DONE,
                    response_status=response.status,
                    response_body=response.body,
                    media_type=response.media_type,
                    claim_token=None,
                )
            )
            await conn.commit()

    async def abandon(self, lease: Lease) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                delete(idempotency_keys).where(_held(lease), idempotency_keys.c.resource_id.is_(None))
            )
            # The work is done (its resource recorded): release the claim, the next retry resumes.
            await conn.execute(update(idempotency_keys).where(_held(lease)).values(claim_token=None))
            await conn.commit()

    async def purge(self, before: datetime) -> int:
        async with self._db.transaction() as conn:
            result = await conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < before)
            )
            await conn.commit()
        return int(result.rowcount)


class SqlIdempotencyRecords(IdempotencyRecords):
    """The key's row written inside a unit of work's transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, lease: Lease, resource_id: int) -> bool:
        result = await self._conn.execute(
            update(idempotency_keys).where(_held(lease)).values(resource_id=resource_id)
        )
        return int(result.rowcount) == 1

    async def forget(self, lease: Lease) -> None:
        await self._conn.execute(update(idempotency_keys).where(_held(lease)).values(resource_id=None))
