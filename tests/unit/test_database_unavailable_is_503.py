"""A dependency that cannot serve now (down, starting up, shutting down, out of connections) is
a 503 with `Retry-After`, whichever pool raised it: the SQLAlchemy engine (errors wrapped in
DBAPIError), the raw asyncpg read pool (asyncpg's own errors) or Redis."""

from __future__ import annotations

import logging

import asyncpg  # type: ignore[import-untyped]
import pytest
import redis.exceptions
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection, AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from adapters.outages import unavailable_dependency
from domain.errors import DependencyUnavailable
from entrypoints.http.problems import unexpected_error_handler
from entrypoints.outage_log import OutageFilter, OutageLog

handler = unexpected_error_handler(unavailable_dependency)


def wrapped(error: Exception) -> DBAPIError:
    """The shape SQLAlchemy's asyncpg dialect raises: DBAPIError ← adapted error ← asyncpg error."""
    try:
        try:
            raise AsyncAdapt_asyncpg_dbapi.Error(str(error)) from error  # type: ignore[no-untyped-call]
        except AsyncAdapt_asyncpg_dbapi.Error as adapted:
            raise DBAPIError("SELECT 1", None, adapted) from adapted
    except DBAPIError as raised:
        return raised


def translated(error: Exception) -> Exception:
    """What SQLAlchemy's asyncpg dialect really raises for `error`: its own translation of a driver
    error (by class), wrapped in the `DBAPIError` subclass of the same name; any other error (a
    socket's) as it is."""
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)  # type: ignore[no-untyped-call]
    try:
        try:
            AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
        except dbapi.Error as adapted:
            raise DBAPIError.instance("SELECT 1", None, adapted, dbapi.Error) from adapted
    except Exception as raised:  # noqa: BLE001 - whatever the dialect raised is the answer
        return raised
    raise AssertionError("the dialect raised nothing")


# The server ended the connection while it sat idle (a fast shutdown, pg_terminate_backend): its
# FATAL message reached asyncpg between two queries, and the next query on it fails like this.
ENDED_WHILE_IDLE = asyncpg.exceptions.InternalClientError(
    "cannot switch to state 12; another operation (2) is in progress"
)

DRIVER_OUTAGES: list[Exception] = [
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.OutOfMemoryError("out of memory"),
    asyncpg.exceptions.DiskFullError('could not extend file "base/16384/16385": No space left on device'),
    asyncpg.exceptions.ConfigurationLimitExceededError("too many range table entries"),
    asyncpg.exceptions.IdleSessionTimeoutError("terminating connection due to idle-session timeout"),
    ENDED_WHILE_IDLE,
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CrashShutdownError(
        "terminating connection because of crash of another server process"
    ),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.ConnectionFailureError("connection failure"),
    asyncpg.exceptions.PostgresConnectionError("connection lost"),
    asyncpg.exceptions.InterfaceError("cannot perform operation: connection is closed"),
    asyncpg.exceptions.InterfaceError("pool is closing"),
    ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
    ConnectionResetError(104, "Connection reset by peer"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] Cannot assign address"),
    TimeoutError(),
]


@pytest.mark.parametrize("error", DRIVER_OUTAGES, ids=lambda e: f"{type(e).__name__}:{str(e)[:30]}")
@pytest.mark.parametrize("shape", ["raw asyncpg pool", "through SQLAlchemy", "as SQLAlchemy translates it"])
def test_a_database_that_cannot_serve_now_answers_503_with_retry_after(error: Exception, shape: str) -> None:
    shapes = {
        "raw asyncpg pool": lambda e: e,
        "through SQLAlchemy": wrapped,
        "as SQLAlchemy translates it": translated,
    }
    raised = shapes[shape](error)
    assert unavailable_dependency(raised) is not None
    response = handler(None, raised)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.media_type == "application/problem+json"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (PoolTimeout("QueuePool limit of size 5 overflow 5 reached"), "database"),
        (OperationalError("SELECT 1", None, Exception("unable to open database file")), "database"),
        (redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379"), "redis"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "redis"),
        (redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"), "redis"),
    ],
)
def test_each_pool_names_its_dependency(error: Exception, kind: str) -> None:
    assert unavailable_dependency(error) == kind
    assert handler(None, error).status_code == 503


def test_a_wrapped_redis_failure_is_named_after_redis() -> None:
    outer = DependencyUnavailable("the session store is unavailable")
    outer.__cause__ = redis.exceptions.ConnectionError("refused")
    assert unavailable_dependency(outer) == "redis"


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.DivisionByZeroError("division by zero")),
        asyncpg.exceptions.UndefinedTableError('relation "orders" does not exist'),
        asyncpg.exceptions.InterfaceError("cannot perform operation: another operation is in progress"),
        # InternalClientError's subclasses are not a broken connection: a stale type cache after
        # a schema change, no server of the wanted role, a value the client cannot decode.
        asyncpg.exceptions.OutdatedSchemaCacheError("the type cache is outdated"),
        translated(asyncpg.exceptions.OutdatedSchemaCacheError("the type cache is outdated")),
        asyncpg.exceptions.TargetServerAttributeNotMatched("None of the hosts match the attribute"),
        asyncpg.exceptions.ProtocolError("unexpected array dimensions"),
        asyncpg.exceptions.DatabaseDroppedError("terminating connection: database was dropped"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        FileNotFoundError(2, "No such file or directory"),
        ValueError("a bug"),
        redis.exceptions.ResponseError("WRONGTYPE"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_any_other_error_stays_a_500_without_details(error: Exception) -> None:
    assert unavailable_dependency(error) is None
    response = handler(None, error)
    assert response.status_code == 500
    assert b"division" not in bytes(response.content)
    assert b"orders" not in bytes(response.content)


def test_an_outage_is_logged_once_per_kind_per_interval_with_the_count_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    outages = OutageLog(logging.getLogger("test.outages"), interval=10, clock=lambda: now[0])
    error = ConnectionRefusedError(111, "refused")
    with caplog.at_level(logging.WARNING, "test.outages"):
        for second in range(25):
            now[0] = float(second)
            outages.report("database:ConnectionRefusedError", "database unavailable", error)
            outages.report("redis:ConnectionError", "redis unavailable", error)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 6  # at 0, 10 and 20 s, for each of the two kinds
    assert lines[2] == (
        "database unavailable (ConnectionRefusedError: [Errno 111] refused); "
        "9 more like it since the previous line"
    )
    assert all(record.exc_info is None for record in caplog.records)


def test_a_library_outage_warning_loses_its_traceback_and_its_repeats() -> None:
    now = [0.0]
    gate = OutageFilter(unavailable_dependency, interval=10, clock=lambda: now[0])
    try:
        raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    except asyncpg.exceptions.CannotConnectNowError as error:
        info = (type(error), error, error.__traceback__)

    def record(message: str, exc_info: object = None) -> logging.LogRecord:
        return logging.LogRecord("asyncpg.pool", logging.WARNING, __file__, 1, message, (), exc_info)  # type: ignore[arg-type]

    first = record("Failed to restore the pool connection floor; retrying", info)
    assert gate.filter(first) and first.exc_info is None
    assert first.getMessage().endswith("(CannotConnectNowError: the database system is starting up)")
    now[0] = 5
    assert not gate.filter(record("Failed to restore the pool connection floor; retrying", info))
    assert gate.filter(record("an ordinary line"))
    now[0] = 11
    later = record("Failed to restore the pool connection floor; retrying", info)
    assert gate.filter(later) and "1 more like it" in later.getMessage()


def test_distinct_database_faults_each_get_their_traceback_and_a_repeat_does_not(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every database error arrives as SQLAlchemy's DBAPIError: the traceback is throttled by
    the driver error inside and its message class, so distinct faults are each logged."""
    import sqlite3

    from entrypoints.http import problems

    monkeypatch.setattr(problems, "outages", OutageLog(logging.getLogger("storefront.errors"), interval=10))

    def db_error(inner: Exception) -> DBAPIError:
        return DBAPIError("INSERT INTO payment_events ...", {}, inner)

    faults = [
        db_error(sqlite3.IntegrityError("CHECK constraint failed: amount_positive")),
        db_error(OverflowError("Python int too large to convert to SQLite INTEGER")),
        db_error(
            asyncpg.exceptions.CharacterNotInRepertoireError(
                'invalid byte sequence for encoding "UTF8": 0x00'
            )
        ),
        wrapped(asyncpg.exceptions.NumericValueOutOfRangeError("value out of int64 range")),
        db_error(
            asyncpg.exceptions.StringDataRightTruncationError(
                "value too long for type character varying(255)"
            )
        ),
        db_error(
            asyncpg.exceptions.StringDataRightTruncationError(
                "value too long for type character varying(1000)"
            )
        ),
    ]
    again = db_error(
        asyncpg.exceptions.StringDataRightTruncationError("value too long for type character varying(32)")
    )
    with caplog.at_level(logging.ERROR):
        for fault in [*faults, again]:
            assert handler(None, fault).status_code == 500
    tracebacks = [record for record in caplog.records if record.exc_info]
    # The two truncations of other lengths are one fault; the repeat with another length too.
    assert len(tracebacks) == len(faults) - 1, [r.getMessage() for r in caplog.records]
