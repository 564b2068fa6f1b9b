"""The database: one engine per process, a unit of work per request, the idempotency-key store."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.sql.database import Database, create_engine
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.installation import SqlInstallationStore
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import IdempotencyStore, Installation, InstallationStore, UnitOfWork
from entrypoints.settings import Settings


class DatabaseAdapters(Provider):
    @provide(scope=Scope.APP)
    async def database(self, settings: Settings) -> AsyncIterator[Database]:
        db = Database(create_engine(settings.database_url, pool_size=settings.db_pool_size))
        yield db
        await db.dispose()

    @provide(scope=Scope.REQUEST)
    def unit_of_work(self, db: Database) -> UnitOfWork:
        return SqlUnitOfWork(db)

    @provide(scope=Scope.APP)
    def idempotency_store(self, db: Database) -> IdempotencyStore:
        return SqlIdempotencyStore(db)

    @provide(scope=Scope.APP)
    def installation_store(self, db: Database) -> InstallationStore:
        return SqlInstallationStore(db)

    @provide(scope=Scope.APP)
    async def installation(self, store: InstallationStore) -> Installation:
        """Read once per process: at start-up (`create_app`), else on first use if the database
        did not answer then."""
        return await store.installation()
