"""A PostgreSQL address that accepts connections and then says nothing (a hung server, a
black-holed proxy): a request's new connection gives up after the connect timeout, and the error
is an outage (503), for the unit of work's engine and for the read pool alike. A read-pool
statement that gets no answer on an open connection gives up after the read timeout, as an
outage too."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from adapters.outages import DATABASE, unavailable_dependency
from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import CONNECT_TIMEOUT_SECONDS, create_engine


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose kernel completes the handshake (listen backlog) and nobody ever answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_the_connect_timeout_is_well_below_asyncpgs_own_minute() -> None:
    assert CONNECT_TIMEOUT_SECONDS <= 10


async def test_the_engine_gives_up_on_a_silent_server_and_calls_it_an_outage(silent_port: int) -> None:
    engine = create_engine(f"postgresql+asyncpg://shop@127.0.0.1:{silent_port}/shop", connect_timeout=0.5)
    began = time.monotonic()
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own error, whatever it is
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert time.monotonic() - began < 5
    assert unavailable_dependency(caught.value) == DATABASE


async def test_the_read_pool_gives_up_on_a_silent_server_and_calls_it_an_outage(silent_port: int) -> None:
    pool = ReadPool(f"postgresql+asyncpg://shop@127.0.0.1:{silent_port}/shop", 1, connect_timeout=0.5)
    began = time.monotonic()
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own error, whatever it is
            await pool.get()
    finally:
        await pool.close()
    assert time.monotonic() - began < 5
    assert unavailable_dependency(caught.value) == DATABASE


@pytest.mark.postgres
async def test_a_read_that_gets_no_answer_gives_up_and_is_an_outage(postgres_database: str) -> None:
    """`pg_sleep` stands for a database that stopped answering on an open connection."""
    pool = ReadPool(postgres_database, 1, statement_timeout=0.5)
    began = time.monotonic()
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own error, whatever it is
            await (await pool.get()).fetch("SELECT pg_sleep(5)")
        assert await (await pool.get()).fetchval("SELECT 1") == 1  # the connection is still usable
    finally:
        await pool.close()
    assert time.monotonic() - began < 4
    assert unavailable_dependency(caught.value) == DATABASE
