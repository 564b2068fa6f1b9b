"""What the repository contract runs on: the fakes, or a database through the SQL adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text

from adapters.sql.catalog_reads import ReadPool, catalog_reads
from adapters.sql.database import Database
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import CatalogReadModel, IdempotencyStore, UnitOfWork
from tests.fakes import MemoryDatabase, MemoryIdempotencyStore, MemoryUnitOfWork
from tests.fakes.catalog_reads import MemoryCatalogReadModel


@dataclass(frozen=True)
class Storage:
    """One implementation of the repository ports."""

    name: str
    unit_of_work: Callable[[], UnitOfWork]
    idempotency: IdempotencyStore
    # (provider, outcome) of every payment event recorded, in the order they were recorded.
    recorded_events: Callable[[], Awaitable[list[tuple[str, str]]]]
    # The catalog's reader as the app builds it for this storage (the fake's twin for memory).
    catalog_reads: CatalogReadModel


def memory_storage() -> Storage:
    memory = MemoryDatabase()

    async def recorded_events() -> list[tuple[str, str]]:
        records = sorted(memory.state.payment_events.values(), key=lambda r: r.id)
        return [(r.provider, r.outcome.value) for r in records]

    return Storage(
        "memory",
        lambda: MemoryUnitOfWork(memory),
        MemoryIdempotencyStore(memory),
        recorded_events,
        MemoryCatalogReadModel(memory),
    )


def sql_storage(name: str, db: Database, pool: ReadPool | None) -> Storage:
    async def recorded_events() -> list[tuple[str, str]]:
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT provider, outcome FROM payment_events ORDER BY id"))
            ).all()
        return [(row.provider, row.outcome) for row in rows]

    return Storage(
        name, lambda: SqlUnitOfWork(db), SqlIdempotencyStore(db), recorded_events, catalog_reads(db, pool)
    )
