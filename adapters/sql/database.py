"""Engines for PostgreSQL (asyncpg) and the embedded SQLite default (aiosqlite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a request waits for a new PostgreSQL connection (asyncpg's own default is 60 s): a
# server that accepts the connection and then says nothing is an outage (503) after this.
CONNECT_TIMEOUT_SECONDS = 10.0
# How long one read-pool statement may take (catalog, account and order-list reads: one indexed
# statement each, answered in milliseconds): a database that stops answering on an open
# connection is an outage (503) after this, not a request that waits forever. The unit of
# work's statements have none: a transaction is not cut in the middle.
READ_STATEMENT_TIMEOUT_SECONDS = 10.0
# The drivers the store runs on, by URL scheme.
SUPPORTED_SCHEMES = ("postgresql+asyncpg", "sqlite+aiosqlite")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a DATABASE_URL (no or another driver, unparsable), or None."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in SUPPORTED_SCHEMES:
        shown = f"{scheme}://" if scheme else repr(url.split("@")[-1][:40])
        return (
            f"must start with postgresql+asyncpg:// (PostgreSQL) or sqlite+aiosqlite:/// (SQLite), "
            f"not {shown}"
        )
    try:
        parsed = make_url(url)
        _ = parsed.port
    except (ArgumentError, ValueError) as error:
        return f"is not a valid URL ({type(error).__name__})"
    return None


def describe_url(url: str) -> str:
    """Where the database is, without the password: `host:port/name` or the SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


async def probe(url: str, seconds: float) -> None:
    """Connect once and run `SELECT 1`; raises the driver's error when that fails."""
    connect_args: dict[str, Any] = {}
    if make_url(url).get_backend_name() == "postgresql":
        connect_args["timeout"] = seconds
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True, connect_args=connect_args)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), seconds)
    finally:
        await engine.dispose()


class Database:
    """One engine plus what its dialect needs to stay correct under concurrency.

    SQLite allows one writer at a time: every transaction here starts with
    `BEGIN IMMEDIATE` (so it never fails half-way with "database is locked"
    when it starts writing) and, inside one process, waits its turn on an
    asyncio lock instead of spinning in SQLite's busy handler. Other processes
    on the same file wait through `busy_timeout`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside a begun transaction; the caller commits or it rolls back."""
        if self._write_lock is None:
            async with self.engine.connect() as conn:
                await conn.begin()
                yield conn
            return
        async with self._write_lock, self.engine.connect() as conn:
            await conn.begin()
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, connect_timeout: float = CONNECT_TIMEOUT_SECONDS
) -> AsyncEngine:
    parsed = make_url(url)
    # Bound parameters (password hashes, emails, tokens) never appear in error messages or logs.
    options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    # `pool_size` connections plus as many again, all kept once opened: SQLAlchemy closes an
    # overflow connection as soon as it is returned while the pool holds `pool_size` idle ones, so
    # under a steady load of more requests than `pool_size` each worker kept opening and closing
    # PostgreSQL sessions (a backend fork and start-up each) — connection churn on the write path
    # (docs/performance.md, "Write path"). The pool still opens them only on demand.
    options.update(pool_size=2 * pool_size, max_overflow=0, pool_pre_ping=False)
    options["connect_args"] = {"timeout": connect_timeout}
    return create_async_engine(url, **options)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
