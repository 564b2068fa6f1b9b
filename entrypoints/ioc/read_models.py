"""The read models: one reader per read port and database family, the family chosen once.

On PostgreSQL the read pool exists and every read port gets its asyncpg reader on it; on any
other database (the embedded SQLite) there is no read pool (`None`) and the ports get their
readers through SQLAlchemy or the unit of work. The dialect is looked at in `read_pool` only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.sql.account_reads import AsyncpgAccountReadModel, UsersById
from adapters.sql.catalog_reads import ReadPool, catalog_reads
from adapters.sql.database import Database
from adapters.sql.order_reads import AsyncpgOrderReadModel
from application.auth.accounts import AccountsInUnitOfWork
from application.orders.read_model import RepositoryOrderReadModel
from application.ports import AccountReadModel, CatalogReadModel, OrderReadModel, UnitOfWork
from entrypoints.settings import Settings


class ReadModelAdapters(Provider):
    @provide(scope=Scope.APP)
    async def read_pool(self, settings: Settings, db: Database) -> AsyncIterator[ReadPool | None]:
        """On PostgreSQL, `DB_POOL_SIZE` asyncpg connections for the read models, opened on first
        use (half as many queued the catalog reads for a connection: their p99 halved with as
        many as the floor's pool, docs/performance.md). None on any other database."""
        if db.engine.dialect.name != "postgresql":
            yield None
            return
        pool = ReadPool(settings.database_url, settings.db_pool_size)
        yield pool
        await pool.close()

    @provide(scope=Scope.APP)
    def catalog_reads(self, db: Database, pool: ReadPool | None) -> CatalogReadModel:
        return catalog_reads(db, pool)

    @provide(scope=Scope.APP)
    def users_by_id(self, pool: ReadPool | None) -> UsersById | None:
        """The callers' rows, read together by the requests that ask in the same turn."""
        return UsersById(pool) if pool else None

    @provide(scope=Scope.REQUEST)
    def account_reads(self, users_by_id: UsersById | None, uow: UnitOfWork) -> AccountReadModel:
        return AsyncpgAccountReadModel(users_by_id) if users_by_id else AccountsInUnitOfWork(uow)

    @provide(scope=Scope.REQUEST)
    def order_reads(self, pool: ReadPool | None, uow: UnitOfWork) -> OrderReadModel:
        return AsyncpgOrderReadModel(pool) if pool else RepositoryOrderReadModel(uow)
