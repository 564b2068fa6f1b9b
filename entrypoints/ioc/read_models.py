"""The read models: asyncpg directly on PostgreSQL, SQLAlchemy or the unit of work elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.sql.account_reads import AsyncpgAccountReadModel
from adapters.sql.catalog_reads import ReadPool, catalog_reads
from adapters.sql.database import Database
from adapters.sql.order_reads import AsyncpgOrderReadModel
from application.auth.accounts import AccountsInUnitOfWork
from application.orders.read_model import RepositoryOrderReadModel
from application.ports import AccountReadModel, CatalogReadModel, OrderReadModel, UnitOfWork
from entrypoints.settings import Settings


class ReadModelAdapters(Provider):
    @provide(scope=Scope.APP)
    async def read_pool(self, settings: Settings) -> AsyncIterator[ReadPool]:
        """asyncpg connections for the read models on PostgreSQL, opened on first use: half as many
        as the unit-of-work pool (reads hold a connection for one statement only)."""
        pool = ReadPool(settings.database_url, max(2, settings.db_pool_size // 2))
        yield pool
        await pool.close()

    @provide(scope=Scope.APP)
    def catalog_reads(self, db: Database, pool: ReadPool) -> CatalogReadModel:
        """PostgreSQL reads the catalog through asyncpg directly; other databases through SQLAlchemy."""
        return catalog_reads(db, pool)

    @provide(scope=Scope.REQUEST)
    def account_reads(self, db: Database, pool: ReadPool, uow: UnitOfWork) -> AccountReadModel:
        if db.engine.dialect.name == "postgresql":
            return AsyncpgAccountReadModel(pool)
        return AccountsInUnitOfWork(uow)

    @provide(scope=Scope.REQUEST)
    def order_reads(self, db: Database, pool: ReadPool, uow: UnitOfWork) -> OrderReadModel:
        """PostgreSQL reads order history through asyncpg directly; other databases through the
        unit of work's repository."""
        if db.engine.dialect.name == "postgresql":
            return AsyncpgOrderReadModel(pool)
        return RepositoryOrderReadModel(uow)
