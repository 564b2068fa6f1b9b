"""Idempotency records in the database, shared by every app instance."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, insert, select, update
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
            token = secrets.token_hex(16)
            if await self._insert(scope, fingerprint, now, token):
                return Claim(ClaimOutcome.STARTED, lease=Lease(scope, token))
            claim = await self._existing(scope, fingerprint, now, token)
            if claim is not None:
                return claim
        return Claim(ClaimOutcome.IN_PROGRESS)

    async def _insert(self, scope: IdempotencyScope, fingerprint: str, now: datetime, token: str) -> bool:
        try:
            async with self._db.transaction() as conn:
                await conn.execute(
                    insert(idempotency_keys).values(
                        user_id=scope.user_id,
                        path=scope.path,
                        key=scope.key,
                        fingerprint=fingerprint,
                        state=_RUNNING,
                        created_at=now,
                        started_at=now,
                        claim_token=token,
                    )
                )
                await conn.commit()
        except IntegrityError:
            return False
        return True

    async def _existing(
        self, scope: IdempotencyScope, fingerprint: str, now: datetime, token: str
    ) -> Claim | None:
        """The outcome for a key someone holds; None when it changed under us (try again)."""
        lease = Lease(scope, token)
        async with self._db.transaction() as conn:
            row = (await conn.execute(select(idempotency_keys).where(_match(scope)))).first()
            if row is None:
                return None
            same_claim = and_(
                idempotency_keys.c.id == row.id,
                idempotency_keys.c.state == row.state,
                idempotency_keys.c.started_at == row.started_at,
                idempotency_keys.c.claim_token.is_(None)
                if row.claim_token is None
                else idempotency_keys.c.claim_token == row.claim_token,
            )
            if row.created_at <= now - RETENTION:
                taken = await conn.execute(
                    update(idempotency_keys)
                    .where(same_claim, idempotency_keys.c.created_at == row.created_at)
                    .values(
                        fingerprint=fingerprint,
                        state=_RUNNING,
                        response_status=None,
                        response_body=None,
                        media_type=None,
                        created_at=now,
                        started_at=now,
                        claim_token=token,
                        resource_id=None,
                    )
                )
                await conn.commit()
                return Claim(ClaimOutcome.STARTED, lease=lease) if taken.rowcount == 1 else None
            if row.fingerprint != fingerprint:
                return Claim(ClaimOutcome.MISMATCH)
            if row.state == _DONE:
                stored = StoredResponse(row.response_status, bytes(row.response_body), row.media_type)
                return Claim(ClaimOutcome.REPLAY, stored)
            released = row.claim_token is None and row.resource_id is not None
            if row.started_at <= now - LEASE or released:
                # Without a resource the takeover requires it still absent: the lapsed
                # holder may be committing its work right now.
                unchanged = (
                    idempotency_keys.c.resource_id.is_(None)
                    if row.resource_id is None
                    else idempotency_keys.c.resource_id == row.resource_id
                )
                taken = await conn.execute(
                    update(idempotency_keys)
                    .where(same_claim, unchanged)
                    .values(started_at=now, claim_token=token)
                )
                await conn.commit()
                if taken.rowcount != 1:
                    return None
                if row.resource_id is not None:
                    return Claim(ClaimOutcome.RESUME, lease=lease, resource_id=int(row.resource_id))
                return Claim(ClaimOutcome.STARTED, lease=lease)
            return Claim(ClaimOutcome.IN_PROGRESS)

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
