"""Idempotency records in the database, shared by every app instance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sql.database import Database
from adapters.sql.tables import idempotency_keys
from application.idempotency import (
    LEASE,
    RETENTION,
    Claim,
    ClaimOutcome,
    IdempotencyScope,
    IdempotencyStore,
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


class SqlIdempotencyStore(IdempotencyStore):
    """Each call is its own short transaction, never the request's own.

    The unique constraint on (user, path, key) decides which of two concurrent
    first requests wins; a stale or expired record is taken over with a
    conditional update, so only one taker succeeds.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        for _ in range(5):
            if await self._insert(scope, fingerprint, now):
                return Claim(ClaimOutcome.STARTED)
            claim = await self._existing(scope, fingerprint, now)
            if claim is not None:
                return claim
        return Claim(ClaimOutcome.IN_PROGRESS)

    async def _insert(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> bool:
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
                    )
                )
                await conn.commit()
        except IntegrityError:
            return False
        return True

    async def _existing(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim | None:
        """The outcome for a key someone holds; None when it vanished (retry the insert)."""
        async with self._db.transaction() as conn:
            row = (await conn.execute(select(idempotency_keys).where(_match(scope)))).first()
            if row is None:
                return None
            if row.created_at <= now - RETENTION:
                taken = await conn.execute(
                    update(idempotency_keys)
                    .where(idempotency_keys.c.id == row.id, idempotency_keys.c.created_at == row.created_at)
                    .values(
                        fingerprint=fingerprint,
                        state=_RUNNING,
                        response_status=None,
                        response_body=None,
                        media_type=None,
                        created_at=now,
                        started_at=now,
                    )
                )
                await conn.commit()
                return Claim(ClaimOutcome.STARTED) if taken.rowcount == 1 else None
            if row.fingerprint != fingerprint:
                return Claim(ClaimOutcome.MISMATCH)
            if row.state == _DONE:
                stored = StoredResponse(row.response_status, bytes(row.response_body), row.media_type)
                return Claim(ClaimOutcome.REPLAY, stored)
            if row.started_at <= now - LEASE:
                taken = await conn.execute(
                    update(idempotency_keys)
                    .where(
                        idempotency_keys.c.id == row.id,
                        idempotency_keys.c.state == _RUNNING,
                        idempotency_keys.c.started_at == row.started_at,
                    )
                    .values(started_at=now)
                )
                await conn.commit()
                return Claim(ClaimOutcome.STARTED) if taken.rowcount == 1 else None
            return Claim(ClaimOutcome.IN_PROGRESS)

    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(_match(scope), idempotency_keys.c.state == _RUNNING)
                .values(
                    state=_DONE,
                    response_status=response.status,
                    response_body=response.body,
                    media_type=response.media_type,
                )
            )
            await conn.commit()

    async def abandon(self, scope: IdempotencyScope) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                delete(idempotency_keys).where(_match(scope), idempotency_keys.c.state == _RUNNING)
            )
            await conn.commit()

    async def purge(self, before: datetime) -> int:
        async with self._db.transaction() as conn:
            result = await conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < before)
            )
            await conn.commit()
        return int(result.rowcount)
